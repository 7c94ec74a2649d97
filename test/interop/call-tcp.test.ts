// Calls over TCP (RFC 3261 18): a SIPp caller and callee both on TCP, the callee registered over
// its TCP connection; then a caller on UDP reaching a callee registered over TCP, which the B2BUA
// must reach over that callee's connection. RTP flows both ways through the PBX either way.
import t, { type Test } from 'tap';
import type { RegistrationInfo } from '../../src/api/control-types.js';
import type { CdrRow } from '../../src/store/types.js';
import { callThrough, describe, isPbxMediaSource, PbxProcess, pbxJson, preparePbx, teardown, type CallRun } from './harness.js';

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
  mediaBothWays(t, run);
  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.match(rows, [{ from: /1001/, to: /1002/, status: 'answered' }]);
});

t.test('caller on UDP, callee registered on TCP: the PBX reaches the callee over its TCP connection', async (t) => {
  const run = await callThrough(setup, {
    callerScenario: 'uac-call.xml',
    calleeScenario: 'uas.xml',
    durationMs: 2000,
    callerPlace: { transport: 'u1' },
    calleePlace: { transport: 't1' },
    during: (probe) => probe.waitFor((c) => (c.fromPeer.get(8) ?? 0) >= 20 && c.echoedBack >= 20, 15000),
  });
  t.teardown(() => run.probe.close());
  mediaBothWays(t, run);
  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.equal(rows.length, 2);
  t.ok(rows.every((r) => r.status === 'answered'), JSON.stringify(rows));
});

t.test('SIGTERM afterwards exits 0', async (t) => {
  t.same(await pbx.stop(), { code: 0, signal: null });
});
