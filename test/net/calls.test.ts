// Call flows through the B2BUA over real UDP on 127.0.0.1: two (or three) test phones that speak
// SIP through the PBX's parser and serializer, a PBX built from the real transaction layer,
// registrar, store, media engine and CallControl.
import t from 'tap';
import { answeredCall, callIdOf, cdrFor, cdrOf, hangUp, phone } from './helpers/flows.js';
import { sdpFor, sdpMedia } from './helpers/phone.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';

let pbx: TestPbx;

t.before(async () => {
  pbx = await startPbx();
});

t.teardown(() => pbx.close());

t.test('a basic call: 100, 180, 200/ACK, SDP pointed at PBX ports, RTP relayed both ways, BYE, one CDR', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await answeredCall(alice, bob);
  const callId = call.callerDialog.callId;

  const toBob = sdpMedia(call.calleeInvite.body);
  const toAlice = sdpMedia(call.ok.body);
  t.equal(toBob.address, '127.0.0.1', 'the callee is offered the PBX address');
  t.equal(toAlice.address, '127.0.0.1', 'the caller gets the PBX address');
  t.not(toBob.port, alice.rtpPort, 'the callee does not see the caller port');
  t.not(toAlice.port, bob.rtpPort, 'the caller does not see the callee port');
  t.not(toAlice.port, toBob.port, 'each side has its own PBX leg');
  t.match(call.calleeInvite.headers.get('from'), /^"Alice" <sip:1001@pbx\.test>;tag=/, 'the callee sees the caller');
  t.not(callIdOf(call.calleeInvite), callId, 'the callee leg is a dialog of its own');

  const listed = pbx.calls.list().find((c) => c.call_id === callId);
  t.equal(listed?.state, 'answered');
  t.equal(listed?.from, '1001');
  t.equal(listed?.to, '1002');

  for (let i = 0; i < 5; i++) alice.sendRtp(toAlice, 0, i);
  await bob.waitRtp(3);
  t.equal(bob.rtpReceived[0]!.from.port, toBob.port, 'RTP reaches the callee from the PBX callee leg');
  for (let i = 0; i < 5; i++) bob.sendRtp(toBob, 0, i);
  await alice.waitRtp(3);
  t.equal(alice.rtpReceived[0]!.from.port, toAlice.port, 'RTP reaches the caller from the PBX caller leg');

  await hangUp(alice, call.callerDialog, bob);
  const cdr = await cdrFor(pbx, callId);
  t.equal(cdr.status, 'answered');
  t.equal(cdr.reason, 'caller-bye');
  t.equal(cdr.from, '1001');
  t.equal(cdr.to, '1002');
  t.ok(cdr.answered_at !== null);
  t.equal(cdr.path, null, 'a call straight to an extension went through no app');
  t.equal(cdrOf(pbx, callId).length, 1, 'exactly one CDR row');
  t.equal(pbx.calls.list().length, 0, 'the call is gone from the list');
});

t.test('an unknown number gets 404 and a failed CDR', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const invite = await alice.dial('9999', sdpFor(alice.rtpPort));
  const res = await alice.final(invite);
  t.equal(res.status, 404);
  alice.ackNon2xx(invite, res);
  const cdr = await cdrFor(pbx, callIdOf(invite));
  t.equal(cdr.status, 'failed');
  t.equal(cdr.reason, 'unknown-number');
});

t.test('an INVITE without credentials is challenged (407) and never reaches routing', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const invite = alice.invite('9999', sdpFor(alice.rtpPort));
  const res = await alice.final(invite);
  t.equal(res.status, 407, '407, not the 404 routing would give');
  t.ok(res.headers.get('proxy-authenticate'));
  alice.ackNon2xx(invite, res);
  t.equal(cdrOf(pbx, callIdOf(invite)).length, 0, 'no call was made, no CDR');
  t.notOk(pbx.log.some((l) => l.obj.callId === callIdOf(invite) && l.msg === 'new call'));
});

t.test('an extension with no registration gets 480', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const invite = await alice.dial('1004', sdpFor(alice.rtpPort));
  const res = await alice.final(invite);
  t.equal(res.status, 480);
  alice.ackNon2xx(invite, res);
  t.equal((await cdrFor(pbx, callIdOf(invite))).status, 'missed');
});

t.test('busy: the callee 486 is relayed to the caller, CDR busy', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const invite = await alice.dial('1002', sdpFor(alice.rtpPort));
  const inv = await bob.request('INVITE');
  bob.reply(inv, 486, 'bobtag');
  await bob.request('ACK');
  const res = await alice.final(invite);
  t.equal(res.status, 486);
  alice.ackNon2xx(invite, res);
  t.equal((await cdrFor(pbx, callIdOf(invite))).status, 'busy');
});

t.test('CANCEL while ringing: the fork is cancelled, the caller gets 487, CDR missed', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const invite = await alice.dial('1002', sdpFor(alice.rtpPort));
  const callId = callIdOf(invite);
  const inv = await bob.request('INVITE');
  bob.reply(inv, 180, 'bobtag');
  await alice.response(invite, (s) => s === 180);
  t.equal(pbx.calls.list().find((c) => c.call_id === callId)?.state, 'ringing', 'listed as ringing');
  t.equal((await alice.final(alice.cancel(invite))).status, 200);
  const res = await alice.final(invite);
  t.equal(res.status, 487);
  alice.ackNon2xx(invite, res);
  const cancel = await bob.request('CANCEL');
  t.equal(callIdOf(cancel), callIdOf(inv));
  bob.reply(cancel, 200, 'bobtag');
  bob.reply(inv, 487, 'bobtag');
  await bob.request('ACK');
  const cdr = await cdrFor(pbx, callId);
  t.equal(cdr.status, 'missed');
  t.equal(cdr.reason, 'cancel');
});

t.test('BYE from the callee is relayed to the caller', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await answeredCall(alice, bob);
  await hangUp(bob, call.calleeDialog, alice);
  const cdr = await cdrFor(pbx, call.callerDialog.callId);
  t.equal(cdr.reason, 'callee-bye');
  t.equal(cdr.status, 'answered');
});

t.test('hold and resume by re-INVITE pass through with the SDP rewritten', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await answeredCall(alice, bob);
  const pbxToBob = sdpMedia(call.calleeInvite.body);

  const holdReq = alice.inDialog(call.callerDialog, 'INVITE', sdpFor(alice.rtpPort, undefined, 'sendonly'));
  const hold = await bob.request('INVITE');
  t.equal(callIdOf(hold), call.calleeDialog.callId, 'the re-INVITE arrives in the callee dialog');
  t.equal(sdpMedia(hold.body).direction, 'sendonly', 'hold passes through');
  t.equal(sdpMedia(hold.body).port, pbxToBob.port, 'still the PBX callee leg');
  bob.reply(hold, 200, 'bobtag', sdpFor(bob.rtpPort, undefined, 'recvonly'));
  await bob.request('ACK');
  const held = await alice.final(holdReq);
  t.equal(held.status, 200);
  t.equal(sdpMedia(held.body).direction, 'recvonly');
  t.equal(sdpMedia(held.body).address, '127.0.0.1');
  alice.inDialog(call.callerDialog, 'ACK', undefined, call.callerDialog.cseq);

  const resumeReq = alice.inDialog(call.callerDialog, 'INVITE', sdpFor(alice.rtpPort));
  const resume = await bob.request('INVITE');
  t.equal(sdpMedia(resume.body).direction, 'sendrecv', 'resume passes through');
  bob.reply(resume, 200, 'bobtag', sdpFor(bob.rtpPort));
  await bob.request('ACK');
  t.equal((await alice.final(resumeReq)).status, 200);
  alice.inDialog(call.callerDialog, 'ACK', undefined, call.callerDialog.cseq);

  await hangUp(alice, call.callerDialog, bob);
});

t.test('UPDATE passes through; INFO is answered 200; an unknown method 501; no dialog 481', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await answeredCall(alice, bob);

  const updateReq = bob.inDialog(call.calleeDialog, 'UPDATE', sdpFor(bob.rtpPort, undefined, 'inactive'));
  const update = await alice.request('UPDATE');
  t.equal(sdpMedia(update.body).direction, 'inactive');
  alice.reply(update, 200, call.callerDialog.localTag, sdpFor(alice.rtpPort, undefined, 'inactive'));
  const updated = await bob.final(updateReq);
  t.equal(updated.status, 200);
  t.equal(sdpMedia(updated.body).port, sdpMedia(call.calleeInvite.body).port);

  t.equal((await alice.final(alice.inDialog(call.callerDialog, 'INFO'))).status, 200);
  t.equal((await alice.final(alice.inDialog(call.callerDialog, 'SUBSCRIBE'))).status, 501);
  const ghost = { ...call.callerDialog, remoteTag: 'nosuchtag', remote: '<sip:1002@pbx.test>;tag=nosuchtag' };
  t.equal((await alice.final(alice.inDialog(ghost, 'BYE'))).status, 481);

  await hangUp(alice, call.callerDialog, bob);
});

t.test('forking: both contacts ring, the first 200 wins, the other gets CANCEL', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const desk = await phone(t, pbx, '1003');
  const soft = await phone(t, pbx, '1003');
  const invite = await alice.dial('1003', sdpFor(alice.rtpPort));
  const callId = callIdOf(invite);
  const [deskInv, softInv] = await Promise.all([desk.request('INVITE'), soft.request('INVITE')]);
  desk.reply(deskInv, 180, 'desk');
  soft.reply(softInv, 180, 'soft');
  soft.reply(softInv, 200, 'soft', sdpFor(soft.rtpPort));
  await soft.request('ACK');
  const cancel = await desk.request('CANCEL');
  t.equal(callIdOf(cancel), callIdOf(deskInv), 'the loser is cancelled');
  desk.reply(cancel, 200, 'desk');
  desk.reply(deskInv, 487, 'desk');
  await desk.request('ACK');
  const ok = await alice.final(invite);
  t.equal(ok.status, 200);
  const d = alice.dialogFromUac(invite, ok);
  alice.inDialog(d, 'ACK', undefined, d.cseq);
  await hangUp(alice, d, soft);
  t.equal((await cdrFor(pbx, callId)).status, 'answered');
  t.equal(cdrOf(pbx, callId).length, 1);
});

t.test('an offer with no common codec gets 488 and rings nobody', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const invite = await alice.dial('1002', sdpFor(alice.rtpPort, [[18, 'G729']]));
  const res = await alice.final(invite);
  t.equal(res.status, 488);
  alice.ackNon2xx(invite, res);
  t.notOk(bob.pending.some((m) => m.kind === 'request' && m.method === 'INVITE'));
  t.equal((await cdrFor(pbx, callIdOf(invite))).status, 'failed');
});

t.test('forking: a second contact that answers too gets its ACK and a BYE', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const desk = await phone(t, pbx, '1003');
  const soft = await phone(t, pbx, '1003');
  const invite = await alice.dial('1003', sdpFor(alice.rtpPort));
  const callId = callIdOf(invite);
  const [deskInv, softInv] = await Promise.all([desk.request('INVITE'), soft.request('INVITE')]);
  soft.reply(softInv, 200, 'soft', sdpFor(soft.rtpPort));
  await soft.request('ACK');
  desk.reply(deskInv, 200, 'desk', sdpFor(desk.rtpPort));
  const deskAck = await desk.request('ACK');
  t.equal(deskAck.headers.get('cseq'), '1 ACK', 'the late 2xx is acknowledged');
  const deskBye = await desk.request('BYE');
  t.equal(callIdOf(deskBye), callIdOf(deskInv), 'and its dialog is ended at once');
  desk.reply(deskBye, 200, 'desk');
  const ok = await alice.final(invite);
  t.equal(ok.status, 200);
  t.equal(sdpMedia(ok.body).address, '127.0.0.1');
  const d = alice.dialogFromUac(invite, ok);
  alice.inDialog(d, 'ACK', undefined, d.cseq);
  await hangUp(alice, d, soft);
  t.equal(cdrOf(pbx, callId).length, 1);
});

t.test('an offer that is not SDP at all gets 488, and the PBX goes on', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const invite = await alice.dial('1002', Buffer.from('this is not a session description\r\n'));
  const res = await alice.final(invite);
  t.equal(res.status, 488);
  alice.ackNon2xx(invite, res);
  t.notOk(bob.pending.some((m) => m.kind === 'request' && m.method === 'INVITE'), 'nobody rang');
  const call = await answeredCall(alice, bob);
  await hangUp(bob, call.calleeDialog, alice);
});

t.test('late offer: an INVITE without SDP gets the callee offer in the 200, and its ACK answer reaches the callee', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const invite = await alice.dial('1002', Buffer.alloc(0));
  const inv = await bob.request('INVITE');
  t.equal(inv.body.length, 0, 'the callee gets no offer either');
  bob.reply(inv, 200, 'bobtag', sdpFor(bob.rtpPort, [[8, 'PCMA'], [0, 'PCMU']]));
  const ok = await alice.final(invite);
  t.equal(ok.status, 200);
  const offer = sdpMedia(ok.body);
  t.equal(offer.address, '127.0.0.1', 'the caller is offered the PBX address');
  t.not(offer.port, bob.rtpPort);
  t.match(ok.body.toString(), /m=audio \d+ RTP\/AVP 8 0/, 'with the callee codecs');
  t.equal(bob.pending.some((m) => m.kind === 'request' && m.method === 'ACK'), false, 'the callee ACK waits for the answer');
  const d = alice.dialogFromUac(invite, ok);
  alice.inDialog(d, 'ACK', sdpFor(alice.rtpPort, [[8, 'PCMA']]), d.cseq);
  const ack = await bob.request('ACK');
  const answer = sdpMedia(ack.body);
  t.equal(answer.address, '127.0.0.1', 'the callee gets the answer pointing at the PBX');
  t.not(answer.port, alice.rtpPort);
  for (let i = 0; i < 5; i++) alice.sendRtp(offer, 8, i);
  await bob.waitRtp(3);
  t.equal(bob.rtpReceived[0]!.from.port, answer.port, 'RTP flows through the PBX');
  await hangUp(alice, d, bob);
});
