// Synthesises a ToneSpec into PCM: a phase accumulator per frequency (direct digital synthesis
// from a sine table), so the wave runs on unbroken across frame and segment boundaries, and a
// short ramp where the tone starts or stops so that the cadence makes no clicks. fill() allocates
// nothing; start() compiles the spec for this sample rate.
import type { ToneSpec } from './tones.js';

const TABLE_BITS = 10;
const TABLE_SIZE = 1 << TABLE_BITS;
const FRACTION_BITS = 32 - TABLE_BITS;
const FRACTION_SCALE = 1 / (1 << FRACTION_BITS);
const FRACTION_MASK = (1 << FRACTION_BITS) - 1;
/** One period of a sine plus a guard entry for interpolation. */
const SINE = Float64Array.from({ length: TABLE_SIZE + 1 }, (_, i) => Math.sin((2 * Math.PI * i) / TABLE_SIZE));

/** Full-scale sine in G.711 terms (ITU-T G.711: +3.17 dBm0). */
const FULL_SCALE_DBM0 = 3.17;
const RAMP_MS = 4;
/** Depth of amplitude modulation for "f1*f2" tones. */
const MODULATION_DEPTH = 0.9;

function sine(phase: number): number {
  const i = phase >>> FRACTION_BITS;
  const a = SINE[i]!;
  return a + (SINE[i + 1]! - a) * (phase & FRACTION_MASK) * FRACTION_SCALE;
}

export class ToneGenerator {
  readonly sampleRate: number;
  readonly #ramp: number;
  #length: number[] = [];
  #inc1: number[] = [];
  #inc2: number[] = [];
  #amplitude: number[] = [];
  #modulated: boolean[] = [];
  #rampIn: boolean[] = [];
  #rampOut: boolean[] = [];
  #repeat = false;
  #segment = 0;
  #position = 0;
  #phase1 = 0;
  #phase2 = 0;
  /** Samples left before the play time limit; -1 = no limit. */
  #left = -1;
  #done = true;

  constructor(sampleRate: number) {
    if (!Number.isInteger(sampleRate) || sampleRate < 8000) throw new RangeError(`sample rate must be a whole number >= 8000, not ${sampleRate}`);
    this.sampleRate = sampleRate;
    this.#ramp = Math.round((sampleRate * RAMP_MS) / 1000);
  }

  get done(): boolean {
    return this.#done;
  }

  /** Starts `spec` from its beginning; `maxMs` > 0 ends it after that long (with a ramp down). */
  start(spec: ToneSpec, maxMs = 0): void {
    const segs = spec.segments;
    const n = segs.length;
    const toInc = (f: number | undefined): number => (f === undefined ? 0 : Math.round((f * 2 ** 32) / this.sampleRate) >>> 0);
    // a repeating cadence wraps around; before and after a one-shot tone is silence
    const silent = (i: number): boolean => {
      const s = spec.repeat ? segs[(i + n) % n] : segs[i];
      return s === undefined || s.frequencies.length === 0;
    };
    const base = 32767 * 10 ** ((spec.levelDbm0 - FULL_SCALE_DBM0) / 20);
    this.#length = segs.map((s) => (s.ms === 0 ? -1 : Math.round((s.ms * this.sampleRate) / 1000)));
    this.#inc1 = segs.map((s) => toInc(s.frequencies[0]));
    this.#inc2 = segs.map((s) => toInc(s.frequencies[1]));
    this.#modulated = segs.map((s) => s.modulated);
    this.#amplitude = segs.map((s) => {
      if (s.frequencies.length === 0) return 0;
      const a = base * 10 ** (s.gainDb / 20);
      return s.modulated ? a / (1 + MODULATION_DEPTH) : a;
    });
    this.#rampIn = segs.map((_, i) => silent(i - 1));
    this.#rampOut = segs.map((_, i) => silent(i + 1));
    this.#repeat = spec.repeat;
    this.#segment = 0;
    this.#position = 0;
    this.#phase1 = 0;
    this.#phase2 = 0;
    this.#left = maxMs > 0 ? Math.round((maxMs * this.sampleRate) / 1000) : -1;
    this.#done = false;
  }

  stop(): void {
    this.#done = true;
  }

  /** Writes up to `count` samples at out[offset...]; fewer (the rest untouched) when the tone ends. */
  fill(out: Int16Array, offset: number, count: number): number {
    let written = 0;
    while (written < count && !this.#done) {
      const seg = this.#segment;
      const length = this.#length[seg]!;
      const amplitude = this.#amplitude[seg]!;
      let run = count - written;
      if (length >= 0) run = Math.min(run, length - this.#position);
      if (this.#left >= 0) run = Math.min(run, this.#left);
      const at = offset + written;
      if (amplitude === 0) out.fill(0, at, at + run);
      else this.#synthesise(out, at, run, length, amplitude);
      written += run;
      this.#position += run;
      if (this.#left >= 0) {
        this.#left -= run;
        if (this.#left === 0) this.#done = true;
      }
      if (this.#position === length) this.#nextSegment();
    }
    return written;
  }

  #nextSegment(): void {
    this.#position = 0;
    this.#segment++;
    if (this.#segment < this.#length.length) return;
    this.#segment = 0;
    if (!this.#repeat) this.#done = true;
  }

  #synthesise(out: Int16Array, at: number, run: number, length: number, amplitude: number): void {
    const seg = this.#segment;
    const inc1 = this.#inc1[seg]!;
    const inc2 = this.#inc2[seg]!;
    const modulated = this.#modulated[seg]!;
    const rampIn = this.#rampIn[seg]!;
    const rampOut = this.#rampOut[seg]! && length >= 0;
    const ramp = this.#ramp;
    let p1 = this.#phase1;
    let p2 = this.#phase2;
    for (let i = 0; i < run; i++) {
      const k = this.#position + i;
      let v = modulated ? sine(p1) * (1 + MODULATION_DEPTH * sine(p2)) : sine(p1) + (inc2 === 0 ? 0 : sine(p2));
      p1 = (p1 + inc1) >>> 0;
      p2 = (p2 + inc2) >>> 0;
      let gain = amplitude;
      if (rampIn && k < ramp) gain *= (k + 1) / ramp;
      if (rampOut && length - k <= ramp) gain *= (length - k) / ramp;
      if (this.#left >= 0 && this.#left - i <= ramp) gain *= (this.#left - i) / ramp;
      v *= gain;
      out[at + i] = v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
    }
    this.#phase1 = p1;
    this.#phase2 = p2;
  }
}
