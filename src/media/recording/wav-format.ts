// The canonical 44-byte header of a PCM WAV file (RIFF, "WAVE", a 16-byte "fmt " chunk with
// WAVE_FORMAT_PCM, then the "data" chunk), as recordings are written.

export const HEADER_BYTES = 44;
/** Offset of the RIFF chunk size (file length - 8). */
export const RIFF_SIZE_OFFSET = 4;
/** Offset of the data chunk size in the canonical header. */
export const DATA_SIZE_OFFSET = 40;
/** The RIFF size field is 32 bits: the most data a WAV file can declare. */
export const MAX_DATA_BYTES = 0xffffffff - (HEADER_BYTES - 8);

const WAVE_FORMAT_PCM = 1;

/** Fills `out` (at least 44 bytes) with a 16-bit PCM header declaring `dataBytes` of samples. */
export function writeWavHeader(out: Uint8Array, sampleRate: number, channels: number, dataBytes: number): void {
  const view = new DataView(out.buffer, out.byteOffset, HEADER_BYTES);
  const blockAlign = channels * 2;
  ascii(view, 0, 'RIFF');
  view.setUint32(RIFF_SIZE_OFFSET, dataBytes + HEADER_BYTES - 8, true);
  ascii(view, 8, 'WAVE');
  ascii(view, 12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, WAVE_FORMAT_PCM, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true);
  ascii(view, 36, 'data');
  view.setUint32(DATA_SIZE_OFFSET, dataBytes, true);
}

function ascii(view: DataView, at: number, text: string): void {
  for (let i = 0; i < text.length; i++) view.setUint8(at + i, text.charCodeAt(i));
}
