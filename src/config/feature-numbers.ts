// Feature codes dialled from a phone, as FreePBX's "Feature Codes": `*97` for one's voicemail,
// `*72` + a number to forward, `**` + an extension to pick up its call. Each has a key under
// `features:` with the default below; null turns it off. A code with `argument` takes the digits
// dialled after it (`*721002`). Extensions and dialplan numbers come first: a code is looked at
// only when the dialled number is neither.
// The apps that carry each feature out are in src/apps/features.ts.
import type { FeaturesConfig } from './types.js';

export interface DialledFeature {
  /** The code when the config does not set one. */
  code: string;
  /** The code is followed by digits (a number, an extension, a slot); 'optional': with or without them. */
  argument: boolean | 'optional';
  /** What it does, for docs and `pbx check`. */
  summary: string;
}

export const DIALLED_FEATURES = {
  voicemail: { code: '*97', argument: false, summary: "the caller's own mailbox (PIN asked)" },
  voicemail_any: { code: '*98', argument: false, summary: 'any mailbox: its number, then its PIN' },
  forward_always_on: { code: '*72', argument: true, summary: "forward all the caller's calls to the number dialled after the code" },
  forward_always_off: { code: '*73', argument: false, summary: 'forward all calls: off' },
  forward_busy_on: { code: '*90', argument: true, summary: 'forward calls while busy (or on do not disturb) to the number after the code' },
  forward_busy_off: { code: '*91', argument: false, summary: 'forward on busy: off' },
  forward_no_answer_on: { code: '*52', argument: true, summary: 'forward calls not answered to the number after the code' },
  forward_no_answer_off: { code: '*53', argument: false, summary: 'forward on no answer: off' },
  dnd_on: { code: '*78', argument: false, summary: 'do not disturb: callers get the busy treatment' },
  dnd_off: { code: '*79', argument: false, summary: 'do not disturb: off' },
  queue_login: { code: '*45', argument: 'optional', summary: "agent login: the queue dialled after the code (its number), or every queue the extension is a member of" },
  queue_logout: { code: '*46', argument: 'optional', summary: 'agent logout: one queue (its number after the code) or all' },
  queue_pause: { code: '*47', argument: 'optional', summary: 'agent pause on or off (toggle): one queue (its number after the code) or all' },
  pickup: { code: '*8', argument: false, summary: 'answers a call ringing an extension of a group one is in (any extension when in none)' },
  pickup_directed: { code: '**', argument: true, summary: 'answers the call ringing the extension dialled after it' },
} as const satisfies Record<string, DialledFeature>;

export type DialledFeatureName = keyof typeof DIALLED_FEATURES;

export const DIALLED_FEATURE_NAMES = Object.keys(DIALLED_FEATURES) as DialledFeatureName[];

export interface FeatureMatch {
  name: DialledFeatureName;
  /** The digits after a code that takes an argument; null for one that does not. */
  arg: string | null;
}

/**
 * Compiles the codes in force into a matcher: exact codes first, then the longest code with an
 * argument that prefixes the number (with at least one digit after it).
 */
export function featureMatcher(features: FeaturesConfig): (dialled: string) => FeatureMatch | null {
  const exact = new Map<string, DialledFeatureName>();
  const prefixed: Array<{ code: string; name: DialledFeatureName }> = [];
  for (const name of DIALLED_FEATURE_NAMES) {
    const code = features[name];
    if (code === null) continue;
    const argument = (DIALLED_FEATURES[name] as DialledFeature).argument;
    if (argument !== false) prefixed.push({ code, name });
    if (argument !== true) exact.set(code, name);
  }
  prefixed.sort((x, y) => y.code.length - x.code.length);
  return (dialled) => {
    const name = exact.get(dialled);
    if (name !== undefined) return { name, arg: null };
    for (const p of prefixed) {
      if (dialled.length > p.code.length && dialled.startsWith(p.code)) return { name: p.name, arg: dialled.slice(p.code.length) };
    }
    return null;
  };
}

/** Every dialled feature at its default code (for configs built in code). */
export function defaultFeatureCodes(): Record<DialledFeatureName, string> {
  const codes = {} as Record<DialledFeatureName, string>;
  for (const name of DIALLED_FEATURE_NAMES) codes[name] = DIALLED_FEATURES[name].code;
  return codes;
}
