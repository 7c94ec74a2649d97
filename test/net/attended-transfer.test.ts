// Attended transfer by feature code (features.attended_transfer, "*2") over real UDP: the callee
// presses *2 and a number as RFC 4733 events, talks to the target, and hangs up; the caller it
// held ends up talking to the target. Media is checked by a marked RTP payload reaching the other phone.
import t, { type Test } from 'tap';
import { answeredCall, cdrFor, hangUp, logged, phone } from './helpers/flows.js';
import type { SipRequest } from '../../src/sip/message.js';
import { sdpFor, sdpMedia } from './helpers/phone.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';
import { answers, byeIn, hears, pressEvents } from './helpers/transfer.js';

let pbx: TestPbx;

t.before(async () => {
  pbx = await startPbx();
});

t.teardown(() => pbx.close());

/** Resolves once the phone got `n` more RTP packets than it had (what the PBX plays to it). */
async function moreRtp(p: { rtpReceived: readonly unknown[]; waitRtp(n: number): Promise<void> }, n: number): Promise<boolean> {
  await p.waitRtp(p.rtpReceived.length + n);
  return true;
}

/** 1001 (Alice) calls 1002 (Bob), who answers; 1003 (Carol) is registered to be the target. */
async function aliceCallsBob(t: Test) {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const carol = await phone(t, pbx, '1003');
  const call = await answeredCall(alice, bob);
  return { alice, bob, carol, call, toAlice: sdpMedia(call.ok.body), toBob: sdpMedia(call.calleeInvite.body) };
}

t.test('*2, a number and #: the caller is held, the transferer talks to the target, and hanging up links caller and target', async (t) => {
  const { alice, bob, carol, call, toAlice, toBob } = await aliceCallsBob(t);

  await pressEvents(bob, toBob, '*2');
  await logged(pbx, (l) => l.msg === 'attended transfer code pressed; the other party is held');
  t.ok(await moreRtp(alice, 25), 'the held caller hears music on hold');
  await pressEvents(bob, toBob, '1003#');
  const target = await answers(carol, 'caroltag');
  t.match(target.invite.headers.get('from'), /<sip:1002@pbx\.test>/, 'the target sees the transferer calling');
  const toCarol = sdpMedia(target.invite.body);
  await logged(pbx, (l) => l.msg === 'consultation answered; hanging up completes the transfer');
  t.ok(await hears(bob, toBob, carol, 0x41), 'the transferer is heard by the target');
  t.ok(await hears(carol, toCarol, bob, 0x42), 'the target is heard by the transferer');
  const marked = (p: Buffer, mark: number): boolean => p.length === 172 && p.subarray(12).every((b) => b === mark);
  t.notOk(alice.rtpReceived.some((r) => marked(r.payload, 0x41) || marked(r.payload, 0x42)), 'the held caller hears none of the consultation');

  const bye = bob.inDialog(call.calleeDialog, 'BYE');
  t.equal((await bob.final(bye)).status, 200, 'the transferer hangs up');
  await logged(pbx, (l) => l.msg === 'attended transfer completed');
  t.ok(await hears(alice, toAlice, carol, 0x43), 'the caller is heard by the target');
  t.ok(await hears(carol, toCarol, alice, 0x44), 'the target is heard by the caller');

  await hangUp(carol, target.dialog, alice);
  const cdr = await cdrFor(pbx, call.callerDialog.callId);
  t.equal(cdr.status, 'answered');
  t.match(cdr.path, /xfer:1003/, 'the transfer is in the path');
  t.equal(pbx.calls.list().length, 0, 'no call is left');
});

t.test('a target that is busy: the transferer is back with the held caller', async (t) => {
  const { alice, bob, carol, call, toAlice, toBob } = await aliceCallsBob(t);

  await pressEvents(bob, toBob, '*21003#');
  const invite = await carol.request('INVITE');
  carol.reply(invite, 486, 'caroltag');
  await carol.request('ACK');
  await logged(pbx, (l) => l.msg === 'consultation over; back to the held party' && l.obj.reason === 'target-busy');
  t.ok(await hears(alice, toAlice, bob, 0x51), 'the caller is heard by the transferer again');
  t.ok(await hears(bob, toBob, alice, 0x52), 'and the transferer by the caller');
  await hangUp(alice, call.callerDialog, bob);
});

t.test('* pressed while talking to the target: the target is hung up and the transferer is back with the held caller', async (t) => {
  const { alice, bob, carol, call, toAlice, toBob } = await aliceCallsBob(t);

  await pressEvents(bob, toBob, '*21003#');
  const target = await answers(carol, 'caroltag');
  await logged(pbx, (l) => l.msg === 'consultation answered; hanging up completes the transfer');
  await pressEvents(bob, toBob, '*');
  await byeIn(carol, target.dialog.callId);
  t.ok(await hears(alice, toAlice, bob, 0x61), 'the caller is heard by the transferer again');
  t.ok(await hears(bob, toBob, alice, 0x62), 'and the transferer by the caller');
  await hangUp(bob, call.calleeDialog, alice);
  t.notMatch((await cdrFor(pbx, call.callerDialog.callId)).path ?? '', /xfer/, 'no transfer in the path');
});

t.test('the transferer hangs up while the target still rings: the target is rung again for the held caller', async (t) => {
  const { alice, bob, carol, call, toAlice, toBob } = await aliceCallsBob(t);

  await pressEvents(bob, toBob, '*21003#');
  const consult = await carol.request('INVITE');
  carol.reply(consult, 180, 'ringtag');
  t.equal((await bob.final(bob.inDialog(call.calleeDialog, 'BYE'))).status, 200, 'the transferer hangs up');
  const cancel = await carol.request('CANCEL');
  carol.reply(cancel, 200, 'ringtag');
  carol.reply(consult, 487, 'ringtag');
  const consultId = consult.headers.get('call-id');
  const invite = await carol.next<SipRequest>((m) => m.kind === 'request' && m.method === 'INVITE' && m.headers.get('call-id') !== consultId, 'a new INVITE');
  carol.reply(invite, 200, 'caroltag2', sdpFor(carol.rtpPort));
  await carol.request('ACK');
  const target = { invite, dialog: carol.dialogFromUas(invite, 'caroltag2') };
  t.match(invite.headers.get('from'), /<sip:1001@pbx\.test>/, 'the target is rung for the held caller');
  t.ok(await hears(alice, toAlice, carol, 0x71), 'the caller is heard by the target');
  t.ok(await hears(carol, sdpMedia(target.invite.body), alice, 0x72), 'the target is heard by the caller');
  await hangUp(carol, target.dialog, alice);
  t.match((await cdrFor(pbx, call.callerDialog.callId)).path, /xfer:1003/);
});

t.test('the held caller hangs up during the consultation: the transferer stays connected to the target', async (t) => {
  const { alice, bob, carol, call, toBob } = await aliceCallsBob(t);

  await pressEvents(bob, toBob, '*21003#');
  const target = await answers(carol, 'caroltag');
  await logged(pbx, (l) => l.msg === 'consultation answered; hanging up completes the transfer');
  t.equal((await alice.final(alice.inDialog(call.callerDialog, 'BYE'))).status, 200, 'the held caller hangs up');
  await logged(pbx, (l) => l.msg === 'attended transfer completed' && l.obj.left === '1001');
  t.ok(await hears(bob, toBob, carol, 0x81), 'the transferer is heard by the target');
  t.ok(await hears(carol, sdpMedia(target.invite.body), bob, 0x82), 'the target is heard by the transferer');
  await hangUp(carol, target.dialog, bob);
  t.equal((await cdrFor(pbx, call.callerDialog.callId)).status, 'answered');
});
