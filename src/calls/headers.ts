// Small header reads call control makes on the messages it relays.
import { getTag, nameAddrUri, parseCSeq } from '../sip/grammar-lite.js';
import type { SipRequest } from '../sip/message.js';

/** The CSeq number of a request, -1 when it has none. */
export function cseqNumber(req: SipRequest): number {
  return parseCSeq(req.headers.get('cseq') ?? '')?.seq ?? -1;
}

/** The tag of a From/To value, '' when there is none. */
export function tagOf(value: string | null): string {
  return value === null ? '' : (getTag(value) ?? '');
}

/** The user part of a SIP URI (`sip:1002@pbx.test;user=phone` -> `1002`), %-escapes decoded; null when it has none. */
export function uriUser(uri: string): string | null {
  const m = /^sips?:([^@;?]+)@/i.exec(uri.trim());
  if (m === null) return null;
  try {
    return decodeURIComponent(m[1]!.split(':')[0]!);
  } catch {
    return null;
  }
}

/** The URI of a From/To/Contact value. */
export function headerUri(value: string | null): string {
  if (value === null) return '';
  return nameAddrUri(value) ?? '';
}

/** The display name of a From/To value ("Alice" <sip:...> -> Alice), '' when none. */
export function displayName(value: string | null): string {
  if (value === null) return '';
  const lt = value.indexOf('<');
  if (lt <= 0) return '';
  const raw = value.slice(0, lt).trim();
  return raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
}
