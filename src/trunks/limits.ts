// Spend guards on outside calls (toll fraud): per extension, outside calls started in the last
// hour and outside calls in progress; per trunk, channels in use. A call over a limit is refused
// and logged by the caller of these.
import type { Clock } from '../sip/transaction/types.js';

const HOUR_MS = 3_600_000;

export type LimitRefusal = 'calls-per-hour' | 'concurrent';

export type Hold = { ok: true; release(): void } | { ok: false; refusal: LimitRefusal };

/** Counts in-progress holds per key; release() is safe to call twice. */
export class Counter {
  readonly #inUse = new Map<string, number>();

  /** A hold on one of `max` places for `key` (0 = unlimited), or null when all are taken. */
  acquire(key: string, max: number): (() => void) | null {
    const n = this.#inUse.get(key) ?? 0;
    if (max > 0 && n >= max) return null;
    this.#inUse.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#inUse.get(key) ?? 1) - 1;
      if (left <= 0) this.#inUse.delete(key);
      else this.#inUse.set(key, left);
    };
  }

  inUse(key: string): number {
    return this.#inUse.get(key) ?? 0;
  }
}

export interface CallLimits {
  /** 0 = no limit. */
  max_calls_per_hour: number;
  /** 0 = no limit. */
  max_concurrent: number;
}

/** Outside calls per extension: started within the last hour, and in progress. */
export class OutsideCallLimits {
  readonly #clock: Pick<Clock, 'now'>;
  readonly #started = new Map<string, number[]>();
  readonly #active = new Counter();

  constructor(clock: Pick<Clock, 'now'>) {
    this.#clock = clock;
  }

  /** Starts an outside call for `ext` when its limits allow; the hold is released when the call ends. */
  start(ext: string, limits: CallLimits): Hold {
    const now = this.#clock.now();
    const recent = (this.#started.get(ext) ?? []).filter((t) => now - t < HOUR_MS);
    if (limits.max_calls_per_hour > 0 && recent.length >= limits.max_calls_per_hour) {
      this.#started.set(ext, recent);
      return { ok: false, refusal: 'calls-per-hour' };
    }
    const release = this.#active.acquire(ext, limits.max_concurrent);
    if (release === null) return { ok: false, refusal: 'concurrent' };
    recent.push(now);
    this.#started.set(ext, recent);
    return { ok: true, release };
  }

  /** Outside calls of `ext` in progress. */
  active(ext: string): number {
    return this.#active.inUse(ext);
  }
}
