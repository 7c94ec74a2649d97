// What each socket kind (UDP, TCP, TLS) gives the transport layer, and what it gets from it.
import type { Peer } from '../message.js';
import type { ListenSpec } from './types.js';

/** One listening socket and, for streams, its connections. */
export interface Listener {
  /** As bound: port 0 is replaced by the real port. */
  readonly spec: ListenSpec;
  /** IPv6 socket (UDP sends pick the listener of the destination's family). */
  readonly ipv6: boolean;
  /** Open connections (0 for UDP). */
  readonly connections: number;
  /** Sends bytes to a peer (for streams: on its connection, or a new one). */
  send(buf: Buffer, to: Peer): Promise<void>;
  /** Best effort: bytes back the way a message came (the stateless 400 for bad input). */
  reply(buf: Buffer, to: Peer): void;
  close(): Promise<void>;
}

/** The transport layer side: bytes of one whole message, where they came from, how to answer. */
export interface MessageSink {
  receive(buf: Buffer, source: Peer, listener: Listener, stream: boolean): void;
  /** Input that could not even be framed (streams): counted, the connection closed by the listener. */
  unframed(source: Peer, status: number, reason: string): void;
  /** A connection refused by the per-source cap. */
  refused(address: string): void;
}

/** Node gives IPv4 peers of a dual-stack socket as ::ffff:a.b.c.d; SIP wants a.b.c.d. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.indexOf('.') > 0 ? address.slice(7) : address;
}
