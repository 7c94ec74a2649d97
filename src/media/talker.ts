// Talker detection for one conference party: is this party speaking, frame by frame (20 ms).
// A frame is speech when its energy (mean square) is both thresholdDb above the party's noise floor
// and above an absolute minimum; the floor is relative so a party on a noisy line (fan, street,
// comfort noise) is not "talking" all the time, the minimum so that a line of near-digital silence
// does not trigger on breath and dither.
// Hysteresis as conference bridges do it: onFrames speech frames in a row start talking (a click
// or a cough of one frame is not a talker), offFrames non-speech frames in a row stop it (the
// hangover bridges the pauses between words, so 'who is speaking' does not flicker).
// Noise floor: starts at the first frame's level (a line that joins with a loud fan is not a talker
// for the seconds a slow floor would need to climb; a party that joins speaking is found at its
// first pause), follows any quieter frame down at once, and rises slowly (FLOOR_RISE_DB_PER_S) so
// that it tracks a noise that grows but does not climb into a sentence, whose pauses pull it back.
import { PbxError } from '../util/errors.js';

export interface TalkerOptions {
  /** Speech frames in a row before talking starts. Default 3 (60 ms). */
  onFrames?: number;
  /** Non-speech frames in a row before talking stops. Default 25 (500 ms). */
  offFrames?: number;
  /** How far above the noise floor a frame's energy must be to count as speech. Default 10 dB. */
  thresholdDb?: number;
  /** Absolute minimum level of a speech frame, RMS in dBFS. Default -45 (RMS 184). */
  minDbfs?: number;
}

export const TALKER_DEFAULTS: Required<TalkerOptions> = { onFrames: 3, offFrames: 25, thresholdDb: 10, minDbfs: -45 };

/** The options with defaults filled in; throws PBX_ERR_MIXER_TALKER for a bad one. */
export function talkerSettings(o: TalkerOptions = {}): Required<TalkerOptions> {
  const s = { ...TALKER_DEFAULTS, ...o };
  for (const k of ['onFrames', 'offFrames'] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 1) {
      throw new PbxError('PBX_ERR_MIXER_TALKER', `talker ${k} must be an integer >= 1, got ${s[k]}`);
    }
  }
  if (!(s.thresholdDb >= 0)) throw new PbxError('PBX_ERR_MIXER_TALKER', `talker thresholdDb must be >= 0, got ${s.thresholdDb}`);
  if (!(s.minDbfs <= 0)) throw new PbxError('PBX_ERR_MIXER_TALKER', `talker minDbfs must be <= 0, got ${s.minDbfs}`);
  return s;
}

/** The floor never goes below -75 dBFS RMS, or it could not rise again from digital silence. */
const FLOOR_MIN = (32768 * 10 ** (-75 / 20)) ** 2;
const FLOOR_RISE_DB_PER_S = 6;
const FRAMES_PER_S = 50;
const FLOOR_RISE = 10 ** (FLOOR_RISE_DB_PER_S / 10 / FRAMES_PER_S);

export class TalkerDetector {
  talking = false;
  /** Mean square of the last frame's samples; 0 when it had no input. */
  energy = 0;
  /** Tracked noise floor, as a mean square. */
  floor = FLOOR_MIN;
  /** False until the first frame with input has set the floor. */
  #started = false;
  /** Frames in a row that disagree with the current state. */
  #run = 0;
  readonly #onFrames: number;
  readonly #offFrames: number;
  readonly #ratio: number;
  readonly #minEnergy: number;

  constructor(o: TalkerOptions = {}) {
    const opts = talkerSettings(o);
    this.#onFrames = opts.onFrames;
    this.#offFrames = opts.offFrames;
    this.#ratio = 10 ** (opts.thresholdDb / 10);
    this.#minEnergy = (32768 * 10 ** (opts.minDbfs / 20)) ** 2;
  }

  /**
   * One frame: pcm[0..n) or null when the party sent nothing this tick (counts as non-speech and
   * leaves the floor alone). Returns 1 when talking starts, -1 when it stops, else 0.
   */
  update(pcm: Int16Array | null, n: number): number {
    let speech = false;
    if (pcm === null || n === 0) {
      this.energy = 0;
    } else {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const s = pcm[i]!;
        sum += s * s;
      }
      const e = sum / n;
      this.energy = e;
      speech = e > this.floor * this.#ratio && e > this.#minEnergy;
      const risen = this.#started ? this.floor * FLOOR_RISE : Infinity;
      this.floor = e < this.floor ? (e > FLOOR_MIN ? e : FLOOR_MIN) : e < risen ? e : risen;
      this.#started = true;
    }
    if (speech === this.talking) {
      this.#run = 0;
      return 0;
    }
    this.#run++;
    if (this.#run < (speech ? this.#onFrames : this.#offFrames)) return 0;
    this.#run = 0;
    this.talking = speech;
    return speech ? 1 : -1;
  }

  /** Takes over another detector's state (the same party in a mixer at another rate). */
  continueFrom(other: TalkerDetector): void {
    this.talking = other.talking;
    this.energy = other.energy;
    this.floor = other.floor;
    this.#started = other.#started;
    this.#run = other.#run;
  }

  /** Stop at once (muted, left); returns true when the party was talking. */
  silence(): boolean {
    const was = this.talking;
    this.talking = false;
    this.energy = 0;
    this.#run = 0;
    return was;
  }
}
