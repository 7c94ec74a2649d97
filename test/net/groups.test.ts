// Ring groups over real UDP on 127.0.0.1: each strategy rings the members' registered test phones
// in the right order, and a group nobody answers leaves one missed call.
import t, { type Test } from 'tap';
import type { SipRequest } from '../../src/sip/message.js';
import { answeredCall, callIdOf, cdrFor, cdrOf, hangUp, phone } from './helpers/flows.js';
import { sdpFor, type Phone, type PhoneDialog } from './helpers/phone.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';

t.setTimeout(180_000);

const GROUPS = `  seq: { strategy: sequential, members: ["1001", "1003", "1004"], ring_time: 10, member_timeout: 1 }
  next: { strategy: next_available, members: ["1001", "1003"], ring_time: 10, member_timeout: 3 }
  rr: { strategy: round_robin, members: ["1001", "1003", "1004"], ring_time: 10, member_timeout: 3 }
  five: { strategy: simultaneous, members: ["1001", "1003", "1004", "1005", "1006"], ring_time: 2 }
`;

let pbx: TestPbx;
t.before(async () => {
  pbx = await startPbx({ extra: GROUPS, dialplan: { '601': 'group:seq', '602': 'group:next', '603': 'group:rr', '604': 'group:five' } });
});
t.teardown(() => pbx.close());

/** The member's phone gets the INVITE and rings (180). */
async function rings(member: Phone): Promise<SipRequest> {
  const inv = await member.request('INVITE');
  member.reply(inv, 180, `tag${member.user}`);
  return inv;
}

/** The PBX cancels a ringing member: 200 to the CANCEL, 487 to the INVITE, its ACK. */
async function cancelled(member: Phone, inv: SipRequest): Promise<void> {
  const cancel = await member.request('CANCEL');
  member.reply(cancel, 200, '');
  member.reply(inv, 487, `tag${member.user}`);
  await member.request('ACK');
}

/** The member answers; the caller gets the 200 and ACKs; returns the caller's dialog. */
async function answers(caller: Phone, invite: SipRequest, member: Phone, inv: SipRequest): Promise<PhoneDialog> {
  member.reply(inv, 200, `tag${member.user}`, sdpFor(member.rtpPort));
  await member.request('ACK');
  const ok = await caller.final(invite);
  if (ok.status !== 200) throw new Error(`the caller got ${ok.status}`);
  const d = caller.dialogFromUac(invite, ok);
  caller.inDialog(d, 'ACK', undefined, d.cseq);
  return d;
}

function invitesWaiting(p: Phone): number {
  return p.pending.filter((m) => m.kind === 'request' && m.method === 'INVITE').length;
}

async function phones(t: Test, ...users: string[]): Promise<Phone[]> {
  return Promise.all(users.map((u) => phone(t, pbx, u)));
}

t.test('simultaneous: every member rings at once; the first to answer gets the caller, the others are cancelled', async (t) => {
  const [bob, alice, carol] = await phones(t, '1002', '1001', '1003');
  const invite = await bob.dial('600', sdpFor(bob.rtpPort));
  const [toAlice, toCarol] = await Promise.all([rings(alice!), rings(carol!)]);
  const d = await answers(bob!, invite, carol!, toCarol);
  await cancelled(alice!, toAlice);
  await hangUp(bob!, d, carol!);
  t.match(await cdrFor(pbx, callIdOf(invite)), { status: 'answered', path: 'group:sales' });
});

t.test('sequential: one member at a time in list order, each for member_timeout', async (t) => {
  const [bob, alice, carol, dave] = await phones(t, '1002', '1001', '1003', '1004');
  const invite = await bob.dial('601', sdpFor(bob.rtpPort));
  const toAlice = await rings(alice!);
  const rangAt = performance.now();
  t.equal(invitesWaiting(carol!) + invitesWaiting(dave!), 0, 'only the first member rings');
  await cancelled(alice!, toAlice);
  t.ok(performance.now() - rangAt >= 800, 'the first member rang for its member_timeout (1 s)');
  t.equal(invitesWaiting(dave!), 0, 'the third member has not rung yet');
  const toCarol = await rings(carol!);
  const d = await answers(bob!, invite, carol!, toCarol);
  t.equal(invitesWaiting(dave!), 0, 'the member after the one who answered never rang');
  t.equal(invitesWaiting(alice!), 0);
  await hangUp(bob!, d, carol!);
  t.match(await cdrFor(pbx, callIdOf(invite)), { status: 'answered', path: 'group:seq' });
});

t.test('next_available: a member in a call is skipped; the next free one rings first', async (t) => {
  const [bob, alice, carol, erin] = await phones(t, '1002', '1001', '1003', '1005');
  const busy = await answeredCall(erin!, alice!);
  const invite = await bob.dial('602', sdpFor(bob.rtpPort));
  const toCarol = await rings(carol!);
  t.equal(invitesWaiting(alice!), 0, 'the member in a call was not rung');
  const d = await answers(bob!, invite, carol!, toCarol);
  await hangUp(bob!, d, carol!);
  await hangUp(erin!, busy.callerDialog, alice!);
  t.equal(invitesWaiting(alice!), 0);
  t.ok(pbx.log.some((l) => l.obj.callId === callIdOf(invite) && l.msg === 'member in a call; skipped' && l.obj.member === '1001'));
});

t.test('round_robin: the next call starts after the member who answered the last one', async (t) => {
  const [bob, alice, carol, dave] = await phones(t, '1002', '1001', '1003', '1004');
  const first = await bob.dial('603', sdpFor(bob.rtpPort));
  const toAlice = await rings(alice!);
  t.equal(invitesWaiting(carol!) + invitesWaiting(dave!), 0, 'with no memory yet the list order: 1001 first');
  const d1 = await answers(bob!, first, alice!, toAlice);
  await hangUp(bob!, d1, alice!);

  const second = await bob.dial('603', sdpFor(bob.rtpPort));
  const toCarol = await rings(carol!);
  t.equal(invitesWaiting(alice!) + invitesWaiting(dave!), 0, '1001 answered last: 1003 rings first');
  await cancelled(carol!, toCarol);
  const toDave = await rings(dave!);
  t.equal(invitesWaiting(alice!), 0, 'then 1004, before 1001');
  const d2 = await answers(bob!, second, dave!, toDave);
  await hangUp(bob!, d2, dave!);

  const third = await bob.dial('603', sdpFor(bob.rtpPort));
  const again = await rings(alice!);
  t.equal(invitesWaiting(carol!) + invitesWaiting(dave!), 0, '1004 answered last: round to 1001');
  const d3 = await answers(bob!, third, alice!, again);
  await hangUp(bob!, d3, alice!);
});

t.test('a group that rang five phones and nobody answered: the caller gets 480 and exactly one missed CDR row', async (t) => {
  const [bob, ...members] = await phones(t, '1002', '1001', '1003', '1004', '1005', '1006');
  const invite = await bob!.dial('604', sdpFor(bob!.rtpPort));
  const invites = await Promise.all(members.map((m) => rings(m)));
  t.equal(invites.length, 5, 'five phones rang');
  await Promise.all(members.map((m, i) => cancelled(m, invites[i]!)));
  const res = await bob!.final(invite);
  t.equal(res.status, 480);
  bob!.ackNon2xx(invite, res);
  const callId = callIdOf(invite);
  t.match(await cdrFor(pbx, callId), { status: 'missed', path: 'group:five', answered_at: null });
  t.equal(cdrOf(pbx, callId).length, 1, 'one row for the call, not one per phone');
  t.equal(pbx.store.listCdr({ missed: true, limit: 1000 }).filter((r) => r.call_id === callId).length, 1, 'once in `pbx cdr --missed`');
});
