// Requests the transaction layer builds itself from an INVITE.
import { Headers, SipRequest, type SipResponse } from '../message.js';
import { cseqOf } from './keys.js';

function copyCommon(invite: SipRequest, to: string, method: string): Headers {
  const h = new Headers();
  const via = invite.headers.get('via');
  if (via !== null) h.add('via', via);
  for (const route of invite.headers.getAll('route')) h.add('route', route);
  h.add('max-forwards', '70');
  const from = invite.headers.get('from');
  if (from !== null) h.add('from', from);
  h.add('to', to);
  const callId = invite.headers.get('call-id');
  if (callId !== null) h.add('call-id', callId);
  h.add('cseq', `${cseqOf(invite)?.seq ?? 1} ${method}`);
  return h;
}

/**
 * RFC 3261 17.1.1.3: the ACK for a non-2xx final response: Request-URI, Call-ID, From, CSeq number
 * and the top Via of the INVITE, To of the response, the INVITE's Route headers.
 */
export function ackForNon2xx(invite: SipRequest, res: SipResponse): SipRequest {
  return new SipRequest('ACK', invite.uri, copyCommon(invite, res.headers.get('to') ?? invite.headers.get('to') ?? '', 'ACK'));
}

/**
 * RFC 3261 9.1: a CANCEL has the Request-URI, Call-ID, To, From, CSeq number and the single top
 * Via of the request it cancels, and its Route headers.
 */
export function cancelFor(invite: SipRequest): SipRequest {
  return new SipRequest('CANCEL', invite.uri, copyCommon(invite, invite.headers.get('to') ?? '', 'CANCEL'));
}
