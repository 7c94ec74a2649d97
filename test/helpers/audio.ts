import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A sine of freq Hz at amplitude amp (of 32767), n samples at rate, starting at phase 0. */
export function sine(rate: number, freq: number, amp: number, n: number): Int16Array {
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) pcm[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * i) / rate));
  return pcm;
}

/**
 * A deterministic speech-like signal: a glottal pulse train (pitch gliding 100..180 Hz) through
 * two formant resonators that move between vowel positions, in syllables of 200 ms with pauses.
 */
export function speechLike(rate: number, seconds: number): Int16Array {
  const n = Math.round(rate * seconds);
  const pcm = new Int16Array(n);
  const vowels = [
    [730, 1090],
    [270, 2290],
    [300, 870],
    [530, 1840],
  ];
  let phase = 0;
  const y1 = [0, 0];
  const y2 = [0, 0];
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const syllable = Math.floor(t / 0.25);
    const inSyllable = (t % 0.25) / 0.2;
    const envelope = inSyllable < 1 ? Math.sin(Math.PI * inSyllable) : 0;
    const pitch = 100 + 80 * (0.5 + 0.5 * Math.sin(2 * Math.PI * 0.7 * t));
    phase += pitch / rate;
    const pulse = phase >= 1 ? 1 : 0;
    if (phase >= 1) phase -= 1;
    const [f1, f2] = vowels[syllable % vowels.length];
    let out = 0;
    for (const [k, f, y] of [
      [0, f1, y1],
      [1, f2, y2],
    ] as const) {
      const r = Math.exp((-Math.PI * 80) / rate);
      const c = 2 * r * Math.cos((2 * Math.PI * f) / rate);
      const v = pulse + c * y[0] - r * r * y[1];
      y[1] = y[0];
      y[0] = v;
      out += k === 0 ? v : 0.5 * v;
    }
    pcm[i] = Math.max(-32768, Math.min(32767, Math.round(2500 * envelope * out)));
  }
  return pcm;
}

/** Signal-to-noise ratio in dB of b against the reference a, b delayed by lag samples. */
export function snrDb(a: Int16Array, b: Int16Array, lag = 0, from = 0): number {
  let signal = 0;
  let noise = 0;
  for (let i = from; i < a.length && i + lag < b.length; i++) {
    signal += a[i] * a[i];
    const e = a[i] - b[i + lag];
    noise += e * e;
  }
  return 10 * Math.log10(signal / Math.max(noise, 1e-9));
}

/** The lag in minLag..maxLag at which b matches a best (highest SNR). */
export function bestLag(a: Int16Array, b: Int16Array, maxLag: number, minLag = 0): number {
  let best = minLag;
  let bestSnr = -Infinity;
  for (let lag = minLag; lag <= maxLag; lag++) {
    const s = snrDb(a, b, lag);
    if (s > bestSnr) {
      bestSnr = s;
      best = lag;
    }
  }
  return best;
}

/** Root mean square level of pcm[from..to). */
export function rms(pcm: Int16Array, from = 0, to = pcm.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += pcm[i] * pcm[i];
  return Math.sqrt(sum / Math.max(1, to - from));
}

/** True when the command exists on PATH. */
export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** Reads a raw little-endian s16 file. */
export function readRawS16(path: string): Int16Array {
  const b = readFileSync(path);
  const copy = new Int16Array(b.length >> 1);
  for (let i = 0; i < copy.length; i++) copy[i] = b.readInt16LE(2 * i);
  return copy;
}

/** Speech spoken by espeak-ng, resampled by sox to rate (raw s16 mono), or null without the tools. */
export function espeakSpeech(dir: string, rate: number, text: string): Int16Array | null {
  if (!hasTool('espeak-ng') || !hasTool('sox')) return null;
  const wav = join(dir, 'speech.wav');
  const raw = join(dir, 'speech.raw');
  if (spawnSync('espeak-ng', ['-w', wav, text]).status !== 0) return null;
  const r = spawnSync('sox', ['-D', wav, '-r', String(rate), '-c', '1', '-b', '16', '-e', 'signed', '-t', 'raw', raw]);
  return r.status === 0 ? readRawS16(raw) : null;
}

// Measurements on 16-bit PCM for media tests: tone power (Goertzel), frequency from zero crossings,
// RMS, and the on/off cadence of a tone.

/** Power of `freq` in pcm[from, to) by the Goertzel algorithm, normalised so a full-scale sine gives ~0.25. */
export function goertzel(pcm: Int16Array, sampleRate: number, freq: number, from = 0, to = pcm.length): number {
  const n = to - from;
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < to; i++) {
    const s0 = pcm[i]! / 32768 + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (n * n);
}

/**
 * Power of pcm between lo and hi Hz: goertzel() of every 50 Hz bin in the band, summed, over
 * 20 ms windows, averaged (on goertzel()'s scale: a full-scale sine in the band gives ~0.25).
 * Measures coded audio fairly where a codec keeps a band's energy but not its tones (Opus above
 * 8 kHz at low bitrates).
 */
export function bandPower(pcm: Int16Array, sampleRate: number, lo: number, hi: number): number {
  const win = sampleRate / 50;
  let sum = 0;
  let windows = 0;
  for (let at = 0; at + win <= pcm.length; at += win, windows++) {
    for (let f = Math.ceil(lo / 50) * 50; f <= hi; f += 50) sum += goertzel(pcm, sampleRate, f, at, at + win);
  }
  return windows === 0 ? 0 : sum / windows;
}

/** Frequency estimated from rising zero crossings, interpolated between samples. */
export function zeroCrossingFrequency(pcm: Int16Array, sampleRate: number, from = 0, to = pcm.length): number {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = from + 1; i < to; i++) {
    const a = pcm[i - 1]!;
    const b = pcm[i]!;
    if (a < 0 && b >= 0) {
      const at = i - 1 + -a / (b - a);
      if (first < 0) first = at;
      else count++;
      last = at;
    }
  }
  return count === 0 ? 0 : (count * sampleRate) / (last - first);
}

/** The lengths in ms of alternating on/off runs, judged on 5 ms windows against `threshold` RMS. */
export function cadence(pcm: Int16Array, sampleRate: number, threshold = 300): { on: boolean; ms: number }[] {
  const win = sampleRate / 200;
  const runs: { on: boolean; ms: number }[] = [];
  for (let i = 0; i + win <= pcm.length; i += win) {
    const on = rms(pcm, i, i + win) > threshold;
    const lastRun = runs[runs.length - 1];
    if (lastRun !== undefined && lastRun.on === on) lastRun.ms += 5;
    else runs.push({ on, ms: 5 });
  }
  return runs;
}

/** The largest absolute difference between neighbouring samples: a click shows as a jump. */
export function maxStep(pcm: Int16Array): number {
  let max = 0;
  for (let i = 1; i < pcm.length; i++) max = Math.max(max, Math.abs(pcm[i]! - pcm[i - 1]!));
  return max;
}
