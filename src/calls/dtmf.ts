// Digits a call hears, whichever way they came: SIP INFO (read here), RFC 4733 events and in-band
// tones (reported by the media workers). Apps get all of them as one CallControl 'dtmf' event, and
// the other side gets each one in the method it takes (INFO sent from here, media by the workers).
import type { DtmfMethod } from '../media/dtmf/digits.js';
import { buildDtmfInfo, DTMF_RELAY, isDtmfInfo, parseDtmfInfo, type InfoDtmf } from '../media/dtmf/info.js';
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

/** How long an INFO digit says it lasts when the method it came by did not tell (RFC 4733 digits are reported as they start). */
export const INFO_DURATION_MS = 160;
/** Digits waiting for their INFO, at most, per dialog. */
const MAX_QUEUED = 16;

/**
 * Sends digits as SIP INFO application/dtmf-relay ("Signal=5\r\nDuration=160") in one dialog, one
 * at a time: each INFO waits for the final response to the one before, so the far end gets the
 * digits in order (RFC 6086 4.2: one INFO at a time per dialog is the safe use).
 */
export class InfoDigitSender {
  readonly #send: (body: Buffer, contentType: string) => Promise<{ status: number }>;
  readonly #refused: (status: number) => void;
  #queued = 0;
  #chain: Promise<void> = Promise.resolve();

  /** `send` sends one INFO in the dialog and resolves with its final response; `refused` hears a non-2xx. */
  constructor(send: (body: Buffer, contentType: string) => Promise<{ status: number }>, refused: (status: number) => void) {
    this.#send = send;
    this.#refused = refused;
  }

  /** Queues a digit; false when MAX_QUEUED wait already. Throws on a digit that is not DTMF. */
  add(digit: string, durationMs: number): boolean {
    if (this.#queued >= MAX_QUEUED) return false;
    const info = buildDtmfInfo(DTMF_RELAY, digit, durationMs);
    this.#queued++;
    this.#chain = this.#chain.then(async () => {
      try {
        const res = await this.#send(info.body, info.contentType);
        if (res.status >= 300) this.#refused(res.status);
      } catch {
        this.#refused(0);
      } finally {
        this.#queued--;
      }
    });
    return true;
  }
}
