// A decoded leg: what a worker does with a leg whose audio it must hear or make (transcoding,
// mixing, recording, playing, DTMF detection). Packets from the phone go into a jitter buffer on
// arrival (RFC 4733 events never come here: the relay hands them to the pipeline); once per 20 ms tick pull() takes one
// frame out, decodes it (concealing a loss) and resamples it to 16 kHz into `heard`; send() takes
// one 16 kHz frame, resamples it to the codec's rate, encodes it and sends it in the PBX's own RTP
// stream for the leg, and its RTCP session reports on both streams. A conference room at 48 kHz
// reads the decoded frame as it is (decodedFrame) and gives send() frames at the codec's rate,
// which are encoded without resampling. Every buffer is allocated here, once.
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

export class DecodedLeg {
  readonly leg: Leg;
  readonly codec: LegCodecSpec;
  /** This tick's frame from the phone at 16 kHz; silence when nothing came. */
  readonly heard = new Int16Array(INTERNAL_FRAME);
  /** True when `heard` holds audio from the phone (decoded or concealed) this tick. */
  heardValid = false;
  /** Scratch for the frame sent this tick at 16 kHz (the player's, a tone's). */
  readonly out = new Int16Array(INTERNAL_FRAME);
  /** Digits heard in the phone's audio since the last tick (its RFC 4733 digits go by the pipeline). */
  readonly digits: { digit: string; method: 'inband' }[] = [];
  readonly sender = new RtpSender();
  readonly digitSender: DigitSender;
  readonly rtcp: RtcpSession;
  readonly #rx: AudioCodec;
  readonly #tx: AudioCodec;
  readonly #jitter: JitterBuffer;
  readonly #up: Resampler;
  readonly #down: Resampler;
  readonly #decoded = new Int16Array(MAX_DECODED);
  readonly #decodedFrame: Int16Array;
  readonly #toEncode: Int16Array;
  /** The 16 kHz resampler of send() made the last audio frame sent (else its history is stale). */
  #downWarm = false;
  readonly #inband: InbandDtmfDetector | null;
  #closed = false;

  /** null when the codec cannot be decoded here (only relayed). */
  /** Whether the workers can decode and encode this codec (else the leg can only be relayed). */
  static supports(codec: LegCodecSpec): boolean {
    return codecSupported(codec.name, codec.clockRate, codec.channels);
  }

  /**
   * `sampleRate`: the PCM rate a codec that codes at several (Opus) is asked for: the internal
   * rate, so that nothing is resampled, unless the leg is in a room that can mix at 48 kHz.
   * `rtcpIntervalMs`: the minimum RTCP report interval (RFC 3550 6.2: 5 s); tests shorten it.
   */
  static create(leg: Leg, codec: LegCodecSpec, sampleRate = INTERNAL_RATE, rtcpIntervalMs?: number): DecodedLeg | null {
    const options = { sampleRate };
    const rx = createCodec(codec.name, codec.clockRate, codec.channels, options);
    if (rx === null) return null;
    const tx = createCodec(codec.name, codec.clockRate, codec.channels, options)!;
    return new DecodedLeg(leg, codec, rx, tx, rtcpIntervalMs);
  }

  private constructor(leg: Leg, codec: LegCodecSpec, rx: AudioCodec, tx: AudioCodec, rtcpIntervalMs: number | undefined) {
    this.leg = leg;
    this.codec = codec;
    this.#rx = rx;
    this.#tx = tx;
    this.#jitter = new JitterBuffer({ clockRate: rx.clockRate, timestampStep: rx.timestampStep });
    this.#up = new Resampler(rx.sampleRate, INTERNAL_RATE);
    this.#down = new Resampler(INTERNAL_RATE, tx.sampleRate);
    this.#decodedFrame = this.#decoded.subarray(0, rx.frameSamples);
    this.#toEncode = new Int16Array(tx.frameSamples);
    this.#inband = codec.dtmfPayloadType === null ? new InbandDtmfDetector(INTERNAL_RATE) : null;
    this.digitSender = new DigitSender(INTERNAL_RATE, codec.dtmfPayloadType === null ? null : tx.clockRate);
    this.rtcp = new RtcpSession(leg, this.sender, tx.clockRate, rtcpIntervalMs);
    // In-band FEC (Opus) only once the phone's RTCP reports loss of what we send it.
    if (tx.expectLoss !== undefined) {
      tx.expectLoss(0);
      this.rtcp.onFarEndLoss = (percent) => tx.expectLoss!(percent);
    }
  }

  /** The codec's PCM rate: decodedFrame's, and that of the frames send() encodes as they are. */
  get pcmRate(): number {
    return this.#rx.sampleRate;
  }

  /** This tick's frame from the phone at pcmRate, before resampling; valid when heardValid. */
  get decodedFrame(): Int16Array {
    return this.#decodedFrame;
  }

  /** The complexity of the leg's encoder, for a codec that has the knob (Opus; others ignore it). */
  setEncoderComplexity(complexity: number): void {
    if (!this.#closed) this.#tx.setComplexity?.(complexity);
  }

  /** A packet from the phone (already counted and latched by the relay). */
  receive(msg: Buffer): void {
    if (this.#closed) return;
    if (msg.length <= RTP_FIXED_HEADER || (msg[1]! & 0x7f) === this.codec.dtmfPayloadType) return;
    this.#jitter.push(msg, msg.length, performance.now());
  }

  /** One tick: the RTCP report when due, then the next frame from the jitter buffer, decoded to 16 kHz into `heard`. */
  pull(nowMs: number): void {
    this.rtcp.poll(nowMs);
    const f = this.#jitter.pop(nowMs);
    let n = 0;
    if (f.kind === 'audio') {
      if (f.payloadType === this.codec.payloadType) n = this.#rx.decode(f.payload, this.#decoded);
      else if (f.payloadType !== PT_CN) n = -1;
      if (n < 0) n = this.#rx.conceal(this.#decoded, null);
    } else if (f.kind === 'lost') {
      n = this.#rx.conceal(this.#decoded, f.next);
    }
    if (n <= 0) {
      if (this.heardValid) this.#up.reset();
      this.heard.fill(0);
      this.heardValid = false;
      return;
    }
    this.#up.process(n === this.#decodedFrame.length ? this.#decodedFrame : this.#decoded.subarray(0, n), this.heard);
    this.heardValid = true;
    if (this.#inband !== null) {
      const digit = this.#inband.process(this.heard, INTERNAL_FRAME);
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
      s.advance(this.#tx.timestampStep);
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
      const src = ds.nextTone(this.out, pcm) ?? this.#silence();
      const atCodecRate = src.length === this.#toEncode.length;
      if (!atCodecRate) {
        if (!this.#downWarm) this.#down.reset();
        this.#down.process(src, this.#toEncode);
      }
      this.#downWarm = !atCodecRate;
      const n = this.#tx.encode(atCodecRate ? src : this.#toEncode, s.payload);
      s.stamp(this.codec.payloadType, s.timestamp, false);
      length = RTP_FIXED_HEADER + n;
    }
    leg.sendRtp(s.packet, length, leg.sendPort, address);
    s.sent(length - RTP_FIXED_HEADER);
    leg.rtpSent++;
    leg.rtpBytesSent += length;
    s.advance(this.#tx.timestampStep);
  }

  /** `frames` ticks passed without a frame (the clock skipped them after a stall): the RTP timestamp moves on over them. */
  skipFrames(frames: number): void {
    this.sender.advance(this.#tx.timestampStep * frames);
  }

  #silence(): Int16Array {
    this.out.fill(0);
    return this.out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.rtcp.close();
    this.#rx.close();
    this.#tx.close();
  }
}
