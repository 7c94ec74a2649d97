// The transaction layer (RFC 3261 17): matching, the four state machines, CANCEL (9.1, 9.2).
import { type Peer, type SipRequest, type SipResponse, responseTo } from '../message.js';
import type { Log } from '../../util/log.js';
import type { Inbound, ListenSpec, TransportLayer } from '../transport/types.js';
import { PbxError } from '../../util/errors.js';
import { type CSeq, formatVia, tagOf } from '../grammar.js';
import { MAGIC_COOKIE, newBranch, newTag } from '../ids.js';
import { ClientTransactionBase } from './client-base.js';
import { ClientInviteTransaction } from './client-invite.js';
import { ClientNonInviteTransaction } from './client-non-invite.js';
import type { TxContext } from './context.js';
import { cseqOf, type TopVia, topVia } from './keys.js';
import { ServerTransactionBase } from './server-base.js';
import { ServerInviteTransaction } from './server-invite.js';
import { ServerNonInviteTransaction } from './server-non-invite.js';
import {
  type ClientCallbacks,
  type ClientTransaction,
  type Clock,
  realClock,
  type ServerTransaction,
  type Timers,
  type TransactionLayer,
} from './types.js';

/** RFC 3261 17.1.1.1 defaults. */
export const DEFAULT_TIMERS: Readonly<Timers> = { t1: 500, t2: 4000, t4: 5000 };

export interface TransactionLayerOptions {
  clock?: Clock;
  timers?: Partial<Timers>;
  log?: Log | null;
}

/** The layer as created: the TransactionLayer interface plus a count of live transactions. */
export interface CountedTransactionLayer extends TransactionLayer {
  /** Transactions alive now (for status and tests). */
  readonly size: { server: number; client: number };
}

export function createTransactionLayer(transport: TransportLayer, opts: TransactionLayerOptions = {}): CountedTransactionLayer {
  return new Transactions(transport, opts);
}

/** A Via value for a request we send: our sent-by, a fresh branch, rport asked (RFC 3581 3). */
function viaFor(local: ListenSpec, branch: string): string {
  const host = local.host.includes(':') ? `[${local.host}]` : local.host;
  return `SIP/2.0/${local.transport.toUpperCase()} ${host}:${local.port};branch=${branch};rport`;
}

/**
 * RFC 3261 18.2.2 and RFC 3581 4: where the responses of a server transaction go. On a stream, the
 * connection the request came on; should it be gone, a new one to the source address and the
 * sent-by port. On UDP, the source port when rport was asked, else the sent-by port.
 */
function responseTarget(source: Peer, via: TopVia): Peer {
  if (source.transport === 'udp' && via.parsed.params.has('rport')) return source;
  const port = via.parsed.port ?? (source.transport === 'tls' || source.transport === 'wss' ? 5061 : 5060);
  return { transport: source.transport, address: source.address, port, connectionId: source.connectionId };
}

/** RFC 3261 17.2.3: branch + sent-by + method, or the RFC 2543 rules when the branch lacks the cookie. */
function serverKey(req: SipRequest, via: TopVia, cseq: CSeq, method: string): { key: string; legacy: boolean } {
  if (via.branch !== null && via.branch.startsWith(MAGIC_COOKIE)) {
    return { key: `${via.branch}\n${via.sentBy}\n${method}`, legacy: false };
  }
  const from = tagOf(req.headers.get('from'));
  const callId = req.headers.get('call-id') ?? '';
  return { key: `2543\n${req.uri}\n${from}\n${callId}\n${cseq.seq}\n${formatVia(via.parsed)}\n${method}`, legacy: true };
}

class Transactions implements CountedTransactionLayer {
  onRequest: ((st: ServerTransaction) => void) | null = null;
  onAck: ((ack: SipRequest, inbound: Inbound) => void) | null = null;
  onStrayResponse: ((res: SipResponse, inbound: Inbound) => void) | null = null;

  readonly #transport: TransportLayer;
  readonly #ctx: TxContext;
  readonly #log: Log | null;
  readonly #servers = new Map<string, ServerTransactionBase>();
  readonly #clients = new Map<string, ClientTransactionBase>();
  readonly #receive = (inbound: Inbound): void => this.#safeReceive(inbound);
  #closed = false;

  constructor(transport: TransportLayer, opts: TransactionLayerOptions) {
    this.#transport = transport;
    this.#log = opts.log ?? null;
    const servers = this.#servers;
    const clients = this.#clients;
    this.#ctx = {
      transport,
      clock: opts.clock ?? realClock,
      timers: { ...DEFAULT_TIMERS, ...opts.timers },
      log: this.#log,
      terminated(tx) {
        if (tx instanceof ServerTransactionBase) {
          if (servers.get(tx.key) === tx) servers.delete(tx.key);
        } else if (clients.get(tx.key) === tx) {
          clients.delete(tx.key);
        }
      },
    };
    transport.onMessage = this.#receive;
  }

  get size(): { server: number; client: number } {
    return { server: this.#servers.size, client: this.#clients.size };
  }

  request(req: SipRequest, to: Peer, cb: ClientCallbacks): ClientTransaction {
    if (this.#closed) throw new PbxError('PBX_ERR_SIP_LAYER_CLOSED', 'the transaction layer is closed');
    const cseq = cseqOf(req);
    if (cseq === null || cseq.method !== req.method) {
      throw new PbxError('PBX_ERR_SIP_BAD_REQUEST', `request() needs a CSeq header naming ${req.method}`);
    }
    if (req.method === 'ACK' || req.method === 'CANCEL') {
      throw new PbxError('PBX_ERR_SIP_BAD_REQUEST', `${req.method} is not sent through request(); use sendStateless() or cancel()`);
    }
    const branch = newBranch();
    const local = this.#transport.local(to.transport, to);
    if (local !== null) req.headers.prepend('via', viaFor(local, branch));
    const key = `${branch}\n${req.method}`;
    const tx =
      req.method === 'INVITE'
        ? new ClientInviteTransaction(this.#ctx, key, req, to, cb, (cancel, dest) => this.#startCancel(cancel, dest))
        : new ClientNonInviteTransaction(this.#ctx, key, req, to, cb);
    this.#clients.set(key, tx);
    if (local === null) {
      queueMicrotask(() => tx.transportFailed(new PbxError('PBX_ERR_SIP_NO_TRANSPORT', `no ${to.transport} transport is listening`)));
    } else {
      tx.start();
    }
    return tx;
  }

  /** RFC 3261 9.1: the CANCEL runs in its own non-INVITE transaction, with the INVITE's branch. */
  #startCancel(cancel: SipRequest, to: Peer): void {
    if (this.#closed) return;
    const branch = topVia(cancel)?.branch ?? newBranch();
    const key = `${branch}\nCANCEL`;
    const log = this.#log;
    const tx = new ClientNonInviteTransaction(this.#ctx, key, cancel, to, {
      onFinal(res) {
        if (res.status >= 300) log?.info({ status: res.status, callId: cancel.headers.get('call-id') }, 'CANCEL refused');
      },
    });
    this.#clients.set(key, tx);
    tx.start();
  }

  sendStateless(req: SipRequest, to: Peer): void {
    if (this.#closed) return;
    const local = this.#transport.local(to.transport, to);
    if (local === null) {
      this.#log?.warn({ method: req.method, to }, 'no transport to send a stateless request');
      return;
    }
    req.headers.prepend('via', viaFor(local, newBranch()));
    this.#transport.send(req, to).then(undefined, (err: unknown) => this.#log?.warn({ err, method: req.method, to }, 'stateless request not sent'));
  }

  sendResponse(res: SipResponse, to: Peer): void {
    if (this.#closed) return;
    this.#transport.send(res, to).then(undefined, (err: unknown) => this.#log?.warn({ err, status: res.status, to }, 'stateless response not sent'));
  }

  #safeReceive(inbound: Inbound): void {
    if (this.#closed) return;
    try {
      if (inbound.message.kind === 'request') this.#receiveRequest(inbound.message, inbound);
      else this.#receiveResponse(inbound.message, inbound);
    } catch (err) {
      this.#log?.error({ err, source: inbound.source }, 'SIP message handling failed');
    }
  }

  #receiveResponse(res: SipResponse, inbound: Inbound): void {
    const via = topVia(res);
    const cseq = cseqOf(res);
    // RFC 3261 17.1.3: the top Via branch and the CSeq method name the client transaction.
    const tx = via?.branch != null && cseq !== null ? this.#clients.get(`${via.branch}\n${cseq.method}`) : undefined;
    if (tx !== undefined) tx.receive(res);
    else this.onStrayResponse?.(res, inbound);
  }

  #receiveRequest(req: SipRequest, inbound: Inbound): void {
    const via = topVia(req);
    const cseq = cseqOf(req);
    if (via === null || cseq === null) {
      this.#log?.debug({ source: inbound.source, method: req.method }, 'request without a usable Via or CSeq dropped');
      return;
    }
    const method = req.method;
    if (method === 'ACK') {
      const st = this.#servers.get(serverKey(req, via, cseq, 'INVITE').key);
      if (st instanceof ServerInviteTransaction && st.receiveAck(req)) return;
      this.onAck?.(req, inbound);
      return;
    }
    const { key, legacy } = serverKey(req, via, cseq, method);
    const existing = this.#servers.get(key);
    if (existing !== undefined && (!legacy || tagOf(existing.request.headers.get('to')) === tagOf(req.headers.get('to')))) {
      existing.receiveRetransmission(req);
      return;
    }
    const target = responseTarget(inbound.source, via);
    if (method === 'CANCEL') {
      this.#receiveCancel(req, inbound, via, cseq, key, target, legacy);
      return;
    }
    const st =
      method === 'INVITE'
        ? new ServerInviteTransaction(this.#ctx, key, inbound, target, legacy)
        : new ServerNonInviteTransaction(this.#ctx, key, inbound, target, legacy);
    this.#servers.set(key, st);
    if (this.onRequest === null) {
      st.respond(responseTo(req, 503, undefined, newTag()));
      return;
    }
    this.onRequest(st);
  }

  /** RFC 3261 9.2: CANCEL is answered by the layer: 200 when it matches an INVITE, else 481. */
  #receiveCancel(req: SipRequest, inbound: Inbound, via: TopVia, cseq: CSeq, key: string, target: Peer, legacy: boolean): void {
    const st = new ServerNonInviteTransaction(this.#ctx, key, inbound, target, legacy);
    this.#servers.set(key, st);
    const invite = this.#servers.get(serverKey(req, via, cseq, 'INVITE').key);
    if (!(invite instanceof ServerInviteTransaction)) {
      st.respond(responseTo(req, 481, undefined, newTag()));
      return;
    }
    st.respond(responseTo(req, 200, undefined, invite.toTag()));
    try {
      invite.cancelled(req);
    } catch (err) {
      this.#log?.error({ err, callId: req.headers.get('call-id') }, 'oncancel handler failed');
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#transport.onMessage === this.#receive) this.#transport.onMessage = null;
    for (const tx of this.#servers.values()) tx.close();
    for (const tx of this.#clients.values()) tx.close();
    this.#servers.clear();
    this.#clients.clear();
  }
}
