import { FrameRepeater } from './conceal.js';
import { ALAW_DECODE, ALAW_ENCODE } from './pcma.js';
import { MULAW_DECODE, MULAW_ENCODE } from './pcmu.js';
import type { AudioCodec } from './types.js';

// ITU-T G.711 (RFC 3551 4.5.14 PCMU and PCMA): 8 kHz, one byte per sample, 160 bytes per 20 ms.
// Both laws are table lookups; they differ only in their tables (pcmu.ts, pcma.ts).

export class G711Codec implements AudioCodec {
  readonly name: 'PCMU' | 'PCMA';
  readonly clockRate = 8000;
  readonly sampleRate = 8000;
  readonly frameSamples = 160;
  readonly timestampStep = 160;
  readonly #encode: Uint8Array;
  readonly #decode: Int16Array;
  readonly #plc = new FrameRepeater(160);

  constructor(name: 'PCMU' | 'PCMA') {
    this.name = name;
    this.#encode = name === 'PCMU' ? MULAW_ENCODE : ALAW_ENCODE;
    this.#decode = name === 'PCMU' ? MULAW_DECODE : ALAW_DECODE;
  }

  encode(pcm: Int16Array, out: Uint8Array): number {
    const table = this.#encode;
    const n = pcm.length < out.length ? pcm.length : out.length;
    for (let i = 0; i < n; i++) out[i] = table[pcm[i] & 0xffff];
    return n;
  }

  decode(payload: Uint8Array, out: Int16Array): number {
    const table = this.#decode;
    const n = payload.length;
    if (n === 0 || n > out.length) return -1;
    for (let i = 0; i < n; i++) out[i] = table[payload[i]];
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
