// Feature codes dialled from a phone (src/config/feature-numbers.ts): each name's app. The caller
// is the extension ch.call.parties.from; `arg` is what was dialled after a code that takes one.
// A code whose app is not here yet is answered as a destination not built (501).
import type { DialledFeatureName } from '../config/feature-numbers.js';
import type { Channel } from './channel.js';
import type { GotoResult } from './goto.js';
import { PHONE_SETTING_APPS } from './phone-settings.js';
import { ownMailbox, runVoicemailMain } from './voicemail-main.js';
import { queueAgent } from './queue-agent.js';
import { pickup } from './pickup.js';

export type FeatureApp = (ch: Channel, arg: string | null) => Promise<GotoResult>;

const APPS: Partial<Record<DialledFeatureName, FeatureApp>> = {
  voicemail: (ch) => runVoicemailMain(ch, ownMailbox(ch)),
  voicemail_any: (ch) => runVoicemailMain(ch, null),
  ...PHONE_SETTING_APPS,
  queue_login: (ch, arg) => queueAgent(ch, arg, 'login'),
  queue_logout: (ch, arg) => queueAgent(ch, arg, 'logout'),
  queue_pause: (ch, arg) => queueAgent(ch, arg, 'pause'),
  pickup: (ch) => pickup(ch, null),
  pickup_directed: (ch, arg) => pickup(ch, arg),
};

/** The app of a dialled feature, or null when it is not built. */
export function featureApp(name: DialledFeatureName): FeatureApp | null {
  return APPS[name] ?? null;
}
