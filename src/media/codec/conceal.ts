/**
 * Packet loss concealment for the waveform codecs (G.711, G.722, L16), in the spirit of
 * ITU-T G.711 Appendix I without its pitch search: a lost frame repeats the last good frame,
 * each further loss in a row at half the level of the one before, and silence from the fifth on.
 */
export class FrameRepeater {
  readonly #last: Int16Array;
  #length = 0;
  #losses = 0;

  constructor(maxSamples: number) {
    this.#last = new Int16Array(maxSamples);
  }

  /** Remembers a good frame (call after every successful decode). */
  keep(pcm: Int16Array, n: number): void {
    const m = n < this.#last.length ? n : this.#last.length;
    this.#last.set(pcm.subarray(0, m));
    this.#length = m;
    this.#losses = 0;
  }

  /** Writes one concealed frame of n samples into out; returns n. */
  conceal(out: Int16Array, n: number): number {
    if (n > out.length) n = out.length;
    const shift = this.#losses++;
    const len = this.#length;
    if (len === 0 || shift >= 4) {
      out.fill(0, 0, n);
      return n;
    }
    const last = this.#last;
    for (let i = 0; i < n; i++) out[i] = last[i % len] >> shift;
    return n;
  }

  reset(): void {
    this.#length = 0;
    this.#losses = 0;
  }
}
