import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { repairRecordings, repairWav, trimWavEnd } from '../../src/media/recording/repair.js';
import { writeWavHeader } from '../../src/media/recording/wav-format.js';
import { memoryLog, type LogLine } from '../helpers/log.js';
import { tempDir } from '../helpers/temp-dir.js';
import { ffprobeStream, firstDifference, readWavFile, soxSamples } from '../helpers/wav-check.js';

/** Sample i of channel c of the stream the child writes. */
function sampleAt(i: number, c: number): number {
  return ((i * 37 + c * 12_345) % 65_536) - 32_768;
}

/** A WAV file with the given header sizes and `dataBytes` of pattern after the header. */
function wavFile(path: string, o: { channels: number; declaredData: number; dataBytes: number; riff?: number; tail?: Buffer }): void {
  const header = new Uint8Array(44);
  writeWavHeader(header, 8000, o.channels, o.declaredData);
  const b = Buffer.alloc(44 + o.dataBytes);
  b.set(header);
  for (let i = 0; i + 1 < o.dataBytes; i += 2) b.writeInt16LE(sampleAt(i >> 1, 0), 44 + i);
  if (o.riff !== undefined) b.writeUInt32LE(o.riff, 4);
  writeFileSync(path, o.tail === undefined ? b : Buffer.concat([b, o.tail]));
}

t.test('a stereo recording killed with SIGKILL mid-write is repaired: sox and ffprobe read it, samples match up to the cut', async (t) => {
  const dir = tempDir(t, 'repair');
  const path = join(dir, '2026', '11', '25', 'killed.wav');
  const writerUrl = new URL('../../src/media/recording/wav-writer.ts', import.meta.url).href;
  // 16 kHz stereo at twice real time in 20 ms frames; the header is rewritten every 500 ms of audio
  const script = `
    const { WavWriter } = await import(${JSON.stringify(writerUrl)});
    const w = await WavWriter.open(${JSON.stringify(path)}, { sampleRate: 16000, channels: 2, chunkMs: 100, headerEveryMs: 500 });
    const frame = new Int16Array(640);
    let k = 0;
    setInterval(() => {
      for (let i = 0; i < 320; i++) {
        const n = k * 320 + i;
        frame[2 * i] = ((n * 37) % 65536) - 32768;
        frame[2 * i + 1] = ((n * 37 + 12345) % 65536) - 32768;
      }
      w.write(frame, 640);
      k++;
      if (w.bytesWritten >= 64000 * 1.5) process.stdout.write('written\\n');
    }, 10);
  `;
  const child = spawn(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('written') && resolve());
    child.on('exit', () => reject(new Error('the writer exited before writing')));
  });
  child.kill('SIGKILL');
  t.equal(await exited, 'SIGKILL');

  const cut = readWavFile(path);
  t.ok(cut.dataSize >= 64000, `before repair the header already declares ${cut.dataSize} bytes (rewritten while recording)`);
  t.ok(cut.dataSize <= cut.fileSize - 44, 'and no more than is on disk');

  const r = await repairWav(path);
  const f = readWavFile(path);
  const frames = Math.floor((cut.fileSize - 44) / 4);
  t.equal(f.dataSize, frames * 4, 'the data size is the real length, in whole sample frames');
  t.equal(f.riffSize, f.fileSize - 8);
  t.same(r, { repaired: cut.dataSize !== frames * 4 || cut.riffSize !== cut.fileSize - 8, dataBytes: frames * 4, truncatedBytes: cut.fileSize - 44 - frames * 4 });

  const expected = new Int16Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    expected[2 * i] = sampleAt(i, 0);
    expected[2 * i + 1] = sampleAt(i, 1);
  }
  t.equal(firstDifference(soxSamples(path), expected), -1, `sox reads all ${frames} sample frames, equal to what was written`);
  const probe = ffprobeStream(path);
  t.same([probe.codec_name, probe.channels, probe.duration_ts], ['pcm_s16le', 2, frames]);
  t.same(await repairWav(path), { repaired: false, dataBytes: frames * 4, truncatedBytes: 0 }, 'a repaired file needs nothing more');
});

t.test('zero sizes and a torn last sample frame: sizes from the real length, the torn bytes cut', async (t) => {
  const path = join(tempDir(t, 'repair'), 'torn.wav');
  wavFile(path, { channels: 2, declaredData: 0, dataBytes: 4 * 100 + 3, riff: 36 });
  t.same(await repairWav(path), { repaired: true, dataBytes: 400, truncatedBytes: 3 });
  const f = readWavFile(path);
  t.same([f.dataSize, f.riffSize, f.fileSize], [400, 436, 444]);
  t.equal(soxSamples(path).length, 200);
});

t.test('a placeholder size of 0xFFFFFFFF (streaming writers) is repaired too', async (t) => {
  const path = join(tempDir(t, 'repair'), 'streamed.wav');
  wavFile(path, { channels: 1, declaredData: 0xffffffff, dataBytes: 1000, riff: 0xffffffff });
  t.same(await repairWav(path), { repaired: true, dataBytes: 1000, truncatedBytes: 0 });
  t.equal(ffprobeStream(path).duration_ts, 500);
});

t.test('a correct file and a file with chunks after its data are left alone', async (t) => {
  const dir = tempDir(t, 'repair');
  const good = join(dir, 'good.wav');
  wavFile(good, { channels: 1, declaredData: 800, dataBytes: 800 });
  const before = readFileSync(good);
  t.same(await repairWav(good), { repaired: false, dataBytes: 800, truncatedBytes: 0 });
  t.same(readFileSync(good), before);

  const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([4, 0, 0, 0]), Buffer.from('INFO')]);
  const tagged = join(dir, 'tagged.wav');
  wavFile(tagged, { channels: 1, declaredData: 800, dataBytes: 800, riff: 36 + 800 + list.length, tail: list });
  const taggedBefore = readFileSync(tagged);
  t.same(await repairWav(tagged), { repaired: false, dataBytes: 800, truncatedBytes: 0 });
  t.same(readFileSync(tagged), taggedBefore);
});

t.test('what is not a WAV file is refused with a clear error and left as it is', async (t) => {
  const dir = tempDir(t, 'repair');
  const text = join(dir, 'notes.wav');
  writeFileSync(text, 'these are not samples');
  await t.rejects(repairWav(text), { code: 'PBX_ERR_RECORDING_NOT_WAV', message: /notes\.wav .*no RIFF\/WAVE header/ });
  t.equal(readFileSync(text, 'utf8'), 'these are not samples');
  const empty = join(dir, 'empty.wav');
  writeFileSync(empty, '');
  await t.rejects(repairWav(empty), { code: 'PBX_ERR_RECORDING_NOT_WAV' });
  const noData = join(dir, 'nodata.wav');
  writeFileSync(noData, Buffer.from(new Uint8Array(44).fill(0x20)).fill('RIFF', 0, 4).fill('WAVE', 8, 12));
  await t.rejects(repairWav(noData), { code: 'PBX_ERR_RECORDING_NOT_WAV' });
});

t.test('the start-up pass repairs the recordings under the directory that are older than its start, and logs what it could not', async (t) => {
  const dir = tempDir(t, 'repair');
  const old = new Date(Date.now() - 3_600_000);
  const cut = join(dir, '2026', '11', '24', 'cut.wav');
  const live = join(dir, '2026', '11', '25', 'live.wav');
  const junk = join(dir, 'junk.wav');
  const other = join(dir, 'readme.txt');
  for (const p of [cut, live]) mkdirSync(join(p, '..'), { recursive: true });
  wavFile(cut, { channels: 1, declaredData: 0, dataBytes: 640 });
  wavFile(live, { channels: 1, declaredData: 0, dataBytes: 640 });
  writeFileSync(junk, 'x');
  writeFileSync(other, 'x');
  for (const p of [cut, junk, other]) utimesSync(p, old, old);
  const before = new Date(Date.now() - 60_000);
  utimesSync(live, new Date(), new Date());
  const lines: LogLine[] = [];
  const summary = await repairRecordings(dir, { before, log: memoryLog(lines) });
  t.same(summary, { checked: 2, repaired: 1, failed: 1 });
  t.equal(readWavFile(cut).dataSize, 640);
  t.equal(readWavFile(live).dataSize, 0, 'a file being written (modified after the start) is not touched');
  t.same(lines.map((l) => `${l.level} ${l.msg}: ${String(l.obj.path)}`).sort(), [
    `info recording cut by a crash repaired: ${cut}`,
    `warn recording could not be repaired: ${junk}`,
  ]);
  t.equal(statSync(other).size, 1, 'other files are not WAVs to repair');
  t.same(await repairRecordings(join(dir, 'missing'), { before, log: memoryLog(lines) }), { checked: 0, repaired: 0, failed: 0 }, 'no directory, nothing to do');
});

t.test('trimWavEnd cuts the last milliseconds off a recording and fixes both sizes; never below empty', async (t) => {
  const dir = tempDir(t, 'trim');
  const path = join(dir, 'message.wav');
  wavFile(path, { channels: 1, declaredData: 16000, dataBytes: 16000 });
  t.equal(await trimWavEnd(path, 250), 750, '1 s of 8 kHz mono less 250 ms');
  const b = readFileSync(path);
  t.equal(b.length, 44 + 12000);
  t.equal(b.readUInt32LE(40), 12000, 'data size');
  t.equal(b.readUInt32LE(4), 36 + 12000, 'RIFF size');
  t.equal(b.readInt16LE(44 + 2 * 5999), sampleAt(5999, 0), 'the audio before the cut is untouched');
  t.equal(await trimWavEnd(path, 5000), 0);
  t.equal(readFileSync(path).length, 44);
});
