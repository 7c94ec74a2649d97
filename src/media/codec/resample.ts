import { PbxError } from '../../util/errors.js';

// Rational sample rate conversion between 8000, 16000 and 48000 Hz by a polyphase FIR: upsample
// by L, low-pass, downsample by M, computing only the outputs kept. The prototype low-pass is a
// Kaiser-windowed sinc designed once per rate pair at construction: cut-off at the lower
// Nyquist, passband to 85 % of it, stopband from 115 % of it (anything aliasing from there lands
// above the passband), 80 dB design attenuation. Streaming: the last taps-1 input samples are
// kept between calls, so frames join without clicks and any split of the input gives the same
// output. process() allocates nothing.

const RATES = [8000, 16000, 48000];
const ATTENUATION_DB = 80;
const PASS = 0.85;
const STOP = 1.15;

const clamp16 = (x: number): number => {
  const v = Math.round(x);
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
};

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50 && term > 1e-12 * sum; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

/**
 * Polyphase coefficients of the prototype low-pass for upsampling by L: phase p's taps are
 * h[p], h[p + L], h[p + 2L], ... laid out at p * taps, scaled by L to keep unity gain.
 */
function designPolyphase(L: number, inRate: number, outRate: number): { coeffs: Float32Array; taps: number } {
  const rate = inRate * L; // the rate the prototype filter runs at
  const nyquist = Math.min(inRate, outRate) / 2;
  const transition = ((STOP - PASS) * nyquist) / rate; // cycles per sample
  const cutoff = nyquist / rate;
  // Kaiser's estimates: filter length and window shape for the attenuation and transition.
  const length = Math.ceil((ATTENUATION_DB - 8) / (2.285 * 2 * Math.PI * transition)) + 1;
  const taps = Math.ceil(length / L);
  const n = taps * L;
  const beta = 0.1102 * (ATTENUATION_DB - 8.7);
  const i0Beta = besselI0(beta);
  const centre = (n - 1) / 2;
  const coeffs = new Float32Array(n);
  for (let p = 0; p < L; p++) {
    for (let j = 0; j < taps; j++) {
      const i = p + j * L;
      const x = i - centre;
      const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
      const r = x / centre;
      const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
      coeffs[p * taps + j] = sinc * window * L;
    }
  }
  return { coeffs, taps };
}

export class Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Group delay in output samples (0 when the rates are equal). */
  readonly delay: number;
  readonly #L: number;
  readonly #M: number;
  readonly #taps: number;
  readonly #coeffs: Float32Array;
  /** taps-1 samples of history, then the current input; grown (rarely) for a longer input. */
  #buf: Float32Array;
  /** Time of the next output in 1/L input samples from the start of the next input. */
  #t = 0;

  constructor(fromRate: number, toRate: number) {
    if (!RATES.includes(fromRate) || !RATES.includes(toRate)) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `resampling is for ${RATES.join('/')} Hz, got ${fromRate} -> ${toRate}`);
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    const g = gcd(fromRate, toRate);
    this.#L = toRate / g;
    this.#M = fromRate / g;
    if (fromRate === toRate) {
      this.#taps = 0;
      this.#coeffs = new Float32Array(0);
      this.#buf = new Float32Array(0);
      this.delay = 0;
      return;
    }
    const { coeffs, taps } = designPolyphase(this.#L, fromRate, toRate);
    this.#taps = taps;
    this.#coeffs = coeffs;
    this.#buf = new Float32Array(taps - 1 + fromRate / 50); // history + one 20 ms frame
    this.delay = (taps * this.#L - 1) / 2 / this.#M;
  }

  /** Output samples that an input of n samples gives now (it varies by one with odd splits). */
  outputLength(n: number): number {
    if (this.#taps === 0) return n;
    const end = n * this.#L;
    return this.#t >= end ? 0 : Math.ceil((end - this.#t) / this.#M);
  }

  /** Converts input (any length) into out; returns the samples written. Throws when out is short. */
  process(input: Int16Array, out: Int16Array): number {
    const nIn = input.length;
    const need = this.outputLength(nIn);
    if (need > out.length) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `resampler output needs ${need} samples, has ${out.length}`);
    }
    if (this.#taps === 0) {
      out.set(input);
      return nIn;
    }
    const taps = this.#taps;
    const hist = taps - 1;
    if (this.#buf.length < hist + nIn) {
      const grown = new Float32Array(hist + nIn);
      grown.set(this.#buf.subarray(0, hist));
      this.#buf = grown;
    }
    const buf = this.#buf;
    for (let i = 0; i < nIn; i++) buf[hist + i] = input[i];
    const L = this.#L;
    const M = this.#M;
    const coeffs = this.#coeffs;
    let t = this.#t;
    const end = nIn * L;
    let k = 0;
    if (L === 1) {
      // Decimation: one phase, symmetric taps (h[j] = h[taps-1-j]), so pairs share a multiply.
      const half = taps >> 1;
      const odd = taps & 1;
      while (t < end) {
        const newest = hist + t;
        const oldest = t;
        let acc = odd === 1 ? coeffs[half] * buf[oldest + half] : 0;
        for (let j = 0; j < half; j++) acc += coeffs[j] * (buf[newest - j] + buf[oldest + j]);
        out[k++] = clamp16(acc);
        t += M;
      }
    } else {
      while (t < end) {
        const n = (t / L) | 0;
        const base = (t - n * L) * taps;
        // y = sum_j h[p + jL] * x[n - j]; x[n - j] sits at buf[hist + n - j].
        let acc = 0;
        let x = hist + n;
        for (let j = 0; j < taps; j++) acc += coeffs[base + j] * buf[x--];
        out[k++] = clamp16(acc);
        t += M;
      }
    }
    this.#t = t - end;
    buf.copyWithin(0, nIn, nIn + hist);
    return k;
  }

  /** Forgets the history (a new stream starts). */
  reset(): void {
    this.#buf.fill(0);
    this.#t = 0;
  }
}
