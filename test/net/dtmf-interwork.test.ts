// DTMF interworking through the B2BUA over real UDP on 127.0.0.1: a digit pressed on one side
// reaches the other side in the method that side negotiated (RFC 4733 events, SIP INFO, in-band
// tones), once, and CallControl reports it whichever way it came.
import t, { type Test } from 'tap';
import type { CallDtmf } from '../../src/calls/dtmf.js';
import { InbandDtmfDetector } from '../../src/media/dtmf/goertzel.js';
import type { SipRequest } from '../../src/sip/message.js';
import { detect, digitsOf } from '../helpers/dtmf-audio.js';
import { RtpEndpoint } from '../helpers/rtp-endpoint.js';
import { answeredCall, hangUp, phone } from './helpers/flows.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';
import { sdpFor } from './helpers/phone.js';

const PCMU = { name: 'PCMU', payloadType: 0, clockRate: 8000 };
const WITH_EVENTS: Array<[number, string]> = [[0, 'PCMU'], [101, 'telephone-event']];
const AUDIO_ONLY: Array<[number, string]> = [[0, 'PCMU']];

let pbx: TestPbx;
let heard: CallDtmf[] = [];
/** Media legs the engine opened, in order (the calls' caller and callee legs). */
let opened: string[] = [];

t.before(async () => {
  // 1002 takes digits by SIP INFO; 1003 as tones in the audio; 1001 and 1004 as they negotiate.
  pbx = await startPbx({ dtmfModes: { '1002': 'info', '1003': 'inband' }, compiledWorker: true });
  pbx.calls.on('dtmf', (e) => heard.push(e));
  const openLeg = pbx.media.openLeg.bind(pbx.media);
  pbx.media.openLeg = async (group) => {
    const leg = await openLeg(group);
    opened.push(leg.legId);
    return leg;
  };
});

t.teardown(() => pbx.close());

t.beforeEach(() => {
  heard = [];
  opened = [];
});

async function endpoint(t: Test, dtmfPayloadType: number | null): Promise<RtpEndpoint> {
  const e = await RtpEndpoint.open({ ...PCMU, dtmfPayloadType });
  t.teardown(() => e.close());
  return e;
}

/** Resolves when `pred` holds for the digits CallControl reported (bounded). */
async function digitsHeard(pred: (d: CallDtmf[]) => boolean): Promise<void> {
  for (let i = 0; i < 400 && !pred(heard); i++) await new Promise((r) => setTimeout(r, 10));
  if (!pred(heard)) throw new Error(`digits heard: ${JSON.stringify(heard)}`);
}

/** The PBX end (address:port) of a phone's media, from the SDP the PBX sent it. */
function pbxMedia(body: Buffer): { address: string; port: number } {
  return { address: '127.0.0.1', port: Number(/^m=audio (\d+) /m.exec(body.toString())![1]) };
}

/** Distinct RFC 4733 events an endpoint received (one per timestamp), as digit codes. */
function eventCodes(e: RtpEndpoint): number[] {
  const byTs = new Map<number, number>();
  for (const ev of e.events) byTs.set(ev.timestamp, ev.code);
  return [...byTs.values()];
}

t.test('an INFO digit from the caller reaches a callee with telephone-event as RFC 4733 events', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1004');
  const aliceRtp = await endpoint(t, 101);
  const bobRtp = await endpoint(t, 101);
  const call = await answeredCall(alice, bob, true, { offer: sdpFor(aliceRtp.port, WITH_EVENTS), answer: sdpFor(bobRtp.port, WITH_EVENTS) });

  const info = alice.inDialog(call.callerDialog, 'INFO', Buffer.from('Signal=5\r\nDuration=160\r\n'), undefined, 'application/dtmf-relay');
  t.equal((await alice.final(info)).status, 200, 'the INFO is answered 200');
  await bobRtp.waitFor(() => bobRtp.events.some((e) => e.end), 5000, 'the end of an RFC 4733 event');
  t.same(eventCodes(bobRtp), [5], 'bob gets one event, for 5');
  t.notOk(bob.pending.some((m) => (m as SipRequest).method === 'INFO'), 'and no INFO');
  t.match(heard, [{ side: 'caller', digit: '5', method: 'info', durationMs: 160 }]);
  await hangUp(alice, call.callerDialog, bob);
});

t.test('RFC 4733 digits from the caller reach a callee whose dtmf_mode is info as INFO Signal=<digit>', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const aliceRtp = await endpoint(t, 101);
  const bobRtp = await endpoint(t, null);
  const call = await answeredCall(alice, bob, true, { offer: sdpFor(aliceRtp.port, WITH_EVENTS), answer: sdpFor(bobRtp.port, AUDIO_ONLY) });
  t.notMatch(call.calleeInvite.body.toString(), /telephone-event/, 'an INFO phone is offered no telephone-event');
  t.match(call.ok.body.toString(), /a=rtpmap:101 telephone-event\/8000/, 'the caller keeps the telephone-event it offered');

  const to = pbxMedia(call.ok.body);
  await aliceRtp.sendDigit(7, to.port, to.address);
  const info = await bob.request('INFO');
  bob.reply(info, 200, 'bobtag');
  t.equal(info.headers.get('content-type'), 'application/dtmf-relay');
  t.equal(info.body.toString(), 'Signal=7\r\nDuration=160\r\n');
  await digitsHeard((d) => d.length === 1);
  t.match(heard, [{ side: 'caller', digit: '7', method: 'rfc4733' }]);
  t.equal(bobRtp.packets.get(101) ?? 0, 0, 'no event packet crossed to a leg that never negotiated telephone-event');
  t.equal(bobRtp.packets.get(0) ?? 0, 0, 'and no tones either');
  await hangUp(alice, call.callerDialog, bob);
});

t.test('RFC 4733 digits from the caller are heard in-band by a callee without telephone-event', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1004');
  const aliceRtp = await endpoint(t, 101);
  const bobRtp = await endpoint(t, null);
  const call = await answeredCall(alice, bob, true, { offer: sdpFor(aliceRtp.port, WITH_EVENTS), answer: sdpFor(bobRtp.port, AUDIO_ONLY) });
  t.match(call.ok.body.toString(), /a=rtpmap:101 telephone-event\/8000/, 'the caller keeps telephone-event although the callee has none');

  const to = pbxMedia(call.ok.body);
  await aliceRtp.sendDigit(3, to.port, to.address);
  await aliceRtp.sendDigit(11, to.port, to.address);
  const detector = new InbandDtmfDetector(8000);
  await bobRtp.waitFor(() => digitsOf(detect(new InbandDtmfDetector(8000), bobRtp.received())) === '3#', 5000, 'the tones of 3 and #');
  t.equal(digitsOf(detect(detector, bobRtp.received())), '3#', 'bob hears 3 and # in the audio, each once');
  t.equal(bobRtp.packets.get(101) ?? 0, 0, 'no event packet crossed');
  t.match(heard, [
    { side: 'caller', digit: '3', method: 'rfc4733' },
    { side: 'caller', digit: '#', method: 'rfc4733' },
  ]);
  await hangUp(alice, call.callerDialog, bob);
});

t.test('with telephone-event on both legs each digit crosses once and is reported without leaving the native relay', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1004');
  const aliceRtp = await endpoint(t, 101);
  const bobRtp = await endpoint(t, 101);
  const call = await answeredCall(alice, bob, true, { offer: sdpFor(aliceRtp.port, WITH_EVENTS), answer: sdpFor(bobRtp.port, WITH_EVENTS) });
  const engineDigits: string[] = [];
  const onDigit = (legId: string, digit: string): void => void engineDigits.push(`${legId}:${digit}`);
  pbx.media.on('dtmf', onDigit);
  t.teardown(() => void pbx.media.off('dtmf', onDigit));

  const to = pbxMedia(call.ok.body);
  await aliceRtp.sendDigit(1, to.port, to.address);
  await aliceRtp.sendDigit(2, to.port, to.address);
  await digitsHeard((d) => d.length === 2);
  await bobRtp.waitFor(() => bobRtp.events.filter((e) => e.end).length >= 6, 5000, 'the end packets of both events');
  t.same(eventCodes(bobRtp), [1, 2], 'bob gets events for 1 and 2, each once');
  t.equal(bobRtp.packets.get(0) ?? 0, 0, 'and no tones');
  t.notOk(bob.pending.some((m) => (m as SipRequest).method === 'INFO'), 'and no INFO');
  t.match(heard, [
    { side: 'caller', digit: '1', method: 'rfc4733' },
    { side: 'caller', digit: '2', method: 'rfc4733' },
  ]);
  t.equal(opened.length, 2);
  t.same(engineDigits, [`${opened[0]}:1`, `${opened[0]}:2`], 'the engine reported them on the caller leg');
  if (pbx.media.relay === 'native') {
    for (const legId of opened) t.equal((await pbx.media.stats(legId)).relay, 'native', `${legId} is still relayed natively`);
  } else {
    t.comment(`native relay not in use (${pbx.media.relay}): the relay-kind check is skipped`);
  }
  await hangUp(alice, call.callerDialog, bob);
});

t.test('an INFO digit reaches a callee whose dtmf_mode is info as INFO, and one whose mode is inband as tones', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const aliceRtp = await endpoint(t, 101);
  const bobRtp = await endpoint(t, null);
  const call = await answeredCall(alice, bob, true, { offer: sdpFor(aliceRtp.port, WITH_EVENTS), answer: sdpFor(bobRtp.port, AUDIO_ONLY) });
  t.equal((await alice.final(alice.inDialog(call.callerDialog, 'INFO', Buffer.from('9'), undefined, 'application/dtmf'))).status, 200);
  const info = await bob.request('INFO');
  bob.reply(info, 200, 'bobtag');
  t.equal(info.body.toString(), 'Signal=9\r\nDuration=160\r\n');
  await hangUp(alice, call.callerDialog, bob);

  const carol = await phone(t, pbx, '1003');
  const carolRtp = await endpoint(t, null);
  const second = await answeredCall(alice, carol, true, { offer: sdpFor(aliceRtp.port, WITH_EVENTS), answer: sdpFor(carolRtp.port, AUDIO_ONLY) });
  t.notMatch(second.calleeInvite.body.toString(), /telephone-event/, 'an in-band phone is offered no telephone-event');
  t.equal((await alice.final(alice.inDialog(second.callerDialog, 'INFO', Buffer.from('Signal=4\r\n'), undefined, 'application/dtmf-relay'))).status, 200);
  await carolRtp.waitFor(() => digitsOf(detect(new InbandDtmfDetector(8000), carolRtp.received())) === '4', 5000, 'the tone of 4');
  t.pass('carol hears 4 in the audio');
  await hangUp(alice, second.callerDialog, carol);
});
