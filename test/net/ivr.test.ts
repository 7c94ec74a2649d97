// IVR menus over real UDP on 127.0.0.1: the PBX answers, plays the menu, hears RFC 4733 and
// in-band digits, and hands the caller over to an extension (ringback, then two-way audio), to a
// nested menu, to the default on timeout and after invalid input, or hangs up.
import { existsSync } from 'node:fs';
import t, { type Test } from 'tap';
import { goertzel, sine } from '../helpers/audio.js';
import { concat, dtmfTone, silence } from '../helpers/dtmf-audio.js';
import { RtpEndpoint } from '../helpers/rtp-endpoint.js';
import { callIdOf, cdrFor, phone } from './helpers/flows.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';
import type { LogLine } from '../helpers/log.js';
import { sdpFor, sdpMedia, type Addr, type Phone, type PhoneDialog } from './helpers/phone.js';

const MENUS = `  main: { prompt: welcome, options: { "1": "1001", "2": "ivr:sales", "9": "hangup" }, timeout: 1, retries: 1, default: "1003" }
  sales: { prompt: please-hold, options: { "1": "1002" }, timeout: 2, retries: 0, default: "1003", direct_dial: false, language: ru }
`;
const CODECS: Array<[number, string]> = [[0, 'PCMU'], [101, 'telephone-event']];

// Eleven calls of a few seconds each (prompts play in real time): more than tap's default per file.
t.setTimeout(300_000);

let pbx: TestPbx;
t.before(async () => {
  pbx = await startPbx({ ivr: MENUS, ringTimeoutS: 5 });
});
t.teardown(() => pbx.close());

/** Resolves once the PBX logged a line matching `pred` (polled, bounded to 5 s). */
async function logged(pred: (l: LogLine) => boolean): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (pbx.log.some(pred)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the PBX did not log the expected line within 5 s');
}

interface IvrCall {
  dialog: PhoneDialog;
  callId: string;
  /** The PBX's media port for the caller. */
  pbxMedia: Addr;
  ep: RtpEndpoint;
}

/**
 * `caller` dials the IVR (500) with a PCMU + telephone-event endpoint (PCMU alone with `inband`:
 * its digits are then tones in the audio); the PBX answers.
 */
async function callIvr(t: Test, caller: Phone, inband = false): Promise<IvrCall> {
  const ep = await RtpEndpoint.open({ name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: inband ? null : 101 });
  t.teardown(() => ep.close());
  const invite = await caller.dial('500', sdpFor(ep.port, inband ? [[0, 'PCMU']] : CODECS));
  const ok = await caller.final(invite);
  if (ok.status !== 200) throw new Error(`the IVR answered ${ok.status}`);
  const dialog = caller.dialogFromUac(invite, ok);
  caller.inDialog(dialog, 'ACK', undefined, dialog.cseq);
  const pbxMedia = sdpMedia(ok.body);
  // Where the PBX sends the prompt from: the leg it listens on.
  await ep.waitFor(() => (ep.packets.get(0) ?? 0) >= 5, 8000, 'the menu prompt');
  return { dialog, callId: callIdOf(invite), pbxMedia, ep };
}

/** The extension's phone rings and answers with its own PCMU endpoint. */
async function answer(t: Test, callee: Phone): Promise<{ ep: RtpEndpoint; pbxMedia: Addr }> {
  const ep = await RtpEndpoint.open({ name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: 101 });
  t.teardown(() => ep.close());
  const inv = await callee.request('INVITE');
  callee.reply(inv, 180, 'calleetag');
  callee.reply(inv, 200, 'calleetag', sdpFor(ep.port, CODECS));
  await callee.request('ACK');
  return { ep, pbxMedia: sdpMedia(inv.body) };
}

async function hangUp(caller: Phone, c: IvrCall, callee: Phone | null): Promise<void> {
  const bye = caller.inDialog(c.dialog, 'BYE');
  if (callee !== null) callee.reply(await callee.request('BYE'), 200, '');
  await caller.final(bye);
}

/** Audio goes both ways between the caller and the callee through the PBX. */
async function twoWayAudio(t: Test, a: { ep: RtpEndpoint; to: Addr }, b: { ep: RtpEndpoint; to: Addr }): Promise<void> {
  a.ep.clear();
  b.ep.clear();
  await Promise.all([a.ep.send(sine(8000, 1000, 8000, 8000), a.to.port), b.ep.send(sine(8000, 600, 8000, 8000), b.to.port)]);
  const atB = b.ep.received();
  const atA = a.ep.received();
  t.ok(atB.length > 4000 && goertzel(atB, 8000, 1000) > 20 * goertzel(atB, 8000, 600), 'the callee hears the caller');
  t.ok(atA.length > 4000 && goertzel(atA, 8000, 600) > 20 * goertzel(atA, 8000, 1000), 'the caller hears the callee');
}

t.test('RFC 4733 digit 1 during the prompt: ringback, then the call is bridged to 1001 with two-way audio', async (t) => {
  const caller = await phone(t, pbx, '1002');
  const alice = await phone(t, pbx, '1001');
  const c = await callIvr(t, caller);
  const answeredByIvr = Date.now();
  await c.ep.sendDigit(1, c.pbxMedia.port);
  const inv = await alice.request('INVITE');
  c.ep.clear();
  await c.ep.waitFor(() => (c.ep.packets.get(0) ?? 0) >= 25, 5000, 'ringback');
  const ring = c.ep.received();
  t.ok(goertzel(ring, 8000, 440) > 1e-4, `the caller hears ringback (440 Hz power ${goertzel(ring, 8000, 440)})`);
  const ep = await RtpEndpoint.open({ name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: 101 });
  t.teardown(() => ep.close());
  alice.reply(inv, 200, 'alicetag', sdpFor(ep.port, CODECS));
  await alice.request('ACK');
  await twoWayAudio(t, { ep: c.ep, to: c.pbxMedia }, { ep, to: sdpMedia(inv.body) });
  await hangUp(caller, c, alice);
  const row = await cdrFor(pbx, c.callId);
  t.match(row, { status: 'answered', path: 'ivr:main>1001', to: '500' });
  t.ok(Date.parse(row.answered_at!) >= answeredByIvr, 'answered_at is when 1001 answered, not when the IVR did');
});

t.test('an in-band DTMF 1 from a phone without telephone-event reaches 1001 too', async (t) => {
  const caller = await phone(t, pbx, '1002');
  const alice = await phone(t, pbx, '1001');
  const c = await callIvr(t, caller, true);
  await c.ep.send(concat(dtmfTone(8000, '1', 120), silence(8000, 200)), c.pbxMedia.port);
  const callee = await answer(t, alice);
  await twoWayAudio(t, { ep: c.ep, to: c.pbxMedia }, { ep: callee.ep, to: callee.pbxMedia });
  await hangUp(caller, c, alice);
  t.match(await cdrFor(pbx, c.callId), { status: 'answered', path: 'ivr:main>1001' });
});

t.test('no digit: the menu plays again, then the caller goes to the default (1003)', async (t) => {
  const caller = await phone(t, pbx, '1002');
  const carol = await phone(t, pbx, '1003');
  const c = await callIvr(t, caller);
  await answer(t, carol);
  const inputs = pbx.log.filter((l) => l.obj.callId === c.callId && l.msg === 'menu input').map((l) => l.obj.choice);
  t.same(inputs, ['timeout', 'timeout'], 'one timeout per round (retries: 1)');
  await hangUp(caller, c, carol);
  t.match(await cdrFor(pbx, c.callId), { status: 'answered', path: 'ivr:main>1003' });
});

t.test('an invalid key plays invalid-option and the menu again; after the retries the default', async (t) => {
  const caller = await phone(t, pbx, '1002');
  const carol = await phone(t, pbx, '1003');
  const c = await callIvr(t, caller);
  await c.ep.sendDigit(7, c.pbxMedia.port);
  await logged((l) => l.obj.callId === c.callId && l.msg === 'menu input');
  c.ep.clear();
  await c.ep.waitFor(() => (c.ep.packets.get(0) ?? 0) >= 10, 5000, 'invalid-option prompt');
  await c.ep.sendDigit(7, c.pbxMedia.port);
  await answer(t, carol);
  const inputs = pbx.log.filter((l) => l.obj.callId === c.callId && l.msg === 'menu input').map((l) => l.obj.choice);
  t.same(inputs, ['invalid', 'invalid']);
  await hangUp(caller, c, carol);
  t.match(await cdrFor(pbx, c.callId), { path: 'ivr:main>1003' });
});

t.test('dialling an extension number from the menu rings it directly', async (t) => {
  const caller = await phone(t, pbx, '1003');
  const bob = await phone(t, pbx, '1002');
  const c = await callIvr(t, caller);
  for (const d of [1, 0, 0, 2]) await c.ep.sendDigit(d, c.pbxMedia.port);
  await answer(t, bob);
  await hangUp(caller, c, bob);
  t.match(await cdrFor(pbx, c.callId), { status: 'answered', path: 'ivr:main>1002' });
});

t.test('a nested menu (ivr:sales, Russian prompts, no direct dial) hands on to its own option', async (t) => {
  const caller = await phone(t, pbx, '1003');
  const bob = await phone(t, pbx, '1002');
  const c = await callIvr(t, caller);
  await c.ep.sendDigit(2, c.pbxMedia.port);
  await logged((l) => l.obj.callId === c.callId && l.msg === 'menu input' && l.obj.ivr === 'main');
  c.ep.clear();
  await c.ep.waitFor(() => (c.ep.packets.get(0) ?? 0) >= 5, 5000, 'the sales prompt');
  await c.ep.sendDigit(1, c.pbxMedia.port);
  await answer(t, bob);
  await hangUp(caller, c, bob);
  t.match(await cdrFor(pbx, c.callId), { status: 'answered', path: 'ivr:main>ivr:sales>1002' });
});

t.test('an option to hangup ends the call with a BYE from the PBX; the CDR says no person answered', async (t) => {
  const caller = await phone(t, pbx, '1002');
  const c = await callIvr(t, caller);
  await c.ep.sendDigit(9, c.pbxMedia.port);
  const bye = await caller.request('BYE');
  caller.reply(bye, 200, '');
  t.match(await cdrFor(pbx, c.callId), { status: 'missed', reason: 'hangup', answered_at: null, path: 'ivr:main' });
});

t.test('an extension that does not answer: the caller is back in the menu, not given a SIP error', async (t) => {
  const caller = await phone(t, pbx, '1002');
  const alice = await phone(t, pbx, '1001');
  const carol = await phone(t, pbx, '1003');
  const c = await callIvr(t, caller);
  await c.ep.sendDigit(1, c.pbxMedia.port);
  const inv = await alice.request('INVITE');
  alice.reply(inv, 486, 'alicetag');
  await alice.request('ACK');
  await logged((l) => l.obj.callId === c.callId && l.msg === 'dialled from an app' && l.obj.result === 'busy');
  for (const d of [1, 0, 0, 3]) await c.ep.sendDigit(d, c.pbxMedia.port);
  await answer(t, carol);
  await hangUp(caller, c, carol);
  t.match(await cdrFor(pbx, c.callId), { status: 'answered', path: 'ivr:main>1001>1003' });
});

t.test('a caller hanging up in the menu: CDR missed, answered_at null', async (t) => {
  const caller = await phone(t, pbx, '1002');
  const c = await callIvr(t, caller);
  await hangUp(caller, c, null);
  t.match(await cdrFor(pbx, c.callId), { status: 'missed', reason: 'caller-bye', answered_at: null, billsec: 0, path: 'ivr:main' });
});

t.test('an INVITE without SDP: the PBX offers in its 200, the ACK answers, and the menu plays', async (t) => {
  const caller = await phone(t, pbx, '1002');
  const ep = await RtpEndpoint.open({ name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: 101 });
  t.teardown(() => ep.close());
  const invite = await caller.dial('500', Buffer.alloc(0));
  const ok = await caller.final(invite);
  t.equal(ok.status, 200);
  t.match(ok.body.toString(), /m=audio \d+ RTP\/AVP .*\r\n/, 'the 200 carries the PBX offer');
  const dialog = caller.dialogFromUac(invite, ok);
  caller.inDialog(dialog, 'ACK', sdpFor(ep.port, CODECS), dialog.cseq);
  await ep.waitFor(() => (ep.packets.get(0) ?? 0) >= 5, 8000, 'the menu prompt');
  await hangUp(caller, { dialog, callId: callIdOf(invite), pbxMedia: sdpMedia(ok.body), ep }, null);
});

t.test('a caller offering no codec the PBX can play to gets 488 from the menu', async (t) => {
  const caller = await phone(t, pbx, '1002');
  const invite = await caller.dial('500', sdpFor(40000, [[18, 'G729']]));
  const res = await caller.final(invite);
  t.equal(res.status, 488);
  caller.ackNon2xx(invite, res);
  t.match(await cdrFor(pbx, callIdOf(invite)), { status: 'failed', reason: 'no-common-codec' });
});

t.test("an extension the menu hands over to brings its own settings: record and dtmf_mode", async (t) => {
  const own = await startPbx({ ivr: MENUS, recorded: ['1001'], dtmfModes: { '1001': 'info' } });
  t.teardown(() => own.close());
  const caller = await phone(t, own, '1002');
  const alice = await phone(t, own, '1001');
  const ep = await RtpEndpoint.open({ name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: 101 });
  t.teardown(() => ep.close());
  const invite = await caller.dial('500', sdpFor(ep.port, CODECS));
  const ok = await caller.final(invite);
  const dialog = caller.dialogFromUac(invite, ok);
  caller.inDialog(dialog, 'ACK', undefined, dialog.cseq);
  await ep.sendDigit(1, sdpMedia(ok.body).port);
  const inv = await alice.request('INVITE');
  t.notMatch(inv.body.toString(), /telephone-event/, "1001 takes digits by INFO: it is offered no telephone-event");
  const calleeEp = await RtpEndpoint.open({ name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: null });
  t.teardown(() => calleeEp.close());
  alice.reply(inv, 200, 'calleetag', sdpFor(calleeEp.port, [[0, 'PCMU']]));
  await alice.request('ACK');
  await twoWayAudio(t, { ep, to: sdpMedia(ok.body) }, { ep: calleeEp, to: sdpMedia(inv.body) });
  await hangUp(caller, { dialog, callId: callIdOf(invite), pbxMedia: sdpMedia(ok.body), ep }, alice);
  const row = await cdrFor(own, callIdOf(invite));
  t.match(row, { status: 'answered', path: 'ivr:main>1001' });
  t.ok(row.recording !== null && existsSync(row.recording), `1001's record: true recorded the call (${row.recording})`);
});
