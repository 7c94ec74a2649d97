// RFC 4733 telephone-event payloads: the receiver turns event packets into one digit per event,
// the sender turns a digit into the packets of one event, one call per 20 ms media tick.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// |     event     |E|R| volume    |          duration             |   (RFC 4733 2.3)
import { PbxError } from '../../util/errors.js';
import { DTMF_DIGITS, dtmfEventCode } from './digits.js';

export const EVENT_PAYLOAD_BYTES = 4;
/** RFC 4733 2.5.1.3: the longest duration one event packet can express. */
const MAX_SEGMENT = 0xffff;
/** Event timestamps remembered for de-duplication: late retransmissions of recent events stay silent. */
const HISTORY = 4;

/** The fields of the last event packet pushed into a receiver (one object, overwritten by each push). */
export interface EventPacket {
  event: number;
  end: boolean;
  /** Power level in -dBm0 (0-63). */
  volume: number;
  /** Timestamp units since the event began. */
  duration: number;
  timestamp: number;
}

export class DtmfEventReceiver {
  /** The last valid event packet (event 0-15, 4 bytes or more); `event` is -1 before the first. */
  readonly packet: EventPacket = { event: -1, end: false, volume: 0, duration: 0, timestamp: 0 };
  readonly #seen = new Uint32Array(HISTORY);
  #seenCount = 0;
  #seenNext = 0;
  /** The event being received: its code, whether its end came, whether it filled a whole segment. */
  #current = -1;
  #currentTs = 0;
  #currentEnded = true;
  #currentFull = false;

  /**
   * One telephone-event payload and its packet's RTP timestamp. Returns the digit the first time an
   * event (an RTP timestamp) is seen, null for its updates, end packets and retransmissions, for
   * events over 15 (RFC 4733 2.5.2.2: unknown events are ignored) and for short payloads.
   */
  push(payload: Uint8Array, rtpTimestamp: number): string | null {
    if (payload.length < EVENT_PAYLOAD_BYTES) return null;
    const event = payload[0]!;
    if (event > 15) return null;
    const ts = rtpTimestamp >>> 0;
    const p = this.packet;
    p.event = event;
    p.end = (payload[1]! & 0x80) !== 0;
    p.volume = payload[1]! & 0x3f;
    p.duration = (payload[2]! << 8) | payload[3]!;
    p.timestamp = ts;
    if (this.#wasSeen(ts)) {
      if (ts === this.#currentTs) this.#noteCurrent(p);
      return null;
    }
    // RFC 4733 2.5.1.3: an event longer than 0xFFFF units goes on in a new segment whose timestamp is
    // where the full one ended; it is the same key press, not a new digit.
    const nextSegment =
      event === this.#current && !this.#currentEnded && this.#currentFull && ts === ((this.#currentTs + MAX_SEGMENT) >>> 0);
    this.#remember(ts);
    this.#current = event;
    this.#currentTs = ts;
    this.#currentEnded = false;
    this.#currentFull = false;
    this.#noteCurrent(p);
    return nextSegment ? null : DTMF_DIGITS[event]!;
  }

  /** Forgets every event (a new SSRC or a new stream). */
  reset(): void {
    this.#seenCount = 0;
    this.#seenNext = 0;
    this.#current = -1;
    this.#currentEnded = true;
    this.#currentFull = false;
    this.packet.event = -1;
  }

  #noteCurrent(p: EventPacket): void {
    if (p.end) this.#currentEnded = true;
    if (p.duration === MAX_SEGMENT) this.#currentFull = true;
  }

  #wasSeen(ts: number): boolean {
    for (let i = 0; i < this.#seenCount; i++) if (this.#seen[i] === ts) return true;
    return false;
  }

  #remember(ts: number): void {
    this.#seen[this.#seenNext] = ts;
    this.#seenNext = (this.#seenNext + 1) % HISTORY;
    if (this.#seenCount < HISTORY) this.#seenCount++;
  }
}

export interface DtmfSenderOptions {
  /** The telephone-event clock rate from SDP (default 8000). */
  clockRate?: number;
  /** How often next() is called (default 20 ms, the media clock). */
  tickMs?: number;
  /**
   * RFC 4733 2.5.1.2: updates go every 50 ms (the default) or at the audio packet interval when it
   * is known (pass tickMs for one update per tick). Rounded to ticks, on average this interval.
   */
  intervalMs?: number;
  /** Power level in -dBm0 written in every packet (default 10). */
  volume?: number;
}

/** Shorter digits are lengthened to this: the Q.24 minimum a receiver has to accept. */
export const MIN_DIGIT_MS = 40;
/** RFC 4733 2.5.1.4: the end packet is sent three times. */
const END_PACKETS = 3;
/** Ticks of silence between two queued events (RFC 4733 events do not overlap; Q.24 pause >= 40 ms). */
const GAP_TICKS = 2;
const QUEUE = 16;

/**
 * Builds the payloads of RFC 4733 events, driven by the 20 ms media clock: send() queues a digit;
 * each tick, next() writes the payload due then (start with the marker, updates, three end packets
 * with the E bit, all with the event's start timestamp) and the caller stamps the RTP header with
 * `timestamp` and `marker`.
 */
export class DtmfEventSender {
  readonly #tickMs: number;
  readonly #tickUnits: number;
  readonly #intervalMs: number;
  readonly #volume: number;
  readonly #maxTicks: number;
  readonly #queueCodes = new Uint8Array(QUEUE);
  readonly #queueTicks = new Uint32Array(QUEUE);
  #queueHead = 0;
  #queueLength = 0;
  /** The event being sent: -1 when idle. */
  #event = -1;
  #ticks = 0;
  #tick = 0;
  #endsSent = 0;
  #nextDueMs = 0;
  #gap = 0;
  #timestamp = 0;
  #marker = false;

  constructor(o: DtmfSenderOptions = {}) {
    const clockRate = o.clockRate ?? 8000;
    this.#tickMs = o.tickMs ?? 20;
    this.#intervalMs = o.intervalMs ?? 50;
    this.#volume = o.volume ?? 10;
    if (!(clockRate > 0) || !(this.#tickMs > 0) || !(this.#intervalMs >= this.#tickMs) || !(this.#volume >= 0 && this.#volume <= 63)) {
      throw new PbxError('PBX_ERR_DTMF_SENDER', `bad telephone-event sender options: ${JSON.stringify(o)}`);
    }
    this.#tickUnits = Math.round((clockRate * this.#tickMs) / 1000);
    this.#maxTicks = Math.floor(MAX_SEGMENT / this.#tickUnits);
  }

  /** True while an event is being sent or one waits in the queue. */
  get active(): boolean {
    return this.#event >= 0 || this.#queueLength > 0;
  }

  /** The RTP timestamp for the packet next() just wrote: the start of its event. */
  get timestamp(): number {
    return this.#timestamp;
  }

  /** True when the packet next() just wrote is the first of its event (RFC 4733 2.5.1.1: marker bit). */
  get marker(): boolean {
    return this.#marker;
  }

  /**
   * Queues one digit lasting `durationMs` (raised to 40 ms; events longer than one 0xFFFF segment
   * are cut to it). Returns false when 16 digits already wait. Throws on a digit that is not DTMF.
   */
  send(digit: string, durationMs: number): boolean {
    const code = dtmfEventCode(digit);
    if (code < 0 || !(durationMs >= 0)) throw new PbxError('PBX_ERR_DTMF_DIGIT', `not a DTMF digit and duration: ${JSON.stringify(digit)}, ${durationMs}`);
    if (this.#queueLength === QUEUE) return false;
    const ms = Math.max(durationMs, MIN_DIGIT_MS);
    const i = (this.#queueHead + this.#queueLength) % QUEUE;
    this.#queueCodes[i] = code;
    this.#queueTicks[i] = Math.min(Math.ceil(ms / this.#tickMs), this.#maxTicks);
    this.#queueLength++;
    return true;
  }

  /** The key was released early (a digit forwarded live): the end packets go from the next tick. */
  release(): void {
    if (this.#event >= 0 && this.#tick < this.#ticks) this.#ticks = this.#tick + 1;
  }

  /**
   * One media tick. `rtpTimestamp` is the stream's timestamp now; an event that starts on this tick
   * keeps it. Writes the payload due (4 bytes) into `out` and returns 4, or 0 when nothing is due.
   */
  next(out: Uint8Array, rtpTimestamp: number): number {
    if (out.length < EVENT_PAYLOAD_BYTES) throw new PbxError('PBX_ERR_DTMF_BUFFER', 'a telephone-event payload needs 4 bytes');
    this.#marker = false;
    if (this.#event < 0 && !this.#startNext(rtpTimestamp)) return 0;
    const k = this.#tick++;
    const lastTone = this.#ticks - 1;
    if (k < lastTone) {
      const elapsedMs = k * this.#tickMs;
      if (k > 0 && elapsedMs < this.#nextDueMs) return 0;
      while (this.#nextDueMs <= elapsedMs) this.#nextDueMs += this.#intervalMs;
      this.#marker = k === 0;
      return this.#write(out, false, (k + 1) * this.#tickUnits);
    }
    this.#marker = k === 0;
    this.#write(out, true, this.#ticks * this.#tickUnits);
    if (++this.#endsSent === END_PACKETS) {
      this.#event = -1;
      this.#gap = GAP_TICKS;
    }
    return EVENT_PAYLOAD_BYTES;
  }

  /** Drops the event in progress and the queue. */
  reset(): void {
    this.#event = -1;
    this.#queueLength = 0;
    this.#gap = 0;
    this.#marker = false;
  }

  #startNext(rtpTimestamp: number): boolean {
    if (this.#gap > 0) {
      this.#gap--;
      return false;
    }
    if (this.#queueLength === 0) return false;
    this.#event = this.#queueCodes[this.#queueHead]!;
    this.#ticks = this.#queueTicks[this.#queueHead]!;
    this.#queueHead = (this.#queueHead + 1) % QUEUE;
    this.#queueLength--;
    this.#tick = 0;
    this.#endsSent = 0;
    this.#nextDueMs = 0;
    this.#timestamp = rtpTimestamp >>> 0;
    return true;
  }

  #write(out: Uint8Array, end: boolean, duration: number): number {
    out[0] = this.#event;
    out[1] = (end ? 0x80 : 0) | this.#volume;
    out[2] = duration >>> 8;
    out[3] = duration & 0xff;
    return EVENT_PAYLOAD_BYTES;
  }
}
