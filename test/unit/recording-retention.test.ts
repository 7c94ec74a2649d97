import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { RecordingMaintenance } from '../../src/media/recording/maintenance.js';
import { FreeSpaceGuard, sweepRecordings } from '../../src/media/recording/retention.js';
import { writeWavHeader } from '../../src/media/recording/wav-format.js';
import { memoryLog, quietLog, type LogLine } from '../helpers/log.js';
import { tempDir } from '../helpers/temp-dir.js';
import { readWavFile } from '../helpers/wav-check.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

/** A recording of `bytes` (header included) modified `ageMs` before `now`; declaredData defaults to the real size. */
function recording(dir: string, rel: string, bytes: number, ageMs: number, o: { now?: number; declaredData?: number } = {}): string {
  const path = join(dir, rel);
  mkdirSync(dirname(path), { recursive: true });
  const b = Buffer.alloc(bytes);
  writeWavHeader(b, 8000, 1, o.declaredData ?? bytes - 44);
  writeFileSync(path, b);
  const when = new Date((o.now ?? NOW) - ageMs);
  utimesSync(path, when, when);
  return path;
}

t.test('recordings older than retention_days are deleted, with their emptied day folders', async (t) => {
  const dir = tempDir(t, 'retention');
  const old = recording(dir, '2026/11/01/a.wav', 100, 24 * DAY);
  const older = recording(dir, '2026/10/30/b.wav', 100, 26 * DAY);
  const recent = recording(dir, '2026/11/20/c.wav', 100, 5 * DAY);
  const sameDay = recording(dir, '2026/11/01/d.wav', 100, 2 * DAY); // copied in later: its own age counts
  const notes = recording(dir, '2026/10/30/notes.txt', 100, 40 * DAY);
  const r = await sweepRecordings(dir, { retentionDays: 7, maxTotalBytes: 0 }, { now: NOW, log: quietLog });
  t.same(r, { files: 2, bytes: 200, deleted: 2, freedBytes: 200 });
  t.same([old, older, recent, sameDay, notes].map(existsSync), [false, false, true, true, true], 'only .wav files count');
  t.ok(existsSync(join(dir, '2026/11/01')), 'a folder with a recording left stays');
  t.ok(existsSync(join(dir, '2026/10/30')), 'a folder with other files stays');
  const alone = recording(dir, '2025/01/02/e.wav', 100, 300 * DAY);
  await sweepRecordings(dir, { retentionDays: 7, maxTotalBytes: 0 }, { now: NOW, log: quietLog });
  t.notOk(existsSync(join(dir, '2025')), 'an emptied day, month and year folder goes');
  t.notOk(existsSync(alone));
  t.ok(existsSync(dir), 'the recordings folder itself stays');
});

t.test('above max_total_mb the oldest recordings go first, until the rest fits; one being written is kept', async (t) => {
  const dir = tempDir(t, 'retention');
  const live = recording(dir, '2026/11/25/live.wav', 400, 5_000); // modified 5 s ago: being written
  const a = recording(dir, '2026/11/20/a.wav', 300, 5 * DAY);
  const b = recording(dir, '2026/11/21/b.wav', 300, 4 * DAY);
  const c = recording(dir, '2026/11/22/c.wav', 300, 3 * DAY);
  const d = recording(dir, '2026/11/23/d.wav', 300, 2 * DAY);
  const lines: LogLine[] = [];
  const r = await sweepRecordings(dir, { retentionDays: 0, maxTotalBytes: 1000 }, { now: NOW, log: memoryLog(lines) });
  t.same([a, b, c, d, live].map(existsSync), [false, false, true, true, true]);
  t.same(r, { files: 3, bytes: 1000, deleted: 2, freedBytes: 600 });
  t.same(lines.map((l) => l.msg), ['recording deleted by retention', 'recording deleted by retention']);

  const tight = await sweepRecordings(dir, { retentionDays: 0, maxTotalBytes: 100 }, { now: NOW, log: quietLog });
  t.same([c, d, live].map(existsSync), [false, false, true], 'a recording being written is never deleted');
  t.same(tight, { files: 1, bytes: 400, deleted: 2, freedBytes: 600 });
});

t.test('with retention_days 0 and max_total_mb 0 nothing is deleted', async (t) => {
  const dir = tempDir(t, 'retention');
  const ancient = recording(dir, '2016/01/01/a.wav', 10_000, 3650 * DAY);
  t.same(await sweepRecordings(dir, { retentionDays: 0, maxTotalBytes: 0 }, { now: NOW, log: quietLog }), { files: 1, bytes: 10_000, deleted: 0, freedBytes: 0 });
  t.ok(existsSync(ancient));
});

t.test('the free-space guard refuses below the threshold with a clear error and one warning, and says when space is back', async (t) => {
  const lines: LogLine[] = [];
  let freeBlocks = 1000; // of 1 MiB
  const guard = new FreeSpaceGuard({
    dir: '/var/lib/pbx/recordings',
    minFreeBytes: 500 * 1024 * 1024,
    log: memoryLog(lines),
    statfs: async (path) => {
      t.equal(path, '/var/lib/pbx/recordings');
      return { bavail: freeBlocks, bsize: 1024 * 1024 };
    },
  });
  await guard.check();
  t.equal(guard.low, false);
  freeBlocks = 120;
  for (let i = 0; i < 3; i++) {
    await t.rejects(guard.check(), {
      code: 'PBX_ERR_RECORDING_DISK_FULL',
      message: 'recording refused: only 120 MB free on the disk of /var/lib/pbx/recordings, below recording.min_free_mb (500 MB); free some space or lower the limit',
    });
  }
  t.equal(guard.low, true);
  t.same(lines.map((l) => l.level), ['warn'], 'one warning for three refused recordings');
  t.same(lines[0]!.obj, { dir: '/var/lib/pbx/recordings', freeMb: 120, minFreeMb: 500 });
  freeBlocks = 600;
  await guard.check();
  t.same(lines.map((l) => l.level), ['warn', 'info']);
  await guard.check();
  t.equal(lines.length, 2);
});

t.test('the guard allows recording when free space cannot be read, and is off at 0', async (t) => {
  const failing = new FreeSpaceGuard({ dir: '/nowhere', minFreeBytes: 1, log: quietLog, statfs: () => Promise.reject(new Error('ENOSYS')) });
  await failing.check();
  const off = new FreeSpaceGuard({ dir: '/nowhere', minFreeBytes: 0, log: quietLog, statfs: () => Promise.reject(new Error('not called')) });
  await off.check();
  const real = new FreeSpaceGuard({ dir: tempDir(t, 'guard'), minFreeBytes: 1, log: quietLog });
  await real.check();
  t.pass('fs.statfs on a real directory works');
});

t.test('maintenance at start-up repairs crash-cut recordings, then applies retention; close is safe twice', async (t) => {
  const dir = tempDir(t, 'maint');
  const cut = recording(dir, '2026/11/25/cut.wav', 44 + 800, 120_000, { now: Date.now(), declaredData: 0 });
  const expired = recording(dir, '2026/01/01/old.wav', 100, 30 * DAY, { now: Date.now() });
  const lines: LogLine[] = [];
  const m = RecordingMaintenance.start({ dir, policy: () => ({ retentionDays: 7, maxTotalBytes: 0 }), log: memoryLog(lines) });
  await m.ready;
  t.equal(readWavFile(cut).dataSize, 800);
  t.notOk(existsSync(expired));
  t.same(
    lines.map((l) => l.msg),
    ['recording cut by a crash repaired', 'recordings checked after start-up', 'recording deleted by retention', 'recording retention applied'],
  );
  await m.close();
  await m.close();
  t.equal(await m.sweep(), null, 'no sweep once closed');
});
