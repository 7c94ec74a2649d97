// The 20 ms media clock of a worker. setTimeout alone drifts (each timer fires a little late and
// the lateness adds up), so every deadline is computed from the start time on performance.now()
// and a late wake-up runs the ticks it missed, up to MAX_CATCH_UP; beyond that the clock skips
// ahead rather than bursting packets out. Each tick is told when it was due on that grid, so that
// callers can see how late its frames leave (native-bench/transcode.bench.js counts them), and how
// many ticks were skipped just before it, so that RTP timestamps move on over the gap.
import { performance } from 'node:perf_hooks';

export const FRAME_MS = 20;

/** Where the clock reads the time and sets its timer: monotonic milliseconds; tests pass a fake. */
export interface TimeSource {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const monotonic: TimeSource = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
/** Ticks run back to back after a stall; more than this are dropped (counted in `skipped`). */
const MAX_CATCH_UP = 5;
/**
 * A tick runs once it is this close to its due time. Timers fire on whole milliseconds and most
 * wake-ups come about 1 ms after the instant asked for, so the timer is set this much early: the
 * frames then leave within a millisecond of their due time, either side, instead of 1 ms after it.
 */
const EARLY_MS = 1;

export class MediaClock {
  readonly #onTick: (nowMs: number, dueMs: number, skipped: number) => void;
  readonly #time: TimeSource;
  #timer: unknown = null;
  /** When the next tick is due, on performance.now(). */
  #due = 0;
  /** Ticks skipped since the last one ran, told to the next. */
  #pendingSkip = 0;
  /** Ticks that ran, and ticks dropped after a stall. */
  ticks = 0;
  skipped = 0;
  /** The latest a tick ran after its due time, in ms. */
  maxLateMs = 0;

  constructor(onTick: (nowMs: number, dueMs: number, skipped: number) => void, time: TimeSource = monotonic) {
    this.#onTick = onTick;
    this.#time = time;
  }

  get running(): boolean {
    return this.#timer !== null;
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#due = this.#time.now() + FRAME_MS;
    this.#pendingSkip = 0;
    this.#schedule();
  }

  stop(): void {
    if (this.#timer === null) return;
    this.#time.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    const wait = Math.max(0, this.#due - EARLY_MS - this.#time.now());
    this.#timer = this.#time.setTimeout(this.#fire, wait);
  }

  readonly #fire = (): void => {
    let now = this.#time.now();
    let n = 0;
    while (now >= this.#due - EARLY_MS && n < MAX_CATCH_UP) {
      const due = this.#due;
      if (now - due > this.maxLateMs) this.maxLateMs = now - due;
      this.#due += FRAME_MS;
      this.ticks++;
      n++;
      const skipped = this.#pendingSkip;
      this.#pendingSkip = 0;
      this.#onTick(now, due, skipped);
      if (this.#timer === null) return;
      now = this.#time.now();
    }
    if (now >= this.#due) {
      const behind = Math.floor((now - this.#due) / FRAME_MS) + 1;
      this.skipped += behind;
      this.#pendingSkip += behind;
      this.#due += behind * FRAME_MS;
    }
    this.#schedule();
  };
}
