// Transfer (RFC 3515 REFER, RFC 3891 Replaces) and pickup over real UDP: test phones talk to an
// in-process PBX; media is checked by a marked RTP payload reaching the other phone.
import t from 'tap';
import type { SipRequest } from '../../src/sip/message.js';
import { answeredCall, callIdOf, cdrFor, cdrOf, hangUp, phone } from './helpers/flows.js';
import { sdpFor, sdpMedia, type Addr, type Phone, type PhoneDialog } from './helpers/phone.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';
import { answers, byeIn, hears, press, refer, referNotify } from './helpers/transfer.js';

let pbx: TestPbx;

t.before(async () => {
  pbx = await startPbx();
});

t.teardown(() => pbx.close());

t.test('a blind REFER from the callee: 202, NOTIFY 100 Trying then 200, the transferor hung up, the caller talks to the target; one CDR', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const carol = await phone(t, pbx, '1003');
  const call = await answeredCall(alice, bob);
  const req = refer(bob, call.calleeDialog, '<sip:1003@pbx.test>');
  t.equal((await bob.final(req)).status, 202, 'REFER accepted');
  const trying = await referNotify(bob, 'bobtag');
  t.equal(trying.body.toString().trim(), 'SIP/2.0 100 Trying');
  t.match(trying.headers.get('content-type'), /^message\/sipfrag/);
  t.match(trying.headers.get('subscription-state'), /^active/);
  const final = await referNotify(bob, 'bobtag');
  t.equal(final.body.toString().trim(), 'SIP/2.0 200 OK');
  t.match(final.headers.get('subscription-state'), /^terminated/);
  await byeIn(bob, call.calleeDialog.callId);

  const target = await answers(carol, 'caroltag');
  t.match(target.invite.headers.get('from'), /<sip:1001@pbx\.test>/, 'the target sees the transferee calling');
  const toAlice = sdpMedia(call.ok.body);
  const toCarol = sdpMedia(target.invite.body);
  t.ok(await hears(alice, toAlice, carol, 0x11), 'the caller is heard by the target');
  t.ok(await hears(carol, toCarol, alice, 0x22), 'the target is heard by the caller');

  await hangUp(carol, target.dialog, alice);
  const cdr = await cdrFor(pbx, call.callerDialog.callId);
  t.equal(cdr.status, 'answered');
  t.equal(cdr.from, '1001');
  t.match(cdr.path, /xfer:1003/, 'the transfer is in the path');
  t.equal(cdrOf(pbx, call.callerDialog.callId).length, 1, 'one CDR row');
});

t.test('a blind REFER from the caller: the callee stays and is connected to the target', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const carol = await phone(t, pbx, '1003');
  const call = await answeredCall(alice, bob);
  const req = refer(alice, call.callerDialog, '<sip:1003@pbx.test>');
  const tag = call.callerDialog.localTag;
  t.equal((await alice.final(req)).status, 202);
  await referNotify(alice, tag);
  t.equal((await referNotify(alice, tag)).body.toString().trim(), 'SIP/2.0 200 OK');
  await byeIn(alice, call.callerDialog.callId);

  const target = await answers(carol, 'caroltag');
  t.match(target.invite.headers.get('from'), /<sip:1002@pbx\.test>/, 'the target sees the callee that stayed');
  const toBob = sdpMedia(call.calleeInvite.body);
  const toCarol = sdpMedia(target.invite.body);
  t.ok(await hears(bob, toBob, carol, 0x33), 'the callee is heard by the target');
  t.ok(await hears(carol, toCarol, bob, 0x44), 'the target is heard by the callee');
  await hangUp(bob, call.calleeDialog, carol);
  const cdr = await cdrFor(pbx, call.callerDialog.callId);
  t.equal(cdr.from, '1001', 'the CDR keeps who started the call');
  t.match(cdr.path, /xfer:1003/);
});

t.test('the blind transfer code (## then the number and #) pressed by the callee transfers the caller', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const carol = await phone(t, pbx, '1003');
  const call = await answeredCall(alice, bob);
  await press(bob, call.calleeDialog, '##1003#');
  await byeIn(bob, call.calleeDialog.callId);
  const target = await answers(carol, 'caroltag');
  t.ok(await hears(alice, sdpMedia(call.ok.body), carol, 0x31), 'the caller is heard by the target');
  await hangUp(carol, target.dialog, alice);
  t.match((await cdrFor(pbx, call.callerDialog.callId)).path, /xfer:1003/);
});

t.test('a REFER to a number that routes nowhere: NOTIFY 404 and the call goes on', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await answeredCall(alice, bob);
  t.equal((await bob.final(refer(bob, call.calleeDialog, '<sip:9999@pbx.test>'))).status, 202);
  await referNotify(bob, 'bobtag');
  t.equal((await referNotify(bob, 'bobtag')).body.toString().trim(), 'SIP/2.0 404 Not Found');
  t.ok(await hears(alice, sdpMedia(call.ok.body), bob, 0x55), 'still bridged');
  await hangUp(alice, call.callerDialog, bob);
});

t.test('an attended REFER with Replaces: the two remaining parties are linked, the transferor hung up in both calls', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const carol = await phone(t, pbx, '1003');
  const x = await answeredCall(alice, bob);
  const y = await answeredCall(alice, carol);
  const replaces = encodeURIComponent(`${y.callerDialog.callId};to-tag=${y.callerDialog.remoteTag};from-tag=${y.callerDialog.localTag}`);
  const req = refer(alice, x.callerDialog, `<sip:1003@pbx.test?Replaces=${replaces}>`);
  t.equal((await alice.final(req)).status, 202);
  await referNotify(alice, x.callerDialog.localTag);
  t.equal((await referNotify(alice, x.callerDialog.localTag)).body.toString().trim(), 'SIP/2.0 200 OK');
  await byeIn(alice, x.callerDialog.callId);
  await byeIn(alice, y.callerDialog.callId);

  const toBob = sdpMedia(x.calleeInvite.body);
  const toCarol = sdpMedia(y.calleeInvite.body);
  t.ok(await hears(bob, toBob, carol, 0x66), 'bob is heard by carol');
  t.ok(await hears(carol, toCarol, bob, 0x77), 'carol is heard by bob');

  await hangUp(bob, x.calleeDialog, carol);
  const [cx, cy] = await Promise.all([cdrFor(pbx, x.callerDialog.callId), cdrFor(pbx, y.callerDialog.callId)]);
  t.match(cx.path, /xfer:1003/);
  t.match(cy.path, /xfer:1002/);
  t.equal(cx.status, 'answered');
  t.equal(cy.reason, 'linked-party-gone');
  t.equal(pbx.calls.list().length, 0, 'both calls ended');
});

t.test('an attended REFER whose Replaces names no dialog: NOTIFY 481, the call goes on', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await answeredCall(alice, bob);
  const replaces = encodeURIComponent('nosuchcall@127.0.0.1;to-tag=a;from-tag=b');
  t.equal((await bob.final(refer(bob, call.calleeDialog, `<sip:1003@pbx.test?Replaces=${replaces}>`))).status, 202);
  await referNotify(bob, 'bobtag');
  t.equal((await referNotify(bob, 'bobtag')).body.toString().trim(), 'SIP/2.0 481 Call/Transaction Does Not Exist');
  await hangUp(bob, call.calleeDialog, alice);
});

t.test('an INVITE with Replaces that names no dialog gets 481', async (t) => {
  const dave = await phone(t, pbx, '1004');
  const invite = await dave.dial('1002', sdpFor(dave.rtpPort), { headers: [['Replaces', 'nosuchcall@127.0.0.1;to-tag=a;from-tag=b']] });
  const res = await dave.final(invite);
  t.equal(res.status, 481);
  dave.ackNon2xx(invite, res);
});

/** `caller` calls `callee`, which rings; returns the caller's INVITE and the callee's. */
async function ringing(caller: Phone, callee: Phone): Promise<{ invite: SipRequest; calleeInvite: SipRequest }> {
  const invite = await caller.dial(callee.user, sdpFor(caller.rtpPort));
  const calleeInvite = await callee.request('INVITE');
  callee.reply(calleeInvite, 180, 'ringtag');
  await caller.response(invite, (s) => s === 180);
  return { invite, calleeInvite };
}

/** `picker` dials `code`; the PBX answers it (200, ACKed); returns its dialog and the PBX's SDP. */
async function dialPickup(picker: Phone, code: string): Promise<{ dialog: PhoneDialog; to: Addr }> {
  const invite = await picker.dial(code, sdpFor(picker.rtpPort));
  const ok = await picker.final(invite);
  if (ok.status !== 200) throw new Error(`${code} got ${ok.status}`);
  const dialog = picker.dialogFromUac(invite, ok);
  picker.inDialog(dialog, 'ACK', undefined, dialog.cseq);
  return { dialog, to: sdpMedia(ok.body) };
}

/** The ringing phone gets CANCEL and answers it, and 487 to the INVITE. */
async function cancelled(p: Phone, invite: SipRequest): Promise<void> {
  const cancel = await p.request('CANCEL');
  p.reply(cancel, 200, 'ringtag');
  p.reply(invite, 487, 'ringtag');
}

t.test('directed pickup (** + extension): the ringing phone is cancelled, caller and picker talk; the CDR notes the pickup', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const dave = await phone(t, pbx, '1004');
  const ring = await ringing(alice, bob);
  const picked = await dialPickup(dave, '**1002');
  await cancelled(bob, ring.calleeInvite);
  const ok = await alice.final(ring.invite);
  t.equal(ok.status, 200, 'the caller is answered');
  const aliceDialog = alice.dialogFromUac(ring.invite, ok);
  alice.inDialog(aliceDialog, 'ACK', undefined, aliceDialog.cseq);

  t.ok(await hears(alice, sdpMedia(ok.body), dave, 0x12), 'the caller is heard by the picker');
  t.ok(await hears(dave, picked.to, alice, 0x13), 'the picker is heard by the caller');
  await hangUp(dave, picked.dialog, alice);
  const cdr = await cdrFor(pbx, callIdOf(ring.invite));
  t.equal(cdr.status, 'answered');
  t.match(cdr.path, /pickup:1004/);
  t.match((await cdrFor(pbx, picked.dialog.callId)).path, /feature:pickup_directed>pickup:1002/);
});

t.test('group pickup (*8) takes a call ringing a member of the picker group', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const carol = await phone(t, pbx, '1003');
  const dave = await phone(t, pbx, '1004');
  const ring = await ringing(dave, alice);
  const picked = await dialPickup(carol, '*8');
  await cancelled(alice, ring.calleeInvite);
  const ok = await dave.final(ring.invite);
  t.equal(ok.status, 200);
  const daveDialog = dave.dialogFromUac(ring.invite, ok);
  dave.inDialog(daveDialog, 'ACK', undefined, daveDialog.cseq);
  t.ok(await hears(carol, picked.to, dave, 0x14), 'the picker is heard by the caller');
  await hangUp(dave, daveDialog, carol);
});

t.test('group pickup with nothing ringing in the group gets 480', async (t) => {
  const carol = await phone(t, pbx, '1003');
  const invite = await carol.dial('*8', sdpFor(carol.rtpPort));
  const res = await carol.final(invite);
  t.equal(res.status, 480);
  carol.ackNon2xx(invite, res);
});
