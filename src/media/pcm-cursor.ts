// Reads a whole PCM buffer (a prompt) at the player's sample rate, a piece at a time, allocating
// nothing after load(). Between 8, 16 and 48 kHz it streams through the polyphase Resampler
// (codec/resample.ts), its filter delay skipped at the start and flushed out at the end so the
// output lines up with the input and has exactly length * to / from samples. Other rates
// (11.025, 22.05, 44.1 kHz...) use linear interpolation going up and the mean of the input
// samples each output spans going down (a box filter against aliasing). Equal rates: a copy.
import { Resampler } from './codec/resample.js';

const POLYPHASE_RATES = [8000, 16000, 48000];

interface Polyphase {
  resampler: Resampler;
  /** 20 ms of silence at the input rate, fed to flush the filter's delay at the end. */
  zeros: Int16Array;
  /** Output samples of the filter delay to drop at the start. */
  delay: number;
}

export class PcmCursor {
  readonly #polyphase = new Map<number, Polyphase>();
  /** 20 ms views of the buffers played, so that a loop does not rebuild them each time round. */
  readonly #views = new WeakMap<Int16Array, Int16Array[]>();
  #pcm: Int16Array = new Int16Array(0);
  #fromRate = 1;
  #toRate = 1;
  /** Output samples written so far, and in all. */
  #written = 0;
  #total = 0;
  #filter: Polyphase | null = null;
  /** The input in 20 ms views, fed to the filter one by one. */
  #chunks: Int16Array[] = [];
  #chunk = 0;
  /** Filter output not yet read: #scratch[#start, #end). */
  #scratch = new Int16Array(0);
  #start = 0;
  #end = 0;
  #skip = 0;

  /** Starts reading `pcm`; the 20 ms views are built once per buffer and kept while it lives. */
  load(pcm: Int16Array, fromRate: number, toRate: number): void {
    this.#pcm = pcm;
    this.#fromRate = fromRate;
    this.#toRate = toRate;
    this.#written = 0;
    this.#total = Math.ceil((pcm.length * toRate) / fromRate);
    this.#filter = fromRate !== toRate && POLYPHASE_RATES.includes(fromRate) && POLYPHASE_RATES.includes(toRate) ? this.#polyphaseFor(fromRate, toRate) : null;
    if (this.#filter === null) return;
    this.#filter.resampler.reset();
    this.#chunks = this.#chunksOf(pcm, fromRate / 50);
    this.#chunk = 0;
    this.#start = 0;
    this.#end = 0;
    this.#skip = this.#filter.delay;
  }

  #chunksOf(pcm: Int16Array, step: number): Int16Array[] {
    const known = this.#views.get(pcm);
    if (known !== undefined && known[0]!.length === Math.min(step, pcm.length)) return known;
    const chunks: Int16Array[] = [];
    for (let at = 0; at < pcm.length; at += step) chunks.push(pcm.subarray(at, at + step));
    if (chunks.length === 0) chunks.push(pcm);
    this.#views.set(pcm, chunks);
    return chunks;
  }

  get done(): boolean {
    return this.#written >= this.#total;
  }

  /** Writes up to `count` samples at out[offset...]; returns how many (fewer at the end). */
  read(out: Int16Array, offset: number, count: number): number {
    const n = Math.min(count, this.#total - this.#written);
    if (this.#filter !== null) this.#readFiltered(out, offset, n);
    else if (this.#fromRate === this.#toRate) {
      const pcm = this.#pcm;
      const k0 = this.#written;
      for (let i = 0; i < n; i++) out[offset + i] = pcm[k0 + i]!;
    } else if (this.#fromRate < this.#toRate) this.#interpolate(out, offset, n);
    else this.#average(out, offset, n);
    this.#written += n;
    return n;
  }

  #polyphaseFor(fromRate: number, toRate: number): Polyphase {
    let p = this.#polyphase.get(fromRate);
    if (p === undefined || p.resampler.toRate !== toRate) {
      const resampler = new Resampler(fromRate, toRate);
      p = { resampler, zeros: new Int16Array(fromRate / 50), delay: Math.round(resampler.delay) };
      this.#polyphase.set(fromRate, p);
      // room for one 20 ms output, which may vary by a sample with the filter phase
      if (this.#scratch.length < toRate / 50 + 2) this.#scratch = new Int16Array(toRate / 50 + 2);
    }
    return p;
  }

  #readFiltered(out: Int16Array, offset: number, n: number): void {
    const filter = this.#filter!;
    const scratch = this.#scratch;
    let done = 0;
    while (done < n) {
      if (this.#start === this.#end) {
        const input = this.#chunk < this.#chunks.length ? this.#chunks[this.#chunk++]! : filter.zeros;
        this.#end = filter.resampler.process(input, scratch);
        this.#start = Math.min(this.#skip, this.#end);
        this.#skip -= this.#start;
        continue;
      }
      const k = Math.min(n - done, this.#end - this.#start);
      for (let i = 0; i < k; i++) out[offset + done + i] = scratch[this.#start + i]!;
      this.#start += k;
      done += k;
    }
  }

  #interpolate(out: Int16Array, offset: number, n: number): void {
    const pcm = this.#pcm;
    const length = pcm.length;
    const from = this.#fromRate;
    const to = this.#toRate;
    const k0 = this.#written;
    for (let i = 0; i < n; i++) {
      const scaled = (k0 + i) * from;
      const at = Math.floor(scaled / to);
      const a = pcm[at]!;
      const b = at + 1 < length ? pcm[at + 1]! : a;
      out[offset + i] = Math.round(a + ((b - a) * (scaled - at * to)) / to);
    }
  }

  #average(out: Int16Array, offset: number, n: number): void {
    const pcm = this.#pcm;
    const length = pcm.length;
    const from = this.#fromRate;
    const to = this.#toRate;
    const k0 = this.#written;
    for (let i = 0; i < n; i++) {
      const start = Math.floor(((k0 + i) * from) / to);
      const end = Math.min(length, Math.floor(((k0 + i + 1) * from) / to));
      let sum = 0;
      for (let j = start; j < end; j++) sum += pcm[j]!;
      out[offset + i] = end > start ? Math.round(sum / (end - start)) : pcm[start]!;
    }
  }
}

/**
 * A whole prompt converted to `toRate` at once, the same samples the cursor would give. For
 * callers that keep prompts and music on hold in memory at the leg rate and share them between
 * calls: playing at the player's own rate is a plain copy.
 */
export function resamplePcm(pcm: Int16Array, fromRate: number, toRate: number): Int16Array {
  const cursor = new PcmCursor();
  cursor.load(pcm, fromRate, toRate);
  const out = new Int16Array(Math.ceil((pcm.length * toRate) / fromRate));
  cursor.read(out, 0, out.length);
  return out;
}
