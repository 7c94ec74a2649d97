// Reads a whole PCM buffer (a prompt) at another sample rate, a piece at a time, allocating
// nothing: linear interpolation when the rate goes up, the mean of the input samples each output
// sample spans when it goes down (a box filter against aliasing), a plain copy when equal.
// Positions are computed from the output sample count, so they never drift.
export class PcmCursor {
  #pcm: Int16Array = new Int16Array(0);
  #fromRate = 1;
  #toRate = 1;
  /** Output samples written so far, and in all. */
  #written = 0;
  #total = 0;

  load(pcm: Int16Array, fromRate: number, toRate: number): void {
    this.#pcm = pcm;
    this.#fromRate = fromRate;
    this.#toRate = toRate;
    this.#written = 0;
    this.#total = Math.ceil((pcm.length * toRate) / fromRate);
  }

  get done(): boolean {
    return this.#written >= this.#total;
  }

  /** Writes up to `count` samples at out[offset...]; returns how many (fewer at the end). */
  read(out: Int16Array, offset: number, count: number): number {
    const pcm = this.#pcm;
    const length = pcm.length;
    const from = this.#fromRate;
    const to = this.#toRate;
    const k0 = this.#written;
    const n = Math.min(count, this.#total - k0);
    if (from === to) {
      for (let i = 0; i < n; i++) out[offset + i] = pcm[k0 + i]!;
    } else if (from < to) {
      for (let i = 0; i < n; i++) {
        const scaled = (k0 + i) * from;
        const at = Math.floor(scaled / to);
        const a = pcm[at]!;
        const b = at + 1 < length ? pcm[at + 1]! : a;
        out[offset + i] = Math.round(a + ((b - a) * (scaled - at * to)) / to);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const start = Math.floor(((k0 + i) * from) / to);
        const end = Math.min(length, Math.floor(((k0 + i + 1) * from) / to));
        let sum = 0;
        for (let j = start; j < end; j++) sum += pcm[j]!;
        out[offset + i] = end > start ? Math.round(sum / (end - start)) : pcm[start]!;
      }
    }
    this.#written = k0 + n;
    return n;
  }
}
