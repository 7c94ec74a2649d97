// Call quality in the CDR, end to end over real UDP on 127.0.0.1: a call through the PBX where the
// caller's phone leaves out packets on purpose; the CDR shows the loss on the caller's leg only.
import t from 'tap';
import { answeredCall, cdrFor, hangUp, phone } from './helpers/flows.js';
import { sdpMedia } from './helpers/phone.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';

let pbx: TestPbx;

t.before(async () => {
  pbx = await startPbx();
});

t.teardown(() => pbx.close());

t.test('a caller phone that drops one packet in ten: 10 % loss and a lower MOS on the caller leg in the CDR', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await answeredCall(alice, bob);
  const toAlice = sdpMedia(call.ok.body);
  const toBob = sdpMedia(call.calleeInvite.body);

  for (let seq = 0; seq < 100; seq++) {
    if (seq % 10 !== 5) alice.sendRtp(toAlice, 0, seq);
    bob.sendRtp(toBob, 0, seq);
  }
  await bob.waitRtp(90);
  await alice.waitRtp(100);

  await hangUp(alice, call.callerDialog, bob);
  const cdr = await cdrFor(pbx, call.callerDialog.callId);
  t.equal(cdr.status, 'answered');
  const q = cdr.quality;
  t.ok(q !== null && q !== undefined, 'the CDR carries the call quality');
  const caller = q!.caller!;
  const callee = q!.callee!;
  t.equal(caller.loss_pct, 10, 'the ten packets alice left out are 10 % loss on her leg');
  t.equal(callee.loss_pct, 0, 'bob sent everything');
  t.equal(caller.rtt_ms, null, 'no RTCP from the phones: no RTT');
  t.ok(caller.jitter_ms >= 0 && callee.jitter_ms >= 0);
  t.ok(callee.mos > 4, `callee MOS ${callee.mos}`);
  t.ok(caller.mos < 4 && caller.mos < callee.mos - 0.5, `caller MOS ${caller.mos}`);
  t.ok(pbx.log.some((l) => l.msg === 'call quality' && l.obj.callId !== undefined), 'logged with the call');
});

t.test('a call nobody answered has no quality in its CDR', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const invite = await alice.dial('1004', Buffer.alloc(0));
  const res = await alice.final(invite);
  alice.ackNon2xx(invite, res);
  const cdr = await cdrFor(pbx, invite.headers.get('call-id')!);
  t.equal(cdr.quality, null);
});
