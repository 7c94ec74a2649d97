// Hang-up and transfer of calls in progress through the REST API, over real UDP on 127.0.0.1:
// test phones call through an in-process PBX whose API is served on a free port.
import t from 'tap';
import type { CallInfo } from '../../src/api/control-types.js';
import { answeredCall, callIdOf, cdrFor, hangUp, phone } from './helpers/flows.js';
import { sdpFor, sdpMedia } from './helpers/phone.js';
import { serveControl, type ServedPbx } from './helpers/control.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';
import { answers, byeIn, hears } from './helpers/transfer.js';

const TOKEN = 'api-calls-token';
let pbx: TestPbx;
let served: ServedPbx;

t.before(async () => {
  pbx = await startPbx();
  served = await serveControl(t, pbx, TOKEN);
});
t.teardown(() => pbx.close());

function infoOf(callId: string): CallInfo {
  const info = pbx.calls.list().find((c) => c.call_id === callId);
  if (info === undefined) throw new Error(`no call ${callId}`);
  return info;
}

t.test('POST /api/calls/{id}/transfer carries the caller to the target and hangs up the callee', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const carol = await phone(t, pbx, '1003');
  const call = await answeredCall(alice, bob);
  const { id } = infoOf(call.callerDialog.callId);
  const res = await served.api('POST', `/api/calls/${id}/transfer`, TOKEN, { to: '1003' });
  t.equal(res.status, 202);
  t.match(res.body, { id, from: '1001', to: '1002' });
  await byeIn(bob, call.calleeDialog.callId);
  const target = await answers(carol, 'caroltag');
  t.match(target.invite.headers.get('from'), /<sip:1001@pbx\.test>/, 'the target sees the caller');
  t.ok(await hears(alice, sdpMedia(call.ok.body), carol, 0x61), 'the caller is heard by the target');
  await hangUp(carol, target.dialog, alice);
  t.match((await cdrFor(pbx, call.callerDialog.callId)).path, /xfer:1003/);
});

t.test('keep: callee transfers the callee; the caller is hung up', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const carol = await phone(t, pbx, '1003');
  const call = await answeredCall(alice, bob);
  const res = await served.api('POST', `/api/calls/${encodeURIComponent(call.callerDialog.callId)}/transfer`, TOKEN, { to: '1003', keep: 'callee' });
  t.equal(res.status, 202, 'found by its Call-ID');
  await byeIn(alice, call.callerDialog.callId);
  const target = await answers(carol, 'caroltag');
  t.ok(await hears(bob, sdpMedia(call.calleeInvite.body), carol, 0x62), 'the callee is heard by the target');
  await hangUp(carol, target.dialog, bob);
});

t.test('a transfer to a number that leads nowhere is 400 naming `to`, of no call 404; the call goes on', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await answeredCall(alice, bob);
  const { id } = infoOf(call.callerDialog.callId);
  t.same(await served.api('POST', `/api/calls/${id}/transfer`, TOKEN, { to: '9999' }), {
    status: 400,
    body: { error: 'bad_request', message: 'body/to: 9999 leads nowhere' },
  });
  t.equal((await served.api('POST', '/api/calls/no-such-call/transfer', TOKEN, { to: '1003' })).status, 404);
  t.ok(await hears(alice, sdpMedia(call.ok.body), bob, 0x63), 'still bridged');
  await hangUp(alice, call.callerDialog, bob);
});

t.test('DELETE /api/calls/{id} of an answered call: BYE to both phones, the CDR says hangup-api', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await answeredCall(alice, bob);
  const { id } = infoOf(call.callerDialog.callId);
  const res = await served.api('DELETE', `/api/calls/${id}`);
  t.equal(res.status, 202);
  t.match(res.body, { id, state: 'answered' });
  await Promise.all([byeIn(alice, call.callerDialog.callId), byeIn(bob, call.calleeDialog.callId)]);
  t.match(await cdrFor(pbx, call.callerDialog.callId), { status: 'answered', reason: 'hangup-api' });
  t.equal((await served.api('DELETE', `/api/calls/${id}`)).status, 404, 'gone');
});

t.test('DELETE /api/calls/{id} of a ringing call: CANCEL to the phone, a final status to the caller', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const invite = await alice.dial('1002', sdpFor(alice.rtpPort));
  const ringing = await bob.request('INVITE');
  bob.reply(ringing, 180, 'bobtag');
  await alice.response(invite, (s) => s === 180);
  t.equal((await served.api('DELETE', `/api/calls/${encodeURIComponent(callIdOf(invite))}`)).status, 202);
  const cancel = await bob.request('CANCEL');
  bob.reply(cancel, 200, 'bobtag');
  bob.reply(ringing, 487, 'bobtag');
  t.equal((await alice.final(invite)).status, 480);
  t.match(await cdrFor(pbx, callIdOf(invite)), { status: 'missed', reason: 'hangup-api' });
});
