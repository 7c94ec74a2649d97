import { PbxError } from '../../util/errors.js';
import {
  createOpusState,
  opusBindingName,
  OPUS_APPLICATION_VOIP,
  OPUS_BANDWIDTH_FULLBAND,
  OPUS_BANDWIDTH_MEDIUMBAND,
  OPUS_BANDWIDTH_NARROWBAND,
  OPUS_BANDWIDTH_SUPERWIDEBAND,
  OPUS_BANDWIDTH_WIDEBAND,
  OPUS_RATES,
  OPUS_RESET_STATE,
  OPUS_SET_APPLICATION,
  OPUS_SET_BITRATE,
  OPUS_SET_COMPLEXITY,
  OPUS_SET_INBAND_FEC,
  OPUS_SET_MAX_BANDWIDTH,
  OPUS_SET_PACKET_LOSS_PERC,
  type OpusBindingName,
  type OpusState,
} from './opus-binding.js';
import type { AudioCodec } from './types.js';

// Opus (RFC 6716) over RTP (RFC 7587): SDP says opus/48000/2 whatever is sent; we send mono
// (the TOC's stereo bit clear) and decode whatever comes to mono, at the PCM rate the caller
// picks (48, 24, 16, 12 or 8 kHz; frameSamples = rate / 50). The RTP timestamp steps 960 per 20 ms
// at every rate. In-band FEC is on in the encoder, so peers can recover our lost packets, and a
// lost packet of theirs is recovered from the next one's FEC where the binding can (native).

/** RFC 6716 3.2.1: the largest frame; a 20 ms packet never holds more than this. */
export const OPUS_MAX_PACKET = 1275;

/** Samples per frame at 48 kHz for each TOC configuration (RFC 6716 3.1 Table 2). */
const FRAME_SAMPLES = new Int32Array(32);
for (let config = 0; config < 32; config++) {
  if (config < 12) FRAME_SAMPLES[config] = [480, 960, 1920, 2880][config & 3]; // SILK 10..60 ms
  else if (config < 16) FRAME_SAMPLES[config] = [480, 960][config & 1]; // Hybrid 10, 20 ms
  else FRAME_SAMPLES[config] = [120, 240, 480, 960][config & 3]; // CELT 2.5..20 ms
}

/**
 * PCM samples (at 48 kHz, per channel) that an Opus packet holds, or -1 when its framing breaks
 * RFC 6716 3.4 rules R1-R5 as far as the TOC and the frame-count byte show.
 */
export function opusPacketSamples(packet: Uint8Array): number {
  const len = packet.length;
  if (len < 1) return -1; // R1
  const toc = packet[0];
  const perFrame = FRAME_SAMPLES[toc >> 3];
  switch (toc & 3) {
    case 0:
      return len - 1 <= OPUS_MAX_PACKET ? perFrame : -1; // R2
    case 1:
      return (len - 1) % 2 === 0 && (len - 1) / 2 <= OPUS_MAX_PACKET ? 2 * perFrame : -1; // R3
    case 2: {
      if (len < 2) return -1;
      const first = packet[1] < 252 ? packet[1] : len < 3 ? -1 : packet[1] + 4 * packet[2];
      const header = packet[1] < 252 ? 2 : 3;
      return first >= 0 && first <= len - header ? 2 * perFrame : -1; // R4
    }
    default: {
      if (len < 2) return -1;
      const count = packet[1] & 0x3f;
      return count >= 1 && count * perFrame <= 5760 ? count * perFrame : -1; // R5: at most 120 ms
    }
  }
}

/**
 * The widest audio band the encoder may code at each PCM rate (RFC 6716 2: half the rate). At
 * 8 kHz this is narrowband: the packets are SILK NB, which any decoder plays at any rate.
 */
const MAX_BANDWIDTH: ReadonlyMap<number, number> = new Map([
  [8000, OPUS_BANDWIDTH_NARROWBAND],
  [12000, OPUS_BANDWIDTH_MEDIUMBAND],
  [16000, OPUS_BANDWIDTH_WIDEBAND],
  [24000, OPUS_BANDWIDTH_SUPERWIDEBAND],
  [48000, OPUS_BANDWIDTH_FULLBAND],
]);

/** The PCM rates an OpusCodec works at (libopus resamples internally). */
export type OpusSampleRate = 8000 | 12000 | 16000 | 24000 | 48000;

export interface OpusOptions {
  /** Which libopus binding (default: opusBindingName()). */
  binding?: OpusBindingName;
  /**
   * PCM rate of encode input and decode output (default 48000). A pipeline working at 16 kHz
   * asks for 16000: no resampling, and the encoder costs less than half as much; one bridged to
   * G.711 asks for 8000 (narrowband, about half the encoder's CPU of 16000). The encoder's
   * bandwidth is capped at what the rate holds (OPUS_SET_MAX_BANDWIDTH). The RTP clock stays 48000
   * (RFC 7587 4.1) and a packet from any peer decodes at this rate.
   */
  sampleRate?: OpusSampleRate;
  /** Target bitrate in bit/s (default 32000: wideband speech with room for FEC). */
  bitrate?: number;
  /**
   * Encoder complexity 0..10. Default 3: measured at about 0.45 of the CPU of 10 (0.7 of 5) on
   * speech at 32 kbit/s, which lets a transcoding call cost little more than its Opus decode.
   */
  complexity?: number;
  /** Expected loss in percent, which sizes the in-band FEC (default 10). */
  packetLossPercent?: number;
}

export class OpusCodec implements AudioCodec {
  readonly name = 'opus';
  /** RFC 7587 4.1: the RTP clock is 48 kHz whatever rate the codec works at. */
  readonly clockRate = 48000;
  readonly sampleRate: OpusSampleRate;
  readonly frameSamples: number;
  readonly timestampStep = 960;
  /** The libopus binding this codec runs on. */
  readonly binding: OpusBindingName;
  #state: OpusState | null;
  /** Whether a packet was decoded since the start or the last reset (PLC needs one). */
  #heard = false;
  /** The loss the encoder's FEC is sized for, percent. */
  #loss = 0;
  #complexity: number;

  constructor(o: OpusOptions = {}) {
    const bitrate = o.bitrate ?? 32000;
    const complexity = o.complexity ?? 3;
    const loss = o.packetLossPercent ?? 10;
    const rate = o.sampleRate ?? 48000;
    if (!Number.isInteger(bitrate) || bitrate < 6000 || bitrate > 510000) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `Opus bitrate must be 6000..510000 bit/s, got ${bitrate}`);
    }
    if (!Number.isInteger(complexity) || complexity < 0 || complexity > 10) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `Opus complexity must be 0..10, got ${complexity}`);
    }
    if (!Number.isInteger(loss) || loss < 0 || loss > 100) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `Opus packet loss must be 0..100 percent, got ${loss}`);
    }
    if (!OPUS_RATES.includes(rate)) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `Opus sample rate must be one of ${OPUS_RATES.join(', ')}, got ${rate}`);
    }
    this.sampleRate = rate;
    this.frameSamples = rate / 50;
    this.binding = o.binding ?? opusBindingName();
    const state = createOpusState(rate, this.binding);
    // OPUS_SET_APPLICATION is only accepted before the first frame is encoded.
    state.encoderCtl(OPUS_SET_APPLICATION, OPUS_APPLICATION_VOIP);
    state.encoderCtl(OPUS_SET_BITRATE, bitrate);
    state.encoderCtl(OPUS_SET_MAX_BANDWIDTH, MAX_BANDWIDTH.get(rate)!);
    state.encoderCtl(OPUS_SET_COMPLEXITY, complexity);
    state.encoderCtl(OPUS_SET_INBAND_FEC, 1);
    state.encoderCtl(OPUS_SET_PACKET_LOSS_PERC, loss);
    this.#loss = loss;
    this.#complexity = complexity;
    this.#state = state;
  }

  /** The encoder's complexity now (0..10). */
  get complexity(): number {
    return this.#complexity;
  }

  /** Changes the encoder's complexity between frames (OPUS_SET_COMPLEXITY): a worker under load lowers it. */
  setComplexity(complexity: number): void {
    const state = this.#open();
    if (!Number.isInteger(complexity) || complexity < 0 || complexity > 10) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `Opus complexity must be 0..10, got ${complexity}`);
    }
    if (complexity === this.#complexity) return;
    this.#complexity = complexity;
    state.encoderCtl(OPUS_SET_COMPLEXITY, complexity);
  }

  encode(pcm: Int16Array, out: Uint8Array): number {
    const state = this.#open();
    if (pcm.length < this.frameSamples) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `an Opus frame is ${this.frameSamples} samples, got ${pcm.length}`);
    }
    if (out.length < OPUS_MAX_PACKET) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `Opus output needs ${OPUS_MAX_PACKET} bytes, got ${out.length}`);
    }
    return state.encode(pcm, this.frameSamples, out);
  }

  decode(payload: Uint8Array, out: Int16Array): number {
    const state = this.#open();
    const at48k = opusPacketSamples(payload);
    if (at48k < 0) return -1;
    const samples = (at48k * this.sampleRate) / 48000;
    if (samples > out.length) return -1;
    const n = state.decode(payload, out, samples, false);
    if (n > 0) this.#heard = true;
    return n;
  }

  /**
   * One lost 20 ms frame into out: recovered from the in-band FEC of `next` (the packet after
   * the loss, RFC 6716 2.1.7) when the binding can and it carries some, else libopus' PLC from
   * the signal before; silence when nothing was decoded yet.
   */
  conceal(out: Int16Array, next: Uint8Array | null): number {
    const state = this.#open();
    const frame = this.frameSamples;
    if (out.length < frame) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `a concealed Opus frame is ${frame} samples, got room for ${out.length}`);
    }
    if (next !== null && state.decodesFec && opusPacketSamples(next) > 0 && state.decode(next, out, frame, true) === frame) {
      this.#heard = true;
      return frame;
    }
    if (!this.#heard || state.decode(null, out, frame, false) !== frame) out.fill(0, 0, frame);
    return frame;
  }

  /**
   * Sizes the encoder's in-band FEC for this loss (OPUS_SET_PACKET_LOSS_PERC, rounded up): at 0 the
   * encoder sends no FEC and costs about two thirds of the CPU (native-bench/codecs.bench.js).
   */
  expectLoss(percent: number): void {
    const state = this.#open();
    const loss = Number.isFinite(percent) ? Math.min(100, Math.max(0, Math.ceil(percent))) : 0;
    if (loss === this.#loss) return;
    this.#loss = loss;
    state.encoderCtl(OPUS_SET_PACKET_LOSS_PERC, loss);
  }

  reset(): void {
    const state = this.#open();
    state.encoderCtl(OPUS_RESET_STATE, 0);
    state.decoderCtl(OPUS_RESET_STATE, 0);
    this.#heard = false;
  }

  close(): void {
    this.#state?.close();
    this.#state = null;
  }

  #open(): OpusState {
    if (this.#state === null) throw new PbxError('PBX_ERR_MEDIA_CLOSED', 'the Opus codec is closed');
    return this.#state;
  }
}
