// ITU-T G.711 A-law (RFC 3551 4.5.14 PCMA): 8 kHz, one byte per sample, 160 bytes per 20 ms.
// Both tables are built once at start-up from the G.711 rules; G711Codec (g711.ts) looks them up.

const EVEN_BITS = 0x55; // G.711: the even bits of every A-law code are inverted on the line

/** G.711 A-law code of a linear 16-bit sample (A-law works on the top 13 bits). */
function aLawOf(sample: number): number {
  // Negative values mirror onto magnitude -x-1 so that the 13-bit range is symmetric.
  const positive = sample >= 0;
  const magnitude = (positive ? sample : -sample - 1) >> 3; // 0..4095
  let segment = 0;
  while (segment < 7 && magnitude >= 32 << segment) segment++;
  const mantissa = segment === 0 ? (magnitude >> 1) & 0x0f : (magnitude >> segment) & 0x0f;
  return ((positive ? 0x80 : 0) | (segment << 4) | mantissa) ^ EVEN_BITS;
}

/** Linear value of a G.711 A-law code (the middle of its quantisation interval). */
function linearOfALaw(code: number): number {
  const c = code ^ EVEN_BITS;
  const segment = (c >> 4) & 0x07;
  const mantissa = c & 0x0f;
  const magnitude = segment === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (segment - 1);
  return c & 0x80 ? magnitude : -magnitude;
}

/** Encode table indexed by the sample's 16 bits as unsigned (sample & 0xffff). */
export const ALAW_ENCODE = new Uint8Array(65536);
/** Decode table indexed by the code byte. */
export const ALAW_DECODE = new Int16Array(256);
for (let i = 0; i < 65536; i++) ALAW_ENCODE[i] = aLawOf((i << 16) >> 16);
for (let i = 0; i < 256; i++) ALAW_DECODE[i] = linearOfALaw(i);
