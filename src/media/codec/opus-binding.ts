import { createRequire } from 'node:module';
import { PbxError } from '../../util/errors.js';

// The libopus bindings: @discordjs/opus (native, built from source) and opusscript (libopus in
// WebAssembly) as the fallback when the native module cannot load. TSPBX_OPUS=opusscript forces
// the fallback. Both take and return PCM as little-endian s16 bytes and allocate a Buffer per
// call; both hard-code decode_fec=0, so in-band FEC can be sent but not decoded.
//
// The native binding turns an opus_encode error into a negative length that it then copies,
// which aborts the whole process: callers pass it nothing but exact 20 ms frames from a buffer
// of their own (see OpusCodec).

/** opus_defines.h request numbers. */
export const OPUS_SET_APPLICATION = 4000;
export const OPUS_SET_BITRATE = 4002;
export const OPUS_SET_COMPLEXITY = 4010;
export const OPUS_SET_INBAND_FEC = 4012;
export const OPUS_SET_PACKET_LOSS_PERC = 4014;
export const OPUS_RESET_STATE = 4028;
export const OPUS_APPLICATION_VOIP = 2048;

/** One libopus encoder and decoder pair at 48 kHz mono, whichever binding holds it. */
export interface OpusState {
  /** Encodes exactly 960 samples given as 1920 bytes of s16le; returns the packet (a new Buffer). */
  encode(pcm: Buffer): Buffer;
  /** Decodes one packet to s16le bytes (a new Buffer); throws on a corrupt packet. */
  decode(packet: Uint8Array): Buffer;
  encoderCtl(request: number, value: number): void;
  decoderCtl(request: number, value: number): void;
  close(): void;
}

export type OpusBindingName = 'native' | 'opusscript';

interface NativeOpusEncoder {
  encode(buf: Buffer): Buffer;
  decode(buf: Uint8Array): Buffer;
  applyEncoderCTL(ctl: number, value: number): void;
  applyDecoderCTL(ctl: number, value: number): void;
}
interface NativeModule {
  OpusEncoder: new (rate: number, channels: number) => NativeOpusEncoder;
}
interface OpusScriptInstance {
  encode(buffer: Buffer, frameSize: number): Buffer;
  decode(buffer: Uint8Array): Buffer;
  encoderCTL(ctl: number, arg: number): void;
  decoderCTL(ctl: number, arg: number): void;
  delete(): void;
}
type OpusScriptClass = new (rate: number, channels: number, application: number) => OpusScriptInstance;

const require = createRequire(import.meta.url);

let nativeCreate: (() => OpusState) | null | undefined;
let opusScriptCreate: (() => OpusState) | undefined;
let nativeError: string | null = null;

function loadNative(): (() => OpusState) | null {
  let mod: NativeModule;
  try {
    mod = require('@discordjs/opus') as NativeModule;
  } catch (err) {
    nativeError = (err as Error).message;
    return null;
  }
  return () => {
    // One native object holds both an encoder and a decoder; two keep the directions apart.
    const enc = new mod.OpusEncoder(48000, 1);
    const dec = new mod.OpusEncoder(48000, 1);
    return {
      encode: (pcm) => enc.encode(pcm),
      decode: (packet) => dec.decode(packet),
      encoderCtl: (request, value) => enc.applyEncoderCTL(request, value),
      decoderCtl: (request, value) => dec.applyDecoderCTL(request, value),
      close: () => {},
    };
  };
}

function loadOpusScript(): () => OpusState {
  const OpusScript = require('opusscript') as OpusScriptClass;
  return () => {
    const enc = new OpusScript(48000, 1, OPUS_APPLICATION_VOIP);
    const dec = new OpusScript(48000, 1, OPUS_APPLICATION_VOIP);
    let open = true;
    return {
      encode: (pcm) => enc.encode(pcm, 960),
      decode: (packet) => dec.decode(packet),
      encoderCtl: (request, value) => enc.encoderCTL(request, value),
      decoderCtl: (request, value) => dec.decoderCTL(request, value),
      close: () => {
        if (!open) return;
        open = false;
        enc.delete(); // frees the WebAssembly heap memory of the encoder and decoder
        dec.delete();
      },
    };
  };
}

/** The binding to use by default: native unless TSPBX_OPUS=opusscript or it fails to load. */
export function opusBindingName(): OpusBindingName {
  if (process.env.TSPBX_OPUS === 'opusscript') return 'opusscript';
  if (nativeCreate === undefined) nativeCreate = loadNative();
  return nativeCreate !== null ? 'native' : 'opusscript';
}

/** Why the native binding did not load, or null when it did or was not tried. */
export function opusNativeLoadError(): string | null {
  return nativeError;
}

/**
 * A fresh encoder and decoder pair from the given binding (default: opusBindingName()). Each
 * binding loads once per thread. Throws PBX_ERR_MEDIA_OPUS when the binding cannot load.
 */
export function createOpusState(which: OpusBindingName = opusBindingName()): OpusState {
  if (which === 'native') {
    if (nativeCreate === undefined) nativeCreate = loadNative();
    if (nativeCreate === null) throw new PbxError('PBX_ERR_MEDIA_OPUS', `@discordjs/opus did not load: ${nativeError}`);
    return nativeCreate();
  }
  if (opusScriptCreate === undefined) {
    try {
      opusScriptCreate = loadOpusScript();
    } catch (err) {
      throw new PbxError('PBX_ERR_MEDIA_OPUS', `opusscript did not load: ${(err as Error).message}`);
    }
  }
  return opusScriptCreate();
}
