// The media pipeline of one worker: which legs are decoded, and what each decoded leg hears and
// says every 20 ms. A pure relay pair (same codec, nothing else to do) stays in relay.ts and is
// never decoded; a leg becomes decoded when it is transcoded (its bridged peer speaks another
// codec), mixed, recorded, played to, sends a digit or has its digits watched, and then its peer
// is decoded too, on the same sockets. Each tick: every decoded leg pulls one frame from its
// jitter buffer and decodes it at its codec's rate (digits detected), the rooms mix (room.ts: at 16
// or 48 kHz), the recorders write (16 kHz, made from the decoded frame when read), and every decoded
// leg sends one frame: the player's, else its room's mix, else its peer's audio, as decoded when
// the two legs code at one rate (PCMU to PCMA; Opus coded at 8 kHz beside G.711, askedRate()).
// Digits: RFC 4733 events come from the relay of every leg, decoded or not (telephoneEvent()),
// in-band digits from decoded legs; each is reported once and reaches the bridged leg in the
// method that leg negotiated, unless that leg gets its digits by SIP INFO (call control sends those).
// The Opus encoders' complexity follows the worker's load: each tick's work is timed and
// complexity-governor.ts lowers it (3 -> 1 -> 0) while ticks take too much of the 20 ms.
import { performance } from 'node:perf_hooks';
import { PbxError } from '../../util/errors.js';
import { codecSampleRate } from '../codec/index.js';
import { Player, type PlayItem } from '../player.js';
import type { LegCodecSpec, PlaySource, WorkerEvent, WorkerRequest } from '../protocol.js';
import { CallRecorder } from '../recording/recorder.js';
import { DtmfEventReceiver } from '../dtmf/rfc4733.js';
import { Leg } from '../relay.js';
import type { RelayLeg } from '../relay-leg.js';
import { toneSet, type ToneSet } from '../tones.js';
import { rtpHeaderLength, rtpTimestamp } from '../rtp.js';
import { readWav } from '../wav.js';
import { DecodedLeg, INTERNAL_FRAME, INTERNAL_RATE } from './decoded-leg.js';
import { ComplexityGovernor, type ComplexityGovernorOptions } from './complexity-governor.js';
import { isDigit } from './digit-sender.js';
import { MediaClock } from './media-clock.js';
import type { RtpSender } from './rtp-sender.js';
import { Room, WIDE_RATE, type RoomMember } from './room.js';

/** The pipeline's requests; the worker answers the others itself. */
export type PipelineRequest = Extract<
  WorkerRequest,
  { op: 'codec' | 'play' | 'stop-play' | 'send-digit' | 'detect-digits' | 'record' | 'stop-record' | 'pause-record' | 'join' | 'leave' | 'party' }
>;

const PIPELINE_OPS: ReadonlySet<string> = new Set([
  'codec',
  'play',
  'stop-play',
  'send-digit',
  'detect-digits',
  'record',
  'stop-record',
  'pause-record',
  'join',
  'leave',
  'party',
]);

export function isPipelineRequest(req: WorkerRequest): req is PipelineRequest {
  return PIPELINE_OPS.has(req.op);
}

/** Digits waiting for a leg to be decoded, at most (DigitSender queues as many). */
const MAX_PENDING_DIGITS = 16;
/** Decoded prompts kept per worker (a prompt is read from disk once). */
const PROMPT_CACHE = 64;
const SILENCE = new Int16Array(INTERNAL_FRAME);

/** The names tone() takes, and the tone of the country set each one is. */
const TONE_NAMES: ReadonlyMap<string, Exclude<keyof ToneSet, 'country' | 'description'>> = new Map([
  ['dial', 'dial'],
  ['ringback', 'ringback'],
  ['busy', 'busy'],
  ['congestion', 'congestion'],
  ['call-waiting', 'callWaiting'],
  ['beep', 'beep'],
  ['join', 'join'],
  ['leave', 'leave'],
] as const);

interface Recording {
  id: string;
  recorder: CallRecorder;
  legs: LegMedia[];
  /** Nothing is written, and the legs are not decoded for it, until it resumes. */
  paused: boolean;
  /** Frames of quiet on the first leg before 'record-silence' (0: not watched), and the count so far. */
  silenceFrames: number;
  quietFrames: number;
}

/**
 * A frame is quiet when its mean absolute sample is below this (Asterisk's dsp.conf
 * silencethreshold, 256, on 16-bit samples).
 */
const SILENCE_THRESHOLD = 256;

function isQuiet(pcm: Int16Array): boolean {
  let sum = 0;
  for (let i = 0; i < INTERNAL_FRAME; i++) {
    const v = pcm[i]!;
    sum += v < 0 ? -v : v;
  }
  return sum < SILENCE_THRESHOLD * INTERNAL_FRAME;
}

/** What the pipeline knows of one leg of the worker. */
interface LegMedia {
  /** A node:dgram relay leg once decoded; a native one is moved to node:dgram first (needDgram). */
  leg: RelayLeg;
  codec: LegCodecSpec | null;
  decoded: DecodedLeg | null;
  /** Report digits even when nothing else needs the leg decoded. */
  detect: boolean;
  room: Room | null;
  member: RoomMember | null;
  recordings: number;
  play: { player: Player; playId: number } | null;
  /** Digits to send once the leg is decoded. */
  pendingDigits: string[];
  /** The phone's RFC 4733 events, whichever relay or mode the leg is in (one digit per event). */
  events: DtmfEventReceiver;
}

export interface PipelineOptions {
  /** The minimum RTCP report interval of decoded legs, ms (RFC 3550 6.2: 5000); tests shorten it. */
  rtcpIntervalMs?: number;
  /** How tick work lowers the Opus encoders' complexity (complexity-governor.ts); tests shorten its windows. */
  complexity?: ComplexityGovernorOptions;
}

function fail(code: string, message: string): never {
  throw new PbxError(code, message);
}

/** The PCM rate of G.711 (and L16/8000): a codec of several rates asks for it when bridged to one. */
const NARROW_RATE = 8000;

/**
 * The PCM rate a decoded leg's codec is asked for: 48 kHz in a room, so that a room of Opus legs
 * mixes at 48 kHz (room.ts); 8 kHz when bridged to a leg whose codec is 8 kHz (PCMU, PCMA), so
 * that Opus codes narrowband at 8 kHz (about half the encoder's CPU of 16 kHz) and neither
 * direction is resampled; elsewhere the internal 16 kHz. A codec of one rate (G.711, G.722)
 * keeps its own. A player, recorder or detector on such a leg still gets 16 kHz (DecodedLeg.heard).
 */
function askedRate(m: LegMedia, peer: LegMedia | undefined): number {
  if (m.room !== null) return WIDE_RATE;
  const c = peer?.codec;
  if (c != null && peer!.room === null && codecSampleRate(c.name, c.clockRate, c.channels) === NARROW_RATE) return NARROW_RATE;
  return INTERNAL_RATE;
}

function sameCodec(a: LegCodecSpec, b: LegCodecSpec): boolean {
  return a.name.toLowerCase() === b.name.toLowerCase() && a.clockRate === b.clockRate;
}

export class Pipeline {
  readonly #legs: ReadonlyMap<string, RelayLeg>;
  readonly #needDgram: () => void;
  readonly #post: (e: WorkerEvent) => void;
  readonly #tones: ToneSet;
  readonly #media = new Map<RelayLeg, LegMedia>();
  readonly #rooms = new Map<string, Room>();
  readonly #recordings = new Map<string, Recording>();
  readonly #prompts = new Map<string, PlayItem>();
  readonly #clock = new MediaClock((now, _due, skipped) => this.#tick(now, skipped));
  readonly #rtcpIntervalMs: number | undefined;
  readonly #governor: ComplexityGovernor;
  /** The decoded legs, walked every tick (rebuilt when a leg changes mode). */
  #decoded: LegMedia[] = [];
  /** Something changed during a tick (a play ended, digits were sent): modes are looked at again. */
  #dirty = false;

  /**
   * `needDgram` is called when a leg the native relay holds must be decoded: the worker moves it
   * (and its peer) to node:dgram sockets on the same ports, calls replaceLeg() and refresh().
   */
  constructor(
    legs: ReadonlyMap<string, RelayLeg>,
    post: (e: WorkerEvent) => void,
    toneCountry: string,
    needDgram: () => void,
    options: PipelineOptions = {},
  ) {
    this.#legs = legs;
    this.#rtcpIntervalMs = options.rtcpIntervalMs;
    this.#governor = new ComplexityGovernor(options.complexity);
    this.#needDgram = needDgram;
    this.#post = post;
    this.#tones = toneSet(toneCountry);
  }

  get clock(): MediaClock {
    return this.#clock;
  }

  /** The leg's mode may have changed (bridged, unbridged, pointed elsewhere). */
  refresh(): void {
    let native = false;
    for (const m of this.#media.values()) if (!this.#mode(m)) native = true;
    this.#rebuild();
    if (native) this.#needDgram();
  }

  /** Legs that must be decoded but are held by the native relay (see needDgram). */
  nativeWanted(): RelayLeg[] {
    const out: RelayLeg[] = [];
    for (const m of this.#media.values()) if (!(m.leg instanceof Leg) && this.#wants(m)) out.push(m.leg);
    return out;
  }

  /** The worker moved a leg from the native relay to node:dgram sockets: keep what it was doing. */
  replaceLeg(old: RelayLeg, now: Leg): void {
    const m = this.#media.get(old);
    if (m === undefined) return;
    this.#media.delete(old);
    m.leg = now;
    now.inRoom = old.inRoom;
    now.setEventPayloadType(m.codec?.dtmfPayloadType ?? null);
    this.#media.set(now, m);
  }

  /**
   * A telephone-event packet from a leg's phone (whole, RTP header included). A new event is one
   * digit (RFC 4733 2.5.1.3: its updates and end packets share its timestamp): it is reported, and
   * the bridged leg gets it in its own method. The relay passed the packets on when both legs have
   * telephone-event and neither is decoded; otherwise the digit goes in the peer's own stream, as
   * events or as in-band tones. A peer that gets digits by SIP INFO gets nothing from here.
   */
  telephoneEvent(leg: RelayLeg, packet: Uint8Array): void {
    const m = this.#media.get(leg);
    if (m === undefined || m.codec === null) return;
    const header = rtpHeaderLength(packet, packet.length);
    if (header < 0) return;
    const digit = m.events.push(packet.subarray(header), rtpTimestamp(packet));
    if (digit === null) return;
    this.#post({ event: 'dtmf', legId: leg.id, digit, method: 'rfc4733' });
    const peer = m.room === null && leg.peer !== null ? this.#media.get(leg.peer) : undefined;
    if (peer === undefined || peer.codec === null || peer.codec.digitsByInfo === true) return;
    const relayed = peer.codec.dtmfPayloadType !== null && m.decoded === null && peer.decoded === null;
    if (relayed || !this.#queueDigit(peer, digit)) return;
    this.refresh();
  }

  /** Queues a digit for the leg's phone; false when it cannot be (its codec is only relayed, the queue is full). */
  #queueDigit(m: LegMedia, digit: string): boolean {
    if (m.decoded !== null) return m.decoded.digitSender.add(digit);
    if (m.codec === null || !DecodedLeg.supports(m.codec) || m.pendingDigits.length >= MAX_PENDING_DIGITS) return false;
    m.pendingDigits.push(digit);
    return true;
  }

  /** The leg is closing: what it played ends, it leaves its room and its recordings hear silence. */
  legClosed(leg: RelayLeg): void {
    const m = this.#media.get(leg);
    if (m === undefined) return;
    this.#endPlay(m, 'stopped');
    this.#leave(m);
    this.#detach(m);
    this.#media.delete(leg);
    this.refresh();
  }

  close(): void {
    this.#clock.stop();
    for (const m of this.#media.values()) this.#detach(m);
    for (const r of this.#recordings.values()) void r.recorder.close().catch(() => undefined);
    this.#recordings.clear();
  }

  async handle(req: PipelineRequest): Promise<void> {
    switch (req.op) {
      case 'codec': {
        const m = this.#of(req.legId);
        const changed = m.codec === null || !sameCodec(m.codec, req.codec) || m.codec.payloadType !== req.codec.payloadType || m.codec.dtmfPayloadType !== req.codec.dtmfPayloadType;
        if (m.codec?.dtmfPayloadType !== req.codec.dtmfPayloadType) m.events.reset();
        m.codec = req.codec;
        m.leg.setEventPayloadType(req.codec.dtmfPayloadType);
        if (changed) this.#detach(m);
        break;
      }
      case 'play': {
        const m = this.#of(req.legId);
        this.#needCodec(m, 'play to');
        const items = req.items.map((s) => this.#item(s));
        const player = new Player(INTERNAL_RATE);
        player.load(items, { loop: req.loop });
        this.#endPlay(m, 'stopped');
        m.play = { player, playId: req.playId };
        break;
      }
      case 'stop-play':
        this.#endPlay(this.#of(req.legId), 'stopped');
        break;
      case 'send-digit': {
        const m = this.#of(req.legId);
        this.#needCodec(m, 'send a digit to');
        if (!isDigit(req.digit)) fail('PBX_ERR_MEDIA_ARGUMENT', `bad digit ${req.digit}`);
        this.#queueDigit(m, req.digit);
        break;
      }
      case 'detect-digits':
        this.#of(req.legId).detect = req.on;
        break;
      case 'record': {
        if (this.#recordings.has(req.recordingId)) fail('PBX_ERR_MEDIA_RECORD', `recording ${req.recordingId} exists`);
        const legs = req.legs.map((id) => this.#of(id));
        const id = req.recordingId;
        const recorder = await CallRecorder.open(req.path, {
          sampleRate: INTERNAL_RATE,
          mode: req.mode,
          onError: (err) => this.#recordFailed(id, err.message),
        });
        for (const m of legs) m.recordings++;
        const silenceFrames = req.silenceMs > 0 ? Math.ceil(req.silenceMs / 20) : 0;
        this.#recordings.set(req.recordingId, { id: req.recordingId, recorder, legs, paused: false, silenceFrames, quietFrames: 0 });
        break;
      }
      case 'stop-record': {
        const r = this.#recordings.get(req.recordingId);
        if (r === undefined) return;
        this.#recordings.delete(req.recordingId);
        this.#pause(r, true);
        this.refresh();
        await r.recorder.close();
        return;
      }
      case 'pause-record': {
        const r = this.#recordings.get(req.recordingId);
        if (r === undefined) fail('PBX_ERR_MEDIA_NO_RECORDING', `no recording ${req.recordingId}`);
        this.#pause(r, req.paused);
        break;
      }
      case 'join': {
        const m = this.#of(req.legId);
        this.#needCodec(m, 'mix');
        this.#leave(m);
        let room = this.#rooms.get(req.room);
        if (room === undefined) {
          const name = req.room;
          room = new Room(name, (legId, talking) => this.#post({ event: 'talking', room: name, legId, talking }));
          this.#rooms.set(name, room);
        }
        m.member = room.join(req.legId, m, { muted: req.muted, deaf: req.deaf });
        m.room = room;
        // A member whose phone went away without a BYE is hung up by the RTP timeout, as a bridged leg.
        m.leg.inRoom = true;
        m.leg.restartWatch();
        break;
      }
      case 'leave':
        this.#leave(this.#of(req.legId));
        break;
      case 'party': {
        const m = this.#of(req.legId);
        if (m.room === null || m.member === null) fail('PBX_ERR_MEDIA_CONFERENCE', `leg ${req.legId} is in no room`);
        if (req.muted !== null) m.room.setMuted(m.member, req.muted);
        if (req.deaf !== null) m.room.setDeaf(m.member, req.deaf);
        break;
      }
    }
    this.refresh();
  }

  #of(legId: string): LegMedia {
    const leg = this.#legs.get(legId);
    if (leg === undefined) fail('PBX_ERR_MEDIA_NO_LEG', `no leg ${legId}`);
    let m = this.#media.get(leg);
    if (m === undefined) {
      m = { leg, codec: null, decoded: null, detect: false, room: null, member: null, recordings: 0, play: null, pendingDigits: [], events: new DtmfEventReceiver() };
      this.#media.set(leg, m);
    }
    return m;
  }

  #needCodec(m: LegMedia, what: string): void {
    if (m.codec === null) fail('PBX_ERR_MEDIA_NO_CODEC', `cannot ${what} leg ${m.leg.id}: its codec is not set (setCodec)`);
    if (m.decoded === null && !DecodedLeg.supports(m.codec)) {
      fail('PBX_ERR_MEDIA_NO_CODEC', `cannot ${what} leg ${m.leg.id}: codec ${m.codec.name}/${m.codec.clockRate} can only be relayed`);
    }
  }

  #item(s: PlaySource): PlayItem {
    if ('file' in s) {
      const cached = this.#prompts.get(s.file);
      if (cached !== undefined) return cached;
      const wav = readWav(s.file);
      const item: PlayItem = { pcm: wav.pcm, sampleRate: wav.sampleRate };
      if (this.#prompts.size >= PROMPT_CACHE) this.#prompts.clear();
      this.#prompts.set(s.file, item);
      return item;
    }
    if ('tone' in s) {
      const key = TONE_NAMES.get(s.tone);
      if (key === undefined) fail('PBX_ERR_MEDIA_TONE', `no tone "${s.tone}"; tones: ${[...TONE_NAMES.keys()].join(', ')}`);
      return { tone: this.#tones[key] };
    }
    return { pcm: new Int16Array(Math.round((s.silenceMs * INTERNAL_RATE) / 1000)), sampleRate: INTERNAL_RATE };
  }

  #endPlay(m: LegMedia, reason: 'done' | 'stopped'): void {
    const p = m.play;
    if (p === null) return;
    m.play = null;
    p.player.stop();
    this.#post({ event: 'play-done', legId: m.leg.id, playId: p.playId, reason, error: null });
  }

  #leave(m: LegMedia): void {
    const room = m.room;
    if (room === null) return;
    room.leave(m.leg.id);
    m.leg.inRoom = false;
    m.room = null;
    m.member = null;
    if (room.size === 0) this.#rooms.delete(room.name);
  }

  /** Reasons of the leg's own to be decoded. */
  #own(m: LegMedia | undefined): boolean {
    if (m === undefined) return false;
    return m.detect || m.room !== null || m.recordings > 0 || m.play !== null || m.pendingDigits.length > 0 || (m.decoded?.digitSender.active ?? false);
  }

  #wants(m: LegMedia): boolean {
    const peer = m.leg.peer === null ? undefined : this.#media.get(m.leg.peer);
    const transcoded = peer !== undefined && m.codec !== null && peer.codec !== null && !sameCodec(m.codec, peer.codec);
    return m.codec !== null && (this.#own(m) || this.#own(peer) || transcoded);
  }

  /** Decodes the leg or stops decoding it, as needed; false when a native leg waits for needDgram. */
  #mode(m: LegMedia): boolean {
    if (!this.#wants(m)) {
      this.#detach(m);
      return true;
    }
    const asked = askedRate(m, m.leg.peer === null ? undefined : this.#media.get(m.leg.peer));
    let sender: RtpSender | undefined;
    if (m.decoded !== null) {
      const c = m.codec!;
      if (m.decoded.pcmRate === codecSampleRate(c.name, c.clockRate, c.channels, { sampleRate: asked })) return true;
      // An Opus leg joined or left a room, or its peer changed: its codec is made again at the rate
      // it now asks for, and its RTP stream goes on.
      sender = m.decoded.sender;
      this.#detach(m);
    }
    if (!(m.leg instanceof Leg)) return false;
    const d = DecodedLeg.create(m.leg, m.codec!, asked, this.#rtcpIntervalMs, sender);
    if (d === null) return true;
    d.setEncoderComplexity(this.#governor.complexity);
    m.decoded = d;
    m.leg.decoded = d;
    for (const digit of m.pendingDigits) d.digitSender.add(digit);
    m.pendingDigits.length = 0;
    return true;
  }

  #detach(m: LegMedia): void {
    const d = m.decoded;
    if (d === null) return;
    m.decoded = null;
    if (m.leg instanceof Leg) m.leg.decoded = null;
    d.close();
  }

  #rebuild(): void {
    this.#decoded = [...this.#media.values()].filter((m) => m.decoded !== null);
    for (const room of this.#rooms.values()) room.refresh();
    if (this.#decoded.length > 0 || this.#recordings.size > 0) this.#clock.start();
    else this.#clock.stop();
  }

  #tick(now: number, skipped: number): void {
    const list = this.#decoded;
    // Frames the clock skipped after a stall were never sent: the streams' timestamps show the gap.
    if (skipped > 0) for (let i = 0; i < list.length; i++) list[i]!.decoded!.skipFrames(skipped);
    for (let i = 0; i < list.length; i++) this.#pull(list[i]!, now);
    for (const room of this.#rooms.values()) room.mix();
    for (const r of this.#recordings.values()) this.#record(r);
    for (let i = 0; i < list.length; i++) {
      const m = list[i]!;
      const d = m.decoded!;
      const wasSending = d.digitSender.active;
      d.send(this.#output(m));
      if (wasSending && !d.digitSender.active) this.#dirty = true;
    }
    if (this.#dirty) {
      this.#dirty = false;
      this.refresh();
    }
    if (this.#governor.observe(performance.now() - now)) this.#setComplexity();
  }

  /** The governor moved: every decoded leg's encoder follows, and the change is logged once. */
  #setComplexity(): void {
    const complexity = this.#governor.complexity;
    for (const m of this.#media.values()) m.decoded?.setEncoderComplexity(complexity);
    this.#post({ event: 'opus-complexity', complexity, tickMs: this.#governor.lastMeanMs });
  }

  #pull(m: LegMedia, now: number): void {
    const d = m.decoded!;
    d.pull(now);
    if (d.digits.length === 0) return;
    const peer = m.room === null && m.leg.peer !== null ? this.#media.get(m.leg.peer) : undefined;
    const events = peer?.codec?.digitsByInfo !== true && peer?.decoded?.digitSender.method === 'rfc4733' ? peer.decoded : null;
    for (const { digit, method } of d.digits) {
      this.#post({ event: 'dtmf', legId: m.leg.id, digit, method });
      // A peer with telephone-event gets the digit as events; in-band to in-band is already in the audio.
      events?.digitSender.add(digit);
    }
    d.digits.length = 0;
  }

  /** A paused recording no longer counts as a reason to decode its legs. */
  #pause(r: Recording, paused: boolean): void {
    if (r.paused === paused) return;
    r.paused = paused;
    for (const m of r.legs) m.recordings += paused ? -1 : 1;
  }

  #record(r: Recording): void {
    if (r.paused) return;
    const left = r.legs[0]!.decoded;
    const right = r.legs.length > 1 ? r.legs[1]!.decoded : null;
    r.recorder.writeLeft(left === null ? SILENCE : left.heard, INTERNAL_FRAME);
    r.recorder.writeRight(right === null ? SILENCE : right.heard, INTERNAL_FRAME);
    if (r.silenceFrames > 0) {
      r.quietFrames = left === null || isQuiet(left.heard) ? r.quietFrames + 1 : 0;
      // Once per stretch of quiet: the count goes on past the limit, so it is posted only at it.
      if (r.quietFrames === r.silenceFrames) this.#post({ event: 'record-silence', recordingId: r.id });
    }
  }

  /** The recorder could not write: the recording ends, the engine is told. */
  #recordFailed(id: string, error: string): void {
    const r = this.#recordings.get(id);
    if (r === undefined) return;
    this.#recordings.delete(id);
    this.#pause(r, true);
    this.#dirty = true;
    void r.recorder.close();
    this.#post({ event: 'record-failed', recordingId: id, error });
  }

  /**
   * What the leg's phone hears this tick: its player, its room (at the leg's codec rate), its peer
   * (at the leg's codec rate when the peer decodes at it, else at 16 kHz); null for silence.
   */
  #output(m: LegMedia): Int16Array | null {
    const d = m.decoded!;
    if (m.play !== null) {
      const n = m.play.player.next(d.out);
      if (n > 0) {
        if (n < INTERNAL_FRAME) d.out.fill(0, n);
        return d.out;
      }
      this.#endPlay(m, 'done');
      this.#dirty = true;
    }
    if (m.member !== null) return m.member.outValid ? m.member.out : null;
    const peerLeg = m.leg.peer;
    const peer = peerLeg instanceof Leg ? peerLeg.decoded : null;
    return peer === null ? null : peer.frameFor(d.pcmRate);
  }
}
