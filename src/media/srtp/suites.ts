// The SRTP crypto suites the PBX speaks (RFC 4568 6.2, RFC 3711 5): AES in counter mode with a
// 128-bit master key and 112-bit master salt, HMAC-SHA1 with an 80- or 32-bit tag on SRTP. SRTCP
// always carries the 80-bit tag (RFC 4568 6.2.2 for AES_CM_128_HMAC_SHA1_32).

export type SrtpSuiteName = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';

export interface SrtpSuite {
  name: SrtpSuiteName;
  /** Master key and salt, bytes (RFC 3711 8.2 defaults: 16 and 14). */
  keyLength: number;
  saltLength: number;
  /** Session authentication key, bytes (160 bits for HMAC-SHA1). */
  authKeyLength: number;
  /** Authentication tag on SRTP packets, bytes. */
  rtpTagLength: number;
  /** Authentication tag on SRTCP packets, bytes. */
  rtcpTagLength: number;
}

/** In the order the PBX prefers them when it offers or chooses. */
export const SRTP_SUITES: readonly SrtpSuite[] = [
  { name: 'AES_CM_128_HMAC_SHA1_80', keyLength: 16, saltLength: 14, authKeyLength: 20, rtpTagLength: 10, rtcpTagLength: 10 },
  { name: 'AES_CM_128_HMAC_SHA1_32', keyLength: 16, saltLength: 14, authKeyLength: 20, rtpTagLength: 4, rtcpTagLength: 10 },
];

export function srtpSuite(name: string): SrtpSuite | null {
  return SRTP_SUITES.find((s) => s.name === name) ?? null;
}

/** The master key and salt of one direction, as SDES carries it (RFC 4568 6.1: key || salt). */
export interface SrtpKeying {
  suite: SrtpSuiteName;
  /** base64 of master key || master salt. */
  keySalt: string;
}
