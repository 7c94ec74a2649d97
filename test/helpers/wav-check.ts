// Reading recordings back in tests: the header as written, and the samples as sox and ffprobe see
// them (independent readers, so that "playable" means playable elsewhere too).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface WavFile {
  riffSize: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  dataSize: number;
  /** The bytes after the 44-byte header, as 16-bit little-endian samples. */
  samples: Int16Array;
  fileSize: number;
}

/** Our own canonical 44-byte header, read field by field. */
export function readWavFile(path: string): WavFile {
  const b = readFileSync(path);
  const dataBytes = b.length - 44 - ((b.length - 44) % 2);
  const samples = new Int16Array(dataBytes / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = b.readInt16LE(44 + i * 2);
  return {
    riffSize: b.readUInt32LE(4),
    channels: b.readUInt16LE(22),
    sampleRate: b.readUInt32LE(24),
    bitsPerSample: b.readUInt16LE(34),
    dataSize: b.readUInt32LE(40),
    samples,
    fileSize: b.length,
  };
}

/** The samples sox decodes from the file (interleaved), as signed 16-bit. */
export function soxSamples(path: string): Int16Array {
  const raw = execFileSync('sox', ['-V1', path, '-t', 's16', '-e', 'signed-integer', '-b', '16', '-L', '-'], { maxBuffer: 256 * 1024 * 1024 });
  const out = new Int16Array(raw.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = raw.readInt16LE(i * 2);
  return out;
}

/** What ffprobe reports of the first audio stream. */
export function ffprobeStream(path: string): { codec_name: string; sample_rate: string; channels: number; duration_ts: number } {
  const json = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,sample_rate,channels,duration_ts', '-of', 'json', path], { encoding: 'utf8' });
  const streams = (JSON.parse(json) as { streams: { codec_name: string; sample_rate: string; channels: number; duration_ts: number }[] }).streams;
  if (streams.length === 0) throw new Error(`ffprobe found no stream in ${path}`);
  return streams[0]!;
}

/** Resolves when `condition` holds, checking every few ms; rejects after `limitMs`. */
export async function until(condition: () => boolean, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Index of the first sample where a and b differ (-1 when equal, the shorter length when one is a prefix). */
export function firstDifference(a: Int16Array, b: Int16Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
