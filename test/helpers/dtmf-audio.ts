// Audio for the DTMF detector tests: tones computed here or made by sox, white noise from a seeded
// generator, speech from espeak-ng, and a feeder that runs a detector frame by frame.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InbandDtmfDetector } from '../../src/media/dtmf/goertzel.js';

const ROWS: Record<string, number> = { '1': 697, '2': 697, '3': 697, A: 697, '4': 770, '5': 770, '6': 770, B: 770, '7': 852, '8': 852, '9': 852, C: 852, '*': 941, '0': 941, '#': 941, D: 941 };
const COLS: Record<string, number> = { '1': 1209, '4': 1209, '7': 1209, '*': 1209, '2': 1336, '5': 1336, '8': 1336, '0': 1336, '3': 1477, '6': 1477, '9': 1477, '#': 1477, A: 1633, B: 1633, C: 1633, D: 1633 };

/** Amplitude of a sine at `dbm0` in 16-bit PCM (G.711: +3.17 dBm0 at full scale). */
export function amplitude(dbm0: number): number {
  return 32767 * 10 ** ((dbm0 - 3.17) / 20);
}

export interface ToneOptions {
  /** Level of each tone in dBm0 (default -10 both). */
  rowDbm0?: number;
  colDbm0?: number;
  /** Relative frequency error, 0.015 = +1.5%. */
  rowDeviation?: number;
  colDeviation?: number;
}

export function dtmfTone(rate: number, key: string, ms: number, o: ToneOptions = {}): Int16Array {
  const n = Math.round((rate * ms) / 1000);
  const fr = ROWS[key]! * (1 + (o.rowDeviation ?? 0));
  const fc = COLS[key]! * (1 + (o.colDeviation ?? 0));
  const ar = amplitude(o.rowDbm0 ?? -10);
  const ac = amplitude(o.colDbm0 ?? -10);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Math.round(ar * Math.sin((2 * Math.PI * fr * i) / rate + 0.3) + ac * Math.sin((2 * Math.PI * fc * i) / rate + 1.1));
  }
  return out;
}

export function silence(rate: number, ms: number): Int16Array {
  return new Int16Array(Math.round((rate * ms) / 1000));
}

export function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Adds white noise (uniform, seeded) at `dbm0` mean power; saturates. */
export function addNoise(pcm: Int16Array, dbm0: number, seed = 1): Int16Array {
  // Uniform in [-a, a] has power a^2 / 3; a sine of amplitude A has A^2 / 2.
  const a = amplitude(dbm0) * Math.sqrt(3 / 2);
  let s = seed >>> 0;
  const out = new Int16Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = pcm[i]! + (s / 2 ** 32 - 0.5) * 2 * a;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
  }
  return out;
}

function readRaw(path: string): Int16Array {
  const buf = readFileSync(path);
  const out = new Int16Array(buf.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(i * 2);
  return out;
}

/** Runs sox writing raw signed 16-bit mono at `rate`; `args` come between the input and the output. */
export function sox(dir: string, name: string, rate: number, input: string[], effects: string[] = []): Int16Array {
  const out = join(dir, `${name}.raw`);
  execFileSync('sox', [...input, '-r', String(rate), '-b', '16', '-e', 'signed-integer', '-c', '1', '-t', 'raw', out, ...effects], { stdio: 'pipe' });
  return readRaw(out);
}

/** A DTMF digit made by sox: two sines mixed to one channel, `ms` long, each tone at about -10 dBm0. */
export function soxDigit(dir: string, rate: number, key: string, ms: number): Int16Array {
  return sox(dir, `digit-${rate}-${key === '*' ? 'star' : key === '#' ? 'hash' : key}-${ms}`, rate, ['-n'], [
    'synth', String(ms / 1000), 'sine', String(ROWS[key]), 'sine', String(COLS[key]), 'remix', '1,2', 'vol', '0.44',
  ]);
}

/** espeak-ng speech resampled by sox to `rate`. */
export function speech(dir: string, rate: number, text: string, voice = 'en'): Int16Array {
  const wav = join(dir, `speech-${voice}.wav`);
  execFileSync('espeak-ng', ['-v', voice, '-w', wav, text], { stdio: 'pipe' });
  return sox(dir, `speech-${voice}-${rate}`, rate, [wav]);
}

/** Feeds `pcm` in 20 ms frames; returns the digits with the time (ms) of the frame that gave each. */
export function detect(detector: InbandDtmfDetector, pcm: Int16Array): Array<{ digit: string; atMs: number }> {
  const frame = detector.sampleRate / 50;
  const found: Array<{ digit: string; atMs: number }> = [];
  for (let at = 0; at < pcm.length; at += frame) {
    const chunk = pcm.subarray(at, Math.min(pcm.length, at + frame));
    const d = detector.process(chunk, chunk.length);
    if (d !== null) found.push({ digit: d, atMs: ((at + chunk.length) * 1000) / detector.sampleRate });
  }
  return found;
}

export function digitsOf(found: Array<{ digit: string }>): string {
  return found.map((f) => f.digit).join('');
}
