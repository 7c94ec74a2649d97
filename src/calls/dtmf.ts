// Digits a call hears, whichever way they came: SIP INFO (read here), RFC 4733 events and in-band
// tones (reported by the media workers). Apps get all of them as one CallControl 'dtmf' event.
import type { DtmfMethod } from '../media/dtmf/digits.js';
import { isDtmfInfo, parseDtmfInfo, type InfoDtmf } from '../media/dtmf/info.js';
import type { SipRequest } from '../sip/message.js';
import type { Side } from './media-session.js';

export interface CallDtmf {
  /** The PBX call id (CallInfo.id). */
  callId: string;
  /** The side that pressed the key. */
  side: Side;
  digit: string;
  method: DtmfMethod;
  /** How long the key was held, in ms, when the method tells (INFO dtmf-relay Duration). */
  durationMs: number | null;
}

/** What an in-dialog INFO carries: no DTMF (answered as before), a digit, or a DTMF type with a body that is none. */
export type InfoContent = { kind: 'other' } | { kind: 'dtmf'; dtmf: InfoDtmf } | { kind: 'malformed' };

export function infoContent(req: SipRequest): InfoContent {
  const type = req.headers.get('content-type');
  if (!isDtmfInfo(type)) return { kind: 'other' };
  const dtmf = parseDtmfInfo(type, req.body);
  return dtmf === null ? { kind: 'malformed' } : { kind: 'dtmf', dtmf };
}
