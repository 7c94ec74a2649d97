// The interop harness itself: what it leaves behind when a PBX fails to start.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { PbxProcess, preparePbx, teardown } from './harness.js';

t.test('a PBX that has not logged "started" in time is stopped, not left running', async (t) => {
  const setup = await preparePbx();
  t.teardown(() => teardown(null, setup));
  await t.rejects(PbxProcess.start(setup, 1), /no log line matched within 1 ms/);
  const left = spawnSync('pgrep', ['-f', setup.file], { encoding: 'utf8' });
  t.equal(left.stdout.trim(), '', `no process runs on ${setup.file}`);
});
