// Calls over TCP (RFC 3261 18): a SIPp caller and callee both on TCP, the callee registered over
// its TCP connection; then a caller on UDP reaching a callee registered over TCP, which the B2BUA
// must reach over TCP; and a UA registered over a TCP connection with nothing listening at its
// Contact, which the PBX reaches only over that connection. RTP flows both ways every time.
import t, { type Test } from 'tap';
import type { RegistrationInfo } from '../../src/api/control-types.js';
import type { CdrRow } from '../../src/store/types.js';
import { callThrough, describe, EXTENSIONS, isPbxMediaSource, PbxProcess, pbxJson, preparePbx, teardown, type CallRun } from './harness.js';
import { registerOverStream, sippCallAnsweredOverStream, StreamUa, uaContact } from './stream-ua.js';

const setup = await preparePbx();
const pbx = await PbxProcess.start(setup);
t.teardown(() => teardown(pbx, setup));

function mediaBothWays(t: Test, run: CallRun): void {
  const counts = run.probe.counts;
  t.equal(run.caller.code, 0, `caller: ${run.caller.errors}`);
  t.equal(run.callee.code, 0, `callee: ${run.callee.errors}`);
  t.ok((counts.fromPeer.get(8) ?? 0) >= 20, `the caller's PCMA reached the callee: ${describe(counts)}`);
  t.ok(counts.sources.size > 0 && [...counts.sources].every((s) => isPbxMediaSource(s, setup.rtp)), `from rtp.ports: ${[...counts.sources].join(', ')}`);
  t.ok(counts.echoedBack >= 20, `the callee's RTP reached the caller and came back: ${describe(counts)}`);
}

t.test('caller and callee both on TCP: registration, call with RTP both ways, BYE, CDR', async (t) => {
  let registrations: RegistrationInfo[] = [];
  const run = await callThrough(setup, {
    callerScenario: 'uac-call.xml',
    calleeScenario: 'uas.xml',
    durationMs: 2000,
    callerPlace: { transport: 't1' },
    calleePlace: { transport: 't1' },
    during: async (probe) => {
      registrations = await pbxJson<RegistrationInfo[]>(setup.file, ['registrations']);
      await probe.waitFor((c) => (c.fromPeer.get(8) ?? 0) >= 20 && c.echoedBack >= 20, 15000);
    },
  });
  t.teardown(() => run.probe.close());
  t.match(registrations, [{ extension: '1002', transport: 'tcp' }], 'the callee is registered over tcp');
  t.match(pbx.logs.filter((l) => l.msg === 'new call'), [{ transport: 'tcp' }], "the caller's INVITE came over TCP");
  mediaBothWays(t, run);
  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.match(rows, [{ from: /1001/, to: /1002/, status: 'answered' }]);
});

t.test('caller on UDP, callee registered on TCP: the PBX reaches the callee over TCP', async (t) => {
  const run = await callThrough(setup, {
    callerScenario: 'uac-call.xml',
    calleeScenario: 'uas.xml',
    durationMs: 2000,
    callerPlace: { transport: 'u1' },
    calleePlace: { transport: 't1' },
    during: (probe) => probe.waitFor((c) => (c.fromPeer.get(8) ?? 0) >= 20 && c.echoedBack >= 20, 15000),
  });
  t.teardown(() => run.probe.close());
  t.match(pbx.logs.filter((l) => l.msg === 'new call').at(-1), { transport: 'udp' }, "the caller's INVITE came over UDP");
  mediaBothWays(t, run);
  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.equal(rows.length, 2);
  t.ok(rows.every((r) => r.status === 'answered'), JSON.stringify(rows));
});

t.test('a callee registered over a TCP connection is reached over that connection (RFC 3261 18.2.2)', async (t) => {
  const ua = await StreamUa.openTcp('127.0.0.1', setup.sipPort);
  t.teardown(() => ua.close());
  t.equal(await registerOverStream(ua, 'tcp', '1003', EXTENSIONS['1003']!.password), 200, 'REGISTER over TCP with digest gets 200');
  const { invite, result, probe } = await sippCallAnsweredOverStream(t, setup, ua, '1003', uaContact(ua, '1003', 'tcp'));
  t.match(invite.uri, /^sip:1003@127\.0\.0\.1:\d+;transport=tcp/i, 'the INVITE is for the TCP contact');
  t.equal(result.code, 0, result.errors);
  t.ok([...probe.counts.sources].every((s) => isPbxMediaSource(s, setup.rtp)), `RTP from rtp.ports: ${describe(probe.counts)}`);
  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.equal(rows.length, 3);
  t.ok(rows.some((r) => /1003/.test(r.to) && r.status === 'answered'), JSON.stringify(rows));
});

t.test('SIGTERM afterwards exits 0', async (t) => {
  t.same(await pbx.stop(), { code: 0, signal: null });
});
