// A registration binding (RFC 3261 10.3): an extension's Contact, where its packets really come
// from, and until when it holds.
import type { Peer } from '../sip/message.js';
import type { BindingRow } from '../store/types.js';

export interface Binding {
  extension: string;
  /** The Contact URI the phone registered; the Request-URI of requests sent to it. */
  contact: string;
  /**
   * Where to send requests for this contact: the real source for UDP (NAT), the connection the
   * REGISTER came on for TCP/TLS/WS (or the Contact's host and port once that connection is gone).
   */
  peer: Peer;
  /** Where the REGISTER really came from. */
  source: Peer;
  /** The source address and port differ from the Contact's host and port (the phone is behind NAT). */
  natted: boolean;
  /** Epoch ms. */
  expiresAt: number;
  userAgent: string;
  callId: string;
  cseq: number;
  /** RFC 5626 +sip.instance, when the phone sent one. */
  instance: string | null;
}

export function bindingToRow(b: Binding): BindingRow {
  return {
    extension: b.extension,
    contact: b.contact,
    transport: b.source.transport,
    source_address: b.source.address,
    source_port: b.source.port,
    expires_at: b.expiresAt,
    user_agent: b.userAgent,
    call_id: b.callId,
    cseq: b.cseq,
    instance: b.instance,
  };
}

/** A stored binding after a restart; the caller works out the peer and NAT from the Contact. */
export function rowToBinding(row: BindingRow, peer: Peer, natted: boolean): Binding {
  return {
    extension: row.extension,
    contact: row.contact,
    peer,
    source: { transport: row.transport, address: row.source_address, port: row.source_port, connectionId: null },
    natted,
    expiresAt: row.expires_at,
    userAgent: row.user_agent,
    callId: row.call_id,
    cseq: row.cseq,
    instance: row.instance,
  };
}
