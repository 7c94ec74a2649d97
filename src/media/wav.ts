// WAV (RIFF/WAVE) reader for prompts and music on hold: any rate, mono or stereo (mixed down to
// mono), 8-bit unsigned, 16/24/32-bit PCM, 32/64-bit float, A-law and u-law, plain or
// WAVE_FORMAT_EXTENSIBLE; chunks it does not need (LIST, fact, cue...) are skipped.
// Anything else, or a truncated or corrupt file, is a PbxError naming the file.
import { readFileSync } from 'node:fs';
import { PbxError } from '../util/errors.js';
import { ALAW_TO_LINEAR, ULAW_TO_LINEAR } from './g711-decode.js';

export const WAV_ERRORS = {
  READ: 'PBX_ERR_MEDIA_WAV_READ',
  NOT_WAV: 'PBX_ERR_MEDIA_WAV_NOT_WAV',
  TRUNCATED: 'PBX_ERR_MEDIA_WAV_TRUNCATED',
  CORRUPT: 'PBX_ERR_MEDIA_WAV_CORRUPT',
  UNSUPPORTED: 'PBX_ERR_MEDIA_WAV_UNSUPPORTED',
} as const;

export interface WavAudio {
  sampleRate: number;
  /** Channels in the file; `pcm` is always mono. */
  channels: number;
  pcm: Int16Array;
}

// Format tags (RFC 2361 appendix A; mmreg.h)
const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_ALAW = 0x0006;
const WAVE_FORMAT_MULAW = 0x0007;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** The KSDATAFORMAT_SUBTYPE GUID after its first two bytes (the format tag): -0000-0010-8000-00AA00389B71. */
const SUBTYPE_TAIL = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]);

const MIN_RATE = 1000;
const MAX_RATE = 384000;

interface Format {
  tag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bits: number;
}

export function readWav(path: string): WavAudio {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new PbxError(WAV_ERRORS.READ, `${path}: cannot read the WAV file: ${reason}`);
  }
  return parseWav(file, path);
}

/** Parses WAV bytes; `name` is used in error messages. */
export function parseWav(file: Buffer, name: string): WavAudio {
  const fail = (code: string, what: string): never => {
    throw new PbxError(code, `${name}: ${what}`);
  };
  if (file.length < 12 || file.toString('latin1', 0, 4) !== 'RIFF' || file.toString('latin1', 8, 12) !== 'WAVE') {
    if (file.length >= 4 && file.toString('latin1', 0, 4) === 'RF64') fail(WAV_ERRORS.UNSUPPORTED, 'RF64 (over 4 GB) WAV files are not supported');
    fail(WAV_ERRORS.NOT_WAV, file.length < 12 ? `not a WAV file (only ${file.length} bytes)` : 'not a WAV file (no RIFF/WAVE header)');
  }
  let format: Format | null = null;
  let data: Buffer | null = null;
  let offset = 12;
  while (offset + 8 <= file.length && data === null) {
    const id = file.toString('latin1', offset, offset + 4);
    const size = file.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (body + size > file.length) {
      fail(WAV_ERRORS.TRUNCATED, `truncated: the "${printable(id)}" chunk declares ${size} bytes but only ${file.length - body} remain`);
    }
    if (id === 'fmt ') format = parseFormat(file.subarray(body, body + size), fail);
    else if (id === 'data') {
      if (format === null) fail(WAV_ERRORS.CORRUPT, 'corrupt: the data chunk comes before the fmt chunk');
      data = file.subarray(body, body + size);
    }
    offset = body + size + (size & 1);
  }
  if (format === null) return fail(WAV_ERRORS.CORRUPT, 'corrupt: no fmt chunk');
  if (data === null) return fail(WAV_ERRORS.TRUNCATED, 'truncated: no data chunk');
  if (data.length % format.blockAlign !== 0) {
    fail(WAV_ERRORS.TRUNCATED, `truncated: ${data.length} bytes of data is not a whole number of ${format.blockAlign}-byte sample frames`);
  }
  return { sampleRate: format.sampleRate, channels: format.channels, pcm: toMono(data, format) };
}

function parseFormat(fmt: Buffer, fail: (code: string, what: string) => never): Format {
  if (fmt.length < 16) fail(WAV_ERRORS.CORRUPT, `corrupt: fmt chunk of ${fmt.length} bytes (at least 16 expected)`);
  let tag = fmt.readUInt16LE(0);
  const channels = fmt.readUInt16LE(2);
  const sampleRate = fmt.readUInt32LE(4);
  const blockAlign = fmt.readUInt16LE(12);
  const bits = fmt.readUInt16LE(14);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    if (fmt.length < 40) fail(WAV_ERRORS.CORRUPT, `corrupt: WAVE_FORMAT_EXTENSIBLE fmt chunk of ${fmt.length} bytes (40 expected)`);
    if (!fmt.subarray(26, 40).equals(SUBTYPE_TAIL)) fail(WAV_ERRORS.UNSUPPORTED, 'unsupported WAVE_FORMAT_EXTENSIBLE sub-format (not a PCM, float or G.711 GUID)');
    tag = fmt.readUInt16LE(24);
  }
  if (channels !== 1 && channels !== 2) fail(WAV_ERRORS.UNSUPPORTED, `unsupported: ${channels} channels (mono or stereo only)`);
  if (sampleRate < MIN_RATE || sampleRate > MAX_RATE) fail(WAV_ERRORS.UNSUPPORTED, `unsupported sample rate ${sampleRate} Hz (${MIN_RATE} to ${MAX_RATE})`);
  const supported =
    (tag === WAVE_FORMAT_PCM && (bits === 8 || bits === 16 || bits === 24 || bits === 32)) ||
    (tag === WAVE_FORMAT_IEEE_FLOAT && (bits === 32 || bits === 64)) ||
    ((tag === WAVE_FORMAT_ALAW || tag === WAVE_FORMAT_MULAW) && bits === 8);
  if (!supported) fail(WAV_ERRORS.UNSUPPORTED, `unsupported encoding: ${formatName(tag)}, ${bits} bits per sample (PCM 8/16/24/32-bit, float 32/64-bit, A-law or u-law only)`);
  if (blockAlign !== channels * (bits / 8)) fail(WAV_ERRORS.CORRUPT, `corrupt: block align ${blockAlign} does not match ${channels} channel(s) of ${bits} bits`);
  return { tag, channels, sampleRate, blockAlign, bits };
}

function formatName(tag: number): string {
  switch (tag) {
    case WAVE_FORMAT_PCM:
      return 'PCM';
    case WAVE_FORMAT_IEEE_FLOAT:
      return 'IEEE float';
    case WAVE_FORMAT_ALAW:
      return 'A-law';
    case WAVE_FORMAT_MULAW:
      return 'u-law';
    case 0x0002:
      return 'Microsoft ADPCM';
    case 0x0011:
      return 'IMA ADPCM';
    case 0x0031:
      return 'GSM 6.10';
    case 0x0055:
      return 'MPEG Layer 3';
    default:
      return `format tag 0x${tag.toString(16).padStart(4, '0')}`;
  }
}

/** One sample of one channel at byte offset `at` as a signed 16-bit value. */
function sampleReader(f: Format): (data: Buffer, at: number) => number {
  if (f.tag === WAVE_FORMAT_ALAW) return (d, at) => ALAW_TO_LINEAR[d[at]!]!;
  if (f.tag === WAVE_FORMAT_MULAW) return (d, at) => ULAW_TO_LINEAR[d[at]!]!;
  if (f.tag === WAVE_FORMAT_IEEE_FLOAT) {
    return f.bits === 32 ? (d, at) => floatToInt16(d.readFloatLE(at)) : (d, at) => floatToInt16(d.readDoubleLE(at));
  }
  switch (f.bits) {
    case 8:
      return (d, at) => (d[at]! - 128) << 8;
    case 16:
      return (d, at) => d.readInt16LE(at);
    case 24:
      return (d, at) => d.readIntLE(at, 3) >> 8;
    default:
      return (d, at) => d.readInt32LE(at) >> 16;
  }
}

function floatToInt16(x: number): number {
  if (!(x === x)) return 0; // NaN
  const s = Math.round(x * 32768);
  return s > 32767 ? 32767 : s < -32768 ? -32768 : s;
}

function toMono(data: Buffer, f: Format): Int16Array {
  const frames = data.length / f.blockAlign;
  const pcm = new Int16Array(frames);
  const read = sampleReader(f);
  const width = f.bits / 8;
  if (f.channels === 1) {
    for (let i = 0; i < frames; i++) pcm[i] = read(data, i * width);
  } else {
    for (let i = 0; i < frames; i++) {
      const at = i * f.blockAlign;
      pcm[i] = (read(data, at) + read(data, at + width)) >> 1;
    }
  }
  return pcm;
}

function printable(id: string): string {
  return id.replace(/[^\x20-\x7e]/g, '?');
}
