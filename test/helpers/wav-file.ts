import { writeFileSync } from 'node:fs';
import { HEADER_BYTES, writeWavHeader } from '../../src/media/recording/wav-format.js';

/** Writes `seconds` of 8 kHz mono 16-bit silence as a WAV file at `path` (a recorded message stand-in); returns the path. */
export function writeSilenceWav(path: string, seconds = 1): string {
  const dataBytes = 8000 * 2 * seconds;
  const buf = new Uint8Array(HEADER_BYTES + dataBytes);
  writeWavHeader(buf, 8000, 1, dataBytes);
  writeFileSync(path, buf);
  return path;
}
