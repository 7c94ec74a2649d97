// Steps the transfer, pickup and park tests share: REFER and its NOTIFYs, a BYE from the PBX, a
// callee that answers, and media checked by a marked RTP payload reaching the other phone.
import type { SipRequest } from '../../../src/sip/message.js';
import { sdpFor, type Addr, type Phone, type PhoneDialog } from './phone.js';

let seq = 0;

/** True once `listener` got an RTP packet whose payload is all `mark`, sent by `from` to `to` every 20 ms (at most 2 s). */
export async function hears(from: Phone, to: Addr, listener: Phone, mark: number): Promise<boolean> {
  const marked = (p: Buffer): boolean => p.length === 172 && p[12] === mark && p[171] === mark;
  for (let i = 0; i < 100; i++) {
    from.sendRtp(to, 0, seq++, Buffer.alloc(160, mark));
    if (listener.rtpReceived.some((r) => marked(r.payload))) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

/** The next NOTIFY of the REFER subscription (Event: refer), answered 200. */
export async function referNotify(p: Phone, tag: string): Promise<SipRequest> {
  const n = await p.next<SipRequest>((m) => m.kind === 'request' && m.method === 'NOTIFY' && (m.headers.get('event') ?? '').startsWith('refer'), 'NOTIFY refer');
  p.reply(n, 200, tag);
  return n;
}

/** A BYE from the PBX in dialog `callId`, answered 200. */
export async function byeIn(p: Phone, callId: string): Promise<void> {
  const bye = await p.next<SipRequest>((m) => m.kind === 'request' && m.method === 'BYE' && m.headers.get('call-id') === callId, `BYE in ${callId}`);
  p.reply(bye, 200, '');
}

export function refer(p: Phone, d: PhoneDialog, referTo: string): SipRequest {
  return p.inDialog(d, 'REFER', Buffer.alloc(0), undefined, undefined, [
    ['Refer-To', referTo],
    ['Referred-By', `<sip:${p.user}@pbx.test>`],
  ]);
}

/** `callee` gets the PBX's INVITE, rings and answers; returns the INVITE and its dialog. */
export async function answers(callee: Phone, tag: string): Promise<{ invite: SipRequest; dialog: PhoneDialog }> {
  const invite = await callee.request('INVITE');
  callee.reply(invite, 180, tag);
  callee.reply(invite, 200, tag, sdpFor(callee.rtpPort));
  await callee.request('ACK');
  return { invite, dialog: callee.dialogFromUas(invite, tag) };
}


/** Presses `keys` in a dialog by SIP INFO (application/dtmf-relay), each answered before the next. */
export async function press(p: Phone, d: PhoneDialog, keys: string): Promise<void> {
  for (const key of keys) {
    const info = p.inDialog(d, 'INFO', Buffer.from(`Signal=${key}\r\nDuration=160\r\n`), undefined, 'application/dtmf-relay');
    const res = await p.final(info);
    if (res.status !== 200) throw new Error(`INFO ${key} got ${res.status}`);
  }
}

const EVENT_CODES = '0123456789*#';

/**
 * Presses `keys` as RFC 4733 telephone-events (payload type 101) from the phone's RTP socket to
 * `to`: per key five packets of one event (same timestamp, growing duration), then three end packets.
 */
export async function pressEvents(p: Phone, to: Addr, keys: string): Promise<void> {
  for (const key of keys) {
    const code = EVENT_CODES.indexOf(key);
    if (code < 0) throw new Error(`no RFC 4733 event for ${key}`);
    const ts = (seq * 160) >>> 0;
    for (let i = 0; i < 8; i++) {
      const pkt = Buffer.alloc(16);
      pkt[0] = 0x80;
      pkt[1] = (i === 0 ? 0x80 : 0) | 101;
      pkt.writeUInt16BE(seq++ & 0xffff, 2);
      pkt.writeUInt32BE(ts, 4);
      pkt.writeUInt32BE(0x1234abcd, 8);
      pkt[12] = code;
      pkt[13] = (i >= 5 ? 0x80 : 0) | 10;
      pkt.writeUInt16BE(Math.min(i + 1, 5) * 160, 14);
      p.rtp.send(pkt, to.port, to.address);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
