import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CallRecorder } from '../../src/media/recording/recorder.js';
import { FreeSpaceGuard } from '../../src/media/recording/retention.js';
import { memoryLog, type LogLine } from '../helpers/log.js';
import { tempDir } from '../helpers/temp-dir.js';
import { ffprobeStream, readWavFile, soxSamples } from '../helpers/wav-check.js';

const N = 160; // 20 ms at 8 kHz

/** A frame whose every sample is `value`. */
function flat(value: number, n = N): Int16Array {
  return new Int16Array(n).fill(value);
}

/** The value of each 20 ms frame of one channel (frames are flat in these tests). */
function frameValues(samples: Int16Array, channels: number, channel: number): number[] {
  const out: number[] = [];
  for (let at = 0; at < samples.length; at += N * channels) out.push(samples[at + channel]!);
  return out;
}

t.test('stereo: the caller on the left, the callee on the right, whichever side comes first in a tick', async (t) => {
  const path = join(tempDir(t, 'rec'), 'call.wav');
  const rec = await CallRecorder.open(path, { sampleRate: 8000, mode: 'stereo' });
  t.equal(rec.frameSamples, N);
  for (let k = 1; k <= 6; k++) {
    if (k % 2 === 0) {
      rec.writeLeft(flat(k), N);
      rec.writeRight(flat(-k), N);
    } else {
      rec.writeRight(flat(-k), N);
      rec.writeLeft(flat(k), N);
    }
  }
  await rec.close();
  const f = readWavFile(path);
  t.equal(f.channels, 2);
  t.same(frameValues(f.samples, 2, 0), [1, 2, 3, 4, 5, 6]);
  t.same(frameValues(f.samples, 2, 1), [-1, -2, -3, -4, -5, -6]);
  t.equal(rec.framesWritten, 6);
  t.same([ffprobeStream(path).channels, ffprobeStream(path).duration_ts], [2, 6 * N]);
});

t.test('a side with no frame in a tick is silence there and the two sides stay aligned', async (t) => {
  const path = join(tempDir(t, 'rec'), 'gaps.wav');
  const rec = await CallRecorder.open(path, { sampleRate: 8000, mode: 'stereo' });
  // ticks 1-2: only the caller (the callee has not answered yet); 3-4: both, in either order;
  // 5: the callee first, the caller lost its packet and says so (n = 0); 6: the caller only;
  // 7: both; 8: the caller only, then the call ends
  rec.writeLeft(flat(1), N);
  rec.writeLeft(flat(2), N);
  rec.writeLeft(flat(3), N);
  rec.writeRight(flat(-3), N);
  rec.writeRight(flat(-4), N);
  rec.writeLeft(flat(4), N);
  rec.writeRight(flat(-5), N);
  rec.writeLeft(flat(5), 0);
  rec.writeLeft(flat(6), N);
  rec.writeLeft(flat(7), N);
  rec.writeRight(flat(-7), N);
  rec.writeLeft(flat(8), N);
  await rec.close();
  const f = readWavFile(path);
  t.same(frameValues(f.samples, 2, 0), [1, 2, 3, 4, 0, 6, 7, 8]);
  t.same(frameValues(f.samples, 2, 1), [0, 0, -3, -4, -5, 0, -7, 0]);
});

t.test('a frame shorter than 20 ms ends in silence', async (t) => {
  const path = join(tempDir(t, 'rec'), 'short.wav');
  const rec = await CallRecorder.open(path, { sampleRate: 16000, mode: 'stereo' });
  rec.writeLeft(flat(100, 320), 100);
  rec.writeRight(flat(-100, 320), 320);
  await rec.close();
  const s = readWavFile(path).samples;
  t.equal(s.length, 640);
  t.same([s[0], s[1], s[198], s[199], s[200], s[201]], [100, -100, 100, -100, 0, -100]);
});

t.test('mono mixes both sides, saturating instead of wrapping', async (t) => {
  const path = join(tempDir(t, 'rec'), 'mono.wav');
  const rec = await CallRecorder.open(path, { sampleRate: 48000, mode: 'mono' });
  t.equal(rec.frameSamples, 960);
  rec.writeLeft(flat(1000, 960), 960);
  rec.writeRight(flat(-250, 960), 960);
  rec.writeLeft(flat(30000, 960), 960);
  rec.writeRight(flat(10000, 960), 960);
  rec.writeLeft(flat(-30000, 960), 960);
  rec.writeRight(flat(-10000, 960), 960);
  rec.writeRight(flat(7, 960), 960);
  await rec.close();
  const f = readWavFile(path);
  t.equal(f.channels, 1);
  const values = [0, 1, 2, 3].map((k) => f.samples[k * 960]);
  t.same(values, [750, 32767, -32768, 7]);
  t.equal(soxSamples(path).length, 4 * 960);
});

t.test('close is safe twice; bad frames and writes after close throw', async (t) => {
  const path = join(tempDir(t, 'rec'), 'x.wav');
  const rec = await CallRecorder.open(path, { sampleRate: 8000, mode: 'stereo' });
  t.throws(() => rec.writeLeft(new Int16Array(400), 161), { code: 'PBX_ERR_RECORDING_ARGUMENT' });
  t.throws(() => rec.writeRight(new Int16Array(100), 120), { code: 'PBX_ERR_RECORDING_ARGUMENT' });
  t.throws(() => rec.writeRight(new Int16Array(100), 1.5), { code: 'PBX_ERR_RECORDING_ARGUMENT' });
  const closing = rec.close();
  t.equal(rec.close(), closing);
  await closing;
  t.throws(() => rec.writeLeft(flat(1), N), { code: 'PBX_ERR_RECORDING_CLOSED' });
  t.equal(readWavFile(path).dataSize, 0);
  await t.rejects(CallRecorder.open(join(tempDir(t, 'rec'), 'y.wav'), { sampleRate: 8000, mode: 'quad' as 'mono' }), { code: 'PBX_ERR_RECORDING_FORMAT' });
});

t.test('on a nearly full disk the recording is refused before any file is made', async (t) => {
  const dir = tempDir(t, 'rec');
  const lines: LogLine[] = [];
  const guard = new FreeSpaceGuard({ dir, minFreeBytes: 500 * 1024 * 1024, log: memoryLog(lines), statfs: async () => ({ bavail: 100, bsize: 4096 }) });
  await t.rejects(CallRecorder.open(join(dir, 'refused.wav'), { sampleRate: 8000, mode: 'stereo', guard }), { code: 'PBX_ERR_RECORDING_DISK_FULL' });
  t.notOk(existsSync(join(dir, 'refused.wav')));
  t.equal(lines.filter((l) => l.level === 'warn').length, 1);
});
