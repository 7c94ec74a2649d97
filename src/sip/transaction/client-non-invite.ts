// RFC 3261 17.1.2: the non-INVITE client transaction.
import type { SipResponse } from '../message.js';
import { ClientTransactionBase } from './client-base.js';
import { TimerSlot } from './context.js';

type State = 'trying' | 'proceeding' | 'completed' | 'terminated';

export class ClientNonInviteTransaction extends ClientTransactionBase {
  state: State = 'trying';
  readonly #timerE = new TimerSlot(this.ctx, 'E', () => this.#onTimerE());
  readonly #timerF = new TimerSlot(this.ctx, 'F', () => this.#onTimerF());
  readonly #timerK = new TimerSlot(this.ctx, 'K', () => this.terminate());
  #intervalE = 0;

  start(): void {
    this.transmit(this.request);
    const t1 = this.ctx.timers.t1;
    // RFC 3261 17.1.2.2: Timer E only on unreliable transports, Timer F always.
    if (!this.reliable) {
      this.#intervalE = t1;
      this.#timerE.start(t1);
    }
    this.#timerF.start(64 * t1);
  }

  #onTimerE(): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.transmit(this.request);
    // RFC 3261 17.1.2.2: E doubles up to T2 while Trying, and is T2 once Proceeding.
    const t2 = this.ctx.timers.t2;
    this.#intervalE = this.state === 'trying' ? Math.min(2 * this.#intervalE, t2) : t2;
    this.#timerE.start(this.#intervalE);
  }

  #onTimerF(): void {
    if (this.state === 'trying' || this.state === 'proceeding') this.timedOut();
  }

  receive(res: SipResponse): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    if (res.status < 200) {
      this.state = 'proceeding';
      this.deliverProvisional(res);
      return;
    }
    this.state = 'completed';
    this.#timerE.stop();
    this.#timerF.stop();
    this.deliverFinal(res);
    // RFC 3261 17.1.2.2: Timer K absorbs retransmitted responses; zero on reliable transports.
    if (this.reliable) this.terminate();
    else this.#timerK.start(this.ctx.timers.t4);
  }

  /** RFC 3261 9.1: a non-INVITE request is not cancelled. */
  cancel(): void {}

  protected override terminate(): void {
    this.state = 'terminated';
    super.terminate();
  }

  protected stopTimers(): void {
    this.#timerE.stop();
    this.#timerF.stop();
    this.#timerK.stop();
  }
}
