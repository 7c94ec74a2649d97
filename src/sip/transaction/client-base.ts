// What the INVITE and non-INVITE client transactions share (RFC 3261 17.1).
import { type Peer, type SipMessage, type SipRequest, type SipResponse, responseTo } from '../message.js';
import { TransactionBase } from './base.js';
import type { TxContext } from './context.js';
import type { ClientCallbacks, ClientTransaction } from './types.js';

export abstract class ClientTransactionBase extends TransactionBase implements ClientTransaction {
  readonly request: SipRequest;
  readonly destination: Peer;
  readonly #cb: ClientCallbacks;
  #finalDelivered = false;

  constructor(ctx: TxContext, key: string, request: SipRequest, destination: Peer, cb: ClientCallbacks) {
    super(ctx, key, destination.transport);
    this.request = request;
    this.destination = destination;
    this.#cb = cb;
  }

  abstract start(): void;
  /** A response whose top Via branch and CSeq method matched this transaction (RFC 3261 17.1.3). */
  abstract receive(res: SipResponse): void;
  abstract cancel(): void;

  protected transmit(msg: SipMessage): void {
    this.ctx.transport.send(msg, this.destination).then(undefined, (err: unknown) => this.transportFailed(err));
  }

  protected deliverProvisional(res: SipResponse): void {
    if (this.#finalDelivered || this.#cb.onProvisional === undefined) return;
    try {
      this.#cb.onProvisional(res);
    } catch (err) {
      this.ctx.log?.error({ err, method: this.request.method }, 'onProvisional handler failed');
    }
  }

  protected deliverFinal(res: SipResponse): void {
    if (this.#finalDelivered) return;
    this.#finalDelivered = true;
    try {
      this.#cb.onFinal(res);
    } catch (err) {
      this.ctx.log?.error({ err, method: this.request.method }, 'onFinal handler failed');
    }
  }

  /** Timer B or F: the TU gets a locally made 408 (RFC 3261 17.1.1.2, 17.1.2.2). */
  protected timedOut(): void {
    this.deliverFinal(responseTo(this.request, 408));
    this.terminate();
  }

  /** RFC 3261 17.1.4: a transport failure is reported to the TU as a 503. */
  transportFailed(err: unknown): void {
    if (this.terminated) return;
    this.ctx.log?.warn({ err, method: this.request.method, to: this.destination }, 'SIP transport failed for a client transaction');
    this.deliverFinal(responseTo(this.request, 503));
    this.terminate();
  }
}
