// What every transaction shares (RFC 3261 17): its key in the layer, the layer's context, whether
// its transport is reliable, and the Terminated state, reached once.
import type { TransportName } from '../message.js';
import { isReliable, type TxContext } from './context.js';

export abstract class TransactionBase {
  readonly key: string;
  protected readonly ctx: TxContext;
  protected readonly reliable: boolean;
  #terminated = false;

  constructor(ctx: TxContext, key: string, transport: TransportName) {
    this.ctx = ctx;
    this.key = key;
    this.reliable = isReliable(transport);
  }

  get terminated(): boolean {
    return this.#terminated;
  }

  protected abstract stopTimers(): void;

  protected terminate(): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.stopTimers();
    this.ctx.terminated(this);
  }

  /** Layer close: stop every timer, tell nobody. */
  close(): void {
    this.#terminated = true;
    this.stopTimers();
  }
}
