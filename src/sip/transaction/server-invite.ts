// RFC 3261 17.2.1 with the Accepted state of RFC 6026: the INVITE server transaction.
import { tagOf } from '../grammar.js';
import { type Peer, type SipRequest, type SipResponse, responseTo } from '../message.js';
import type { Inbound } from '../transport/types.js';
import { newTag } from '../ids.js';
import { TimerSlot, TRYING_DELAY_MS, type TxContext } from './context.js';
import { ServerTransactionBase } from './server-base.js';

type State = 'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';

export class ServerInviteTransaction extends ServerTransactionBase {
  state: State = 'proceeding';
  readonly #trying: TimerSlot;
  readonly #timerG: TimerSlot;
  readonly #timerH: TimerSlot;
  readonly #timerI: TimerSlot;
  readonly #timerL: TimerSlot;
  #intervalG = 0;
  #tag: string | null = null;

  constructor(ctx: TxContext, key: string, inbound: Inbound, target: Peer, legacy: boolean) {
    super(ctx, key, inbound, target, legacy);
    this.#trying = new TimerSlot(ctx, 'trying', () => this.#sendTrying());
    this.#timerG = new TimerSlot(ctx, 'G', () => this.#onTimerG());
    this.#timerH = new TimerSlot(ctx, 'H', () => {
      ctx.log?.warn({ callId: this.request.headers.get('call-id') }, 'no ACK for a final response to INVITE (Timer H)');
      this.terminate();
    });
    this.#timerI = new TimerSlot(ctx, 'I', () => this.terminate());
    this.#timerL = new TimerSlot(ctx, 'L', () => this.terminate());
    // RFC 3261 17.2.1: 100 Trying unless the TU answers within 200 ms.
    this.#trying.start(TRYING_DELAY_MS);
  }

  get finished(): boolean {
    return this.state !== 'proceeding';
  }

  #sendTrying(): void {
    if (this.state !== 'proceeding' || this.last !== null) return;
    this.last = responseTo(this.request, 100);
    this.transmit(this.last);
  }

  respond(res: SipResponse): void {
    this.checkStatus(res);
    const status = res.status;
    if (this.state === 'accepted' && status >= 200 && status < 300) {
      // RFC 6026 7.1: 2xx retransmissions from the TU pass through in Accepted.
      this.transmit(res);
      return;
    }
    if (this.state !== 'proceeding') {
      this.ctx.log?.warn({ status, state: this.state }, 'INVITE response after the final one dropped');
      return;
    }
    this.last = res;
    this.transmit(res);
    if (status < 200) return;
    this.#trying.stop();
    const t1 = this.ctx.timers.t1;
    if (status < 300) {
      // RFC 6026 7.1: Accepted absorbs INVITE retransmissions until Timer L; the TU retransmits the 2xx.
      this.state = 'accepted';
      this.#timerL.start(64 * t1);
      return;
    }
    // RFC 3261 17.2.1: Completed; Timer G retransmits on unreliable transports, Timer H waits for the ACK.
    this.state = 'completed';
    if (!this.reliable) {
      this.#intervalG = t1;
      this.#timerG.start(t1);
    }
    this.#timerH.start(64 * t1);
  }

  #onTimerG(): void {
    if (this.state !== 'completed' || this.last === null) return;
    this.transmit(this.last);
    // RFC 3261 17.2.1: Timer G doubles up to T2.
    this.#intervalG = Math.min(2 * this.#intervalG, this.ctx.timers.t2);
    this.#timerG.start(this.#intervalG);
  }

  receiveRetransmission(): void {
    if (this.state === 'proceeding') {
      if (this.last === null) this.#sendTrying();
      else this.transmit(this.last);
    } else if (this.state === 'completed' && this.last !== null) {
      this.transmit(this.last);
    }
  }

  /** An ACK matched this transaction. Returns true when it is absorbed (the ACK for a non-2xx). */
  receiveAck(ack: SipRequest): boolean {
    // RFC 3261 17.2.3: by the RFC 2543 rules the ACK's To tag must be the one of our response.
    if (this.legacy && tagOf(ack.headers.get('to')) !== tagOf(this.last?.headers.get('to') ?? null)) return false;
    if (this.state === 'completed') {
      this.state = 'confirmed';
      this.#timerG.stop();
      this.#timerH.stop();
      // RFC 3261 17.2.1: Timer I absorbs ACK retransmissions; zero on reliable transports.
      if (this.reliable) this.terminate();
      else this.#timerI.start(this.ctx.timers.t4);
      return true;
    }
    return this.state !== 'accepted';
  }

  /** RFC 3261 9.2: a CANCEL matched; the layer has answered it 200. */
  cancelled(cancel: SipRequest): void {
    if (this.state !== 'proceeding') return;
    if (this.oncancel !== null) {
      this.oncancel(cancel);
      return;
    }
    this.respond(responseTo(this.request, 487, undefined, this.toTag()));
  }

  /** The To tag of our responses so far, or a new one (RFC 3261 9.2: CANCEL's 200 carries the same tag). */
  toTag(): string {
    const sent = tagOf(this.last?.headers.get('to') ?? null);
    if (sent !== '') return sent;
    this.#tag ??= newTag();
    return this.#tag;
  }

  protected override terminate(): void {
    this.state = 'terminated';
    super.terminate();
  }

  protected stopTimers(): void {
    this.#trying.stop();
    this.#timerG.stop();
    this.#timerH.stop();
    this.#timerI.stop();
    this.#timerL.stop();
  }
}
