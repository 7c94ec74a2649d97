import type { Peer, SipMessage, TransportName } from '../message.js';

/** One listening socket from `sip.listen`, e.g. "udp:127.0.0.1:5060". */
export interface ListenSpec {
  transport: TransportName;
  host: string;
  port: number;
}

/** What a transport hands up: a parsed message and where it really came from. */
export interface Inbound {
  message: SipMessage;
  source: Peer;
  /** The local socket it arrived on, for Via/Contact/Record-Route. */
  local: ListenSpec;
}

/**
 * The transports as one object (src/sip/transport/index.ts implements it).
 * Unparseable requests that can be answered get a 400 from the transport layer itself
 * (CONTRACT "Bad input"); everything else unparseable is dropped and counted.
 */
export interface TransportLayer {
  /** Sends to a peer. For TCP/TLS with a connectionId it reuses that connection, else connects. */
  send(message: SipMessage, to: Peer): Promise<void>;
  onMessage: ((inbound: Inbound) => void) | null;
  /**
   * The listen spec to advertise in Via/Contact for a given transport; `to`, the peer it is
   * written for, lets a PBX behind NAT show its external address only to peers outside.
   */
  local(transport: TransportName, to?: Peer): ListenSpec | null;
  close(): Promise<void>;
}
