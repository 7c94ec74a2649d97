// The REGISTER header fields the registrar reads (RFC 3261 10.2, 20.10, 20.16, 20.19), on top of
// the SIP grammar, and where to send requests for a contact.
import { hostAddress, parseCSeq as parseCSeqValue, parseNameAddr, splitList, unquote } from '../sip/grammar.js';
import type { Peer } from '../sip/message.js';
import { parseUri } from '../sip/uri.js';

export interface ContactSpec {
  /** The Contact URI as written. */
  uri: string;
  /** The expires parameter, or null when absent. */
  expires: number | null;
  /** RFC 5626 +sip.instance, unquoted. */
  instance: string | null;
}

/** Longest registration a phone may ask for before clamping; keeps the arithmetic in safe integers. */
const EXPIRES_CEILING = 0x7fffffff;

/** The user part of the URI in a From/To value, or null. */
export function uriUserOf(value: string | null): string | null {
  if (value === null) return null;
  const na = parseNameAddr(value);
  if (na === null) return null;
  return parseUri(na.uri)?.user ?? null;
}

/** The sequence number of a CSeq value, or null when absent or malformed. */
export function parseCSeq(value: string | null): number | null {
  return value === null ? null : (parseCSeqValue(value)?.seq ?? null);
}

/**
 * Every Contact of a REGISTER: the list (possibly empty, a query), `'*'` for the wildcard alone,
 * or null when a value is malformed or `*` is mixed with other contacts (RFC 3261 10.3 step 6).
 */
export function parseContacts(lines: string[]): ContactSpec[] | '*' | null {
  const out: ContactSpec[] = [];
  let wildcard = false;
  for (const line of lines) {
    for (const item of splitList(line)) {
      if (item === '*') {
        wildcard = true;
        continue;
      }
      const na = parseNameAddr(item);
      if (na === null || parseUri(na.uri) === null) return null;
      const expiresText = na.params.get('expires');
      let expires: number | null = null;
      if (expiresText !== undefined) {
        if (expiresText === null || !/^\d+$/.test(expiresText)) return null;
        expires = Math.min(Number(expiresText), EXPIRES_CEILING);
      }
      const instance = na.params.get('+sip.instance');
      out.push({ uri: na.uri, expires, instance: instance == null ? null : unquote(instance) });
    }
  }
  if (wildcard) return out.length === 0 ? '*' : null;
  return out;
}

/**
 * Where to reach a contact that registered from `source`, and whether it is behind NAT (its
 * source address or port differs from the Contact's host and port). UDP: always the real
 * source. Connection transports: the connection it came on, or the Contact's host and port once
 * that connection is unknown (after a restart).
 */
export function contactTarget(contact: string, source: Peer): { peer: Peer; natted: boolean } {
  const uri = parseUri(contact);
  const host = uri === null ? source.address : hostAddress(uri.host);
  const port = uri?.port ?? (uri?.scheme === 'sips' || source.transport === 'tls' ? 5061 : 5060);
  const natted = host !== source.address || port !== source.port;
  if (source.transport === 'udp' || source.connectionId !== null) return { peer: source, natted };
  return { peer: { transport: source.transport, address: host, port, connectionId: null }, natted };
}
