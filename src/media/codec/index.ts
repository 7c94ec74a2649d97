import { G722Codec } from './g722.js';
import { PcmaCodec } from './pcma.js';
import { PcmuCodec } from './pcmu.js';
import type { AudioCodec } from './types.js';

export type { AudioCodec } from './types.js';

/** SDP encoding names this package can decode and encode, so a bridge can transcode between them. */
export const TRANSCODABLE: readonly string[] = Object.freeze(['PCMU', 'PCMA', 'G722']);

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
    default:
      return null;
  }
}
