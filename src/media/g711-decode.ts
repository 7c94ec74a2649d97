// G.711 expansion (ITU-T G.711 tables 1a and 2a): one 8-bit code to a 16-bit linear sample.
// Tables built once at start-up; used by the WAV reader for A-law and u-law files.

function expandUlaw(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

function expandAlaw(code: number): number {
  const a = code ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

export const ULAW_TO_LINEAR: Int16Array = Int16Array.from({ length: 256 }, (_, i) => expandUlaw(i));
export const ALAW_TO_LINEAR: Int16Array = Int16Array.from({ length: 256 }, (_, i) => expandAlaw(i));
