// Call flows that hang on timers and retransmissions: the 2xx retransmitted until the ACK (RFC 3261
// 13.3.1.4), the ACK re-sent for a re-sent 2xx, a call with no RTP hung up, early media, shutdown.
// The PBX runs with T1 = 50 ms and a 1 s RTP timeout so that these take a few seconds.
import t from 'tap';
import type { SipResponse } from '../../src/sip/message.js';
import { answeredCall, cdrFor, hangUp, phone } from './helpers/flows.js';
import { sdpFor, sdpMedia } from './helpers/phone.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';

let pbx: TestPbx;

t.before(async () => {
  pbx = await startPbx({ t1: 50, rtpTimeoutS: 1 });
});

t.teardown(() => pbx.close());

t.test('the 200 OK to the caller is retransmitted until the ACK comes', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await answeredCall(alice, bob, false);
  const again = await alice.final(call.invite);
  t.equal(again.status, 200, 'a retransmission of the 200');
  t.equal(again.body.toString(), call.ok.body.toString(), 'the same answer');
  alice.inDialog(call.callerDialog, 'ACK', undefined, call.callerDialog.cseq);
  await hangUp(alice, call.callerDialog, bob);
});

t.test('a caller that never ACKs the 200 is hung up after 64*T1, both sides get BYE', async (t) => {
  // A PBX of its own without the RTP timeout: only the missing ACK ends this call.
  const quiet = await startPbx({ t1: 50 });
  t.teardown(() => quiet.close());
  const alice = await phone(t, quiet, '1001');
  const bob = await phone(t, quiet, '1002');
  const call = await answeredCall(alice, bob, false);
  const [toBob, toAlice] = await Promise.all([bob.request('BYE'), alice.request('BYE')]);
  bob.reply(toBob, 200, '');
  alice.reply(toAlice, 200, '');
  t.equal((await cdrFor(quiet, call.callerDialog.callId)).reason, 'ack-timeout');
});

t.test('a 2xx the callee sends again gets the ACK again', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await answeredCall(alice, bob);
  const ok: SipResponse = bob.reply(call.calleeInvite, 200, 'bobtag', sdpFor(bob.rtpPort));
  const ack = await bob.request('ACK');
  t.equal(ack.headers.get('cseq'), '1 ACK');
  t.equal(ok.status, 200);
  await hangUp(alice, call.callerDialog, bob);
});

t.test('a call with no RTP is hung up on both sides after the RTP timeout', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await answeredCall(alice, bob);
  const [toBob, toAlice] = await Promise.all([bob.request('BYE'), alice.request('BYE')]);
  bob.reply(toBob, 200, '');
  alice.reply(toAlice, 200, '');
  const cdr = await cdrFor(pbx, call.callerDialog.callId);
  t.equal(cdr.reason, 'rtp-timeout');
  t.equal(cdr.status, 'answered');
  t.ok(pbx.log.some((l) => l.obj.callId === call.callerDialog.callId && l.level === 'warn' && /RTP/.test(l.msg)), 'logged');
});

t.test('183 with SDP reaches the caller rewritten to the PBX (early media)', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const invite = await alice.dial('1002', sdpFor(alice.rtpPort));
  const inv = await bob.request('INVITE');
  bob.reply(inv, 183, 'bobtag', sdpFor(bob.rtpPort));
  const progress = await alice.response(invite, (s) => s === 183);
  const early = sdpMedia(progress.body);
  t.equal(early.address, '127.0.0.1');
  t.not(early.port, bob.rtpPort, 'the caller sees the PBX port, not the callee');
  for (let i = 0; i < 4; i++) bob.sendRtp(sdpMedia(inv.body), 8, i);
  bob.reply(inv, 200, 'bobtag', sdpFor(bob.rtpPort));
  await bob.request('ACK');
  const ok = await alice.final(invite);
  t.equal(sdpMedia(ok.body).port, early.port, 'the answer keeps the early media port');
  const d = alice.dialogFromUac(invite, ok);
  alice.inDialog(d, 'ACK', undefined, d.cseq);
  await hangUp(alice, d, bob);
});

t.test('shutdown ends calls in progress with BYE and refuses new calls with 503', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await answeredCall(alice, bob);
  const down = pbx.calls.shutdown();
  const [toBob, toAlice] = await Promise.all([bob.request('BYE'), alice.request('BYE')]);
  bob.reply(toBob, 200, '');
  alice.reply(toAlice, 200, '');
  await down;
  t.equal((await cdrFor(pbx, call.callerDialog.callId)).reason, 'shutdown');
  const invite = alice.invite('1002', sdpFor(alice.rtpPort));
  t.equal((await alice.final(invite)).status, 503, 'refused before any challenge');
});
