// Who is calling, as caller-ID routing sees it: the number in the From URI and whether the caller
// hides it.
import { parseNameAddr } from '../sip/grammar.js';
import type { SipRequest } from '../sip/message.js';
import { parseUri } from '../sip/uri.js';

export interface CallerId {
  /** The caller's number as presented in From (`+74951234567`), null when there is none. */
  caller: string | null;
  /** The caller withholds its identity. */
  anonymous: boolean;
}

/** RFC 3323 4.2 / RFC 3325 9.3: privacy values that ask to hide who is calling. */
const HIDING = new Set(['id', 'user', 'header']);

/**
 * The caller ID of an INVITE. Anonymous: a From user "anonymous" or none, the RFC 3323 4.1.1.3
 * host anonymous.invalid, or a Privacy header with id, user or header. A number hidden by Privacy
 * is still returned, so that a blacklist cannot be dodged by asking for privacy.
 */
export function callerIdOf(req: SipRequest): CallerId {
  const from = parseNameAddr(req.headers.get('from') ?? '');
  const uri = from === null ? null : parseUri(from.uri);
  const user = uri?.user ?? '';
  const named = user !== '' && user.toLowerCase() !== 'anonymous';
  const privacy = (req.headers.get('privacy') ?? '').split(';').some((p) => HIDING.has(p.trim().toLowerCase()));
  return {
    caller: named ? user : null,
    anonymous: !named || uri?.host.toLowerCase() === 'anonymous.invalid' || privacy,
  };
}
