import { G711Codec } from './g711.js';
import { G722Codec } from './g722.js';
import { L16_RATES, L16Codec } from './l16.js';
import { OPUS_RATES } from './opus-binding.js';
import { OpusCodec, type OpusSampleRate } from './opus.js';
import type { AudioCodec } from './types.js';

export type { AudioCodec } from './types.js';
export { opusBindingName, opusBindingSummary } from './opus-binding.js';

/** SDP encoding names this package can decode and encode, so a bridge can transcode between them. */
export const TRANSCODABLE: readonly string[] = Object.freeze(['opus', 'G722', 'PCMU', 'PCMA', 'L16']);

export interface CodecOptions {
  /**
   * The PCM rate the caller works at. A codec that can code at several rates (Opus: 8, 12, 16,
   * 24 or 48 kHz) takes it when it is one of them, so nothing has to be resampled; the others
   * keep their one rate. Read codec.sampleRate for the rate you got.
   */
  sampleRate?: number;
}

interface CodecKind {
  /** Whether an rtpmap clock rate and channel count (1 when the SDP gave none) is this codec's. */
  accepts(clockRate: number, channels: number): boolean;
  make(clockRate: number, options: CodecOptions): AudioCodec;
}

function opusRate(wanted: number | undefined): OpusSampleRate {
  return wanted !== undefined && OPUS_RATES.includes(wanted) ? (wanted as OpusSampleRate) : 48000;
}

const KINDS: ReadonlyMap<string, CodecKind> = new Map<string, CodecKind>([
  ['PCMU', { accepts: (r, ch) => r === 8000 && ch === 1, make: () => new G711Codec('PCMU') }],
  ['PCMA', { accepts: (r, ch) => r === 8000 && ch === 1, make: () => new G711Codec('PCMA') }],
  // RFC 3551 4.5.2: the SDP says 8000 though the audio is 16 kHz.
  ['G722', { accepts: (r, ch) => r === 8000 && ch === 1, make: () => new G722Codec() }],
  // RFC 7587 7: opus/48000/2 in SDP whatever is sent (a missing /2 is tolerated).
  ['OPUS', { accepts: (r, ch) => r === 48000 && (ch === 2 || ch === 1), make: (_r, o) => new OpusCodec({ sampleRate: opusRate(o.sampleRate) }) }],
  ['L16', { accepts: (r, ch) => L16_RATES.includes(r) && ch === 1, make: (r) => new L16Codec(r) }],
]);

function kindOf(name: string, clockRate: number, channels: number | null | undefined): CodecKind | null {
  const kind = KINDS.get(name.toUpperCase());
  return kind !== undefined && kind.accepts(clockRate, channels ?? 1) ? kind : null;
}

/** Whether createCodec() makes a codec for this rtpmap entry, without making one. */
export function codecSupported(name: string, clockRate: number, channels?: number | null): boolean {
  return kindOf(name, clockRate, channels) !== null;
}

/**
 * A codec for an SDP rtpmap entry (`a=rtpmap:PT NAME/CLOCKRATE[/CHANNELS]`): name is matched
 * case-insensitively; channels null or absent means the SDP gave none (RFC 4566: one).
 * Returns null for anything this package does not implement. Opus throws PBX_ERR_MEDIA_OPUS
 * when no libopus binding can load.
 */
export function createCodec(name: string, clockRate: number, channels?: number | null, options: CodecOptions = {}): AudioCodec | null {
  return kindOf(name, clockRate, channels)?.make(clockRate, options) ?? null;
}
