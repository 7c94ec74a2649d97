// Plays a sequence of prompts and tones into a leg, one 20 ms frame per next(): WAV PCM at any
// rate (resampled to the player's rate), call progress tones, optionally looped (music on hold).
// load() prepares; next() and stop() allocate nothing.
import { PcmCursor } from './pcm-cursor.js';
import { ToneGenerator } from './tone-generator.js';
import type { ToneSpec } from './tones.js';

/** PCM of a prompt (mono, as readWav returns it), or a tone (`ms` > 0 limits how long it plays). */
export type PlayItem = { pcm: Int16Array; sampleRate: number } | { tone: ToneSpec; ms?: number };

const MIN_RATE = 1000;
const MAX_RATE = 384000;

export class Player {
  readonly sampleRate: number;
  /** Samples in one 20 ms frame at sampleRate. */
  readonly frameSamples: number;
  readonly #cursor = new PcmCursor();
  readonly #tone: ToneGenerator;
  #items: PlayItem[] = [];
  #index = 0;
  #isTone = false;
  #loop = false;
  /** Samples played since the sequence (re)started: a loop that plays nothing ends. */
  #played = 0;
  #done = true;

  constructor(sampleRate: number) {
    if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate % 50 !== 0) {
      throw new RangeError(`player sample rate must be a whole number of Hz >= 8000 divisible by 50, not ${sampleRate}`);
    }
    this.sampleRate = sampleRate;
    this.frameSamples = sampleRate / 50;
    this.#tone = new ToneGenerator(sampleRate);
  }

  /** true when nothing is left to play (also before the first load and after stop()). */
  get done(): boolean {
    return this.#done;
  }

  /** Replaces whatever is playing with `items`, from the start. */
  load(items: readonly PlayItem[], o: { loop: boolean }): void {
    items.forEach(checkItem);
    this.#items = items.slice();
    this.#loop = o.loop;
    this.#played = 0;
    this.#done = items.length === 0;
    if (!this.#done) this.#start(0);
  }

  /**
   * Fills out[0, frameSamples) with the next 20 ms: audio, then silence where the sequence ended
   * within the frame. Returns frameSamples, or 0 when there was nothing left to play.
   */
  next(out: Int16Array): number {
    const frame = this.frameSamples;
    if (out.length < frame) throw new RangeError(`next() needs room for ${frame} samples, got ${out.length}`);
    let written = 0;
    while (written < frame && !this.#done) {
      const n = this.#isTone ? this.#tone.fill(out, written, frame - written) : this.#cursor.read(out, written, frame - written);
      written += n;
      this.#played += n;
      if (this.#isTone ? this.#tone.done : this.#cursor.done) this.#advance();
    }
    if (written < frame) out.fill(0, written, frame);
    return written > 0 ? frame : 0;
  }

  /** Ends playback now; next() returns 0 until the next load(). */
  stop(): void {
    this.#done = true;
    this.#tone.stop();
  }

  #advance(): void {
    let index = this.#index + 1;
    if (index === this.#items.length) {
      if (!this.#loop || this.#played === 0) {
        this.#done = true;
        return;
      }
      index = 0;
      this.#played = 0;
    }
    this.#start(index);
  }

  #start(index: number): void {
    this.#index = index;
    const item = this.#items[index]!;
    if ('tone' in item) {
      this.#isTone = true;
      this.#tone.start(item.tone, item.ms ?? 0);
    } else {
      this.#isTone = false;
      this.#cursor.load(item.pcm, item.sampleRate, this.sampleRate);
    }
  }
}

function checkItem(item: PlayItem, i: number): void {
  if ('tone' in item) {
    if (item.tone === null || typeof item.tone !== 'object' || !Array.isArray(item.tone.segments)) throw new TypeError(`play item ${i}: tone is not a ToneSpec`);
    if (item.ms !== undefined && !(item.ms >= 0)) throw new RangeError(`play item ${i}: ms must be >= 0, not ${item.ms}`);
    return;
  }
  if (!(item.pcm instanceof Int16Array)) throw new TypeError(`play item ${i}: pcm must be an Int16Array`);
  if (!Number.isInteger(item.sampleRate) || item.sampleRate < MIN_RATE || item.sampleRate > MAX_RATE) {
    throw new RangeError(`play item ${i}: sample rate ${item.sampleRate} is outside ${MIN_RATE}..${MAX_RATE}`);
  }
}
