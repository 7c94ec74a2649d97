// A peak limiter for the conference mix: writes (sum - own) to 16-bit PCM, scaled down smoothly
// when the sum of several talkers would pass the ceiling, so that a crowd sounds loud instead of
// hard-clipped (the square-wave buzz of plain saturation).
// Instant attack: the envelope jumps to any sample above it, so the output never passes the
// ceiling and needs no look-ahead buffer (no added delay). Exponential release (RELEASE_MS), so the
// gain recovers over a syllable rather than pumping at the pitch period.
// The envelope matters only while it is above the ceiling; below it the path is a subtraction and a
// compare per sample, which is what a conference hears nearly all the time.

/** The output ceiling: -1.9 dBFS, headroom for the resamplers' filter overshoot before encoding. */
export const LIMITER_CEILING = 26214;
/** Release time constant of the gain envelope. */
export const LIMITER_RELEASE_MS = 80;

export class PeakLimiter {
  /** Peak envelope, in the units of the sum; at or below LIMITER_CEILING it has no effect. */
  envelope = 0;
  readonly #release: number;

  constructor(sampleRate: number) {
    this.#release = Math.exp(-1000 / (LIMITER_RELEASE_MS * sampleRate));
  }

  /**
   * out[i] = limit(sum[i] - own[i]) for i < n; own null means subtract nothing.
   * |out| never exceeds LIMITER_CEILING.
   */
  process(sum: Int32Array, own: Int16Array | null, out: Int16Array, n: number): void {
    const ceiling = LIMITER_CEILING;
    const release = this.#release;
    let env = this.envelope;
    for (let i = 0; i < n; i++) {
      const v = own === null ? sum[i]! : sum[i]! - own[i]!;
      const a = v < 0 ? -v : v;
      if (a <= ceiling && env <= ceiling) {
        out[i] = v;
        continue;
      }
      if (a > env) env = a;
      out[i] = (v * ceiling) / env;
      env *= release;
    }
    this.envelope = env;
  }
}

/** out[i] = sum[i] - own[i] clamped to 16 bits: plain saturation, the mixer's no-limiter mode. */
export function saturate(sum: Int32Array, own: Int16Array | null, out: Int16Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = own === null ? sum[i]! : sum[i]! - own[i]!;
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
}
