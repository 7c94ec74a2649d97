// Destination strings (CONTRACT): an extension number, `ivr:NAME`, `group:NAME`, `queue:NAME`,
// `conference:NAME`, `voicemail:EXT`, `voicemail-main`, `hangup`, or a dialplan number; and
// `schedule:NAME` (office hours, schedule.ts).
import type { Destination } from './types.js';

export type ParsedDestination = Destination | { kind: 'number'; number: string };

const NAMED = ['ivr', 'group', 'queue', 'conference', 'schedule'] as const;
const DESTINATION_KINDS = [...NAMED, 'voicemail'] as const;

/** Syntax only; whether the target exists is checked against the config. A string is an error message. */
export function parseDestination(text: string): ParsedDestination | string {
  if (text === 'hangup') return { kind: 'hangup' };
  if (text === 'voicemail-main') return { kind: 'voicemail-main' };
  const colon = text.indexOf(':');
  if (colon < 0) {
    if (/^[0-9*#+]+$/.test(text)) return { kind: 'number', number: text };
    return `bad destination "${text}"; expected a number, ivr:NAME, group:NAME, queue:NAME, conference:NAME, schedule:NAME, voicemail:EXT, voicemail-main or hangup`;
  }
  const kind = text.slice(0, colon);
  const target = text.slice(colon + 1);
  if (target === '') return `destination "${text}" names no ${kind}`;
  switch (kind) {
    case 'ivr':
      return { kind, name: target };
    case 'group':
      return { kind, name: target };
    case 'queue':
      return { kind, name: target };
    case 'conference':
      return { kind, name: target };
    case 'schedule':
      return { kind, name: target };
    case 'voicemail':
      return { kind, ext: target };
    default:
      return `unknown destination kind "${kind}" in "${text}"; expected one of ${DESTINATION_KINDS.join(', ')}`;
  }
}
