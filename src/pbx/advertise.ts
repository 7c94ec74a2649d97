import type { Config } from '../config/types.js';

/**
 * The host written into Via and Contact: sip.external_address, or rtp.address when a listener is
 * bound to a wildcard (0.0.0.0 or ::), which no phone can send to; null means each socket's own host.
 */
export function advertisedHost(config: Config): string | null {
  if (config.sip.external_address !== null) return config.sip.external_address;
  const wildcard = config.sip.listen.some((l) => l.host === '0.0.0.0' || l.host === '::');
  return wildcard ? config.rtp.address : null;
}
