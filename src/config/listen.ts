// Socket address specs of the config: `transport:host:port`, `host:port` and `MIN-MAX` port ranges.
import { isIP } from 'node:net';
import type { TransportName } from '../sip/message.js';
import type { ListenSpec } from '../sip/transport/types.js';

const TRANSPORTS: readonly TransportName[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A port number 0..65535 written in decimal digits only; 0 means "any free port". */
function parsePort(text: string): number | null {
  if (!/^[0-9]{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port <= 65535 ? port : null;
}

/** `host:port` where host is IPv4, a hostname or `[IPv6]`; the IPv6 brackets are removed. */
export function parseHostPort(text: string): { host: string; port: number } | null {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return null;
    host = text.slice(1, close);
    if (isIP(host) !== 6) return null;
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return null;
    host = text.slice(0, colon);
    if (isIP(host) !== 4 && !HOSTNAME.test(host)) return null;
    portText = text.slice(colon + 1);
  }
  const port = parsePort(portText);
  return port === null ? null : { host, port };
}

/** `udp:127.0.0.1:5060`, `tls:[::1]:5061`; null when malformed. */
export function parseListenSpec(text: string): ListenSpec | null {
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  const transport = text.slice(0, colon).toLowerCase() as TransportName;
  if (!TRANSPORTS.includes(transport)) return null;
  const hp = parseHostPort(text.slice(colon + 1));
  return hp === null ? null : { transport, host: hp.host, port: hp.port };
}

/** `20000-20999`: 1 ≤ min < max ≤ 65535; null when malformed. */
export function parsePortRange(text: string): { min: number; max: number } | null {
  const m = /^\s*([0-9]{1,5})\s*-\s*([0-9]{1,5})\s*$/.exec(text);
  if (m === null) return null;
  const min = Number(m[1]);
  const max = Number(m[2]);
  if (min < 1 || max > 65535 || min >= max) return null;
  return { min, max };
}
