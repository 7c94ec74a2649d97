// RFC 3261 17.1.1: the INVITE client transaction.
import type { Peer, SipRequest, SipResponse } from '../message.js';
import { ClientTransactionBase } from './client-base.js';
import { TIMER_D_MS, TimerSlot, type TxContext } from './context.js';
import { ackForNon2xx, cancelFor } from './requests.js';
import type { ClientCallbacks } from './types.js';

type State = 'calling' | 'proceeding' | 'completed' | 'terminated';

/** Runs a CANCEL in its own non-INVITE client transaction (RFC 3261 9.1). */
export type CancelSender = (cancel: SipRequest, to: Peer) => void;

export class ClientInviteTransaction extends ClientTransactionBase {
  state: State = 'calling';
  readonly #timerA: TimerSlot;
  readonly #timerB: TimerSlot;
  readonly #timerD: TimerSlot;
  /** RFC 3261 9.1: 64*T1 after the CANCEL without a final response, the INVITE is given up. */
  readonly #cancelGuard: TimerSlot;
  readonly #sendCancel: CancelSender;
  #intervalA = 0;
  #cancelWanted = false;

  constructor(ctx: TxContext, key: string, request: SipRequest, destination: Peer, cb: ClientCallbacks, sendCancel: CancelSender) {
    super(ctx, key, request, destination, cb);
    this.#sendCancel = sendCancel;
    this.#timerA = new TimerSlot(ctx, 'A', () => this.#onTimerA());
    this.#timerB = new TimerSlot(ctx, 'B', () => this.#onTimerB());
    this.#timerD = new TimerSlot(ctx, 'D', () => this.terminate());
    this.#cancelGuard = new TimerSlot(ctx, 'cancel', () => this.#onTimerB());
  }

  start(): void {
    this.transmit(this.request);
    const t1 = this.ctx.timers.t1;
    // RFC 3261 17.1.1.2: Timer A only on unreliable transports, Timer B always.
    if (!this.reliable) {
      this.#intervalA = t1;
      this.#timerA.start(t1);
    }
    this.#timerB.start(64 * t1);
  }

  #onTimerA(): void {
    if (this.state !== 'calling') return;
    this.transmit(this.request);
    // RFC 3261 17.1.1.2: Timer A doubles on each retransmission.
    this.#intervalA *= 2;
    this.#timerA.start(this.#intervalA);
  }

  #onTimerB(): void {
    if (this.state === 'calling' || this.state === 'proceeding') this.timedOut();
  }

  receive(res: SipResponse): void {
    const status = res.status;
    if (status < 200) {
      if (this.state !== 'calling' && this.state !== 'proceeding') return;
      this.state = 'proceeding';
      this.#timerA.stop();
      this.#timerB.stop();
      this.deliverProvisional(res);
      if (this.#cancelWanted && !this.#cancelGuard.running) this.#startCancel();
      return;
    }
    if (status < 300) {
      // RFC 3261 17.1.1.2: a 2xx ends the transaction; its ACK and retransmissions belong to the dialog.
      if (this.state !== 'calling' && this.state !== 'proceeding') return;
      this.deliverFinal(res);
      this.terminate();
      return;
    }
    if (this.state === 'completed') {
      // RFC 3261 17.1.1.2: a retransmitted final response is answered with the ACK again.
      this.transmit(ackForNon2xx(this.request, res));
      return;
    }
    if (this.state !== 'calling' && this.state !== 'proceeding') return;
    this.state = 'completed';
    this.#timerA.stop();
    this.#timerB.stop();
    this.#cancelGuard.stop();
    this.transmit(ackForNon2xx(this.request, res));
    this.deliverFinal(res);
    if (this.reliable) this.terminate();
    else this.#timerD.start(TIMER_D_MS);
  }

  /** RFC 3261 9.1: sent once a provisional response has arrived, never after a final one. */
  cancel(): void {
    if (this.#cancelWanted || (this.state !== 'calling' && this.state !== 'proceeding')) return;
    this.#cancelWanted = true;
    if (this.state === 'proceeding') this.#startCancel();
  }

  #startCancel(): void {
    this.#cancelGuard.start(64 * this.ctx.timers.t1);
    this.#sendCancel(cancelFor(this.request), this.destination);
  }

  protected override terminate(): void {
    this.state = 'terminated';
    super.terminate();
  }

  protected stopTimers(): void {
    this.#timerA.stop();
    this.#timerB.stop();
    this.#timerD.stop();
    this.#cancelGuard.stop();
  }
}
