// Call parking over real UDP: a blind transfer to the park number parks the caller in a slot that
// is read out to the parker; dialling the slot takes it back; a call nobody takes back rings the
// parker again.
import t from 'tap';
import type { SipRequest } from '../../src/sip/message.js';
import { answeredCall, callIdOf, cdrFor, hangUp, phone } from './helpers/flows.js';
import { sdpFor, sdpMedia, type Phone } from './helpers/phone.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';
import { answers, byeIn, hears, press, refer, referNotify } from './helpers/transfer.js';

let pbx: TestPbx;

t.before(async () => {
  pbx = await startPbx({ extra: 'parking: { number: "70", slots: "71-72", timeout: 2 }\n' });
});

t.teardown(() => pbx.close());

/** bob parks alice (their answered call) by a blind REFER to 70: 202, NOTIFY 200, the slot read out to bob, then BYE. */
async function parkedByBob(alice: Phone, bob: Phone): Promise<Awaited<ReturnType<typeof answeredCall>>> {
  const call = await answeredCall(alice, bob);
  const req = refer(bob, call.calleeDialog, '<sip:70@pbx.test>');
  if ((await bob.final(req)).status !== 202) throw new Error('REFER to the park number refused');
  await referNotify(bob, 'bobtag');
  await referNotify(bob, 'bobtag');
  bob.rtpReceived.length = 0;
  return call;
}

t.test('a blind transfer to the park number parks the caller in slot 71, read out to the parker; dialling 71 takes it back', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const carol = await phone(t, pbx, '1003');
  const call = await parkedByBob(alice, bob);
  await bob.waitRtp(25);
  t.ok(bob.rtpReceived.length >= 25, 'the parker hears the slot read out');
  await byeIn(bob, call.calleeDialog.callId);
  t.ok(bob.rtpReceived.length >= 40, 'the parker is hung up once the announcement ended (at least 0.8 s of audio)');

  const invite = await carol.dial('71', sdpFor(carol.rtpPort));
  const ok = await carol.final(invite);
  t.equal(ok.status, 200, 'the slot answers');
  const dialog = carol.dialogFromUac(invite, ok);
  carol.inDialog(dialog, 'ACK', undefined, dialog.cseq);
  t.ok(await hears(carol, sdpMedia(ok.body), alice, 0x21), 'the retriever is heard by the parked caller');
  t.ok(await hears(alice, sdpMedia(call.ok.body), carol, 0x22), 'the parked caller is heard by the retriever');
  await hangUp(alice, call.callerDialog, carol);
  const cdr = await cdrFor(pbx, call.callerDialog.callId);
  t.equal(cdr.status, 'answered');
  t.match(cdr.path, /xfer:70>park:71>unpark:1003/);
  t.match((await cdrFor(pbx, callIdOf(invite))).path, /unpark:71/);
});

t.test('a parked call nobody takes back rings the parker again', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await parkedByBob(alice, bob);
  await byeIn(bob, call.calleeDialog.callId);
  const back = await answers(bob, 'bobagain');
  t.match(back.invite.headers.get('from'), /<sip:1001@pbx\.test>/, 'the parker is rung by the parked caller');
  t.ok(await hears(bob, sdpMedia(back.invite.body), alice, 0x23), 'parker and parked caller talk again');
  await hangUp(bob, back.dialog, alice);
});

t.test('the park code (#72) pressed by the callee parks the caller; the slot takes it back', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const carol = await phone(t, pbx, '1003');
  const call = await answeredCall(alice, bob);
  await press(bob, call.calleeDialog, '#72');
  await byeIn(bob, call.calleeDialog.callId);
  const invite = await carol.dial('71', sdpFor(carol.rtpPort));
  const ok = await carol.final(invite);
  t.equal(ok.status, 200, 'slot 71 holds the parked caller');
  const dialog = carol.dialogFromUac(invite, ok);
  carol.inDialog(dialog, 'ACK', undefined, dialog.cseq);
  t.ok(await hears(carol, sdpMedia(ok.body), alice, 0x24), 'the retriever is heard by the parked caller');
  await hangUp(carol, dialog, alice);
});

t.test('dialling an empty parking slot gets 404', async (t) => {
  const carol = await phone(t, pbx, '1003');
  const invite: SipRequest = await carol.dial('72', sdpFor(carol.rtpPort));
  const res = await carol.final(invite);
  t.equal(res.status, 404);
  carol.ackNon2xx(invite, res);
});
