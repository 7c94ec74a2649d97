import { FrameRepeater } from './conceal.js';
import type { AudioCodec } from './types.js';

// RFC 3551 4.5.11 L16: uncompressed signed 16-bit samples in network byte order (big-endian),
// sampled at the RTP clock rate the SDP gives. Mono only here; 20 ms is rate / 50 samples.

/** The L16 clock rates supported (the pipeline's rates). */
export const L16_RATES: readonly number[] = [8000, 16000, 48000];

export class L16Codec implements AudioCodec {
  readonly name = 'L16';
  readonly clockRate: number;
  readonly sampleRate: number;
  readonly frameSamples: number;
  readonly timestampStep: number;
  readonly #plc: FrameRepeater;

  constructor(rate: number) {
    this.clockRate = rate;
    this.sampleRate = rate;
    this.frameSamples = rate / 50;
    this.timestampStep = rate / 50;
    this.#plc = new FrameRepeater(this.frameSamples);
  }

  encode(pcm: Int16Array, out: Uint8Array): number {
    let n = pcm.length;
    if (2 * n > out.length) n = out.length >> 1;
    for (let i = 0; i < n; i++) {
      const v = pcm[i];
      out[2 * i] = v >> 8;
      out[2 * i + 1] = v;
    }
    return 2 * n;
  }

  decode(payload: Uint8Array, out: Int16Array): number {
    const len = payload.length;
    if (len === 0 || (len & 1) !== 0 || len >> 1 > out.length) return -1;
    const n = len >> 1;
    for (let i = 0; i < n; i++) out[i] = (payload[2 * i] << 8) | payload[2 * i + 1];
    this.#plc.keep(out, n);
    return n;
  }

  conceal(out: Int16Array, _next: Uint8Array | null): number {
    return this.#plc.conceal(out, this.frameSamples);
  }

  reset(): void {
    this.#plc.reset();
  }

  close(): void {}
}
