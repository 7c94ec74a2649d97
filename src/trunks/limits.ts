// Spend guards on outside calls (toll fraud): per extension and for the whole PBX
// (outbound_limits), outside calls started in the last hour and outside calls in progress; per
// trunk, channels in use. A call over a limit is refused and logged by the caller of these.
import type { Clock } from '../sip/transaction/types.js';

const HOUR_MS = 3_600_000;

export type LimitRefusal = 'calls-per-hour' | 'concurrent';

/** Whose limit refused a call: the extension's own, or the PBX-wide one. */
export type LimitScope = 'extension' | 'pbx';

export type Hold = { ok: true; release(): void } | { ok: false; refusal: LimitRefusal; scope: LimitScope };

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

/** The key the PBX-wide counts are kept under (extension numbers are digits only). */
const PBX = '*';

const UNLIMITED: CallLimits = { max_calls_per_hour: 0, max_concurrent: 0 };

/** Outside calls per extension and for the whole PBX: started within the last hour, and in progress. */
export class OutsideCallLimits {
  readonly #clock: Pick<Clock, 'now'>;
  readonly #started = new Map<string, number[]>();
  readonly #active = new Counter();
  /** Calls refused by a limit since start, by "scope reason" (metrics). */
  readonly #refused = new Map<string, number>();

  constructor(clock: Pick<Clock, 'now'>) {
    this.#clock = clock;
  }

  /**
   * Starts an outside call for `ext` when its own limits and the PBX-wide ones allow; a refused
   * call counts against neither. The hold is released when the call ends.
   */
  start(ext: string, own: CallLimits, pbx: CallLimits = UNLIMITED): Hold {
    const now = this.#clock.now();
    for (const [key, limits, scope] of [[ext, own, 'extension'], [PBX, pbx, 'pbx']] as const) {
      const refusal = this.#over(key, limits, now);
      if (refusal !== null) {
        const counted = `${scope} ${refusal}`;
        this.#refused.set(counted, (this.#refused.get(counted) ?? 0) + 1);
        return { ok: false, refusal, scope };
      }
    }
    const releases = [ext, PBX].map((key) => {
      this.#started.get(key)!.push(now);
      return this.#active.acquire(key, 0)!;
    });
    return { ok: true, release: () => releases.forEach((r) => r()) };
  }

  /** Which limit of `key` a new call would pass, null when none (the hour's starts pruned). */
  #over(key: string, limits: CallLimits, now: number): LimitRefusal | null {
    const recent = (this.#started.get(key) ?? []).filter((t) => now - t < HOUR_MS);
    this.#started.set(key, recent);
    if (limits.max_calls_per_hour > 0 && recent.length >= limits.max_calls_per_hour) return 'calls-per-hour';
    if (limits.max_concurrent > 0 && this.#active.inUse(key) >= limits.max_concurrent) return 'concurrent';
    return null;
  }

  /** Outside calls of `ext` in progress. */
  active(ext: string): number {
    return this.#active.inUse(ext);
  }

  /** Outside calls in progress on the whole PBX (emergency calls are not counted). */
  activeOnPbx(): number {
    return this.#active.inUse(PBX);
  }

  /** Calls refused by a spend-guard limit since start. */
  refusals(): Array<{ scope: LimitScope; reason: LimitRefusal; count: number }> {
    return [...this.#refused].map(([key, count]) => {
      const [scope, reason] = key.split(' ') as [LimitScope, LimitRefusal];
      return { scope, reason, count };
    });
  }
}
