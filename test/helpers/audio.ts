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

export function rms(pcm: Int16Array, from = 0, to = pcm.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += pcm[i]! * pcm[i]!;
  return to > from ? Math.sqrt(sum / (to - from)) : 0;
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
