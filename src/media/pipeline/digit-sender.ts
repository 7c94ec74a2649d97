// Digits the PBX sends to a phone, one 20 ms tick at a time, in the method the leg negotiated:
// RFC 4733 telephone-event packets (dtmf/rfc4733.ts builds them) when it has a payload type for
// them, DTMF tones in the audio (ITU-T Q.23 frequency pairs) otherwise.
import { DtmfEventSender } from '../dtmf/rfc4733.js';

export const DIGIT_MS = 100;
const DIGIT_TICKS = DIGIT_MS / 20;
/** Q.24: at least 40 ms between digits. */
const PAUSE_TICKS = 3;
const MAX_QUEUED = 16;
/** Peak of each of the two tones (about -9 dBm0 each at 16 bits). */
const TONE_AMPLITUDE = 6000;

/** ITU-T Q.23: the (low, high) frequencies of each digit. */
const TONES: ReadonlyMap<string, readonly [number, number]> = new Map([
  ['1', [697, 1209]], ['2', [697, 1336]], ['3', [697, 1477]], ['A', [697, 1633]],
  ['4', [770, 1209]], ['5', [770, 1336]], ['6', [770, 1477]], ['B', [770, 1633]],
  ['7', [852, 1209]], ['8', [852, 1336]], ['9', [852, 1477]], ['C', [852, 1633]],
  ['*', [941, 1209]], ['0', [941, 1336]], ['#', [941, 1477]], ['D', [941, 1633]],
]);

export function isDigit(d: string): boolean {
  return TONES.has(d);
}

export class DigitSender {
  /** RFC 4733 events; null when the leg has no telephone-event (digits go in-band). */
  readonly events: DtmfEventSender | null;
  readonly #sampleRate: number;
  readonly #queue: string[] = [];
  #tone: readonly [number, number] | null = null;
  #tick = 0;
  #phase = 0;

  /** `eventClockRate`: the telephone-event clock (the leg's RTP clock), null for in-band digits. */
  constructor(sampleRate: number, eventClockRate: number | null) {
    this.#sampleRate = sampleRate;
    this.events = eventClockRate === null ? null : new DtmfEventSender({ clockRate: eventClockRate, intervalMs: 20 });
  }

  get method(): 'rfc4733' | 'inband' {
    return this.events === null ? 'inband' : 'rfc4733';
  }

  /** A digit is being sent, or waits to be. */
  get active(): boolean {
    return this.events !== null ? this.events.active : this.#tone !== null || this.#queue.length > 0;
  }

  /** Queues a digit; false when it is not a DTMF digit or the queue is full. */
  add(digit: string): boolean {
    if (!TONES.has(digit)) return false;
    if (this.events !== null) return this.events.send(digit, DIGIT_MS);
    if (this.#queue.length >= MAX_QUEUED) return false;
    this.#queue.push(digit);
    return true;
  }

  /** A tick in which nothing could be sent: an in-band digit's time passes all the same. */
  skip(): void {
    if (this.events === null) this.nextTone(null, null);
  }

  /**
   * The audio of this tick with an in-band digit: its two tones in `out` while it sounds, `pcm`
   * (what would be sent otherwise) in the pauses and when no digit is due.
   */
  nextTone(out: Int16Array | null, pcm: Int16Array | null): Int16Array | null {
    if (this.#tone === null) {
      if (this.#queue.length === 0) return pcm;
      this.#tone = TONES.get(this.#queue.shift()!)!;
      this.#tick = 0;
      this.#phase = 0;
    }
    const [low, high] = this.#tone;
    const t = this.#tick++;
    if (t + 1 >= DIGIT_TICKS + PAUSE_TICKS) this.#tone = null;
    if (t >= DIGIT_TICKS || out === null) return pcm;
    const wl = (2 * Math.PI * low) / this.#sampleRate;
    const wh = (2 * Math.PI * high) / this.#sampleRate;
    let n = this.#phase;
    for (let i = 0; i < out.length; i++, n++) out[i] = Math.round(TONE_AMPLITUDE * (Math.sin(wl * n) + Math.sin(wh * n)));
    this.#phase = n;
    return out;
  }
}
