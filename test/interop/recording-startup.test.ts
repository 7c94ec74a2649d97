// What `pbx start` does with data_dir/recordings before taking calls: recordings a crash cut
// short get their sizes repaired, and retention deletes what is too old.
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { writeWavHeader } from '../../src/media/recording/wav-format.js';
import { readWavFile } from '../helpers/wav-check.js';
import { PbxProcess, preparePbx, teardown } from './harness.js';

/** A 16 kHz mono WAV whose header declares `declaredData` bytes, with `dataBytes` of silence, modified `ageMs` ago. */
function wav(path: string, declaredData: number, dataBytes: number, ageMs: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const b = Buffer.alloc(44 + dataBytes);
  writeWavHeader(b, 16000, 1, declaredData);
  writeFileSync(path, b);
  const when = new Date(Date.now() - ageMs);
  utimesSync(path, when, when);
}

t.test('at start-up a recording cut by kill -9 is repaired and one older than retention_days is deleted', async (t) => {
  const setup = await preparePbx({ extraYaml: 'recording:\n  retention_days: 7\n' });
  const recordings = join(setup.dataDir, 'recordings');
  const cut = join(recordings, '2026', '11', '25', '101500_1001_1002_0badf00d.wav');
  const expired = join(recordings, '2026', '10', '01', '090000_1001_1003_deadbeef.wav');
  wav(cut, 0, 32_000 + 1, 60_000);
  wav(expired, 3200, 3200, 30 * 86_400_000);
  let pbx: PbxProcess | null = null;
  t.teardown(() => teardown(pbx, setup));
  pbx = await PbxProcess.start(setup);
  await pbx.waitForLog((l) => l.msg === 'recording retention applied');
  t.match(pbx.logs.find((l) => l.msg === 'recording cut by a crash repaired'), { path: cut, dataBytes: 32_000, truncatedBytes: 1 });
  const f = readWavFile(cut);
  t.same([f.dataSize, f.riffSize, f.fileSize], [32_000, 32_036, 32_044]);
  t.notOk(existsSync(expired), 'the expired recording is gone');
  t.notOk(existsSync(join(recordings, '2026', '10')), 'with its emptied folders');
  t.same(await pbx.stop(), { code: 0, signal: null });
});
