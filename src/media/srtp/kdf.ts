// SRTP key derivation (RFC 3711 4.3) with a key derivation rate of 0, as SDES uses by default:
// each session key is the AES-CM keystream of the master key at IV = (label XOR master salt) * 2^16.
import { AesCounterMode } from './aes-cm.js';
import type { SrtpSuite } from './suites.js';

/** RFC 3711 4.3.2: the labels of the six session keys. */
export const LABEL = { rtpEncryption: 0, rtpAuth: 1, rtpSalt: 2, rtcpEncryption: 3, rtcpAuth: 4, rtcpSalt: 5 } as const;

export interface SessionKeys {
  rtpKey: Buffer;
  rtpAuthKey: Buffer;
  rtpSalt: Buffer;
  rtcpKey: Buffer;
  rtcpAuthKey: Buffer;
  rtcpSalt: Buffer;
}

/** One session key: `label` in byte 7 of the 14-byte salt (key_id = label || r, r = 0). */
export function deriveKey(prf: AesCounterMode, masterSalt: Buffer, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0, 0, 14);
  iv[7]! ^= label;
  return prf.keystream(iv, length);
}

export function deriveSessionKeys(suite: SrtpSuite, masterKey: Buffer, masterSalt: Buffer): SessionKeys {
  if (masterKey.length !== suite.keyLength || masterSalt.length !== suite.saltLength) {
    throw new RangeError(`${suite.name} needs a ${suite.keyLength}-byte key and a ${suite.saltLength}-byte salt`);
  }
  const prf = new AesCounterMode(masterKey);
  return {
    rtpKey: deriveKey(prf, masterSalt, LABEL.rtpEncryption, suite.keyLength),
    rtpAuthKey: deriveKey(prf, masterSalt, LABEL.rtpAuth, suite.authKeyLength),
    rtpSalt: deriveKey(prf, masterSalt, LABEL.rtpSalt, suite.saltLength),
    rtcpKey: deriveKey(prf, masterSalt, LABEL.rtcpEncryption, suite.keyLength),
    rtcpAuthKey: deriveKey(prf, masterSalt, LABEL.rtcpAuth, suite.authKeyLength),
    rtcpSalt: deriveKey(prf, masterSalt, LABEL.rtcpSalt, suite.saltLength),
  };
}
