import type { Clock } from '../../src/sip/transaction/types.js';

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

/** A clock that moves only when the test says so; timers fire in time order. */
export class FakeClock implements Clock {
  #now = 0;
  #nextId = 1;
  #pending: Pending[] = [];

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const p = { id: this.#nextId++, at: this.#now + Math.max(0, ms), fn };
    this.#pending.push(p);
    return p.id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending = this.#pending.filter((p) => p.id !== handle);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Moves time forward by ms without firing anything, as when the thread was not running (a stall). */
  jump(ms: number): void {
    this.#now += ms;
  }

  /** Moves time forward by ms, firing every timer due on the way (including ones they start). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (let guard = 0; guard < 100_000; guard++) {
      let next: Pending | null = null;
      for (const p of this.#pending) if (p.at <= end && (next === null || p.at < next.at || (p.at === next.at && p.id < next.id))) next = p;
      if (next === null) break;
      this.#pending = this.#pending.filter((p) => p !== next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = end;
  }
}
