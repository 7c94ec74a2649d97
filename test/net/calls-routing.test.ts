// Office hours and caller-ID routing over real UDP on 127.0.0.1: the PBX reads its schedules at an
// instant the test fixes, phones (and SIPp) call a number routed to `schedule:office`, and the
// phone that rings shows the branch taken; blacklisted and anonymous callers are handled before
// the dialplan.
import t from 'tap';
import type { SipRequest } from '../../src/sip/message.js';
import { freePort } from '../helpers/ports.js';
import { runSipp } from '../interop/harness.js';
import { callIdOf, cdrFor, phone } from './helpers/flows.js';
import { sdpFor, type Phone } from './helpers/phone.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';

// Thursday 2026-11-26 in Moscow (UTC+3): 12:00 is in hours, 20:00 is not
const IN_HOURS = Date.parse('2026-11-26T09:00:00Z');
const OUT_OF_HOURS = Date.parse('2026-11-26T17:00:00Z');

let pbx: TestPbx;
let now = IN_HOURS;

t.before(async () => {
  pbx = await startPbx({
    wallClock: () => now,
    dialplan: { '800': 'schedule:office' },
    extra: `schedules:
  office:
    timezone: Europe/Moscow
    hours: { mon-fri: "09:00-18:00" }
    open: "1002"
    closed: "1003"
callers:
  blacklist: ["+7800*"]
  anonymous: "1004"
`,
  });
});

t.teardown(() => pbx.close());

/** The callee's phone gets the INVITE and answers 486, so that the call ends at once. */
async function ringsAt(callee: Phone, caller: Phone, invite: SipRequest): Promise<SipRequest> {
  const relayed = await callee.request('INVITE');
  callee.reply(relayed, 486, 'busytag');
  await callee.request('ACK');
  const res = await caller.final(invite);
  caller.ackNon2xx(invite, res);
  return relayed;
}

function routedLog(callId: string): string | undefined {
  return pbx.log.find((l) => l.obj.callId === callId && l.msg === 'routed')?.obj.route as string | undefined;
}

function routedCount(route: string): number {
  return pbx.log.filter((l) => l.msg === 'routed' && l.obj.route === route).length;
}

t.test('a schedule with a fixed clock sends calls to the in-hours extension, then to the out-of-hours one', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const carol = await phone(t, pbx, '1003');

  now = IN_HOURS;
  const inHours = await alice.dial('800', sdpFor(alice.rtpPort));
  const atBob = await ringsAt(bob, alice, inHours);
  t.match(atBob.headers.get('to'), /sip:800@/, 'bob is called for the number dialled');
  t.equal(routedLog(callIdOf(inHours)), 'schedule office: open -> 1002');

  now = OUT_OF_HOURS;
  const outOfHours = await alice.dial('800', sdpFor(alice.rtpPort));
  await ringsAt(carol, alice, outOfHours);
  t.equal(routedLog(callIdOf(outOfHours)), 'schedule office: closed -> 1003');
  t.equal((await cdrFor(pbx, callIdOf(outOfHours))).to, '800');
});

t.test('a blacklisted caller gets 603 and never rings anyone; the CDR says why', async (t) => {
  const alice = await phone(t, pbx, '1001');
  now = IN_HOURS;
  const invite = await alice.dial('800', sdpFor(alice.rtpPort), { from: '<sip:+78001234567@pbx.test>;tag=bl1' });
  const res = await alice.final(invite);
  t.equal(res.status, 603);
  alice.ackNon2xx(invite, res);
  t.equal((await cdrFor(pbx, callIdOf(invite))).reason, 'blacklisted');
  t.equal(routedLog(callIdOf(invite)), 'caller +78001234567 blacklisted (+7800*)');
});

t.test('an anonymous caller goes to callers.anonymous, whether hidden by From or by Privacy: id', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const dave = await phone(t, pbx, '1004');
  now = IN_HOURS;
  const byFrom = await alice.dial('800', sdpFor(alice.rtpPort), { from: '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=an1' });
  await ringsAt(dave, alice, byFrom);
  t.equal(routedLog(callIdOf(byFrom)), 'anonymous caller -> 1004');
  const byPrivacy = await alice.dial('800', sdpFor(alice.rtpPort), { headers: [['Privacy', 'id']] });
  await ringsAt(dave, alice, byPrivacy);
  t.equal(routedLog(callIdOf(byPrivacy)), 'anonymous caller -> 1004');
});

t.test('caller rules do not apply to an extension dialled directly', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const invite = await alice.dial('1002', sdpFor(alice.rtpPort), { from: '<sip:+78001234567@pbx.test>;tag=bl2' });
  await ringsAt(bob, alice, invite);
  t.equal(routedLog(callIdOf(invite)), undefined);
});

t.test('SIPp calls the office number: it reaches the in-hours extension, then with another fixed instant the out-of-hours one', async (t) => {
  const bob = await phone(t, pbx, '1002');
  const carol = await phone(t, pbx, '1003');
  for (const [instant, callee, branch] of [[IN_HOURS, bob, 'open -> 1002'], [OUT_OF_HOURS, carol, 'closed -> 1003']] as const) {
    now = instant;
    const before = routedCount(`schedule office: ${branch}`);
    const caller = runSipp({ scenario: 'uac-busy.xml', remote: `127.0.0.1:${pbx.port}`, localPort: await freePort(), service: '800', credentials: [['1001', 'alice-pass']], timeoutS: 20 });
    const relayed = await callee.request('INVITE');
    callee.reply(relayed, 486, 'busytag');
    await callee.request('ACK');
    const result = await caller;
    t.equal(result.successful, 1, result.errors);
    t.equal(routedCount(`schedule office: ${branch}`), before + 1, `routed: schedule office: ${branch}`);
  }
});

t.test('a blacklisted SIPp caller gets 603', async (t) => {
  now = IN_HOURS;
  const result = await runSipp({
    scenario: 'uac-declined.xml',
    remote: `127.0.0.1:${pbx.port}`,
    localPort: await freePort(),
    service: '800',
    credentials: [['1001', 'alice-pass']],
    set: { caller: '+78005550000' },
    timeoutS: 20,
  });
  t.equal(result.successful, 1, result.errors);
  t.equal(routedCount('caller +78005550000 blacklisted (+7800*)'), 1);
});
