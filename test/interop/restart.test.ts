// State that must survive the process: registrations across a graceful restart, and the CDR of
// a finished call across kill -9.
import t from 'tap';
import type { CdrRow } from '../../src/store/types.js';
import { callThrough, freePort, PbxProcess, pbxJson, preparePbx, registerFrom, teardown } from './harness.js';

const setup = await preparePbx();
let pbx = await PbxProcess.start(setup);
t.teardown(() => teardown(pbx, setup));

t.test('a registration survives a restart: the callee rings without registering again', async (t) => {
  const calleePort = await freePort();
  const reg = await registerFrom(setup, '1002', calleePort);
  t.equal(reg.code, 0, reg.errors);
  t.same(await pbx.stop(), { code: 0, signal: null }, 'SIGTERM exits 0');
  pbx = await PbxProcess.start(setup);
  const run = await callThrough(setup, { callerScenario: 'uac-nomedia.xml', calleeScenario: 'uas.xml', calleePort, registered: true, durationMs: 300 });
  run.probe.close();
  t.equal(run.caller.code, 0, `caller: ${run.caller.errors}`);
  t.equal(run.callee.code, 0, `callee: ${run.callee.errors}`);
});

t.test('kill -9 right after a finished call loses no CDR', async (t) => {
  const before = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  const run = await callThrough(setup, { callerScenario: 'uac-nomedia.xml', calleeScenario: 'uas.xml', durationMs: 300 });
  run.probe.close();
  t.equal(run.caller.code, 0, `caller: ${run.caller.errors}`);
  await pbx.kill9();
  pbx = await PbxProcess.start(setup);
  const after = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.equal(after.length, before.length + 1, 'one more CDR row after the restart');
  const known = new Set(before.map((r) => r.id));
  t.match(after.find((r) => !known.has(r.id)), { from: /1001/, to: /1002/, status: 'answered' });
});
