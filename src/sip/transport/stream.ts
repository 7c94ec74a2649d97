// RFC 3261 18 over a byte stream (TCP, TLS): framing by Content-Length, responses on the connection
// the request came on, connections reused by remote address, closed when idle, capped per source.
import type { Server, Socket } from 'node:net';
import { StreamFramer } from '../framer.js';
import type { Peer } from '../message.js';
import type { Log } from '../../util/log.js';
import { PbxError } from '../../util/errors.js';
import { plainAddress, type Listener, type MessageSink } from './listener.js';
import type { ListenSpec } from './types.js';

/** Every outgoing connection attempt has a deadline. */
const CONNECT_TIMEOUT_MS = 5000;

const PING_REPLY = Buffer.from('\r\n');

/** What differs between TCP and TLS. */
export interface StreamKind {
  transport: 'tcp' | 'tls';
  /** A server that calls onSocket for each connection ready to carry SIP (after the TLS handshake). */
  createServer(onSocket: (socket: Socket) => void): Server;
  /** Starts an outgoing connection; `ready` is the event that says it can carry SIP. */
  connect(host: string, port: number): { socket: Socket; ready: 'connect' | 'secureConnect' };
}

export interface StreamSettings {
  sink: MessageSink;
  maxMessageSize: number;
  idleTimeoutMs: number;
  maxConnectionsPerSource: number;
  nextConnectionId: () => number;
  log: Log | null;
}

class Connection {
  readonly id: number;
  readonly peer: Peer;
  readonly socket: Socket;
  readonly framer: StreamFramer;

  constructor(id: number, peer: Peer, socket: Socket, framer: StreamFramer) {
    this.id = id;
    this.peer = peer;
    this.socket = socket;
    this.framer = framer;
  }

  write(buf: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed || !this.socket.writable) {
        reject(new PbxError('PBX_ERR_SIP_CONNECTION_CLOSED', `connection ${this.id} is closed`));
        return;
      }
      this.socket.write(buf, (err) => (err ? reject(err) : resolve()));
    });
  }
}

function remoteKey(address: string, port: number): string {
  return `${address}|${port}`;
}

export class StreamListener implements Listener {
  readonly spec: ListenSpec;
  readonly ipv6: boolean;
  readonly #server: Server;
  readonly #kind: StreamKind;
  readonly #settings: StreamSettings;
  readonly #connections = new Map<number, Connection>();
  readonly #byRemote = new Map<string, Connection>();
  readonly #connecting = new Map<string, Promise<Connection>>();
  readonly #perSource = new Map<string, number>();
  #closed: Promise<void> | null = null;

  private constructor(server: Server, spec: ListenSpec, ipv6: boolean, kind: StreamKind, settings: StreamSettings) {
    this.#server = server;
    this.spec = spec;
    this.ipv6 = ipv6;
    this.#kind = kind;
    this.#settings = settings;
  }

  static open(spec: ListenSpec, kind: StreamKind, settings: StreamSettings): Promise<StreamListener> {
    let listener: StreamListener | null = null;
    const server = kind.createServer((socket) => {
      if (listener === null) socket.destroy();
      else if (!socket.destroyed) listener.#adopt(socket, plainAddress(socket.remoteAddress ?? ''), socket.remotePort ?? 0);
    });
    // The cap applies to the raw TCP connection, before any TLS handshake work.
    server.prependListener('connection', (raw: Socket) => {
      if (listener === null) raw.destroy();
      else listener.#admit(raw);
    });
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        server.close();
        reject(err);
      };
      server.once('error', onError);
      server.listen({ port: spec.port, host: spec.host }, () => {
        server.off('error', onError);
        server.on('error', (err) => settings.log?.warn({ err, listen: spec }, 'SIP stream server error'));
        const bound = server.address();
        if (bound === null || typeof bound === 'string') {
          reject(new PbxError('PBX_ERR_SIP_LISTEN', `${kind.transport} listener has no address`));
          return;
        }
        const local = { transport: kind.transport, host: plainAddress(bound.address), port: bound.port };
        listener = new StreamListener(server, local, bound.family === 'IPv6', kind, settings);
        resolve(listener);
      });
    });
  }

  get connections(): number {
    return this.#connections.size;
  }

  /** At most maxConnectionsPerSource open connections from one address, counted from the TCP accept. */
  #admit(raw: Socket): void {
    const address = plainAddress(raw.remoteAddress ?? '');
    const count = this.#perSource.get(address) ?? 0;
    if (this.#closed !== null || address === '' || count >= this.#settings.maxConnectionsPerSource) {
      this.#settings.sink.refused(address);
      raw.destroy();
      return;
    }
    this.#perSource.set(address, count + 1);
    raw.once('close', () => {
      const left = (this.#perSource.get(address) ?? 1) - 1;
      if (left <= 0) this.#perSource.delete(address);
      else this.#perSource.set(address, left);
    });
  }

  #adopt(socket: Socket, address: string, port: number): Connection {
    const id = this.#settings.nextConnectionId();
    const peer: Peer = { transport: this.#kind.transport, address, port, connectionId: id };
    const settings = this.#settings;
    // The framer's handler needs the connection and the connection the framer: the handler reads it late.
    let conn: Connection | null = null;
    const framer = new StreamFramer(
      {
        onMessage: (buf) => settings.sink.receive(buf, peer, this, true),
        onPing: () => socket.write(PING_REPLY),
        onError: (status, reason) => {
          settings.sink.unframed(peer, status, reason);
          if (conn !== null) this.#drop(conn);
        },
      },
      settings.maxMessageSize,
    );
    conn = new Connection(id, peer, socket, framer);
    this.#connections.set(id, conn);
    this.#byRemote.set(remoteKey(address, port), conn);
    socket.setNoDelay(true);
    socket.setTimeout(settings.idleTimeoutMs);
    const c = conn;
    socket.on('data', (chunk: Buffer) => c.framer.push(chunk));
    socket.on('timeout', () => this.#drop(c));
    socket.on('error', (err) => settings.log?.debug({ err, peer }, 'SIP connection error'));
    socket.on('close', () => this.#forget(c));
    return c;
  }

  #drop(conn: Connection): void {
    conn.framer.close();
    conn.socket.destroy();
    this.#forget(conn);
  }

  #forget(conn: Connection): void {
    if (this.#connections.get(conn.id) !== conn) return;
    this.#connections.delete(conn.id);
    const key = remoteKey(conn.peer.address, conn.peer.port);
    if (this.#byRemote.get(key) === conn) this.#byRemote.delete(key);
  }

  async send(buf: Buffer, to: Peer): Promise<void> {
    if (this.#closed !== null) throw new PbxError('PBX_ERR_SIP_TRANSPORT_CLOSED', `${this.#kind.transport} listener closed`);
    const existing =
      (to.connectionId !== null ? this.#connections.get(to.connectionId) : undefined) ?? this.#byRemote.get(remoteKey(to.address, to.port));
    const conn = existing ?? (await this.#connect(to.address, to.port));
    await conn.write(buf);
  }

  reply(buf: Buffer, to: Peer): void {
    const conn = to.connectionId === null ? undefined : this.#connections.get(to.connectionId);
    conn?.write(buf).then(undefined, () => undefined);
  }

  /** RFC 3261 18.1.1: a new connection when none is open to the destination; one attempt at a time. */
  #connect(address: string, port: number): Promise<Connection> {
    const key = remoteKey(address, port);
    const pending = this.#connecting.get(key);
    if (pending !== undefined) return pending;
    const attempt = new Promise<Connection>((resolve, reject) => {
      const { socket, ready } = this.#kind.connect(address, port);
      const timer = setTimeout(() => fail(new PbxError('PBX_ERR_SIP_CONNECT_TIMEOUT', `no ${this.#kind.transport} connection to ${address}:${port} in ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      timer.unref();
      const fail = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.once('error', fail);
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.off('error', fail);
        if (this.#closed !== null) {
          fail(new PbxError('PBX_ERR_SIP_TRANSPORT_CLOSED', `${this.#kind.transport} listener closed`));
          return;
        }
        resolve(this.#adopt(socket, address, port));
      });
    });
    this.#connecting.set(key, attempt);
    const done = (): void => {
      this.#connecting.delete(key);
    };
    attempt.then(done, done);
    return attempt;
  }

  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => {
      this.#server.close(() => resolve());
      for (const conn of [...this.#connections.values()]) this.#drop(conn);
    });
    return this.#closed;
  }
}
