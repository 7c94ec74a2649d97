// Forwarding, follow-me, do not disturb and speed dial over real UDP on 127.0.0.1, with the
// settings made from the phone by feature codes (*78/*79, *72/*73).
import t from 'tap';
import type { SipRequest } from '../../src/sip/message.js';
import { callIdOf, cdrFor, hangUp, phone } from './helpers/flows.js';
import { sdpFor, type Phone, type PhoneDialog } from './helpers/phone.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';

t.setTimeout(180_000);

let pbx: TestPbx;
t.before(async () => {
  pbx = await startPbx({
    extensionKeys: {
      '1001': 'speed_dial: { "11": "1004" }',
      '1002': 'forward: { no_answer: { after: 2, to: "1003" } }',
      '1004': 'follow_me: { numbers: ["1001"], after: 1, ring: together, ring_time: 5 }',
      '1005': 'forward: { always: "1006" }',
      '1006': 'forward: { always: "1005" }',
    },
    extra: 'speed_dial: { "11": "1003", "12": "ivr:main" }\n',
  });
});
t.teardown(() => pbx.close());

async function rings(p: Phone): Promise<SipRequest> {
  const inv = await p.request('INVITE');
  p.reply(inv, 180, `tag${p.user}`);
  return inv;
}

async function answers(caller: Phone, invite: SipRequest, callee: Phone, inv: SipRequest): Promise<PhoneDialog> {
  callee.reply(inv, 200, `tag${callee.user}`, sdpFor(callee.rtpPort));
  await callee.request('ACK');
  const ok = await caller.final(invite);
  if (ok.status !== 200) throw new Error(`the caller got ${ok.status}`);
  const d = caller.dialogFromUac(invite, ok);
  caller.inDialog(d, 'ACK', undefined, d.cseq);
  return d;
}

async function cancelled(p: Phone, inv: SipRequest): Promise<void> {
  const cancel = await p.request('CANCEL');
  p.reply(cancel, 200, '');
  p.reply(inv, 487, `tag${p.user}`);
  await p.request('ACK');
}

function invitesWaiting(p: Phone): number {
  return p.pending.filter((m) => m.kind === 'request' && m.method === 'INVITE').length;
}

/** `p` dials a feature code: the PBX answers, says it is done and hangs up. */
async function featureCode(p: Phone, code: string): Promise<string> {
  const invite = await p.dial(code, sdpFor(p.rtpPort));
  const ok = await p.final(invite);
  if (ok.status !== 200) throw new Error(`${code} got ${ok.status}`);
  const d = p.dialogFromUac(invite, ok);
  p.inDialog(d, 'ACK', undefined, d.cseq);
  const bye = await p.request('BYE');
  p.reply(bye, 200, '');
  return callIdOf(invite);
}

t.test('forwarding after N seconds: 1002 does not answer, after 2 s 1003 rings and answers', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const carol = await phone(t, pbx, '1003');
  const invite = await alice.dial('1002', sdpFor(alice.rtpPort));
  const toBob = await rings(bob);
  const rangAt = performance.now();
  await alice.response(invite, (s) => s === 180);
  t.equal(invitesWaiting(carol), 0, '1003 does not ring while 1002 does');
  await cancelled(bob, toBob);
  const toCarol = await rings(carol);
  const after = performance.now() - rangAt;
  t.ok(after >= 1800 && after < 6000, `1003 rang after no_answer.after (2 s): ${Math.round(after)} ms`);
  const d = await answers(alice, invite, carol, toCarol);
  await hangUp(alice, d, carol);
  t.match(await cdrFor(pbx, callIdOf(invite)), { status: 'answered', path: 'forward-no_answer:1002>1003' });
});

t.test('follow-me: the extension rings alone for `after` seconds, then with its follow-me numbers', async (t) => {
  const bob = await phone(t, pbx, '1002');
  const dave = await phone(t, pbx, '1004');
  const alice = await phone(t, pbx, '1001');
  const invite = await bob.dial('1004', sdpFor(bob.rtpPort));
  const first = await rings(dave);
  t.equal(invitesWaiting(alice), 0, 'the follow-me number waits');
  await cancelled(dave, first);
  const [again, toAlice] = await Promise.all([rings(dave), rings(alice)]);
  const d = await answers(bob, invite, alice, toAlice);
  await cancelled(dave, again);
  await hangUp(bob, d, alice);
});

t.test('a forward chain that comes back to an extension ends with 482', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const invite = await alice.dial('1005', sdpFor(alice.rtpPort));
  const res = await alice.final(invite);
  t.equal(res.status, 482);
  alice.ackNon2xx(invite, res);
  t.match(await cdrFor(pbx, callIdOf(invite)), { reason: 'forward-loop' });
});

t.test('*78 turns do not disturb on (callers get busy), *79 off again; the setting is stored', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const carol = await phone(t, pbx, '1003');
  await featureCode(carol, '*78');
  t.equal(pbx.settings.of('1003').dnd, true);
  const refused = await alice.dial('1003', sdpFor(alice.rtpPort));
  const res = await alice.final(refused);
  t.equal(res.status, 486, 'a caller to an extension on DND is busy');
  alice.ackNon2xx(refused, res);
  t.equal(invitesWaiting(carol), 0, 'the phone did not ring');

  await featureCode(carol, '*79');
  t.equal(pbx.settings.of('1003').dnd, false);
  const invite = await alice.dial('1003', sdpFor(alice.rtpPort));
  const d = await answers(alice, invite, carol, await rings(carol));
  await hangUp(alice, d, carol);
});

t.test('*72 + number forwards every call over the config forward; *73 turns forwarding off', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const carol = await phone(t, pbx, '1003');
  const frank = await phone(t, pbx, '1006');
  await featureCode(frank, '*721003');
  t.same(pbx.settings.of('1006').forward, { always: '1003' });
  const invite = await alice.dial('1006', sdpFor(alice.rtpPort));
  const d = await answers(alice, invite, carol, await rings(carol));
  t.equal(invitesWaiting(frank), 0, '1006 itself did not ring');
  await hangUp(alice, d, carol);

  await featureCode(frank, '*73');
  const direct = await alice.dial('1006', sdpFor(alice.rtpPort));
  const d2 = await answers(alice, direct, frank, await rings(frank));
  await hangUp(alice, d2, frank);
  t.equal(invitesWaiting(carol), 0, 'forwarding off, over the config forward to 1005');
});

t.test('a feature code call (*78, *72 + number) is answered by the PBX: its CDR says answered with answered_at, never missed', async (t) => {
  const dave = await phone(t, pbx, '1004');
  for (const code of ['*78', '*721003', '*79', '*73']) {
    const cdr = await cdrFor(pbx, await featureCode(dave, code));
    t.equal(cdr.status, 'answered', `${code}: status answered`);
    t.equal(cdr.missed, false, `${code}: not a missed call`);
    t.not(cdr.answered_at, null, `${code}: answered_at is the PBX's answer`);
    t.match(cdr.path, /^feature:/);
  }
});

t.test('*72 to a number that leads nowhere is refused and changes nothing', async (t) => {
  const bob = await phone(t, pbx, '1002');
  await featureCode(bob, '*729999');
  t.same(pbx.settings.of('1002').forward, {});
  t.ok(pbx.log.some((l) => l.msg === 'forward refused: the number leads nowhere or back to the extension'));
});

t.test("speed dial: the caller's own list first, then the global one", async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const carol = await phone(t, pbx, '1003');
  const dave = await phone(t, pbx, '1004');
  const own = await alice.dial('11', sdpFor(alice.rtpPort));
  const toDave = await rings(dave);
  t.equal(toDave.headers.get('to'), '<sip:1004@pbx.test>', 'the callee sees the number the short one stands for');
  const d = await answers(alice, own, dave, toDave);
  await hangUp(alice, d, dave);
  t.equal((await cdrFor(pbx, callIdOf(own))).to, '1004');

  const global = await bob.dial('11', sdpFor(bob.rtpPort));
  const d2 = await answers(bob, global, carol, await rings(carol));
  await hangUp(bob, d2, carol);
});
