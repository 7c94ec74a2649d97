// What the INVITE and non-INVITE server transactions share (RFC 3261 17.2).
import { type Peer, type SipRequest, type SipResponse } from '../message.js';
import type { Inbound } from '../transport/types.js';
import { PbxError } from '../../util/errors.js';
import { TransactionBase } from './base.js';
import type { TxContext } from './context.js';
import type { ServerTransaction } from './types.js';

export abstract class ServerTransactionBase extends TransactionBase implements ServerTransaction {
  readonly request: SipRequest;
  readonly inbound: Inbound;
  /** Where responses go (RFC 3261 18.2.2, RFC 3581 4). */
  readonly target: Peer;
  /** Matched by the RFC 2543 rules: To tags are compared too (RFC 3261 17.2.3). */
  readonly legacy: boolean;
  oncancel: ((cancel: SipRequest) => void) | null = null;
  protected last: SipResponse | null = null;

  constructor(ctx: TxContext, key: string, inbound: Inbound, target: Peer, legacy: boolean) {
    super(ctx, key, inbound.source.transport);
    this.request = inbound.message as SipRequest;
    this.inbound = inbound;
    this.target = target;
    this.legacy = legacy;
  }

  get source(): Peer {
    return this.inbound.source;
  }

  /** The last response sent, or null. */
  get lastResponse(): SipResponse | null {
    return this.last;
  }

  abstract get finished(): boolean;
  abstract respond(res: SipResponse): void;
  /** A retransmission of the request that created this transaction. */
  abstract receiveRetransmission(req: SipRequest): void;

  protected checkStatus(res: SipResponse): void {
    if (!Number.isInteger(res.status) || res.status < 100 || res.status > 699) {
      throw new PbxError('PBX_ERR_SIP_BAD_STATUS', `a SIP response status is 100..699, got ${res.status}`);
    }
  }

  protected transmit(res: SipResponse): void {
    this.ctx.transport.send(res, this.target).then(undefined, (err: unknown) => this.transportFailed(err));
  }

  /** RFC 3261 17.2.4: a failure to send a final response ends the transaction. */
  protected transportFailed(err: unknown): void {
    this.ctx.log?.warn({ err, method: this.request.method, to: this.target }, 'SIP transport failed for a server transaction');
    if (this.finished) this.terminate();
  }
}
