// Sample rate conversion between 8, 16 and 48 kHz by a polyphase FIR: the input is (virtually)
// upsampled by L, low-passed below both Nyquist frequencies by a Blackman-windowed sinc, and every
// M-th sample kept; only the taps that meet real input samples are computed. The last input
// samples of a frame are kept so that frames join without a seam. Same API as the codec package's
// Resampler: process(input, out) returns the samples written, nothing is allocated per frame.
import { PbxError } from '../../util/errors.js';

const RATES = [8000, 16000, 48000];
/** Taps of the prototype per unit of max(L, M) per phase (more: sharper, slower). */
const TAPS_PER_RATIO = 24;
/** The longest frame process() takes: 20 ms at 48 kHz, times 6 for a 120 ms Opus packet. */
const MAX_INPUT = 5760;

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export class Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  readonly #up: number;
  readonly #down: number;
  /** The prototype filter, phase-major: taps[p * perPhase + k] = h[p + k * L]. */
  readonly #taps: Float32Array;
  readonly #perPhase: number;
  /** The last perPhase - 1 input samples, then the current frame. */
  readonly #work: Int16Array;
  /** Position of the next output in upsampled samples from the start of the current frame. */
  #pos = 0;

  constructor(fromRate: number, toRate: number) {
    if (!RATES.includes(fromRate) || !RATES.includes(toRate)) {
      throw new PbxError('PBX_ERR_MEDIA_RESAMPLE', `resampling is between ${RATES.join(', ')} Hz, not ${fromRate} to ${toRate}`);
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    const g = gcd(fromRate, toRate);
    const up = toRate / g;
    const down = fromRate / g;
    this.#up = up;
    this.#down = down;
    const ratio = Math.max(up, down);
    const perPhase = up === down ? 1 : Math.ceil((TAPS_PER_RATIO * ratio) / up);
    this.#perPhase = perPhase;
    const n = perPhase * up;
    const taps = new Float32Array(n);
    if (up === down) {
      taps[0] = 1;
    } else {
      // Cutoff at 0.45 of the lower Nyquist frequency, in cycles per upsampled sample.
      const fc = 0.45 / ratio;
      const mid = (n - 1) / 2;
      for (let i = 0; i < n; i++) {
        const x = i - mid;
        const sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
        const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (n - 1));
        const h = up * sinc * w;
        // Phase-major layout: output phase p uses h[p], h[p + L], h[p + 2L], ...
        taps[(i % up) * perPhase + Math.floor(i / up)] = h;
      }
    }
    this.#taps = taps;
    this.#work = new Int16Array(perPhase - 1 + MAX_INPUT);
  }

  /** Converts one frame; returns the samples written to out (input.length * toRate / fromRate). */
  process(input: Int16Array, out: Int16Array): number {
    const len = Math.min(input.length, MAX_INPUT);
    const hist = this.#perPhase - 1;
    const work = this.#work;
    work.set(input.subarray(0, len), hist);
    const up = this.#up;
    const down = this.#down;
    const per = this.#perPhase;
    const taps = this.#taps;
    const end = len * up;
    let u = this.#pos;
    let j = 0;
    while (u < end && j < out.length) {
      const base = Math.floor(u / up);
      const t0 = (u - base * up) * per;
      // Newest sample first: work[hist + base - k] meets tap k of the phase.
      let acc = 0;
      let x = hist + base;
      for (let k = 0; k < per; k++, x--) acc += taps[t0 + k]! * work[x]!;
      const v = Math.round(acc);
      out[j++] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      u += down;
    }
    this.#pos = u - end;
    work.copyWithin(0, len, len + hist);
    return j;
  }

  reset(): void {
    this.#work.fill(0);
    this.#pos = 0;
  }
}
