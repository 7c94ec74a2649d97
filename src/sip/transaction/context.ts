// What every transaction shares with the layer that made it.
import type { Log } from '../../util/log.js';
import type { TransportLayer } from '../transport/types.js';
import type { Clock, Timers } from './types.js';

export interface TxContext {
  readonly transport: TransportLayer;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly log: Log | null;
  /** Called once when a transaction reaches the Terminated state, to forget it. */
  terminated(tx: { readonly key: string }): void;
}

/** RFC 3261 17.1.1.2: Timer D is at least 32 s on unreliable transports, whatever T1 is. */
export const TIMER_D_MS = 32_000;

/** The server INVITE transaction sends 100 Trying itself if the TU has not answered by then (RFC 3261 17.2.1). */
export const TRYING_DELAY_MS = 200;

/** One named timer of a transaction: at most one pending expiry, restartable, stoppable. */
export class TimerSlot {
  #handle: unknown = null;
  readonly #ctx: TxContext;
  readonly #name: string;
  readonly #fire: () => void;

  constructor(ctx: TxContext, name: string, fire: () => void) {
    this.#ctx = ctx;
    this.#name = name;
    this.#fire = fire;
  }

  get running(): boolean {
    return this.#handle !== null;
  }

  start(ms: number): void {
    this.stop();
    this.#handle = this.#ctx.clock.setTimeout(() => {
      this.#handle = null;
      try {
        this.#fire();
      } catch (err) {
        this.#ctx.log?.error({ err, timer: this.#name }, 'SIP transaction timer handler failed');
      }
    }, ms);
  }

  stop(): void {
    if (this.#handle === null) return;
    this.#ctx.clock.clearTimeout(this.#handle);
    this.#handle = null;
  }
}

/** RFC 3261 18: UDP is the unreliable transport; TCP, TLS, WS and WSS are reliable. */
export function isReliable(transport: string): boolean {
  return transport !== 'udp';
}
