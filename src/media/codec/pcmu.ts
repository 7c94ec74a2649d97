// ITU-T G.711 mu-law (RFC 3551 4.5.14 PCMU): 8 kHz, one byte per sample, 160 bytes per 20 ms.
// Both tables are built once at start-up from the G.711 rules; G711Codec (g711.ts) looks them up.

const BIAS = 0x84; // 132: shifts the 14-bit magnitude so each segment starts at a power of two
const CLIP = 32635; // largest magnitude that still fits segment 7 after the bias

/** G.711 mu-law code of a linear 16-bit sample. */
function muLawOf(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let magnitude = sample < 0 ? -sample : sample;
  if (magnitude > CLIP) magnitude = CLIP;
  magnitude += BIAS;
  let segment = 7;
  while (segment > 0 && (magnitude & (0x80 << segment)) === 0) segment--;
  const mantissa = (magnitude >> (segment + 3)) & 0x0f;
  return ~(sign | (segment << 4) | mantissa) & 0xff; // G.711: all bits sent inverted
}

/** Linear value of a G.711 mu-law code (the middle of its quantisation interval). */
function linearOfMuLaw(code: number): number {
  const c = ~code & 0xff;
  const segment = (c >> 4) & 0x07;
  const magnitude = ((((c & 0x0f) << 3) + BIAS) << segment) - BIAS;
  return c & 0x80 ? -magnitude : magnitude;
}

/** Encode table indexed by the sample's 16 bits as unsigned (sample & 0xffff). */
export const MULAW_ENCODE = new Uint8Array(65536);
/** Decode table indexed by the code byte. */
export const MULAW_DECODE = new Int16Array(256);
for (let i = 0; i < 65536; i++) MULAW_ENCODE[i] = muLawOf((i << 16) >> 16);
for (let i = 0; i < 256; i++) MULAW_DECODE[i] = linearOfMuLaw(i);
