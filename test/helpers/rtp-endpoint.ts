// A phone's media end for tests: one UDP socket on 127.0.0.1 that sends PCM encoded with a real
// codec (src/media/codec) as paced RTP, and decodes what it receives back to PCM, so a test can
// compare what arrived with what was sent by correlation rather than by bytes.
import dgram from 'node:dgram';
import { Conditions } from './conditions.js';
import { createCodec, type AudioCodec } from '../../src/media/codec/index.js';
import type { LegCodecSpec, MediaEngine } from '../../src/media/engine.js';

export interface EndpointCodec {
  name: string;
  payloadType: number;
  clockRate: number;
  channels?: number | null;
  /** telephone-event payload type (RFC 4733); null for none. */
  dtmfPayloadType?: number | null;
}

export class RtpEndpoint {
  readonly codec: EndpointCodec;
  readonly #socket: dgram.Socket;
  readonly #rx: AudioCodec;
  readonly #tx: AudioCodec;
  readonly #chunks: Int16Array[] = [];
  readonly #scratch: Int16Array;
  /** Packets received, by payload type. */
  readonly packets = new Map<number, number>();
  /** RFC 4733 events received: code, timestamp, end bit. */
  readonly events: { code: number; timestamp: number; end: boolean }[] = [];
  readonly sources = new Set<string>();
  readonly ssrcs = new Set<number>();
  /** Every RTP packet received, in arrival order: its SSRC, sequence number, timestamp, payload length and first payload byte (an Opus TOC). */
  readonly arrivals: { ssrc: number; sequence: number; timestamp: number; payloadBytes: number; first: number }[] = [];
  readonly ssrc = 0x10000000 + Math.floor(Math.random() * 0x0fffffff);
  #seq = Math.floor(Math.random() * 1000);
  #ts = Math.floor(Math.random() * 100000);
  readonly #waiters = new Conditions<void>();
  #closed = false;

  private constructor(socket: dgram.Socket, codec: EndpointCodec) {
    this.#socket = socket;
    this.codec = codec;
    this.#rx = createCodec(codec.name, codec.clockRate, codec.channels ?? null)!;
    this.#tx = createCodec(codec.name, codec.clockRate, codec.channels ?? null)!;
    if (this.#rx === null) throw new Error(`no codec ${codec.name}`);
    this.#scratch = new Int16Array(this.#rx.frameSamples * 6);
    socket.on('message', (msg, rinfo) => this.#packet(msg, rinfo));
  }

  static async open(codec: EndpointCodec): Promise<RtpEndpoint> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '127.0.0.1', () => resolve());
    });
    return new RtpEndpoint(s, codec);
  }

  get port(): number {
    return (this.#socket.address() as { port: number }).port;
  }

  /** The PCM rate of send() and received(). */
  get sampleRate(): number {
    return this.#rx.sampleRate;
  }

  get frameSamples(): number {
    return this.#rx.frameSamples;
  }

  #packet(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length < 12 || msg[0]! >> 6 !== 2) return;
    const pt = msg[1]! & 0x7f;
    if (pt >= 72 && pt <= 76) return;
    this.sources.add(`${rinfo.address}:${rinfo.port}`);
    this.firstSource ??= { address: rinfo.address, port: rinfo.port };
    this.ssrcs.add(msg.readUInt32BE(8));
    this.arrivals.push({ ssrc: msg.readUInt32BE(8), sequence: msg.readUInt16BE(2), timestamp: msg.readUInt32BE(4), payloadBytes: msg.length - 12, first: msg[12] ?? -1 });
    this.packets.set(pt, (this.packets.get(pt) ?? 0) + 1);
    const payload = msg.subarray(12);
    if (pt === this.codec.dtmfPayloadType && payload.length >= 4) {
      this.events.push({ code: payload[0]!, timestamp: msg.readUInt32BE(4), end: (payload[1]! & 0x80) !== 0 });
    } else if (pt === this.codec.payloadType) {
      const n = this.#rx.decode(payload, this.#scratch);
      if (n > 0) this.#chunks.push(this.#scratch.slice(0, n));
    }
    this.#waiters.check();
  }

  /** Where the first packet came from: the PBX leg that sends to this endpoint. */
  firstSource: { address: string; port: number } | null = null;

  /** Everything decoded so far, in arrival order. */
  received(): Int16Array {
    const total = this.#chunks.reduce((n, c) => n + c.length, 0);
    const out = new Int16Array(total);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  /** The last n samples decoded (fewer when less came), without copying the rest. */
  tail(n: number): Int16Array {
    const parts: Int16Array[] = [];
    let have = 0;
    for (let i = this.#chunks.length - 1; i >= 0 && have < n; i--) {
      parts.push(this.#chunks[i]!);
      have += this.#chunks[i]!.length;
    }
    const out = new Int16Array(Math.min(n, have));
    let at = out.length;
    for (const c of parts) {
      const take = Math.min(c.length, at);
      out.set(c.subarray(c.length - take), at - take);
      at -= take;
    }
    return out;
  }

  /** Forgets what was received. */
  clear(): void {
    this.#chunks.length = 0;
    this.arrivals.length = 0;
    this.packets.clear();
    this.events.length = 0;
  }

  /**
   * Sends pcm (at sampleRate) to address:port as RTP, one frame every 20 ms, paced on the clock.
   * Frames for which drop(i) holds are left out as a lossy network would: their sequence numbers
   * and timestamps are used up all the same.
   */
  async send(pcm: Int16Array, port: number, address = '127.0.0.1', drop: (frame: number) => boolean = () => false): Promise<void> {
    const f = this.#tx.frameSamples;
    const frames = Math.floor(pcm.length / f);
    const packet = Buffer.alloc(12 + 2000);
    const start = performance.now();
    for (let i = 0; i < frames && !this.#closed; i++) {
      const n = this.#tx.encode(pcm.subarray(i * f, (i + 1) * f), packet.subarray(12));
      this.#header(packet, this.codec.payloadType, this.#ts, i === 0);
      this.#ts = (this.#ts + this.#tx.timestampStep) >>> 0;
      if (!drop(i)) this.#socket.send(packet.subarray(0, 12 + n), port, address);
      const due = start + (i + 1) * 20;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    }
  }

  /** Sends one RFC 4733 digit: 5 packets of 20 ms, then three end packets (RFC 4733 2.5.1.4). */
  async sendDigit(code: number, port: number, address = '127.0.0.1'): Promise<void> {
    const pt = this.codec.dtmfPayloadType;
    if (pt === null || pt === undefined) throw new Error('no telephone-event payload type');
    const packet = Buffer.alloc(16);
    const eventTs = this.#ts;
    const step = this.#tx.timestampStep;
    for (let i = 0; i < 8 && !this.#closed; i++) {
      const end = i >= 5;
      const duration = Math.min(i + 1, 5) * step;
      this.#header(packet, pt, eventTs, i === 0);
      packet[12] = code;
      packet[13] = (end ? 0x80 : 0) | 10;
      packet.writeUInt16BE(duration, 14);
      this.#socket.send(packet, port, address);
      this.#ts = (this.#ts + step) >>> 0;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  #header(packet: Buffer, pt: number, ts: number, marker: boolean): void {
    packet[0] = 0x80;
    packet[1] = (marker ? 0x80 : 0) | pt;
    packet.writeUInt16BE(this.#seq, 2);
    this.#seq = (this.#seq + 1) & 0xffff;
    packet.writeUInt32BE(ts >>> 0, 4);
    packet.writeUInt32BE(this.ssrc, 8);
  }

  /** Resolves when pred() holds after a packet; rejects after timeoutMs. */
  waitFor(pred: () => boolean, timeoutMs = 10000, what = 'condition'): Promise<void> {
    if (pred()) return Promise.resolve();
    return this.#waiters.wait(pred, timeoutMs, () => `RTP endpoint: ${what} not met within ${timeoutMs} ms; packets ${JSON.stringify(Object.fromEntries(this.packets))}`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
    this.#rx.close();
    this.#tx.close();
  }
}

/** The MediaEngine codec of a leg whose phone speaks `c`. */
export function codecSpec(c: EndpointCodec): LegCodecSpec {
  return { name: c.name, payloadType: c.payloadType, clockRate: c.clockRate, channels: c.channels ?? null, dtmfPayloadType: c.dtmfPayloadType ?? null };
}

/** A phone on a new leg of `engine` in `group`: the leg points at the endpoint and has its codec. The caller closes ep. */
export async function phoneLeg(engine: MediaEngine, group: string, codec: EndpointCodec): Promise<{ ep: RtpEndpoint; legId: string; port: number }> {
  const ep = await RtpEndpoint.open(codec);
  const { legId, port } = await engine.openLeg(group);
  await engine.setRemote(legId, { address: '127.0.0.1', port: ep.port });
  await engine.setCodec(legId, codecSpec(codec));
  return { ep, legId, port };
}

/**
 * The normalised cross-correlation of `received` against `sent` at the best lag in [0, maxLag]
 * (received delayed by lag samples), over `sent`'s samples that overlap.
 */
export function correlation(sent: Int16Array, received: Int16Array, maxLag: number): { lag: number; r: number } {
  let best = { lag: 0, r: -1 };
  let sentEnergy = 0;
  for (let i = 0; i < sent.length; i++) sentEnergy += sent[i]! * sent[i]!;
  for (let lag = 0; lag <= maxLag && lag < received.length; lag++) {
    let dot = 0;
    let recvEnergy = 0;
    let se = 0;
    const n = Math.min(sent.length, received.length - lag);
    for (let i = 0; i < n; i++) {
      const a = sent[i]!;
      const b = received[i + lag]!;
      dot += a * b;
      recvEnergy += b * b;
      se += a * a;
    }
    const r = dot / Math.sqrt(Math.max(1, se) * Math.max(1, recvEnergy));
    if (r > best.r) best = { lag, r };
  }
  return sentEnergy === 0 ? { lag: 0, r: 0 } : best;
}

/**
 * correlation() block by block (blocks of `block` samples of `sent`, each at its own best lag):
 * audio that arrives whole but shifted once by a late media tick still matches. Blocks of
 * silence in `sent` are left out. Returns each block's r and their median.
 */
export function blockCorrelation(sent: Int16Array, received: Int16Array, block: number, maxLag: number): { median: number; blocks: number[] } {
  const blocks: number[] = [];
  for (let at = 0; at + block <= sent.length; at += block) {
    const part = sent.subarray(at, at + block);
    let energy = 0;
    for (let i = 0; i < part.length; i++) energy += part[i]! * part[i]!;
    if (Math.sqrt(energy / block) < 100) continue;
    blocks.push(correlation(part, received.subarray(at), maxLag).r);
  }
  const sorted = [...blocks].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? 0, blocks };
}

/** `pcm` from `margin` samples before its first sample louder than `threshold` (the silence before the audio is cut). */
export function fromFirstSound(pcm: Int16Array, threshold = 300, margin = 200): Int16Array {
  let i = 0;
  while (i < pcm.length && Math.abs(pcm[i]!) < threshold) i++;
  return pcm.subarray(Math.max(0, i - margin));
}

/** Every `factor`-th sample after a moving average over `factor` samples (a crude low-pass). */
export function decimate(pcm: Int16Array, factor: number): Int16Array {
  const out = new Int16Array(Math.floor(pcm.length / factor));
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let k = 0; k < factor; k++) s += pcm[i * factor + k]!;
    out[i] = Math.round(s / factor);
  }
  return out;
}
