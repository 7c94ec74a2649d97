// Steps the call-flow tests share: a registered phone, an answered call, a hang-up, the CDR.
import type { Test } from 'tap';
import type { SipRequest, SipResponse } from '../../../src/sip/message.js';
import type { CdrRow } from '../../../src/store/types.js';
import type { LogLine } from '../../helpers/log.js';
import { RtpEndpoint } from '../../helpers/rtp-endpoint.js';
import { Phone, sdpFor, sdpMedia, type Addr, type PhoneDialog } from './phone.js';
import { PASSWORDS, type TestPbx } from './pbx.js';

/** A phone registered for the length of one test: unregistered and closed when the test ends. */
export async function phone(t: Test, pbx: TestPbx, user: string): Promise<Phone> {
  const p = await Phone.open(user, PASSWORDS[user]!, { address: '127.0.0.1', port: pbx.port });
  t.teardown(async () => {
    await p.register(0);
    p.close();
  });
  await p.register();
  return p;
}

export function callIdOf(req: SipRequest): string {
  return req.headers.get('call-id')!;
}

export function cdrOf(pbx: TestPbx, callId: string): CdrRow[] {
  return pbx.store.listCdr({ limit: 1000 }).filter((r) => r.call_id === callId);
}

/** Waits (bounded) until the call's CDR row is written; the PBX writes it as the call ends. */
export async function cdrFor(pbx: TestPbx, callId: string): Promise<CdrRow> {
  for (let i = 0; i < 100; i++) {
    const rows = cdrOf(pbx, callId);
    if (rows.length > 0) return rows[0]!;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no CDR for ${callId}`);
}

export interface Answered {
  invite: SipRequest;
  calleeInvite: SipRequest;
  callerDialog: PhoneDialog;
  calleeDialog: PhoneDialog;
  ok: SipResponse;
}

/**
 * alice calls bob, bob rings and answers; alice ACKs unless `ack` is false. `sdp` gives the offer
 * and the answer (default: each phone's RTP socket with PCMU, PCMA, telephone-event).
 */
export async function answeredCall(alice: Phone, bob: Phone, ack = true, sdp: { offer?: Buffer; answer?: Buffer } = {}): Promise<Answered> {
  const invite = await alice.dial(bob.user, sdp.offer ?? sdpFor(alice.rtpPort));
  await alice.response(invite, (s) => s === 100);
  const calleeInvite = await bob.request('INVITE');
  bob.reply(calleeInvite, 180, 'bobtag');
  await alice.response(invite, (s) => s === 180);
  bob.reply(calleeInvite, 200, 'bobtag', sdp.answer ?? sdpFor(bob.rtpPort));
  await bob.request('ACK');
  const ok = await alice.final(invite);
  if (ok.status !== 200) throw new Error(`the call got ${ok.status}`);
  const callerDialog = alice.dialogFromUac(invite, ok);
  if (ack) alice.inDialog(callerDialog, 'ACK', undefined, callerDialog.cseq);
  return { invite, calleeInvite, callerDialog, calleeDialog: bob.dialogFromUas(calleeInvite, 'bobtag'), ok };
}

/** `from` sends BYE in its dialog; `to` gets it relayed and answers; `from` gets its 200. */
export async function hangUp(from: Phone, d: PhoneDialog, to: Phone): Promise<void> {
  const bye = from.inDialog(d, 'BYE');
  const relayed = await to.request('BYE');
  to.reply(relayed, 200, '');
  const res = await from.final(bye);
  if (res.status !== 200) throw new Error(`BYE got ${res.status}`);
}

/** Resolves once the PBX logged a line matching `pred` (polled every 20 ms, bounded to `ms`). */
export async function logged(pbx: TestPbx, pred: (l: LogLine) => boolean, what = 'the expected line', ms = 5000): Promise<void> {
  for (let waited = 0; waited < ms; waited += 20) {
    if (pbx.log.some(pred)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the PBX did not log ${what} within ${ms} ms`);
}

/** A call the PBX answered itself (an IVR, voicemail): the caller's dialog and RTP endpoint. */
export interface AppCall {
  dialog: PhoneDialog;
  callId: string;
  /** The PBX's media port for the caller. */
  pbxMedia: Addr;
  ep: RtpEndpoint;
}

/**
 * `caller` dials `number`, which the PBX answers and starts talking on, with a PCMU +
 * telephone-event endpoint (PCMU alone with `inband`: its digits are then tones in the audio).
 */
export async function callApp(t: Test, caller: Phone, number: string, inband = false): Promise<AppCall> {
  const ep = await RtpEndpoint.open({ name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: inband ? null : 101 });
  t.teardown(() => ep.close());
  const invite = await caller.dial(number, sdpFor(ep.port, inband ? [[0, 'PCMU']] : [[0, 'PCMU'], [101, 'telephone-event']]));
  const ok = await caller.final(invite);
  if (ok.status !== 200) throw new Error(`${number} answered ${ok.status}`);
  const dialog = caller.dialogFromUac(invite, ok);
  caller.inDialog(dialog, 'ACK', undefined, dialog.cseq);
  // The first prompt comes from the leg the PBX listens on.
  await ep.waitFor(() => (ep.packets.get(0) ?? 0) >= 5, 8000, 'the first prompt');
  return { dialog, callId: callIdOf(invite), pbxMedia: sdpMedia(ok.body), ep };
}
