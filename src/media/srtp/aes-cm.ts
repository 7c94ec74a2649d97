// AES in counter mode as SRTP uses it (RFC 3711 4.1.1): the keystream is AES of IV, IV+1, ... where
// the low 16 bits count blocks. node:crypto's aes-128-ctr would need a new cipher per packet (an
// OpenSSL context set up each time); one AES-128-ECB cipher kept for the session encrypts the
// counter blocks written into a buffer kept for the session, about eight times faster.
import { createCipheriv, type Cipher } from 'node:crypto';

/** The largest packet the PBX protects or unprotects (a UDP datagram on Ethernet). */
export const MAX_PACKET = 1500;
const BLOCK = 16;

export class AesCounterMode {
  readonly #ecb: Cipher;
  /** The counter blocks of one packet, rewritten for each. */
  readonly #counters = Buffer.alloc(Math.ceil(MAX_PACKET / BLOCK) * BLOCK);

  constructor(key: Buffer) {
    if (key.length !== 16) throw new RangeError('AES-128 needs a 16-byte key');
    this.#ecb = createCipheriv('aes-128-ecb', key, null);
    this.#ecb.setAutoPadding(false);
  }

  /**
   * XORs `length` bytes of `data` from `offset` with the keystream of the 16-byte `iv` (whose last
   * two bytes are zero: RFC 3711 4.1.1 leaves them to the block counter), in place.
   */
  apply(data: Uint8Array, offset: number, length: number, iv: Uint8Array): void {
    if (length <= 0) return;
    if (length > MAX_PACKET) throw new RangeError(`at most ${MAX_PACKET} bytes per packet`);
    const blocks = Math.ceil(length / BLOCK);
    const counters = this.#counters;
    for (let b = 0; b < blocks; b++) {
      const at = b * BLOCK;
      counters.set(iv, at);
      // The block number sits in the IV's low 16 bits (zero there), so no carry crosses into byte 13.
      counters[at + 14] = b >>> 8;
      counters[at + 15] = b & 0xff;
    }
    const stream = this.#ecb.update(counters.subarray(0, blocks * BLOCK));
    for (let i = 0; i < length; i++) data[offset + i]! ^= stream[i]!;
  }

  /** The keystream itself, `length` bytes (key derivation, tests). */
  keystream(iv: Uint8Array, length: number): Buffer {
    const out = Buffer.alloc(length);
    this.apply(out, 0, length, iv);
    return out;
  }
}
