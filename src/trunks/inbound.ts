// Where a call from a trunk goes: its DID looked up in `inbound:` (as written, then with or
// without a leading +), else `inbound.default`; null (404) when neither names it. The caller-ID
// rules and schedules apply after this, as for a dialplan number (src/calls/route.ts).
import { resolveDestination } from '../config/routing.js';
import type { Config, Destination } from '../config/types.js';

export function inboundDestination(config: Config, did: string): Destination | null {
  const dids = config.inbound.dids;
  const alternative = did.startsWith('+') ? did.slice(1) : `+${did}`;
  const text = dids.get(did) ?? dids.get(alternative) ?? config.inbound.default;
  return text === null ? null : resolveDestination(config, text);
}
