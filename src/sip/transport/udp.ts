// RFC 3261 18 over UDP: one datagram is one message.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Peer } from '../message.js';
import type { Log } from '../../util/log.js';
import { plainAddress, type Listener, type MessageSink } from './listener.js';
import type { ListenSpec } from './types.js';

/** Room for bursts of requests (the kernel caps it at net.core.rmem_max). */
const RECV_BUFFER_BYTES = 4 * 1024 * 1024;

export class UdpListener implements Listener {
  readonly spec: ListenSpec;
  readonly ipv6: boolean;
  readonly connections = 0;
  readonly #socket: Socket;
  readonly #sink: MessageSink;
  #closed: Promise<void> | null = null;

  private constructor(socket: Socket, spec: ListenSpec, sink: MessageSink, log: Log | null) {
    this.#socket = socket;
    this.spec = spec;
    this.ipv6 = socket.address().family === 'IPv6';
    this.#sink = sink;
    socket.on('message', (buf: Buffer, rinfo: RemoteInfo) => this.#onMessage(buf, rinfo));
    socket.on('error', (err) => log?.warn({ err, listen: spec }, 'UDP socket error'));
  }

  static open(spec: ListenSpec, sink: MessageSink, log: Log | null): Promise<UdpListener> {
    const socket = createSocket({ type: isIP(spec.host) === 6 ? 'udp6' : 'udp4' });
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        socket.close();
        reject(err);
      };
      socket.once('error', onError);
      socket.bind(spec.port, spec.host, () => {
        socket.off('error', onError);
        try {
          socket.setRecvBufferSize(RECV_BUFFER_BYTES);
        } catch (err) {
          log?.debug({ err }, 'UDP receive buffer left at its default');
        }
        const bound = socket.address();
        resolve(new UdpListener(socket, { transport: 'udp', host: plainAddress(bound.address), port: bound.port }, sink, log));
      });
    });
  }

  #onMessage(buf: Buffer, rinfo: RemoteInfo): void {
    const source: Peer = { transport: 'udp', address: plainAddress(rinfo.address), port: rinfo.port, connectionId: null };
    this.#sink.receive(buf, source, this, false);
  }

  send(buf: Buffer, to: Peer): Promise<void> {
    if (this.#closed !== null) return Promise.reject(new Error('UDP listener closed'));
    // A dual-stack IPv6 socket reaches IPv4 peers through their mapped address.
    const address = this.ipv6 && isIP(to.address) === 4 ? `::ffff:${to.address}` : to.address;
    return new Promise((resolve, reject) => {
      this.#socket.send(buf, to.port, address, (err) => (err ? reject(err) : resolve()));
    });
  }

  reply(buf: Buffer, to: Peer): void {
    this.send(buf, to).then(undefined, () => undefined);
  }

  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => this.#socket.close(() => resolve()));
    return this.#closed;
  }
}
