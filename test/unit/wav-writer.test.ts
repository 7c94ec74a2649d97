import { existsSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { WavWriter } from '../../src/media/recording/wav-writer.js';
import { tempDir } from '../helpers/temp-dir.js';
import { ffprobeStream, firstDifference, readWavFile, soxSamples, until } from '../helpers/wav-check.js';

/** A sample value that says where it is: index i of channel c. */
function sampleAt(i: number, c: number): number {
  return ((i * 37 + c * 12_345) % 65_536) - 32_768;
}

/** Frame `k` of `frameSamples` samples per channel, interleaved. */
function frame(k: number, frameSamples: number, channels: number): Int16Array {
  const out = new Int16Array(frameSamples * channels);
  for (let i = 0; i < frameSamples; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = sampleAt(k * frameSamples + i, c);
  return out;
}

for (const [sampleRate, channels] of [
  [8000, 1],
  [16000, 2],
  [48000, 2],
  [48000, 1],
] as const) {
  t.test(`a ${sampleRate} Hz ${channels === 2 ? 'stereo' : 'mono'} recording reads back sample for sample in sox and ffprobe`, async (t) => {
    const path = join(tempDir(t, 'wav'), 'day', 'call.wav');
    // written faster than real time: a ring of 16 chunks of 250 ms takes it all
    const w = await WavWriter.open(path, { sampleRate, channels, chunks: 16 });
    const frameSamples = sampleRate / 50;
    const frames = 130; // 2.6 s: more than one header rewrite, a partial last chunk
    for (let k = 0; k < frames; k++) w.write(frame(k, frameSamples, channels), frameSamples * channels);
    await w.close();
    const total = frames * frameSamples * channels;
    const f = readWavFile(path);
    t.same([f.channels, f.sampleRate, f.bitsPerSample], [channels, sampleRate, 16]);
    t.equal(f.dataSize, total * 2, 'data size fixed up on close');
    t.equal(f.riffSize, f.fileSize - 8, 'RIFF size fixed up on close');
    t.equal(f.fileSize, 44 + total * 2);
    const expected = new Int16Array(total);
    for (let k = 0; k < frames; k++) expected.set(frame(k, frameSamples, channels), k * frameSamples * channels);
    t.equal(firstDifference(soxSamples(path), expected), -1, 'sox reads every sample');
    const probe = ffprobeStream(path);
    t.same([probe.codec_name, probe.sample_rate, probe.channels, probe.duration_ts], ['pcm_s16le', String(sampleRate), channels, frames * frameSamples]);
    t.equal(w.droppedFrames, 0);
    t.equal(w.bytesWritten, total * 2);
  });
}

t.test('the header is rewritten every few seconds of audio while recording, not only on close', async (t) => {
  const path = join(tempDir(t, 'wav'), 'live.wav');
  const w = await WavWriter.open(path, { sampleRate: 8000, channels: 1, headerEveryMs: 1000 });
  t.teardown(() => w.close());
  t.equal(readWavFile(path).dataSize, 0, 'placeholder sizes at open');
  const pcm = frame(0, 160, 1);
  for (let k = 0; k < 100; k++) w.write(pcm, 160); // 2 s
  await until(() => w.bytesWritten >= 16_000 && readWavFile(path).dataSize >= 16_000);
  const f = readWavFile(path);
  t.ok(f.dataSize % 2 === 0 && f.dataSize <= f.fileSize - 44, `the header declares ${f.dataSize} bytes that are on disk`);
  t.equal(f.riffSize, f.dataSize + 36);
});

t.test('a disk slower than real time drops and counts whole frames instead of buffering them', async (t) => {
  const path = join(tempDir(t, 'wav'), 'slow.wav');
  // 2 chunks of 40 ms: the ring holds 4 frames of 20 ms; nothing reaches the disk during this loop
  const w = await WavWriter.open(path, { sampleRate: 8000, channels: 1, chunkMs: 40, chunks: 2 });
  for (let k = 0; k < 10; k++) w.write(frame(k, 160, 1), 160);
  t.equal(w.droppedFrames, 6);
  t.equal(w.droppedSamples, 6 * 160);
  await until(() => w.bytesWritten > 0);
  w.write(frame(10, 160, 1), 160);
  t.equal(w.droppedFrames, 6, 'room again once a chunk is on disk');
  await w.close();
  const expected = new Int16Array(5 * 160);
  for (const [slot, k] of [0, 1, 2, 3, 10].entries()) expected.set(frame(k, 160, 1), slot * 160);
  t.same(readWavFile(path).samples, expected, 'the file holds the frames taken, whole and in order');
  t.equal(readWavFile(path).dataSize, 5 * 320);
});

t.test('writes of any length span chunks in order', async (t) => {
  const path = join(tempDir(t, 'wav'), 'odd.wav');
  const w = await WavWriter.open(path, { sampleRate: 16000, channels: 2, chunkMs: 10, chunks: 64 });
  const all = frame(0, 4000, 2);
  let at = 0;
  for (const n of [2, 998, 1200, 6, 4000, 1794]) {
    w.write(all.subarray(at, at + n), n);
    at += n;
  }
  t.equal(at, all.length);
  await w.close();
  t.equal(firstDifference(readWavFile(path).samples, all), -1);
});

t.test('close is safe twice; writing after close, bad counts and bad formats throw clear errors', async (t) => {
  const dir = tempDir(t, 'wav');
  const w = await WavWriter.open(join(dir, 'a.wav'), { sampleRate: 8000, channels: 2 });
  t.throws(() => w.write(new Int16Array(320), 3), { code: 'PBX_ERR_RECORDING_ARGUMENT' }, 'stereo takes pairs');
  t.throws(() => w.write(new Int16Array(320), 322), { code: 'PBX_ERR_RECORDING_ARGUMENT' });
  t.throws(() => w.write(new Int16Array(320), -2), { code: 'PBX_ERR_RECORDING_ARGUMENT' });
  const first = w.close();
  t.equal(w.close(), first, 'the same close');
  await first;
  await w.close();
  t.throws(() => w.write(new Int16Array(320), 320), { code: 'PBX_ERR_RECORDING_CLOSED' });
  await t.rejects(WavWriter.open(join(dir, 'b.wav'), { sampleRate: 44100, channels: 1 }), { code: 'PBX_ERR_RECORDING_FORMAT' });
  await t.rejects(WavWriter.open(join(dir, 'c.wav'), { sampleRate: 8000, channels: 3 as 2 }), { code: 'PBX_ERR_RECORDING_FORMAT' });
  t.notOk(existsSync(join(dir, 'b.wav')));
  writeFileSync(join(dir, 'kept.wav'), 'not mine');
  await t.rejects(WavWriter.open(join(dir, 'kept.wav'), { sampleRate: 8000, channels: 1 }), { code: 'PBX_ERR_RECORDING_OPEN', message: /kept\.wav/ }, 'an existing file is never overwritten');
});

t.test('a write that fails (disk full) is reported once, later frames are dropped, close still resolves', async (t) => {
  const dir = tempDir(t, 'wav');
  const errors: string[] = [];
  const w = await WavWriter.open(join(dir, 'full.wav'), { sampleRate: 8000, channels: 1, chunkMs: 20, onError: (e) => errors.push(e.code) });
  const probe = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
  await probe.close();
  const write = proto.write;
  proto.write = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
  t.teardown(() => {
    proto.write = write;
  });
  w.write(frame(0, 160, 1), 160);
  await until(() => w.error !== null);
  t.equal(w.error?.code, 'PBX_ERR_RECORDING_WRITE');
  t.match(w.error?.message, /full\.wav: ENOSPC/);
  w.write(frame(1, 160, 1), 160);
  w.write(frame(2, 160, 1), 160);
  t.equal(w.droppedFrames, 2);
  await w.close();
  t.same(errors, ['PBX_ERR_RECORDING_WRITE'], 'reported once');
});
