// In-band DTMF detection (ITU-T Q.23 frequencies, Q.24 acceptance) with the Goertzel algorithm.
//
// The signal is cut into 5 ms sub-blocks; Goertzel gives each sub-block's complex DFT value at the
// 8 DTMF frequencies, turned to one absolute phase reference so that sub-blocks add up. A hop every
// 5 ms judges the window of the last 3 sub-blocks (15 ms: bins narrow enough to tell rows 73 Hz
// apart, wide enough for the +-1.5% a sender may be off), and the phase turn from one sub-block to
// the next measures how far each tone is off its nominal frequency. A digit is reported once when
// enough consecutive hops agree (40 ms of tone), and again only after a pause.
import { PbxError } from '../../util/errors.js';

const FREQS = [697, 770, 852, 941, 1209, 1336, 1477, 1633];
/** Keys by row (low group) then column (high group), ITU-T Q.23. */
const KEYS: readonly string[] = ['1', '2', '3', 'A', '4', '5', '6', 'B', '7', '8', '9', 'C', '*', '0', '#', 'D'];
const SUB_MS = 5;
const WINDOW_SUBS = 3;
/**
 * A window passes while at least ~3/4 of it holds the tone, so a tone of D ms passes D - 7.5 ms of
 * window ends, one every 5 ms: 6 hops in a row mean a tone of 40 ms, and one of 30 ms never gets them.
 */
const ACCEPT_HOPS = 6;
/** Failing hops that end a tone: a pause (Q.24: >= 40 ms) is one; a 10 ms break in a tone is not. */
const PAUSE_HOPS = 6;
/** Share of the window's power the two tones must hold (speech and noise spread theirs). */
const TONE_SHARE = 0.7;
/** The strongest tone of a group beats the others of its group by 8 dB. */
const RELATIVE = 10 ** (8 / 10);
/**
 * Twist (Q.24): the high-group tone may be 8 dB weaker ("normal") or 4 dB stronger ("reverse"); the
 * limits add 2 dB for what the other tone leaks into a 15 ms window's estimate of a weak one.
 */
const NORMAL_TWIST = 10 ** (10 / 10);
const REVERSE_TWIST = 10 ** (6 / 10);
/** G.711 puts a +3.17 dBm0 sine at full scale (ITU-T G.711): 0 dBm0 as a 16-bit sine's power. */
const DBM0 = (32767 * 32767) / 2 / 10 ** (3.17 / 10);
/** Each tone at -30 dBm0 or more (Q.24 operates down to -25 or so, rejects below -35 or so). */
const MIN_TONE_POWER = DBM0 * 10 ** (-30 / 10);
/** Q.24: +-1.5% must operate, +-3.5% must not; the middle is the limit. */
const MAX_DEVIATION = 0.025;

export class InbandDtmfDetector {
  readonly sampleRate: number;
  readonly #sub: number;
  readonly #maxSamples: number;
  readonly #coef = new Float64Array(8);
  readonly #cos = new Float64Array(8);
  readonly #sin = new Float64Array(8);
  /** e^{-i w L}: turns the phase reference on by one sub-block. */
  readonly #stepRe = new Float64Array(8);
  readonly #stepIm = new Float64Array(8);
  /** e^{-i w (n0 + L - 1)} for the current sub-block starting at sample n0. */
  readonly #refRe = new Float64Array(8);
  readonly #refIm = new Float64Array(8);
  /** Goertzel state s[n-1], s[n-2] of the current sub-block. */
  readonly #s1 = new Float64Array(8);
  readonly #s2 = new Float64Array(8);
  /** The last WINDOW_SUBS sub-blocks: DFT values (slot * 8 + freq) and energies. */
  readonly #re = new Float64Array(WINDOW_SUBS * 8);
  readonly #im = new Float64Array(WINDOW_SUBS * 8);
  readonly #energy = new Float64Array(WINDOW_SUBS);
  readonly #power = new Float64Array(8);
  readonly #windowScale: number;
  #fill = 0;
  #subEnergy = 0;
  #slot = 0;
  #subs = 0;
  /** The key of the current run of passing hops (-1: none), how long, and its phase-turn sums. */
  #runKey = -1;
  #runHops = 0;
  #runRejected = false;
  #rowTurnRe = 0;
  #rowTurnIm = 0;
  #colTurnRe = 0;
  #colTurnIm = 0;
  /** The key reported and still sounding (-1: none) and the failing hops since it last passed. */
  #onKey = -1;
  #gapHops = 0;

  constructor(sampleRate: number) {
    if (sampleRate !== 8000 && sampleRate !== 16000) {
      throw new PbxError('PBX_ERR_DTMF_RATE', `in-band DTMF detection runs at 8000 or 16000 Hz, not ${sampleRate}`);
    }
    this.sampleRate = sampleRate;
    this.#sub = (sampleRate * SUB_MS) / 1000;
    this.#maxSamples = sampleRate / 25;
    const n = this.#sub * WINDOW_SUBS;
    this.#windowScale = 2 / (n * n);
    for (let k = 0; k < 8; k++) {
      const w = (2 * Math.PI * FREQS[k]!) / sampleRate;
      this.#cos[k] = Math.cos(w);
      this.#sin[k] = Math.sin(w);
      this.#coef[k] = 2 * Math.cos(w);
      this.#stepRe[k] = Math.cos(w * this.#sub);
      this.#stepIm[k] = -Math.sin(w * this.#sub);
    }
    this.reset();
  }

  /** True while the last digit returned is still sounding (no pause since). */
  get active(): boolean {
    return this.#onKey >= 0;
  }

  /**
   * Feeds `n` samples (at most 40 ms; one 20 ms frame is the usual). Returns a digit the moment its
   * tone has lasted 40 ms, once per tone, else null.
   */
  process(pcm: Int16Array, n: number): string | null {
    if (!(n >= 0 && n <= pcm.length && n <= this.#maxSamples)) {
      throw new PbxError('PBX_ERR_DTMF_BLOCK', `process() takes up to ${this.#maxSamples} samples that are in the array, not ${n}`);
    }
    let digit: string | null = null;
    const coef = this.#coef;
    const s1 = this.#s1;
    const s2 = this.#s2;
    const c0 = coef[0]!, c1 = coef[1]!, c2 = coef[2]!, c3 = coef[3]!, c4 = coef[4]!, c5 = coef[5]!, c6 = coef[6]!, c7 = coef[7]!;
    let i = 0;
    while (i < n) {
      const start = i;
      const end = Math.min(n, i + this.#sub - this.#fill);
      let a0 = s1[0]!, a1 = s1[1]!, a2 = s1[2]!, a3 = s1[3]!, a4 = s1[4]!, a5 = s1[5]!, a6 = s1[6]!, a7 = s1[7]!;
      let b0 = s2[0]!, b1 = s2[1]!, b2 = s2[2]!, b3 = s2[3]!, b4 = s2[4]!, b5 = s2[5]!, b6 = s2[6]!, b7 = s2[7]!;
      let energy = this.#subEnergy;
      for (; i < end; i++) {
        const x = pcm[i]!;
        energy += x * x;
        let t = x + c0 * a0 - b0; b0 = a0; a0 = t;
        t = x + c1 * a1 - b1; b1 = a1; a1 = t;
        t = x + c2 * a2 - b2; b2 = a2; a2 = t;
        t = x + c3 * a3 - b3; b3 = a3; a3 = t;
        t = x + c4 * a4 - b4; b4 = a4; a4 = t;
        t = x + c5 * a5 - b5; b5 = a5; a5 = t;
        t = x + c6 * a6 - b6; b6 = a6; a6 = t;
        t = x + c7 * a7 - b7; b7 = a7; a7 = t;
      }
      s1[0] = a0; s1[1] = a1; s1[2] = a2; s1[3] = a3; s1[4] = a4; s1[5] = a5; s1[6] = a6; s1[7] = a7;
      s2[0] = b0; s2[1] = b1; s2[2] = b2; s2[3] = b3; s2[4] = b4; s2[5] = b5; s2[6] = b6; s2[7] = b7;
      this.#subEnergy = energy;
      this.#fill += end - start;
      if (this.#fill === this.#sub) {
        const d = this.#endSubBlock();
        if (d !== null) digit = d;
      }
    }
    return digit;
  }

  /** Forgets the signal so far (a new stream). */
  reset(): void {
    for (let k = 0; k < 8; k++) {
      // The reference starts at n0 = 0: e^{-i w (L - 1)}.
      const w = (2 * Math.PI * FREQS[k]!) / this.sampleRate;
      this.#refRe[k] = Math.cos(w * (this.#sub - 1));
      this.#refIm[k] = -Math.sin(w * (this.#sub - 1));
    }
    this.#s1.fill(0);
    this.#s2.fill(0);
    this.#fill = 0;
    this.#subEnergy = 0;
    this.#subs = 0;
    this.#runKey = -1;
    this.#runHops = 0;
    this.#onKey = -1;
    this.#gapHops = 0;
  }

  /** Closes a sub-block: its DFT values on the absolute phase reference, then a hop. */
  #endSubBlock(): string | null {
    const base = this.#slot * 8;
    for (let k = 0; k < 8; k++) {
      const a = this.#s1[k]!;
      const b = this.#s2[k]!;
      // y = s[L-1] - e^{-iw} s[L-2] = sum x[n] e^{iw(L-1-n)}; times e^{-iw(n0+L-1)}: sum x[n] e^{-iw(n0+n)}.
      const yRe = a - this.#cos[k]! * b;
      const yIm = this.#sin[k]! * b;
      const rRe = this.#refRe[k]!;
      const rIm = this.#refIm[k]!;
      this.#re[base + k] = rRe * yRe - rIm * yIm;
      this.#im[base + k] = rRe * yIm + rIm * yRe;
      const nRe = rRe * this.#stepRe[k]! - rIm * this.#stepIm[k]!;
      const nIm = rRe * this.#stepIm[k]! + rIm * this.#stepRe[k]!;
      const mag = Math.sqrt(nRe * nRe + nIm * nIm);
      this.#refRe[k] = nRe / mag;
      this.#refIm[k] = nIm / mag;
    }
    this.#s1.fill(0);
    this.#s2.fill(0);
    this.#energy[this.#slot] = this.#subEnergy;
    this.#subEnergy = 0;
    this.#fill = 0;
    const newest = this.#slot;
    this.#slot = (this.#slot + 1) % WINDOW_SUBS;
    if (this.#subs < WINDOW_SUBS) this.#subs++;
    return this.#subs < WINDOW_SUBS ? null : this.#hop(newest);
  }

  /** Judges the window that ends with sub-block `newest`. */
  #hop(newest: number): string | null {
    const p = this.#power;
    let total = 0;
    for (let j = 0; j < WINDOW_SUBS; j++) total += this.#energy[j]!;
    for (let k = 0; k < 8; k++) {
      let re = 0;
      let im = 0;
      for (let j = 0; j < WINDOW_SUBS; j++) {
        re += this.#re[j * 8 + k]!;
        im += this.#im[j * 8 + k]!;
      }
      p[k] = (re * re + im * im) * this.#windowScale;
    }
    const row = strongest(p, 0);
    const col = strongest(p, 4);
    // Level, twist and share with the offset turned back: a tone 1.5% off loses up to 2 dB otherwise.
    const pr = this.#alignedPower(row, newest);
    const pc = this.#alignedPower(col, newest);
    const mean = total / (this.#sub * WINDOW_SUBS);
    const tone =
      pr >= MIN_TONE_POWER &&
      pc >= MIN_TONE_POWER &&
      pr <= pc * NORMAL_TWIST &&
      pc <= pr * REVERSE_TWIST &&
      pr + pc >= TONE_SHARE * mean &&
      standsOut(p, 0, row) &&
      standsOut(p, 4, col);
    return this.#judge(tone ? row * 4 + (col - 4) : -1, newest, row, col);
  }

  /**
   * Power of the tone at frequency `k` over the window with its sub-blocks turned back by the phase
   * turn measured between them (A^2 / 2 for a sine of amplitude A, even 1.5% off frequency).
   */
  #alignedPower(k: number, newest: number): number {
    const re = this.#re;
    const im = this.#im;
    let turnRe = 0;
    let turnIm = 0;
    for (let age = 0; age < WINDOW_SUBS - 1; age++) {
      const a = ((newest - age + WINDOW_SUBS) % WINDOW_SUBS) * 8 + k;
      const b = ((newest - age - 1 + WINDOW_SUBS) % WINDOW_SUBS) * 8 + k;
      turnRe += re[a]! * re[b]! + im[a]! * im[b]!;
      turnIm += im[a]! * re[b]! - re[a]! * im[b]!;
    }
    const m = Math.sqrt(turnRe * turnRe + turnIm * turnIm);
    const uRe = m > 0 ? turnRe / m : 1;
    const uIm = m > 0 ? turnIm / m : 0;
    // Oldest first, each later sub-block turned back one more step: sum X_j * conj(u)^j.
    let sumRe = 0;
    let sumIm = 0;
    let backRe = 1;
    let backIm = 0;
    for (let age = WINDOW_SUBS - 1; age >= 0; age--) {
      const j = ((newest - age + WINDOW_SUBS) % WINDOW_SUBS) * 8 + k;
      sumRe += re[j]! * backRe - im[j]! * backIm;
      sumIm += re[j]! * backIm + im[j]! * backRe;
      const nRe = backRe * uRe + backIm * uIm;
      backIm = backIm * uRe - backRe * uIm;
      backRe = nRe;
    }
    return (sumRe * sumRe + sumIm * sumIm) * this.#windowScale;
  }

  #judge(key: number, newest: number, row: number, col: number): string | null {
    if (key < 0) {
      this.#runKey = -1;
      this.#runHops = 0;
    } else if (key !== this.#runKey) {
      this.#runKey = key;
      this.#runHops = 1;
      this.#runRejected = false;
      this.#rowTurnRe = this.#rowTurnIm = this.#colTurnRe = this.#colTurnIm = 0;
      const middle = (newest + WINDOW_SUBS - 1) % WINDOW_SUBS;
      this.#addTurns(middle, (newest + 1) % WINDOW_SUBS, row, col);
      this.#addTurns(newest, middle, row, col);
    } else {
      this.#runHops++;
      this.#addTurns(newest, (newest + WINDOW_SUBS - 1) % WINDOW_SUBS, row, col);
    }
    if (this.#onKey >= 0) {
      if (key === this.#onKey) this.#gapHops = 0;
      else if (++this.#gapHops >= PAUSE_HOPS) this.#onKey = -1;
    }
    if (key < 0 || key === this.#onKey || this.#runRejected || this.#runHops < ACCEPT_HOPS) return null;
    if (!this.#onFrequency(row, col)) {
      this.#runRejected = true;
      return null;
    }
    this.#onKey = key;
    this.#gapHops = 0;
    return KEYS[key]!;
  }

  /** Adds X_newer * conj(X_older) of the run's two tones: its angle is the phase turn per sub-block. */
  #addTurns(newer: number, older: number, row: number, col: number): void {
    const a = newer * 8;
    const b = older * 8;
    const re = this.#re;
    const im = this.#im;
    this.#rowTurnRe += re[a + row]! * re[b + row]! + im[a + row]! * im[b + row]!;
    this.#rowTurnIm += im[a + row]! * re[b + row]! - re[a + row]! * im[b + row]!;
    this.#colTurnRe += re[a + col]! * re[b + col]! + im[a + col]! * im[b + col]!;
    this.#colTurnIm += im[a + col]! * re[b + col]! - re[a + col]! * im[b + col]!;
  }

  /** Both tones within MAX_DEVIATION of their frequency: turn per sub-block / (2 pi * 5 ms) = offset in Hz. */
  #onFrequency(row: number, col: number): boolean {
    const hz = 1000 / (2 * Math.PI * SUB_MS);
    const rowOff = Math.abs(Math.atan2(this.#rowTurnIm, this.#rowTurnRe)) * hz;
    const colOff = Math.abs(Math.atan2(this.#colTurnIm, this.#colTurnRe)) * hz;
    return rowOff <= MAX_DEVIATION * FREQS[row]! && colOff <= MAX_DEVIATION * FREQS[col]!;
  }
}

/** Index of the strongest of the 4 powers from `from`. */
function strongest(p: Float64Array, from: number): number {
  let best = from;
  for (let k = from + 1; k < from + 4; k++) if (p[k]! > p[best]!) best = k;
  return best;
}

/** The tone at `best` is RELATIVE stronger than each other tone of its group. */
function standsOut(p: Float64Array, from: number, best: number): boolean {
  for (let k = from; k < from + 4; k++) if (k !== best && p[k]! * RELATIVE > p[best]!) return false;
  return true;
}
