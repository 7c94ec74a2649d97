// IPv6 (issue 2: "IPv4 and IPv6"): the PBX listens on udp:[::1] and tcp:[::1] with rtp.address
// ::1; a SIPp callee registers from [::1] and a SIPp caller on [::1] calls it, RTP both ways
// through the PBX, first over UDP, then over TCP.
import dgram from 'node:dgram';
import t from 'tap';
import type { RegistrationInfo } from '../../src/api/control-types.js';
import type { CdrRow } from '../../src/store/types.js';
import { callThrough, describe, isPbxMediaSource, PbxProcess, pbxJson, preparePbx, teardown } from './harness.js';

/** Whether a UDP socket can bind ::1 here. */
function loopback6(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp6');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(0, '::1', () => {
      s.close();
      resolve(true);
    });
  });
}

if (!(await loopback6())) {
  t.plan(0, '::1 is not available on this machine');
} else {
  const setup = await preparePbx({ listen: ['udp:[::1]:PORT', 'tcp:[::1]:PORT'], rtpAddress: '::1' });
  const pbx = await PbxProcess.start(setup);
  t.teardown(() => teardown(pbx, setup));

  t.test('a call between two SIPp endpoints on ::1, with RTP both ways through the PBX', async (t) => {
    let registrations: RegistrationInfo[] = [];
    const place = { localIp: '::1' };
    const run = await callThrough(setup, {
      callerScenario: 'uac-call.xml',
      calleeScenario: 'uas.xml',
      durationMs: 2000,
      callerPlace: place,
      calleePlace: place,
      during: async (probe) => {
        registrations = await pbxJson<RegistrationInfo[]>(setup.file, ['registrations']);
        await probe.waitFor((c) => (c.fromPeer.get(8) ?? 0) >= 20 && c.echoedBack >= 20, 15000);
      },
    });
    t.teardown(() => run.probe.close());
    t.match(registrations, [{ extension: '1002', transport: 'udp', source: /::1/ }], 'the callee registered from ::1');
    t.equal(run.caller.code, 0, `caller: ${run.caller.errors}`);
    t.equal(run.callee.code, 0, `callee: ${run.callee.errors}`);
    const counts = run.probe.counts;
    t.ok((counts.fromPeer.get(8) ?? 0) >= 20, `the caller's PCMA reached the callee: ${describe(counts)}`);
    t.ok(counts.sources.size > 0 && [...counts.sources].every((s) => isPbxMediaSource(s, setup.rtp, '::1')), `from [::1] rtp.ports: ${[...counts.sources].join(', ')}`);
    t.ok(counts.echoedBack >= 20, `the callee's RTP reached the caller and came back: ${describe(counts)}`);
    const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
    t.match(rows, [{ from: /1001/, to: /1002/, status: 'answered' }]);
  });

  t.test('the same call over TCP on ::1', async (t) => {
    const place = { localIp: '::1', transport: 't1' as const };
    const run = await callThrough(setup, {
      callerScenario: 'uac-call.xml',
      calleeScenario: 'uas.xml',
      durationMs: 2000,
      callerPlace: place,
      calleePlace: place,
      during: (probe) => probe.waitFor((c) => (c.fromPeer.get(8) ?? 0) >= 20 && c.echoedBack >= 20, 15000),
    });
    t.teardown(() => run.probe.close());
    t.equal(run.caller.code, 0, `caller: ${run.caller.errors}`);
    t.equal(run.callee.code, 0, `callee: ${run.callee.errors}`);
    t.match(pbx.logs.filter((l) => l.msg === 'new call').at(-1), { transport: 'tcp' }, "the caller's INVITE came over TCP");
    const counts = run.probe.counts;
    t.ok((counts.fromPeer.get(8) ?? 0) >= 20 && counts.echoedBack >= 20, `RTP both ways: ${describe(counts)}`);
    t.ok([...counts.sources].every((s) => isPbxMediaSource(s, setup.rtp, '::1')), `from [::1] rtp.ports: ${[...counts.sources].join(', ')}`);
    const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
    t.equal(rows.length, 2);
    t.ok(rows.every((r) => r.status === 'answered'), JSON.stringify(rows));
  });

  t.test('SIGTERM afterwards exits 0', async (t) => {
    t.same(await pbx.stop(), { code: 0, signal: null });
  });
}
