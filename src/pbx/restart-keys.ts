// A reload swaps routing, extensions and everything read through getConfig(); the sockets, the
// media port range, the digest realm and the storage location are taken once at start-up.
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config/types.js';

/** Config keys read only at start-up. */
const START_UP_KEYS: readonly [string, (c: Config) => unknown][] = [
  ['data_dir', (c) => c.data_dir],
  ['sip.listen', (c) => c.sip.listen],
  ['sip.domain', (c) => c.sip.domain],
  ['sip.tls', (c) => c.sip.tls],
  ['sip.external_address', (c) => c.sip.external_address],
  ['rtp', (c) => c.rtp],
  ['media.tones', (c) => c.media.tones],
  ['http', (c) => c.http],
  ['security', (c) => c.security],
  ['log.level', (c) => c.log.level],
];

/** The start-up keys whose values differ between two configs. */
export function configChangesNeedingRestart(before: Config, after: Config): string[] {
  return START_UP_KEYS.filter(([, get]) => !isDeepStrictEqual(get(before), get(after))).map(([key]) => key);
}
