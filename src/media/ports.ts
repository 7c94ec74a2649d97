// RTP port pairs from the configured range (rtp.ports): RTP on an even port, RTCP on the next
// (RFC 3550 11). A cursor walks the range so a port just freed is the last to be reused, which
// keeps late packets of an ended call away from a new one.
import { PbxError } from '../util/errors.js';

export class PortPool {
  readonly #first: number;
  readonly #inUse: Uint8Array;
  #cursor = 0;
  #used = 0;

  constructor(min: number, max: number) {
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
      throw new PbxError('PBX_ERR_MEDIA_PORT_RANGE', `bad RTP port range ${min}-${max}`);
    }
    this.#first = min % 2 === 0 ? min : min + 1;
    const pairs = Math.floor((max - this.#first + 1) / 2);
    if (pairs < 1) throw new PbxError('PBX_ERR_MEDIA_PORT_RANGE', `RTP port range ${min}-${max} holds no even/odd pair`);
    this.#inUse = new Uint8Array(pairs);
  }

  get size(): number {
    return this.#inUse.length;
  }

  get used(): number {
    return this.#used;
  }

  /** An even RTP port whose RTCP port (+1) is free too; -1 when every pair is taken. */
  acquire(): number {
    const n = this.#inUse.length;
    if (this.#used === n) return -1;
    for (let k = 0; k < n; k++) {
      const i = (this.#cursor + k) % n;
      if (this.#inUse[i] === 0) {
        this.#inUse[i] = 1;
        this.#used++;
        this.#cursor = (i + 1) % n;
        return this.#first + 2 * i;
      }
    }
    return -1;
  }

  release(port: number): void {
    const i = (port - this.#first) / 2;
    if (!Number.isInteger(i) || i < 0 || i >= this.#inUse.length || this.#inUse[i] === 0) return;
    this.#inUse[i] = 0;
    this.#used--;
  }
}
