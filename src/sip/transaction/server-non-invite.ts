// RFC 3261 17.2.2: the non-INVITE server transaction.
import type { Peer, SipResponse } from '../message.js';
import type { Inbound } from '../transport/types.js';
import { TimerSlot, type TxContext } from './context.js';
import { ServerTransactionBase } from './server-base.js';

type State = 'trying' | 'proceeding' | 'completed' | 'terminated';

export class ServerNonInviteTransaction extends ServerTransactionBase {
  state: State = 'trying';
  readonly #timerJ: TimerSlot;
  /** A TU that never answers: the client's Timer F has long fired by 64*T1, so forget the request. */
  readonly #guard: TimerSlot;

  constructor(ctx: TxContext, key: string, inbound: Inbound, target: Peer, legacy: boolean) {
    super(ctx, key, inbound, target, legacy);
    this.#timerJ = new TimerSlot(ctx, 'J', () => this.terminate());
    this.#guard = new TimerSlot(ctx, 'guard', () => {
      ctx.log?.warn({ method: this.request.method, callId: this.request.headers.get('call-id') }, 'no final response from the TU in 64*T1');
      this.terminate();
    });
    this.#guard.start(64 * ctx.timers.t1);
  }

  get finished(): boolean {
    return this.state === 'completed' || this.state === 'terminated';
  }

  respond(res: SipResponse): void {
    this.checkStatus(res);
    if (this.state !== 'trying' && this.state !== 'proceeding') {
      this.ctx.log?.warn({ method: this.request.method, status: res.status, state: this.state }, 'response after the final one dropped');
      return;
    }
    this.last = res;
    if (res.status < 200) {
      this.state = 'proceeding';
      this.transmit(res);
      return;
    }
    this.state = 'completed';
    this.#guard.stop();
    this.transmit(res);
    // RFC 3261 17.2.2: Timer J absorbs request retransmissions; zero on reliable transports.
    if (this.reliable) this.terminate();
    else this.#timerJ.start(64 * this.ctx.timers.t1);
  }

  receiveRetransmission(): void {
    // RFC 3261 17.2.2: discarded while Trying, answered with the last response afterwards.
    if ((this.state === 'proceeding' || this.state === 'completed') && this.last !== null) this.transmit(this.last);
  }

  protected override terminate(): void {
    this.state = 'terminated';
    super.terminate();
  }

  protected stopTimers(): void {
    this.#timerJ.stop();
    this.#guard.stop();
  }
}
