// hold by re-INVITE: a=sendonly from the caller reaches the callee, its a=recvonly answer reaches the caller (SIPp caller and callee through the PBX).
import t from 'tap';
import type { CdrRow } from '../../src/store/types.js';
import { callThrough, PbxProcess, pbxJson, preparePbx, teardown } from './harness.js';

const setup = await preparePbx();
const pbx = await PbxProcess.start(setup);
t.teardown(() => teardown(pbx, setup));

t.test('hold by re-INVITE: a=sendonly from the caller reaches the callee, its a=recvonly answer reaches the caller', async (t) => {
  const run = await callThrough(setup, { callerScenario: 'uac-hold.xml', calleeScenario: 'uas-hold.xml', durationMs: 500 });
  run.probe.close();
  t.equal(run.caller.code, 0, `caller: ${run.caller.errors}`);
  t.equal(run.callee.code, 0, `callee: ${run.callee.errors}`);
  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.equal(rows.length, 1, 'one CDR row');
  t.match(rows[0], { from: /1001/, to: /1002/, status: 'answered' });
});

t.test('SIGTERM exits 0', async (t) => {
  t.same(await pbx.stop(), { code: 0, signal: null });
});
