// An adaptive jitter buffer for one received RTP stream (RFC 3550 5.1 fields; RFC 3551 4.1 and
// RFC 3389 for silence). Packets are copied into fixed slots preallocated at construction, indexed
// by sequence number; pop() is called once per frame tick and plays the stream out in sequence
// order, reporting each frame as audio, lost (with the next packet's payload for Opus FEC) or
// silence (DTX gap, comfort noise). The playout depth adapts between minDelayMs and maxDelayMs: it
// follows the measured interarrival jitter, grows at once when a packet comes too late and shrinks
// slowly, at talkspurt starts (marker bit) or by one frame when the buffer stayed too deep.
// Hot path (push/pop): no allocation but the payload views handed out.
import { PbxError } from '../util/errors.js';
import { RTP_VERSION, rtpHeaderLength } from './rtp.js';

export interface JitterBufferOptions {
  /** RTP clock rate of the stream (8000 for G.711 and G.722, 48000 for Opus). */
  clockRate: number;
  /** RTP timestamp increment of one frame (one pop). */
  timestampStep: number;
  /** Smallest playout depth; default 40 ms. */
  minDelayMs?: number;
  /** Largest playout depth; default 300 ms. */
  maxDelayMs?: number;
  /** Payload type of comfort noise besides the static 13 (RFC 3389), e.g. a dynamic CN at 16 kHz. */
  cnPayloadType?: number | null;
  /** Packets the buffer holds (a power of two is used); default 64. */
  capacity?: number;
}

export interface JitterFrame {
  kind: 'audio' | 'lost' | 'silence' | 'none';
  payloadType: number;
  /** A view into the buffer, valid until the next pop. Empty unless kind is 'audio'. */
  payload: Uint8Array;
  timestamp: number;
  marker: boolean;
  /** When kind is 'lost': the payload of the packet that follows, if it is buffered (Opus FEC). */
  next: Uint8Array | null;
}

export interface JitterStats {
  /** Packets accepted into the buffer. */
  received: number;
  /** Packets that were not RTP, had a payload too large for a slot, or a bad padding length. */
  invalid: number;
  duplicates: number;
  /** Packets that came after their frame was played out (as lost). */
  late: number;
  /** Sequence numbers played out as lost. */
  lost: number;
  /** Frames inserted (reported 'lost') to deepen the buffer after a late packet. */
  stretched: number;
  /** Frames dropped to make the buffer shallower. */
  shrunk: number;
  /** Restarts: new SSRC, timestamp or sequence jump, overflow. */
  resyncs: number;
  /** Interarrival jitter (RFC 3550 6.4.1), ms. */
  jitterMs: number;
  /** The playout depth aimed at, ms. */
  targetMs: number;
  /** The depth at the last pop, ms. */
  depthMs: number;
}

/** RFC 3551 table 4: comfort noise (RFC 3389). */
const CN_STATIC = 13;
/** A payload this short carries no audio: an Opus DTX frame (RFC 7587 3.1.3) or an empty packet. */
const DTX_PAYLOAD_MAX = 2;
/** Largest payload a slot holds (Opus at most 1275 bytes per frame, 120 ms of G.722 is 960). */
const SLOT_BYTES = 1500;
/** A timestamp this far from the one the sequence number predicts restarts the buffer. */
const JUMP_MS = 3000;
/** RFC 3550 A.1: a sequence number this far behind is a restarted sender, not a late packet. */
const MAX_MISORDER = 100;
/** Underrun frames reported 'lost' (concealed) before the gap counts as silence. */
const CONCEAL_FRAMES = 3;
/** The depth aimed at is frame + this many times the jitter. */
const JITTER_FACTOR = 3;
/** A peak from a late packet decays by this fraction of a frame per pop (20 ms in 2 s at 20 ms). */
const PEAK_DECAY = 0.01;
/** Pops over which the buffer must stay deeper than target + 2 frames before a frame is dropped. */
const SHRINK_WINDOW = 100;

const enum State {
  Empty,
  Buffering,
  Playing,
}

const EMPTY = new Uint8Array(0);

export class JitterBuffer {
  readonly stats: JitterStats = {
    received: 0,
    invalid: 0,
    duplicates: 0,
    late: 0,
    lost: 0,
    stretched: 0,
    shrunk: 0,
    resyncs: 0,
    jitterMs: 0,
    targetMs: 0,
    depthMs: 0,
  };

  readonly #clockRate: number;
  readonly #step: number;
  readonly #frameMs: number;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #cnPt: number;
  readonly #mask: number;
  readonly #capacity: number;
  readonly #jumpTs: number;

  // Slots: payload bytes in one block, header fields in parallel typed arrays.
  readonly #data: Uint8Array;
  readonly #used: Uint8Array;
  readonly #seq: Uint16Array;
  readonly #ts: Uint32Array;
  readonly #pt: Uint8Array;
  readonly #marker: Uint8Array;
  readonly #length: Uint16Array;
  readonly #arrival: Float64Array;
  /** Sequence number of the last packet played from each slot (+1, 0 = none): duplicates of it. */
  readonly #played: Uint32Array;

  readonly #frame: JitterFrame = { kind: 'none', payloadType: 0, payload: EMPTY, timestamp: 0, marker: false, next: null };

  #state = State.Empty;
  #ssrc = 0;
  /** The SSRC a new one replaced: its stragglers are dropped. */
  #oldSsrc = -1;
  /** Added to the sequence numbers of the stream since the last resync. */
  #seqOffset = 0;
  /** The packet being pushed starts a talkspurt after a resync. */
  #forced = 0;
  /** Packets buffered. */
  #count = 0;
  /** The sequence number played next (while buffering: the lowest buffered). */
  #nextSeq = 0;
  /** One past the highest sequence number buffered, relative to nextSeq. */
  #span = 0;
  /** RTP timestamp of the frame played next. */
  #playTs = 0;
  /** While buffering: when the first packet came. */
  #bufferingSince = 0;
  /** The stream had played before the current buffering (rebuffer after a resync: 'silence'). */
  #wasPlaying = false;
  /** Underrun frames in a row, and whether the last frame played was audio. */
  #underruns = 0;
  #lastWasAudio = false;
  #lastPt = 0;
  /** Last packet pushed, for the timestamp jump check and the jitter estimate. */
  #lastSeq = 0;
  #lastTs = 0;
  #lastArrival = 0;
  #jitterTs = 0;
  /** The depth a late packet asked for, decaying slowly. */
  #peakMs = 0;
  #stretch = 0;
  #deepPops = 0;

  constructor(o: JitterBufferOptions) {
    if (!(Number.isInteger(o.clockRate) && o.clockRate > 0)) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `jitter buffer clockRate must be a positive integer, got ${o.clockRate}`);
    }
    if (!(Number.isInteger(o.timestampStep) && o.timestampStep > 0)) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `jitter buffer timestampStep must be a positive integer, got ${o.timestampStep}`);
    }
    this.#clockRate = o.clockRate;
    this.#step = o.timestampStep;
    this.#frameMs = (o.timestampStep * 1000) / o.clockRate;
    this.#minMs = o.minDelayMs ?? 40;
    this.#maxMs = o.maxDelayMs ?? 300;
    if (!(this.#minMs >= 0 && this.#maxMs >= this.#minMs)) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `jitter buffer needs 0 <= minDelayMs <= maxDelayMs, got ${this.#minMs} and ${this.#maxMs}`);
    }
    this.#cnPt = o.cnPayloadType ?? CN_STATIC;
    let capacity = 8;
    while (capacity < (o.capacity ?? 64) && capacity < 4096) capacity *= 2;
    this.#capacity = capacity;
    this.#mask = capacity - 1;
    this.#jumpTs = (JUMP_MS * o.clockRate) / 1000;
    this.#data = new Uint8Array(capacity * SLOT_BYTES);
    this.#used = new Uint8Array(capacity);
    this.#seq = new Uint16Array(capacity);
    this.#ts = new Uint32Array(capacity);
    this.#pt = new Uint8Array(capacity);
    this.#marker = new Uint8Array(capacity);
    this.#length = new Uint16Array(capacity);
    this.#arrival = new Float64Array(capacity);
    this.#played = new Uint32Array(capacity);
    this.stats.targetMs = this.#minMs;
  }

  /** Copies one RTP packet in. false when it was dropped (invalid, duplicate, late). */
  push(packet: Uint8Array, length: number, arrivalMs: number): boolean {
    const header = rtpHeaderLength(packet, length);
    if (header < 0 || packet[0]! >>> 6 !== RTP_VERSION) return this.#invalid();
    // RFC 3550 5.1: with P set, the last octet counts the padding octets, itself included.
    const padding = (packet[0]! & 0x20) !== 0 ? packet[length - 1]! : 0;
    const size = length - header - padding;
    if (size < 0 || size > SLOT_BYTES || (padding === 0 && (packet[0]! & 0x20) !== 0)) return this.#invalid();
    const rawSeq = (packet[2]! << 8) | packet[3]!;
    const ts = ((packet[4]! << 24) | (packet[5]! << 16) | (packet[6]! << 8) | packet[7]!) >>> 0;
    const ssrc = ((packet[8]! << 24) | (packet[9]! << 16) | (packet[10]! << 8) | packet[11]!) >>> 0;

    if (this.#state === State.Empty) {
      this.#begin(ssrc, rawSeq, ts, arrivalMs);
    } else if (ssrc !== this.#ssrc) {
      // A packet of the stream replaced by a new SSRC is dropped; a new SSRC takes over (resync).
      if (ssrc === this.#oldSsrc) {
        this.stats.late++;
        return false;
      }
      this.#oldSsrc = this.#ssrc;
      this.#ssrc = ssrc;
      this.#rebase(rawSeq);
    }
    let seq = (rawSeq + this.#seqOffset) & 0xffff;
    let offset = (seq - this.#nextSeq) << 16 >> 16;
    if (this.#forced === 0) {
      if (this.#jumped(seq, ts) || offset >= this.#capacity || offset <= -MAX_MISORDER) {
        // RFC 3550 A.1: a restarted or jumping sender. Resync: the packet starts a talkspurt after what is buffered.
        this.#rebase(rawSeq);
        seq = (rawSeq + this.#seqOffset) & 0xffff;
        offset = (seq - this.#nextSeq) << 16 >> 16;
      } else if (offset < 0) {
        if (this.#state === State.Buffering && this.#span - offset <= this.#capacity) {
          // Reordered before playout began: it becomes the head.
          this.#nextSeq = seq;
          this.#span -= offset;
          offset = 0;
        } else if (this.#played[seq & this.#mask] === seq + 1) {
          this.stats.duplicates++;
          return false;
        } else {
          return this.#dropLate(ts);
        }
      }
    }
    if (offset >= this.#capacity) {
      // The buffer is full (nobody pops): start again from this packet.
      this.stats.resyncs++;
      this.#flush();
      this.#begin(ssrc, rawSeq, ts, arrivalMs);
      seq = rawSeq;
      offset = 0;
    }
    this.#estimateJitter(seq, ts, arrivalMs);

    const slot = seq & this.#mask;
    if (this.#used[slot] === 1) {
      this.stats.duplicates++;
      return false;
    }
    this.#used[slot] = 1;
    this.#seq[slot] = seq;
    this.#ts[slot] = ts;
    this.#pt[slot] = packet[1]! & 0x7f;
    this.#marker[slot] = this.#forced === 1 ? 1 : packet[1]! >>> 7;
    this.#forced = 0;
    this.#length[slot] = size;
    this.#arrival[slot] = arrivalMs;
    const data = this.#data;
    const base = slot * SLOT_BYTES - header;
    for (let i = header; i < header + size; i++) data[base + i] = packet[i]!;
    this.#count++;
    if (offset + 1 > this.#span) this.#span = offset + 1;
    this.stats.received++;
    return true;
  }

  /** The frame to play now; call once per frame tick. Returns the same object every time. */
  pop(nowMs: number): JitterFrame {
    const f = this.#frame;
    f.payload = EMPTY;
    f.next = null;
    f.marker = false;
    this.#decayPeak();
    if (this.#state === State.Empty) return this.#emit('none');
    if (this.#state === State.Buffering) {
      if (nowMs - this.#bufferingSince < this.stats.targetMs) return this.#emit(this.#wasPlaying ? 'silence' : 'none');
      this.#state = State.Playing;
      this.#wasPlaying = true;
      this.#playTs = this.#ts[this.#nextSeq & this.#mask]!;
    }
    this.stats.depthMs = this.#depthMs();
    if (this.#count === 0) return this.#underrun();
    this.#underruns = 0;

    let head = this.#nextSeq & this.#mask;
    if (this.#used[head] === 0) {
      const found = this.#firstBuffered();
      const foundTs = this.#ts[found]!;
      if (((foundTs - this.#playTs) | 0) > 0) {
        // RFC 3550 A.1 terms: the packet for this frame is missing. Conceal it, one frame at a time.
        this.stats.lost++;
        this.#nextSeq = (this.#nextSeq + 1) & 0xffff;
        this.#span--;
        if (((foundTs - this.#playTs - this.#step) | 0) <= 0) f.next = this.#payloadOf(found);
        return this.#advance('lost');
      }
      // The missing packets' time already went by in underruns: skip to the buffered one.
      const skipped = (this.#seq[found]! - this.#nextSeq) & 0xffff;
      this.stats.lost += skipped;
      this.#nextSeq = this.#seq[found]!;
      this.#span -= skipped;
      head = found;
    }

    if (this.#marker[head] === 1) {
      // A talkspurt starts: the depth adapts here, the packet plays once it has waited targetMs.
      if (nowMs - this.#arrival[head]! < this.stats.targetMs) return this.#advance('silence');
      this.#stretch = 0;
    } else if (((this.#ts[head]! - this.#playTs) | 0) > 0) {
      // RFC 3551 4.1: the timestamp moved on without the sequence number: a DTX gap.
      return this.#advance('silence');
    } else if (this.#stretch > 0 && this.#lastWasAudio) {
      this.#stretch--;
      this.stats.stretched++;
      f.next = this.#payloadOf(head);
      return this.#advance('lost');
    } else if (this.#tooDeep()) {
      this.#playTs = (this.#ts[head]! + this.#step) >>> 0;
      this.#consume(head);
      this.stats.shrunk++;
      if (this.#count === 0) return this.#underrun();
      return this.pop(nowMs);
    }
    return this.#play(head);
  }

  /** Forgets the stream and every buffered packet (statistics are kept). */
  reset(): void {
    this.#flush();
    this.#state = State.Empty;
    this.#wasPlaying = false;
    this.#jitterTs = 0;
    this.#peakMs = 0;
    this.stats.targetMs = this.#minMs;
  }

  #invalid(): false {
    this.stats.invalid++;
    return false;
  }

  #begin(ssrc: number, seq: number, ts: number, arrivalMs: number): void {
    this.#state = State.Buffering;
    this.#ssrc = ssrc;
    this.#oldSsrc = -1;
    this.#seqOffset = 0;
    this.#forced = 0;
    this.#nextSeq = seq;
    this.#span = 0;
    this.#bufferingSince = arrivalMs;
    this.#lastSeq = seq;
    this.#lastTs = ts;
    this.#lastArrival = arrivalMs;
    this.#underruns = 0;
    this.#lastWasAudio = false;
    this.#stretch = 0;
    this.#deepPops = 0;
  }

  /**
   * Resync without losing what is buffered: sequence numbers from rawSeq on are renumbered to follow
   * the highest buffered one, and the packet is played as a talkspurt start (its timestamp is new).
   */
  #rebase(rawSeq: number): void {
    this.stats.resyncs++;
    this.#seqOffset = (this.#nextSeq + this.#span - rawSeq) & 0xffff;
    this.#lastSeq = (this.#nextSeq + this.#span - 1) & 0xffff;
    this.#forced = 1;
  }

  #flush(): void {
    this.#used.fill(0);
    this.#played.fill(0);
    this.#count = 0;
    this.#span = 0;
  }

  /** The timestamp is far from what the sequence number predicts (RFC 3550 5.1: a restarted sender). */
  #jumped(seq: number, ts: number): boolean {
    const seqDelta = (seq - this.#lastSeq) << 16 >> 16;
    const expected = (this.#lastTs + seqDelta * this.#step) >>> 0;
    const dev = (ts - expected) | 0;
    return dev > this.#jumpTs || dev < -this.#jumpTs;
  }

  /** RFC 3550 6.4.1 / A.8: J += (|D| - J) / 16, in timestamp units; packets in sequence only. */
  #estimateJitter(seq: number, ts: number, arrivalMs: number): void {
    const seqDelta = (seq - this.#lastSeq) << 16 >> 16;
    if (seqDelta <= 0) return;
    if (this.#forced === 1) {
      // The first packet after a resync: a new timing reference, no jitter sample.
      this.#lastSeq = seq;
      this.#lastTs = ts;
      this.#lastArrival = arrivalMs;
      return;
    }
    const d = ((arrivalMs - this.#lastArrival) * this.#clockRate) / 1000 - ((ts - this.#lastTs) | 0);
    this.#jitterTs += ((d < 0 ? -d : d) - this.#jitterTs) / 16;
    this.#lastSeq = seq;
    this.#lastTs = ts;
    this.#lastArrival = arrivalMs;
    this.stats.jitterMs = (this.#jitterTs * 1000) / this.#clockRate;
    this.#retarget();
  }

  #retarget(): void {
    const fromJitter = this.#frameMs + JITTER_FACTOR * this.stats.jitterMs;
    const want = fromJitter > this.#peakMs ? fromJitter : this.#peakMs;
    this.stats.targetMs = want < this.#minMs ? this.#minMs : want > this.#maxMs ? this.#maxMs : want;
  }

  #decayPeak(): void {
    if (this.#peakMs <= 0) return;
    this.#peakMs -= this.#frameMs * PEAK_DECAY;
    this.#retarget();
  }

  /** Grow fast: the depth at once covers how late the packet was, and frames are inserted to reach it. */
  #dropLate(ts: number): false {
    this.stats.late++;
    const lateMs = ((((this.#playTs - ts) | 0) * 1000) / this.#clockRate) | 0;
    const want = this.stats.depthMs + (lateMs > this.#frameMs ? lateMs : this.#frameMs);
    if (want > this.#peakMs) this.#peakMs = want > this.#maxMs ? this.#maxMs : want;
    this.#retarget();
    const frames = Math.ceil((this.stats.targetMs - this.stats.depthMs) / this.#frameMs);
    if (frames > this.#stretch) this.#stretch = frames;
    return false;
  }

  /** Shrink slowly: one frame, after the buffer stayed two frames deeper than targeted for a while. */
  #tooDeep(): boolean {
    if (this.stats.depthMs <= this.stats.targetMs + 2 * this.#frameMs) {
      this.#deepPops = 0;
      return false;
    }
    if (++this.#deepPops < SHRINK_WINDOW) return false;
    this.#deepPops = 0;
    return true;
  }

  #depthMs(): number {
    if (this.#count === 0) return 0;
    const last = (this.#nextSeq + this.#span - 1) & this.#mask;
    const covered = ((this.#ts[last]! - this.#playTs) | 0) + this.#step;
    return covered <= 0 ? 0 : (covered * 1000) / this.#clockRate;
  }

  /** The buffered slot with the lowest sequence number at or after nextSeq (count > 0). */
  #firstBuffered(): number {
    for (let i = 0; i < this.#span; i++) {
      const slot = (this.#nextSeq + i) & this.#mask;
      if (this.#used[slot] === 1) return slot;
    }
    return this.#nextSeq & this.#mask;
  }

  #payloadOf(slot: number): Uint8Array {
    const start = slot * SLOT_BYTES;
    return this.#data.subarray(start, start + this.#length[slot]!);
  }

  #underrun(): JitterFrame {
    // Nothing buffered: a loss (concealed for a few frames) or the sender went quiet.
    this.#underruns++;
    const concealing = this.#lastWasAudio && this.#underruns <= CONCEAL_FRAMES;
    return this.#advance(concealing ? 'lost' : 'silence');
  }

  #consume(slot: number): void {
    this.#used[slot] = 0;
    this.#played[slot] = this.#seq[slot]! + 1;
    this.#count--;
    this.#nextSeq = (this.#nextSeq + 1) & 0xffff;
    this.#span--;
  }

  #play(slot: number): JitterFrame {
    const f = this.#frame;
    const pt = this.#pt[slot]!;
    const size = this.#length[slot]!;
    const silent = pt === CN_STATIC || pt === this.#cnPt || size <= DTX_PAYLOAD_MAX;
    f.kind = silent ? 'silence' : 'audio';
    f.payloadType = pt;
    f.payload = silent ? EMPTY : this.#payloadOf(slot);
    f.timestamp = this.#ts[slot]!;
    f.marker = this.#marker[slot] === 1;
    this.#lastPt = pt;
    this.#lastWasAudio = !silent;
    this.#playTs = (this.#ts[slot]! + this.#step) >>> 0;
    this.#consume(slot);
    return f;
  }

  /** A frame with no packet behind it: the play clock moves on by one frame. */
  #advance(kind: 'lost' | 'silence'): JitterFrame {
    const f = this.#emit(kind);
    f.timestamp = this.#playTs;
    this.#playTs = (this.#playTs + this.#step) >>> 0;
    if (kind === 'silence') this.#lastWasAudio = false;
    return f;
  }

  #emit(kind: JitterFrame['kind']): JitterFrame {
    const f = this.#frame;
    f.kind = kind;
    f.payloadType = this.#lastPt;
    return f;
  }
}
