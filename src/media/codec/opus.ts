import { PbxError } from '../../util/errors.js';
import {
  createOpusState,
  opusBindingName,
  OPUS_APPLICATION_VOIP,
  OPUS_RESET_STATE,
  OPUS_SET_APPLICATION,
  OPUS_SET_BITRATE,
  OPUS_SET_COMPLEXITY,
  OPUS_SET_INBAND_FEC,
  OPUS_SET_PACKET_LOSS_PERC,
  type OpusBindingName,
  type OpusState,
} from './opus-binding.js';
import type { AudioCodec } from './types.js';

// Opus (RFC 6716) over RTP (RFC 7587): SDP says opus/48000/2 whatever is sent; we send mono
// (the TOC's stereo bit clear) and decode whatever comes to mono. 20 ms = 960 samples at 48 kHz,
// timestamp step 960. In-band FEC is on in the encoder, so peers can recover our lost packets.
// PCM crosses into libopus as s16 in host byte order, which both bindings take as little-endian.

/** RFC 6716 3.2.1: the largest frame; a 20 ms packet never holds more than this. */
export const OPUS_MAX_PACKET = 1275;
const FRAME = 960;

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
 * The TOC byte of a one-byte packet that makes the decoder conceal 20 ms (RFC 6716 3.2.1: a
 * frame of length 0 is a lost frame): the last packet's mode, bandwidth and channels, 20 ms,
 * code 0.
 */
function concealToc(lastToc: number): number {
  const config = lastToc >> 3;
  const twentyMs = config < 12 ? (config & ~3) | 1 : config < 16 ? config | 1 : config | 3;
  return (twentyMs << 3) | (lastToc & 4);
}

export interface OpusOptions {
  /** Which libopus binding (default: native unless TSPBX_OPUS=opusscript or it cannot load). */
  binding?: OpusBindingName;
  /** Target bitrate in bit/s (default 32000: wideband speech with room for FEC). */
  bitrate?: number;
  /** Encoder complexity 0..10 (default 5: half the CPU of 10 for speech that sounds the same). */
  complexity?: number;
  /** Expected loss in percent, which sizes the in-band FEC (default 10). */
  packetLossPercent?: number;
}

export class OpusCodec implements AudioCodec {
  readonly name = 'opus';
  readonly clockRate = 48000;
  readonly sampleRate = 48000;
  readonly frameSamples = FRAME;
  readonly timestampStep = FRAME;
  /** The libopus binding this codec runs on. */
  readonly binding: OpusBindingName;
  #state: OpusState | null;
  /** PCM handed to libopus: always exactly one 20 ms frame (a shorter one would abort, see binding). */
  readonly #pcmBytes = Buffer.alloc(2 * FRAME);
  readonly #pcm = new Int16Array(this.#pcmBytes.buffer, this.#pcmBytes.byteOffset, FRAME);
  readonly #concealPacket = new Uint8Array(1);
  #lastToc = -1;

  constructor(o: OpusOptions = {}) {
    const bitrate = o.bitrate ?? 32000;
    const complexity = o.complexity ?? 5;
    const loss = o.packetLossPercent ?? 10;
    if (!Number.isInteger(bitrate) || bitrate < 6000 || bitrate > 510000) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `Opus bitrate must be 6000..510000 bit/s, got ${bitrate}`);
    }
    if (!Number.isInteger(complexity) || complexity < 0 || complexity > 10) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `Opus complexity must be 0..10, got ${complexity}`);
    }
    if (!Number.isInteger(loss) || loss < 0 || loss > 100) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `Opus packet loss must be 0..100 percent, got ${loss}`);
    }
    this.binding = o.binding ?? opusBindingName();
    const state = createOpusState(this.binding);
    // OPUS_SET_APPLICATION is only accepted before the first frame is encoded.
    state.encoderCtl(OPUS_SET_APPLICATION, OPUS_APPLICATION_VOIP);
    state.encoderCtl(OPUS_SET_BITRATE, bitrate);
    state.encoderCtl(OPUS_SET_COMPLEXITY, complexity);
    state.encoderCtl(OPUS_SET_INBAND_FEC, 1);
    state.encoderCtl(OPUS_SET_PACKET_LOSS_PERC, loss);
    this.#state = state;
  }

  encode(pcm: Int16Array, out: Uint8Array): number {
    const state = this.#open();
    if (pcm.length < FRAME) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `an Opus frame is ${FRAME} samples, got ${pcm.length}`);
    }
    if (out.length < OPUS_MAX_PACKET) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `Opus output needs ${OPUS_MAX_PACKET} bytes, got ${out.length}`);
    }
    const frame = this.#pcm;
    for (let i = 0; i < FRAME; i++) frame[i] = pcm[i];
    const packet = state.encode(this.#pcmBytes);
    out.set(packet);
    return packet.length;
  }

  decode(payload: Uint8Array, out: Int16Array): number {
    const state = this.#open();
    const samples = opusPacketSamples(payload);
    if (samples < 0 || samples > out.length) return -1;
    let pcm: Buffer;
    try {
      pcm = state.decode(payload);
    } catch {
      return -1; // libopus found the packet corrupt
    }
    this.#lastToc = payload[0];
    return copyPcm(pcm, out);
  }

  /** One 20 ms of libopus packet loss concealment. FEC cannot be decoded: next is not used. */
  conceal(out: Int16Array, _next: Uint8Array | null): number {
    const state = this.#open();
    const n = out.length < FRAME ? out.length : FRAME;
    if (this.#lastToc < 0) {
      out.fill(0, 0, n);
      return n;
    }
    this.#concealPacket[0] = concealToc(this.#lastToc);
    try {
      return copyPcm(state.decode(this.#concealPacket), out);
    } catch {
      out.fill(0, 0, n);
      return n;
    }
  }

  reset(): void {
    const state = this.#open();
    state.encoderCtl(OPUS_RESET_STATE, 0);
    state.decoderCtl(OPUS_RESET_STATE, 0);
    this.#lastToc = -1;
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

/** Copies s16le bytes into out (as many samples as fit); returns the samples copied. */
function copyPcm(bytes: Buffer, out: Int16Array): number {
  let n = bytes.length >> 1;
  if (n > out.length) n = out.length;
  for (let i = 0; i < n; i++) out[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
  return n;
}
