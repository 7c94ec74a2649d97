// A phone's RTCP end for tests: one UDP socket on 127.0.0.1 that keeps every compound packet it
// receives, parsed by parseRtcp, with its arrival time, and sends what a test builds.
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { parseRtcp, type RtcpPacket } from '../../src/media/rtcp.js';
import { Conditions } from './conditions.js';

export interface RtcpArrival {
  /** performance.now() at arrival. */
  at: number;
  packets: RtcpPacket[];
  from: string;
  fromPort: number;
  raw: Buffer;
}

export class RtcpEndpoint {
  readonly received: RtcpArrival[] = [];
  readonly #socket: dgram.Socket;
  readonly #waiters = new Conditions<RtcpArrival>();
  #closed = false;

  private constructor(socket: dgram.Socket) {
    this.#socket = socket;
    socket.on('message', (msg, rinfo) => {
      const arrival = { at: performance.now(), packets: parseRtcp(msg), from: `${rinfo.address}:${rinfo.port}`, fromPort: rinfo.port, raw: msg };
      this.received.push(arrival);
      this.#waiters.check(arrival);
    });
  }

  static async open(): Promise<RtcpEndpoint> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '127.0.0.1', () => resolve());
    });
    return new RtcpEndpoint(s);
  }

  get port(): number {
    return (this.#socket.address() as { port: number }).port;
  }

  send(bytes: Uint8Array, port: number, address = '127.0.0.1'): void {
    this.#socket.send(bytes, port, address);
  }

  /** The first compound packet, received already or later, for which pred holds; rejects after timeoutMs. */
  waitFor(pred: (a: RtcpArrival) => boolean, timeoutMs: number, what: string): Promise<RtcpArrival> {
    const found = this.received.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return this.#waiters.wait(pred, timeoutMs, () => `RTCP endpoint: ${what} not received within ${timeoutMs} ms (${this.received.length} packets)`);
  }

  /** The next compound packet from now on for which pred holds. */
  next(pred: (a: RtcpArrival) => boolean, timeoutMs: number, what: string): Promise<RtcpArrival> {
    return this.#waiters.wait(pred, timeoutMs, () => `RTCP endpoint: ${what} not received within ${timeoutMs} ms (${this.received.length} packets)`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
  }
}
