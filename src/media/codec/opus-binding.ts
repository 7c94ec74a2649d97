import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { PbxError } from '../../util/errors.js';

// The libopus bindings, best first:
// - native: tspbx's own addon (native/opus.c, built by `npm install` against the libopus that
//   @discordjs/opus compiles): works in the caller's typed arrays, decodes in-band FEC and runs
//   libopus' real PLC;
// - discordjs: @discordjs/opus, a Buffer per call, no FEC decoding, and an opus_encode error
//   turned into a negative length that it then copies, which aborts the process (so every
//   argument is checked here before it is called);
// - opusscript: libopus in WebAssembly, about ten times slower, no FEC decoding either.
// TSPBX_OPUS=discordjs or TSPBX_OPUS=opusscript starts the list there.

/** opus_defines.h request numbers. */
export const OPUS_SET_APPLICATION = 4000;
export const OPUS_SET_BITRATE = 4002;
export const OPUS_SET_MAX_BANDWIDTH = 4004;
export const OPUS_SET_COMPLEXITY = 4010;
export const OPUS_SET_INBAND_FEC = 4012;
export const OPUS_SET_PACKET_LOSS_PERC = 4014;
export const OPUS_RESET_STATE = 4028;
export const OPUS_APPLICATION_VOIP = 2048;
/** OPUS_BANDWIDTH_NARROWBAND..FULLBAND: audio bandwidths of 4, 6, 8, 12 and 20 kHz. */
export const OPUS_BANDWIDTH_NARROWBAND = 1101;
export const OPUS_BANDWIDTH_MEDIUMBAND = 1102;
export const OPUS_BANDWIDTH_WIDEBAND = 1103;
export const OPUS_BANDWIDTH_SUPERWIDEBAND = 1104;
export const OPUS_BANDWIDTH_FULLBAND = 1105;

/** The rates libopus codes at (RFC 6716 2). */
export const OPUS_RATES: readonly number[] = Object.freeze([8000, 12000, 16000, 24000, 48000]);

/** One libopus mono encoder and decoder pair at one sample rate, whichever binding holds it. */
export interface OpusState {
  /** Whether decode() can recover a lost frame from the next packet's in-band FEC. */
  readonly decodesFec: boolean;
  /** Encodes the first frameSize samples of pcm (a valid Opus frame size) into out; returns the bytes. */
  encode(pcm: Int16Array, frameSize: number, out: Uint8Array): number;
  /**
   * Decodes packet into out, at most frameSize samples; returns the samples or -1 for a packet
   * libopus rejects. packet null: frameSize samples of loss concealment. fec (decodesFec only):
   * the frameSize samples lost before packet, from its FEC.
   */
  decode(packet: Uint8Array | null, out: Int16Array, frameSize: number, fec: boolean): number;
  encoderCtl(request: number, value: number): void;
  decoderCtl(request: number, value: number): void;
  close(): void;
}

export type OpusBindingName = 'native' | 'discordjs' | 'opusscript';

/** native/opus.c's exports. Every function checks its arguments and throws, never aborts. */
export interface OpusAddon {
  readonly version: string;
  create(sampleRate: number): object;
  encode(handle: object, pcm: Int16Array, frameSize: number, out: Uint8Array): number;
  /** Samples, or libopus' negative error code for a packet it cannot decode. */
  decode(handle: object, packet: Uint8Array | null, out: Int16Array, frameSize: number, fec: 0 | 1): number;
  encoderCtl(handle: object, request: number, value: number): void;
  decoderCtl(handle: object, request: number, value: number): void;
  destroy(handle: object): void;
}
interface DiscordjsEncoder {
  encode(buf: Buffer): Buffer;
  decode(buf: Uint8Array): Buffer;
  applyEncoderCTL(ctl: number, value: number): void;
  applyDecoderCTL(ctl: number, value: number): void;
}
interface DiscordjsModule {
  OpusEncoder: new (rate: number, channels: number) => DiscordjsEncoder;
}
interface OpusScriptInstance {
  encode(buffer: Buffer, frameSize: number): Buffer;
  decode(buffer: Uint8Array): Buffer;
  encoderCTL(ctl: number, arg: number): void;
  decoderCTL(ctl: number, arg: number): void;
  delete(): void;
}
type OpusScriptClass = new (rate: number, channels: number, application: number) => OpusScriptInstance;

type Factory = (sampleRate: number) => OpusState;

const require = createRequire(import.meta.url);
const ADDON_PATH = fileURLToPath(new URL('../../../native/build/opus.node', import.meta.url));

/** Each binding's factory once loaded, or why it did not load. */
const loaded = new Map<OpusBindingName, Factory | string>();

function load(which: OpusBindingName): Factory | string {
  let f = loaded.get(which);
  if (f === undefined) {
    try {
      f = which === 'native' ? nativeFactory() : which === 'discordjs' ? discordjsFactory() : opusScriptFactory();
    } catch (err) {
      const e = err as { code?: unknown; message: string };
      f = which === 'native' && e.code === 'MODULE_NOT_FOUND' ? 'not built (see `node native/build.js`)' : e.message;
    }
    loaded.set(which, f);
  }
  return f;
}

/** native/opus.c as built by `npm install`; throws when it was not built or does not load. */
export function loadOpusAddon(): OpusAddon {
  return require(ADDON_PATH) as OpusAddon;
}

function nativeFactory(): Factory {
  const addon = loadOpusAddon();
  return (sampleRate) => {
    const h = addon.create(sampleRate);
    let open = true;
    return {
      decodesFec: true,
      encode: (pcm, frameSize, out) => addon.encode(h, pcm, frameSize, out),
      decode: (packet, out, frameSize, fec) => {
        const n = addon.decode(h, packet, out, frameSize, fec ? 1 : 0);
        return n < 0 ? -1 : n;
      },
      encoderCtl: (request, value) => addon.encoderCtl(h, request, value),
      decoderCtl: (request, value) => addon.decoderCtl(h, request, value),
      close: () => {
        if (!open) return;
        open = false;
        addon.destroy(h);
      },
    };
  };
}

/** RFC 6716 2.1.4: the frame sizes libopus encodes. */
function checkFrame(sampleRate: number, frameSize: number, pcm: Int16Array): void {
  const tenthsOfMs = (frameSize * 10000) / sampleRate;
  if (![25, 50, 100, 200, 400, 600].includes(tenthsOfMs) || frameSize > pcm.length) {
    throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `an Opus frame at ${sampleRate} Hz is 2.5..60 ms, got ${frameSize} of ${pcm.length} samples`);
  }
}

/**
 * The TOC byte of a one-byte packet that makes the decoder conceal 20 ms (RFC 6716 3.2.1: a
 * frame of length 0 is a lost frame): the last packet's mode, bandwidth and channels, 20 ms,
 * code 0. The bindings with no PLC entry point conceal by decoding it.
 */
function concealToc(lastToc: number): number {
  const config = lastToc >> 3;
  const twentyMs = config < 12 ? (config & ~3) | 1 : config < 16 ? config | 1 : config | 3;
  return (twentyMs << 3) | (lastToc & 4);
}

/** The part the two Buffer-based bindings share: s16le Buffers in and out, PLC by a TOC byte. */
function bufferState(
  sampleRate: number,
  encode: (pcm: Buffer, frameSize: number) => Buffer,
  decode: (packet: Uint8Array) => Buffer,
  encoderCtl: (request: number, value: number) => void,
  decoderCtl: (request: number, value: number) => void,
  close: () => void,
): OpusState {
  const pcmBytes = Buffer.alloc((sampleRate / 1000) * 60 * 2);
  const pcm16 = new Int16Array(pcmBytes.buffer, pcmBytes.byteOffset, pcmBytes.length >> 1);
  const concealPacket = new Uint8Array(1);
  let lastToc = -1;
  return {
    decodesFec: false,
    encode: (pcm, frameSize, out) => {
      checkFrame(sampleRate, frameSize, pcm);
      for (let i = 0; i < frameSize; i++) pcm16[i] = pcm[i]!;
      const packet = encode(pcmBytes.subarray(0, 2 * frameSize), frameSize);
      if (packet.length > out.length) throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `Opus output needs ${packet.length} bytes, got ${out.length}`);
      out.set(packet);
      return packet.length;
    },
    decode: (packet, out, frameSize) => {
      if (packet === null) {
        if (lastToc < 0) return -1;
        concealPacket[0] = concealToc(lastToc);
        packet = concealPacket;
      }
      let bytes: Buffer;
      try {
        bytes = decode(packet);
      } catch {
        return -1; // libopus found the packet corrupt
      }
      if (packet !== concealPacket) lastToc = packet[0]!;
      let n = bytes.length >> 1;
      if (n > frameSize) n = frameSize;
      for (let i = 0; i < n; i++) out[i] = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
      return n;
    },
    encoderCtl,
    decoderCtl: (request, value) => {
      if (request === OPUS_RESET_STATE) lastToc = -1;
      decoderCtl(request, value);
    },
    close,
  };
}

function discordjsFactory(): Factory {
  const mod = require('@discordjs/opus') as DiscordjsModule;
  return (sampleRate) => {
    // One native object holds both an encoder and a decoder; two keep the directions apart.
    const enc = new mod.OpusEncoder(sampleRate, 1);
    const dec = new mod.OpusEncoder(sampleRate, 1);
    return bufferState(
      sampleRate,
      (pcm) => enc.encode(pcm),
      (packet) => dec.decode(packet),
      (request, value) => enc.applyEncoderCTL(request, value),
      (request, value) => dec.applyDecoderCTL(request, value),
      () => {},
    );
  };
}

function opusScriptFactory(): Factory {
  const OpusScript = require('opusscript') as OpusScriptClass;
  return (sampleRate) => {
    const enc = new OpusScript(sampleRate, 1, OPUS_APPLICATION_VOIP);
    const dec = new OpusScript(sampleRate, 1, OPUS_APPLICATION_VOIP);
    let open = true;
    return bufferState(
      sampleRate,
      (pcm, frameSize) => enc.encode(pcm, frameSize),
      (packet) => dec.decode(packet),
      (request, value) => enc.encoderCTL(request, value),
      (request, value) => dec.decoderCTL(request, value),
      () => {
        if (!open) return;
        open = false;
        enc.delete(); // frees the WebAssembly heap memory of the encoder and decoder
        dec.delete();
      },
    );
  };
}

/**
 * The binding to use by default: native, else discordjs, else opusscript, the first that loads;
 * TSPBX_OPUS=discordjs or TSPBX_OPUS=opusscript starts further down the list.
 */
export function opusBindingName(): OpusBindingName {
  const forced = process.env.TSPBX_OPUS;
  if (forced === 'opusscript') return 'opusscript';
  if (forced !== 'discordjs' && typeof load('native') === 'function') return 'native';
  return typeof load('discordjs') === 'function' ? 'discordjs' : 'opusscript';
}

/** Why a binding did not load, or null when it did or was not tried (for start-up logs). */
export function opusLoadError(which: OpusBindingName): string | null {
  const f = loaded.get(which);
  return typeof f === 'string' ? f : null;
}

/** The default binding and, when it is a fallback, why the better ones did not load (for the start-up log). */
export function opusBindingSummary(): string {
  const name = opusBindingName();
  const why = (['native', 'discordjs'] as const)
    .filter((b) => b !== name && opusLoadError(b) !== null)
    .map((b) => `${b}: ${opusLoadError(b)}`);
  const version = name === 'native' ? ` (${loadOpusAddon().version})` : '';
  return why.length === 0 ? `${name}${version}` : `${name} (${why.join('; ')})`;
}

/**
 * A fresh mono encoder and decoder pair at sampleRate (one of OPUS_RATES) from the given binding
 * (default: opusBindingName()). Each binding loads once per thread. Throws PBX_ERR_MEDIA_OPUS
 * when the binding cannot load.
 */
export function createOpusState(sampleRate: number, which: OpusBindingName = opusBindingName()): OpusState {
  if (!OPUS_RATES.includes(sampleRate)) {
    throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `Opus codes at ${OPUS_RATES.join(', ')} Hz, not ${sampleRate}`);
  }
  const f = load(which);
  if (typeof f === 'string') throw new PbxError('PBX_ERR_MEDIA_OPUS', `the ${which} Opus binding did not load: ${f}`);
  return f(sampleRate);
}
