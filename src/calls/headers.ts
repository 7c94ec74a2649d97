// Small header reads call control makes on the messages it relays.
import { parseCSeq, parseNameAddr } from '../sip/grammar.js';
import type { SipRequest } from '../sip/message.js';
import { parseUri } from '../sip/uri.js';

/** The CSeq number of a request, -1 when it has none. */
export function cseqNumber(req: SipRequest): number {
  return parseCSeq(req.headers.get('cseq') ?? '')?.seq ?? -1;
}

/** The user part of a SIP URI (`sip:1002@pbx.test;user=phone` -> `1002`), %-escapes decoded; null when it has none. */
export function uriUser(uri: string): string | null {
  return parseUri(uri.trim())?.user ?? null;
}

/** The display name of a From/To value, '' when none. */
export function displayName(value: string | null): string {
  return value === null ? '' : (parseNameAddr(value)?.display ?? '');
}
