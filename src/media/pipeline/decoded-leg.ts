// A decoded leg: what a worker does with a leg whose audio it must hear or make (transcoding,
// mixing, recording, playing, DTMF detection). Packets from the phone go into a jitter buffer on
// arrival (RFC 4733 events never come here: the relay hands them to the pipeline); once per 20 ms
// tick pull() takes one frame out and decodes it (concealing a loss) into `decodedFrame`, at the
// codec's PCM rate. The 16 kHz frame (`heard`) is made from it only when something reads it (a
// recorder, a room at 16 kHz, a peer at another rate), so a call between two legs at one rate
// (PCMU to PCMA, or PCMU to Opus coded at 8 kHz) resamples nothing. send() takes one frame at
// 16 kHz or at the codec's rate (told apart by length), resamples the first to the codec's rate,
// encodes it and sends it in the PBX's own RTP stream for the leg, and its RTCP session reports on
// both streams. Every buffer is allocated here, once.
import { performance } from 'node:perf_hooks';
import { codecSupported, createCodec, type AudioCodec } from '../codec/index.js';
import { Resampler } from '../codec/resample.js';
import { InbandDtmfDetector } from '../dtmf/goertzel.js';
import { JitterBuffer } from '../jitter.js';
import type { LegCodecSpec } from '../protocol.js';
import type { Leg } from '../relay.js';
import { RTP_FIXED_HEADER } from '../rtp.js';
import { DigitSender } from './digit-sender.js';
import { RtcpSession } from './rtcp-session.js';
import { RtpSender } from './rtp-sender.js';

/** The rate every decoded leg, the mixer, the player and the recorder work at. */
export const INTERNAL_RATE = 16000;
export const INTERNAL_FRAME = 320;
/** RFC 3551 table 4: comfort noise; heard as silence. */
const PT_CN = 13;
/** The largest decode of one packet: 120 ms at 48 kHz (Opus' longest frame). */
const MAX_DECODED = 5760;
/** What `heard` is while nothing came; never written. */
const SILENCE = new Int16Array(INTERNAL_FRAME);

export class DecodedLeg {
  readonly leg: Leg;
  readonly codec: LegCodecSpec;
  /** True when this tick's frame holds audio from the phone (decoded or concealed). */
  heardValid = false;
  /** Scratch for the frame sent this tick at 16 kHz (the player's, a tone's). */
  readonly out = new Int16Array(INTERNAL_FRAME);
  /** Digits heard in the phone's audio since the last tick (its RFC 4733 digits go by the pipeline). */
  readonly digits: { digit: string; method: 'inband' }[] = [];
  readonly sender: RtpSender;
  readonly digitSender: DigitSender;
  readonly rtcp: RtcpSession;
  /** Decodes what the phone sends and encodes what it hears (the two states are apart). */
  readonly #codec: AudioCodec;
  readonly #jitter: JitterBuffer;
  readonly #up: Resampler;
  readonly #down: Resampler;
  readonly #decoded = new Int16Array(MAX_DECODED);
  readonly #decodedFrame: Int16Array;
  readonly #toEncode: Int16Array;
  /** Silence at the codec's rate (never written): nothing to resample. */
  readonly #quiet: Int16Array;
  /** The 16 kHz frame made from decodedFrame (codecs at another rate only). */
  readonly #heard = new Int16Array(INTERNAL_FRAME);
  /** Ticks pulled so far; the tick whose frame #heard holds, and the last tick #up resampled. */
  #tick = 0;
  #heardTick = -1;
  #upTick = -1;
  /** The 16 kHz resampler of send() made the last audio frame sent (else its history is stale). */
  #downWarm = false;
  readonly #inband: InbandDtmfDetector | null;
  #closed = false;

  /** Whether the workers can decode and encode this codec (else the leg can only be relayed). */
  static supports(codec: LegCodecSpec): boolean {
    return codecSupported(codec.name, codec.clockRate, codec.channels);
  }

  /**
   * null when the codec cannot be decoded here (only relayed).
   * `sampleRate`: the PCM rate a codec that codes at several (Opus) is asked for (pipeline.ts
   * picks it: the rate of the peer or the room, so that nothing is resampled).
   * `sender`: the RTP stream of the decoded leg this one replaces (the same codec at another PCM
   * rate), so that the phone sees one stream go on (SSRC, sequence numbers, timestamps); else a new one.
   * `rtcpIntervalMs`: the minimum RTCP report interval (RFC 3550 6.2: 5 s); tests shorten it.
   */
  static create(leg: Leg, codec: LegCodecSpec, sampleRate = INTERNAL_RATE, rtcpIntervalMs?: number, sender = new RtpSender()): DecodedLeg | null {
    // One codec for both directions: its encoder and decoder states are apart (types.ts).
    const c = createCodec(codec.name, codec.clockRate, codec.channels, { sampleRate });
    return c === null ? null : new DecodedLeg(leg, codec, c, sender, rtcpIntervalMs);
  }

  private constructor(leg: Leg, codec: LegCodecSpec, c: AudioCodec, sender: RtpSender, rtcpIntervalMs: number | undefined) {
    this.leg = leg;
    this.codec = codec;
    this.#codec = c;
    this.sender = sender;
    this.#jitter = new JitterBuffer({ clockRate: c.clockRate, timestampStep: c.timestampStep });
    this.#up = new Resampler(c.sampleRate, INTERNAL_RATE);
    this.#down = new Resampler(INTERNAL_RATE, c.sampleRate);
    this.#decodedFrame = this.#decoded.subarray(0, c.frameSamples);
    this.#toEncode = new Int16Array(c.frameSamples);
    this.#quiet = new Int16Array(c.frameSamples);
    // In-band digits are looked for at the codec's rate when the detector runs at it (8 or 16 kHz).
    const inbandRate = c.sampleRate === 8000 ? 8000 : INTERNAL_RATE;
    this.#inband = codec.dtmfPayloadType === null ? new InbandDtmfDetector(inbandRate) : null;
    this.digitSender = new DigitSender(INTERNAL_RATE, codec.dtmfPayloadType === null ? null : c.clockRate);
    this.rtcp = new RtcpSession(leg, this.sender, c.clockRate, rtcpIntervalMs);
    // In-band FEC (Opus) only once the phone's RTCP reports loss of what we send it.
    if (c.expectLoss !== undefined) {
      c.expectLoss(0);
      this.rtcp.onFarEndLoss = (percent) => c.expectLoss!(percent);
    }
  }

  /** The codec's PCM rate: decodedFrame's, and that of the frames send() encodes as they are. */
  get pcmRate(): number {
    return this.#codec.sampleRate;
  }

  /** This tick's frame from the phone at pcmRate, before resampling; valid when heardValid. */
  get decodedFrame(): Int16Array {
    return this.#decodedFrame;
  }

  /**
   * This tick's frame from the phone at 16 kHz; silence when nothing came. Made on the first read
   * of the tick (the resampler keeps its history while it is read every tick); do not write to it.
   */
  get heard(): Int16Array {
    if (!this.heardValid) return SILENCE;
    if (this.#codec.sampleRate === INTERNAL_RATE) return this.#decodedFrame;
    const tick = this.#tick;
    if (this.#heardTick !== tick) {
      if (this.#upTick !== tick - 1) this.#up.reset();
      this.#up.process(this.#decodedFrame, this.#heard);
      this.#upTick = tick;
      this.#heardTick = tick;
    }
    return this.#heard;
  }

  /**
   * This tick's frame for a leg whose codec works at `rate`: as decoded when the rates match (no
   * resampling), else at 16 kHz; null when nothing came.
   */
  frameFor(rate: number): Int16Array | null {
    if (!this.heardValid) return null;
    return rate === this.#codec.sampleRate ? this.#decodedFrame : this.heard;
  }

  /** The complexity of the leg's encoder, for a codec that has the knob (Opus; others ignore it). */
  setEncoderComplexity(complexity: number): void {
    if (!this.#closed) this.#codec.setComplexity?.(complexity);
  }

  /** A packet from the phone (already counted and latched by the relay), arrived at `arrivalMs` (performance.now() time). */
  receive(msg: Buffer, arrivalMs = performance.now()): void {
    if (this.#closed) return;
    if (msg.length <= RTP_FIXED_HEADER || (msg[1]! & 0x7f) === this.codec.dtmfPayloadType) return;
    this.#jitter.push(msg, msg.length, arrivalMs);
  }

  /** One tick: the RTCP report when due, then the next frame from the jitter buffer, decoded into decodedFrame. */
  pull(nowMs: number): void {
    this.rtcp.poll(nowMs);
    this.#tick++;
    const f = this.#jitter.pop(nowMs);
    let n = 0;
    if (f.kind === 'audio') {
      if (f.payloadType === this.codec.payloadType) n = this.#codec.decode(f.payload, this.#decoded);
      else if (f.payloadType !== PT_CN) n = -1;
      if (n < 0) n = this.#codec.conceal(this.#decoded, null);
    } else if (f.kind === 'lost') {
      n = this.#codec.conceal(this.#decoded, f.next);
    }
    if (n <= 0) {
      this.heardValid = false;
      return;
    }
    // A packet shorter than 20 ms (Opus 10 ms) is padded with silence; a longer one is cut to 20 ms.
    const frame = this.#decodedFrame;
    if (n < frame.length) frame.fill(0, n);
    this.heardValid = true;
    const inband = this.#inband;
    if (inband !== null) {
      const atRate = inband.sampleRate === this.#codec.sampleRate;
      const digit = inband.process(atRate ? frame : this.heard, atRate ? frame.length : INTERNAL_FRAME);
      if (digit !== null) this.digits.push({ digit, method: 'inband' });
    }
  }

  /**
   * One tick: sends `pcm` (one 20 ms frame at 16 kHz or at pcmRate, told apart by its length; null
   * for silence) to the phone, or the RFC 4733
   * packet of a digit being sent; a digit sent in-band replaces the audio. Nothing goes out while
   * the phone's address is unknown, but the stream's clock moves on.
   */
  send(pcm: Int16Array | null): void {
    const leg = this.leg;
    const s = this.sender;
    const ds = this.digitSender;
    const address = leg.sendAddress;
    if (address === null || this.#closed) {
      this.#downWarm = false;
      ds.skip();
      s.advance(this.#codec.timestampStep);
      return;
    }
    let length = 0;
    const events = ds.events;
    if (events !== null && events.active) {
      const n = events.next(s.payload, s.timestamp);
      if (n > 0) {
        s.stamp(this.codec.dtmfPayloadType!, events.timestamp, events.marker);
        length = RTP_FIXED_HEADER + n;
      }
    }
    if (length === 0) {
      const src = ds.nextTone(this.out, pcm) ?? this.#quiet;
      const atCodecRate = src.length === this.#toEncode.length;
      if (!atCodecRate) {
        if (!this.#downWarm) this.#down.reset();
        this.#down.process(src, this.#toEncode);
      }
      this.#downWarm = !atCodecRate;
      const n = this.#codec.encode(atCodecRate ? src : this.#toEncode, s.payload);
      s.stamp(this.codec.payloadType, s.timestamp, false);
      length = RTP_FIXED_HEADER + n;
    }
    leg.sendRtp(s.packet, length, leg.sendPort, address);
    s.sent(length - RTP_FIXED_HEADER);
    leg.rtpSent++;
    leg.rtpBytesSent += length;
    s.advance(this.#codec.timestampStep);
  }

  /** `frames` ticks passed without a frame (the clock skipped them after a stall): the RTP timestamp moves on over them. */
  skipFrames(frames: number): void {
    this.sender.advance(this.#codec.timestampStep * frames);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.rtcp.close();
    this.#codec.close();
  }
}
