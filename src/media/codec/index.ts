import { G722Codec } from './g722.js';
import { L16_RATES, L16Codec } from './l16.js';
import { OpusCodec } from './opus.js';
import { PcmaCodec } from './pcma.js';
import { PcmuCodec } from './pcmu.js';
import type { AudioCodec } from './types.js';

export type { AudioCodec } from './types.js';

/** SDP encoding names this package can decode and encode, so a bridge can transcode between them. */
export const TRANSCODABLE: readonly string[] = Object.freeze(['opus', 'G722', 'PCMU', 'PCMA', 'L16']);

/**
 * A codec for an SDP rtpmap entry (`a=rtpmap:PT NAME/CLOCKRATE[/CHANNELS]`): name is matched
 * case-insensitively; channels null or absent means the SDP gave none (RFC 4566: one).
 * Returns null for anything this package does not implement.
 */
export function createCodec(name: string, clockRate: number, channels?: number | null): AudioCodec | null {
  const ch = channels ?? 1;
  switch (name.toUpperCase()) {
    case 'PCMU':
      return clockRate === 8000 && ch === 1 ? new PcmuCodec() : null;
    case 'PCMA':
      return clockRate === 8000 && ch === 1 ? new PcmaCodec() : null;
    case 'G722': // RFC 3551 4.5.2: the SDP says 8000 though the audio is 16 kHz
      return clockRate === 8000 && ch === 1 ? new G722Codec() : null;
    case 'OPUS': // RFC 7587 7: opus/48000/2 in SDP whatever is sent (a missing /2 is tolerated)
      return clockRate === 48000 && (ch === 2 || ch === 1) ? new OpusCodec() : null;
    case 'L16':
      return L16_RATES.includes(clockRate) && ch === 1 ? new L16Codec(clockRate) : null;
    default:
      return null;
  }
}
