import type { Peer, SipRequest, SipResponse } from '../message.js';
import type { Inbound } from '../transport/types.js';

/** The clock the transaction timers run on; tests pass a fake one. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** RFC 3261 section 17: T1, T2, T4 in ms. */
export interface Timers {
  t1: number;
  t2: number;
  t4: number;
}

/** A server transaction as the TU sees it (RFC 3261 17.2). */
export interface ServerTransaction {
  readonly request: SipRequest;
  readonly source: Peer;
  readonly inbound: Inbound;
  /** Sends a response; retransmissions of the request are answered with the last response. */
  respond(res: SipResponse): void;
  /** True once a final response has been sent. */
  readonly finished: boolean;
  /** For INVITE: set by the transaction layer when a matching CANCEL arrived (the layer already answered it 200). */
  oncancel: ((cancel: SipRequest) => void) | null;
}

export interface ClientCallbacks {
  onProvisional?(res: SipResponse): void;
  onFinal(res: SipResponse): void;
  /** Timer B/F fired or the transport failed: the TU sees a 408/503 it can act on. */
}

/** A client transaction as the TU sees it (RFC 3261 17.1). */
export interface ClientTransaction {
  readonly request: SipRequest;
  readonly destination: Peer;
  /** INVITE only: sends CANCEL (after a provisional has arrived, RFC 3261 9.1) and resolves when done. */
  cancel(): void;
}

/**
 * The transaction layer. It owns retransmissions and matching; the TU (registrar, B2BUA) sees
 * each new request once, each response once per transaction, and ACKs for 2xx (which belong to
 * the dialog, not to a transaction).
 */
export interface TransactionLayer {
  /** A request that matched no transaction (and is not an ACK). */
  onRequest: ((st: ServerTransaction) => void) | null;
  /** An ACK that matched no INVITE server transaction: the ACK for a 2xx, or a stray. */
  onAck: ((ack: SipRequest, inbound: Inbound) => void) | null;
  /** A response that matched no client transaction (e.g. a 2xx retransmission after the INVITE transaction ended). */
  onStrayResponse: ((res: SipResponse, inbound: Inbound) => void) | null;
  /**
   * Sends a request in a new client transaction. The caller fills every header but the top Via,
   * which the layer adds with a fresh RFC 3261 branch (z9hG4bK...). On timeout or transport error
   * onFinal gets a locally made 408 or 503.
   */
  request(req: SipRequest, to: Peer, cb: ClientCallbacks): ClientTransaction;
  /** Sends a request outside any transaction (ACK for a 2xx), adding a Via. */
  sendStateless(req: SipRequest, to: Peer): void;
  /** Sends a response outside any transaction (2xx retransmissions by the TU). */
  sendResponse(res: SipResponse, to: Peer): void;
  close(): Promise<void>;
}
