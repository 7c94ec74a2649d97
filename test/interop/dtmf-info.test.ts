// RFC 4733 to SIP INFO between two SIPp endpoints through the PBX process: the caller plays
// SIPp's dtmf_2833_1.pcap (digit 1 as telephone-event), the callee's extension has dtmf_mode info
// and its scenario only passes when an INFO application/dtmf-relay with Signal=1 comes.
import t from 'tap';
import { callThrough, describe, EXTENSIONS, PbxProcess, preparePbx, teardown } from './harness.js';

const setup = await preparePbx({ extensions: { ...EXTENSIONS, '1002': { ...EXTENSIONS['1002']!, dtmf_mode: 'info' } } });
const pbx = await PbxProcess.start(setup);
t.teardown(() => teardown(pbx, setup));

t.test("the caller's RFC 4733 digit reaches a dtmf_mode info callee as INFO Signal=1, and no event packet does", async (t) => {
  const run = await callThrough(setup, { callerScenario: 'uac-call.xml', calleeScenario: 'uas-info-dtmf.xml', durationMs: 500 });
  t.teardown(() => run.probe.close());
  t.equal(run.caller.code, 0, `caller: ${run.caller.errors}`);
  t.equal(run.callee.code, 0, `callee (needs the INFO): ${run.callee.errors}`);
  t.ok((run.probe.counts.fromPeer.get(8) ?? 0) > 0, `the audio went through: ${describe(run.probe.counts)}`);
  t.equal(run.probe.counts.fromPeer.get(101) ?? 0, 0, 'the callee never negotiated telephone-event and got none');
});

t.test('SIGTERM after the call exits 0', async (t) => {
  t.same(await pbx.stop(), { code: 0, signal: null });
});
