import { FrameRepeater } from './conceal.js';
import type { AudioCodec } from './types.js';

// ITU-T G.722 (09/2012) at 64 kbit/s (mode 1): 16 kHz PCM split by a 24-tap QMF into two 8 kHz
// sub-bands, the lower coded with 6-bit ADPCM, the higher with 2-bit ADPCM, one octet per pair
// of input samples (higher band in the top 2 bits). RFC 3551 4.5.2: the RTP clock is 8000 even
// though the audio is sampled at 16000, so a 20 ms frame is 320 samples, 160 octets and a
// timestamp step of 160. Block names in comments are the ones of G.722 section 6.

/** G.722 Table 11: QMF coefficients h0..h23 (symmetric: h(i) = h(23 - i)). */
const QMF = new Int32Array([
  3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876, 3876, 951, -805, -210, 362, 32, -156, 12,
  53, -11, -11, 3,
]);

/** G.722 Table 6: lower-band decision levels, scaled by 2^12 against DETL. */
const Q6 = new Int32Array([
  0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121,
  1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
]);

/** G.722 Table 6: 6-bit output levels (scaled by 2^15 against DETL), indexed by the level number. */
const QQ6 = [
  136, 432, 728, 1040, 1360, 1688, 2032, 2400, 2776, 3168, 3576, 4008, 4464, 4944, 5456, 6000, 6576, 7192,
  7856, 8576, 9360, 10232, 11192, 12280, 13512, 14984, 16704, 19008, 21904, 24808,
];

/** G.722 Table 7: 4-bit output levels (the lower band's prediction works on the top 4 bits). */
const QQ4 = [0, 1200, 2584, 4240, 6288, 8968, 12896, 20456];

/**
 * G.722 Table 6 code words: positive interval k (1..30, k = 1 nearest zero) is sent as 62 - k,
 * negative interval k as 34 - k for k >= 3 and 64 - k for k = 1, 2 (codes 60..63 are the four
 * inner levels; codes 0..3 are never sent).
 */
const ILP = new Int32Array(31);
const ILN = new Int32Array(31);
/** Reconstructed lower-band value (before scaling) of each 6-bit code. */
const QM6 = new Int32Array(64);
/** Reconstructed 4-bit value of each 4-bit code IL >> 2 (G.722 block 2L, INVQAL). */
const QM4 = new Int32Array(16);
/** Lower-band log scale factor step of each 4-bit code (G.722 Table 8: WL via RIL). */
const WL4 = new Int32Array(16);
for (let k = 1; k <= 30; k++) {
  ILP[k] = 62 - k;
  ILN[k] = k <= 2 ? 64 - k : 34 - k;
  QM6[ILP[k]] = QQ6[k - 1];
  QM6[ILN[k]] = -QQ6[k - 1];
}
for (let c = 0; c < 4; c++) QM6[c] = -QQ6[0]; // never sent: decode as the smallest negative level
{
  // 4-bit codes: 8..14 positive (14 nearest zero), 1..7 negative (7 nearest zero), 0 and 15 zero.
  const wl = [-60, -30, 58, 172, 334, 538, 1198, 3042]; // G.722 Table 8, by magnitude rank 0..7
  for (let m = 1; m <= 7; m++) {
    QM4[15 - m] = QQ4[m];
    QM4[8 - m] = -QQ4[m];
    WL4[15 - m] = wl[m];
    WL4[8 - m] = wl[m];
  }
  WL4[0] = wl[0];
  WL4[15] = wl[0];
}

/** G.722 Table 9: higher-band output levels (scaled by 2^15 against DETH) of the 2-bit codes. */
const QM2 = new Int32Array([-7408, -1616, 7408, 1616]);
/** G.722 Table 10: higher-band log scale factor step of each 2-bit code. */
const WH2 = new Int32Array([798, -214, 798, -214]);

/** G.722 block 3L/3H ILB table: 2048 * 2^(i/32), the mantissa of the linear scale factor. */
const ILB = new Int32Array(32);
for (let i = 0; i < 32; i++) ILB[i] = Math.round(2048 * 2 ** (i / 32));

const sat16 = (x: number): number => (x > 32767 ? 32767 : x < -32768 ? -32768 : x);

/**
 * The adaptive predictor and scale factor of one sub-band (G.722 blocks 3 and 4): a second-order
 * pole section over the reconstructed signal and a sixth-order zero section over the quantised
 * difference, each with sign-sign coefficient adaptation.
 */
class SubBand {
  /** Predicted signal S. */
  s = 0;
  /** Zero-section part of the prediction, SZ. */
  sz = 0;
  /** Log scale factor NBL / NBH. */
  nb = 0;
  /** Linear scale factor DETL / DETH. */
  det: number;
  /** Pole coefficients A1, A2 and their last two partial reconstructions P(n-1), P(n-2). */
  a1 = 0;
  a2 = 0;
  p1 = 0;
  p2 = 0;
  /** Reconstructed signal R(n-1), R(n-2). */
  r1 = 0;
  r2 = 0;
  /** Zero coefficients B1..B6 and quantised differences D(n-1)..D(n-6) (index 0 unused). */
  readonly b = new Int32Array(7);
  readonly d = new Int32Array(7);

  constructor(
    private readonly nbMax: number,
    private readonly shiftBase: number,
    private readonly detInitial: number,
  ) {
    this.det = detInitial;
  }

  /** G.722 blocks 3L/3H LOGSCL/LOGSCH then SCALEL/SCALEH: leak the log factor, step, rebuild DET. */
  adaptScale(step: number): void {
    let nb = ((this.nb * 127) >> 7) + step;
    if (nb < 0) nb = 0;
    else if (nb > this.nbMax) nb = this.nbMax;
    this.nb = nb;
    const shift = this.shiftBase - (nb >> 11);
    const mantissa = ILB[(nb >> 6) & 31];
    this.det = (shift < 0 ? mantissa << -shift : mantissa >> shift) << 2;
  }

  /** G.722 block 4: reconstruct, adapt the predictor to the quantised difference dq, predict. */
  adaptPredictor(dq: number): void {
    const b = this.b;
    const d = this.d;
    const r = sat16(this.s + dq); // RECONS
    const p = sat16(this.sz + dq); // PARREC
    // UPPOL2: A2 follows the agreement of P's sign with P(n-2), minus a term from A1.
    const pNeg = p < 0;
    let wd = sat16(this.a1 * 4);
    if (pNeg === this.p1 < 0) wd = -wd;
    if (wd > 32767) wd = 32767;
    let a2 = (pNeg === this.p2 < 0 ? 128 : -128) + (wd >> 7) + ((this.a2 * 32512) >> 15);
    if (a2 > 12288) a2 = 12288;
    else if (a2 < -12288) a2 = -12288;
    // UPPOL1: A1 steps by +-192 with leakage, bounded so the pole section stays stable.
    let a1 = sat16((pNeg === this.p1 < 0 ? 192 : -192) + ((this.a1 * 32640) >> 15));
    const limit = sat16(15360 - a2);
    if (a1 > limit) a1 = limit;
    else if (a1 < -limit) a1 = -limit;
    // UPZERO: each B steps by +-128 (0 when DQ is 0) with leakage; DELAYZ shifts the differences.
    const step = dq === 0 ? 0 : 128;
    const dqNeg = dq < 0;
    for (let i = 6; i >= 1; i--) {
      b[i] = sat16((d[i] < 0 === dqNeg ? step : -step) + ((b[i] * 32640) >> 15));
    }
    for (let i = 6; i > 1; i--) d[i] = d[i - 1];
    d[1] = dq;
    // DELAYL
    this.r2 = this.r1;
    this.r1 = r;
    this.p2 = this.p1;
    this.p1 = p;
    this.a1 = a1;
    this.a2 = a2;
    // FILTEP, FILTEZ, PREDIC
    const sp = sat16(((a1 * sat16(this.r1 + this.r1)) >> 15) + ((a2 * sat16(this.r2 + this.r2)) >> 15));
    let sz = 0;
    for (let i = 6; i >= 1; i--) sz += (b[i] * sat16(d[i] + d[i])) >> 15;
    this.sz = sat16(sz);
    this.s = sat16(sp + this.sz);
  }

  reset(): void {
    this.s = 0;
    this.sz = 0;
    this.nb = 0;
    this.det = this.detInitial;
    this.a1 = 0;
    this.a2 = 0;
    this.p1 = 0;
    this.p2 = 0;
    this.r1 = 0;
    this.r2 = 0;
    this.b.fill(0);
    this.d.fill(0);
  }
}

// G.722 6.2.1.3 / 6.2.2.3 and the reset state of 6.4: NB bound, SCALE shift, initial DET.
const lowBand = (): SubBand => new SubBand(18432, 8, 32);
const highBand = (): SubBand => new SubBand(22528, 10, 8);

export class G722Codec implements AudioCodec {
  readonly name = 'G722';
  readonly clockRate = 8000;
  readonly sampleRate = 16000;
  readonly frameSamples = 320;
  readonly timestampStep = 160;
  readonly #encLow = lowBand();
  readonly #encHigh = highBand();
  readonly #decLow = lowBand();
  readonly #decHigh = highBand();
  /**
   * QMF delay lines kept twice over (each value written at i and i + length) so that the last
   * `length` values, newest first, are always contiguous from the write position: no shifting.
   * Transmit: the last 24 input samples; receive: the last 12 of RL - RH and of RL + RH.
   */
  readonly #tx = new Int32Array(48);
  #txPos = 0;
  readonly #rxDiff = new Int32Array(24);
  readonly #rxSum = new Int32Array(24);
  #rxPos = 0;
  readonly #plc = new FrameRepeater(320);

  /** Encodes pcm (an even number of 16 kHz samples, normally 320) into one octet per pair. */
  encode(pcm: Int16Array, out: Uint8Array): number {
    let n = pcm.length >> 1;
    if (n > out.length) n = out.length;
    const tx = this.#tx;
    const low = this.#encLow;
    const high = this.#encHigh;
    let pos = this.#txPos;
    for (let j = 0; j < n; j++) {
      // Transmit QMF (G.722 3.1): two new samples in, one lower and one higher sample out.
      pos = pos === 0 ? 22 : pos - 2;
      tx[pos + 1] = tx[pos + 25] = pcm[2 * j];
      tx[pos] = tx[pos + 24] = pcm[2 * j + 1];
      let xa = 0;
      let xb = 0;
      for (let i = 0; i < 24; i += 2) {
        xa += QMF[i] * tx[pos + i];
        xb += QMF[i + 1] * tx[pos + i + 1];
      }
      const xl = (xa + xb) >> 14;
      const xh = (xa - xb) >> 14;

      // Lower sub-band encoder (G.722 3.3): SUBTRA, QUANTL, INVQAL, LOGSCL, SCALEL, block 4.
      const el = sat16(xl - low.s);
      const wdl = el >= 0 ? el : -(el + 1);
      let k = 1;
      while (k < 30 && wdl >= (Q6[k] * low.det) >> 12) k++;
      const il = el < 0 ? ILN[k] : ILP[k];
      const il4 = il >> 2;
      const dl = (low.det * QM4[il4]) >> 15;
      low.adaptScale(WL4[il4]);
      low.adaptPredictor(dl);

      // Higher sub-band encoder (G.722 3.4): SUBTRA, QUANTH, INVQAH, LOGSCH, SCALEH, block 4.
      const eh = sat16(xh - high.s);
      const wdh = eh >= 0 ? eh : -(eh + 1);
      const mh = wdh >= (564 * high.det) >> 12 ? 2 : 1;
      const ih = eh < 0 ? 2 - mh : 4 - mh;
      const dh = (high.det * QM2[ih]) >> 15;
      high.adaptScale(WH2[ih]);
      high.adaptPredictor(dh);

      out[j] = (ih << 6) | il;
    }
    this.#txPos = pos;
    return n;
  }

  decode(payload: Uint8Array, out: Int16Array): number {
    const n = payload.length;
    if (n === 0 || 2 * n > out.length) return -1;
    const low = this.#decLow;
    const high = this.#decHigh;
    const rxDiff = this.#rxDiff;
    const rxSum = this.#rxSum;
    let pos = this.#rxPos;
    for (let j = 0; j < n; j++) {
      const code = payload[j];
      const il = code & 0x3f;
      const ih = code >> 6;

      // Lower sub-band decoder (G.722 4.3): the output uses all 6 bits, the predictor only 4.
      let rl = low.s + ((low.det * QM6[il]) >> 15);
      if (rl > 16383) rl = 16383;
      else if (rl < -16384) rl = -16384;
      const il4 = il >> 2;
      const dl = (low.det * QM4[il4]) >> 15;
      low.adaptScale(WL4[il4]);
      low.adaptPredictor(dl);

      // Higher sub-band decoder (G.722 4.4).
      const dh = (high.det * QM2[ih]) >> 15;
      let rh = high.s + dh;
      if (rh > 16383) rh = 16383;
      else if (rh < -16384) rh = -16384;
      high.adaptScale(WH2[ih]);
      high.adaptPredictor(dh);

      // Receive QMF (G.722 4.4.2): one lower and one higher sample in, two 16 kHz samples out.
      pos = pos === 0 ? 11 : pos - 1;
      rxDiff[pos] = rxDiff[pos + 12] = rl - rh;
      rxSum[pos] = rxSum[pos + 12] = rl + rh;
      let x1 = 0;
      let x2 = 0;
      for (let i = 0; i < 12; i++) {
        x1 += QMF[2 * i] * rxDiff[pos + i];
        x2 += QMF[2 * i + 1] * rxSum[pos + i];
      }
      out[2 * j] = sat16(x1 >> 11);
      out[2 * j + 1] = sat16(x2 >> 11);
    }
    this.#rxPos = pos;
    this.#plc.keep(out, 2 * n);
    return 2 * n;
  }

  conceal(out: Int16Array, _next: Uint8Array | null): number {
    return this.#plc.conceal(out, this.frameSamples);
  }

  reset(): void {
    this.#encLow.reset();
    this.#encHigh.reset();
    this.#decLow.reset();
    this.#decHigh.reset();
    this.#tx.fill(0);
    this.#txPos = 0;
    this.#rxDiff.fill(0);
    this.#rxSum.fill(0);
    this.#rxPos = 0;
    this.#plc.reset();
  }

  close(): void {}
}
