// Opus encoder complexity under load, for one media worker. Opus encoding is most of a transcoded
// call's cost (native-bench/transcode.bench.js), so when a worker's ticks take too much of their
// 20 ms budget its Opus legs encode at a lower complexity (3 -> 1 -> 0: about 0.6 and then 0.85 of
// the encoder's CPU, a little less quality), and go back up when the load has fallen. The tick's
// work is averaged over a window of ticks: a window above `highShare` of the budget steps down one
// level at once; `upWindows` windows in a row below `lowShare` step up one level. lowShare is kept
// below highShare / 2, so that the step up (the encoder costing up to 1.7 times as much) does not
// land above highShare and step down again (hysteresis, no flapping).
import { PbxError } from '../../util/errors.js';

/** The complexities used, best first; the first is the default. */
export const COMPLEXITY_LEVELS: readonly number[] = [3, 1, 0];

export interface ComplexityGovernorOptions {
  /** Complexities, best first (default COMPLEXITY_LEVELS). */
  levels?: readonly number[];
  /** The tick's budget in ms (default 20). */
  budgetMs?: number;
  /** Mean share of the budget over a window above which the complexity steps down (default 0.4). */
  highShare?: number;
  /** Mean share below which a window counts towards a step up (default 0.15). */
  lowShare?: number;
  /** Ticks averaged in one window (default 25: half a second). */
  windowTicks?: number;
  /** Quiet windows in a row before a step up (default 10: 5 s). */
  upWindows?: number;
}

function fail(message: string): never {
  throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', message);
}

export class ComplexityGovernor {
  readonly #levels: readonly number[];
  readonly #highMs: number;
  readonly #lowMs: number;
  readonly #windowTicks: number;
  readonly #upWindows: number;
  #level = 0;
  #ticks = 0;
  #workMs = 0;
  #quietWindows = 0;
  /** The mean tick work of the last full window, in ms. */
  lastMeanMs = 0;

  constructor(o: ComplexityGovernorOptions = {}) {
    const levels = o.levels ?? COMPLEXITY_LEVELS;
    const budget = o.budgetMs ?? 20;
    const high = o.highShare ?? 0.4;
    const low = o.lowShare ?? 0.15;
    const windowTicks = o.windowTicks ?? 25;
    const upWindows = o.upWindows ?? 10;
    if (levels.length === 0 || !levels.every((c, i) => Number.isInteger(c) && c >= 0 && c <= 10 && (i === 0 || c < levels[i - 1]!))) {
      fail(`complexity levels must be decreasing integers 0..10, got [${levels.join(', ')}]`);
    }
    if (!(budget > 0)) fail(`tick budget must be positive, got ${budget}`);
    if (!(high > 0 && high <= 1 && low >= 0 && low < high)) fail(`need 0 <= lowShare < highShare <= 1, got ${low} and ${high}`);
    if (!(Number.isInteger(windowTicks) && windowTicks > 0)) fail(`windowTicks must be a positive integer, got ${windowTicks}`);
    if (!(Number.isInteger(upWindows) && upWindows > 0)) fail(`upWindows must be a positive integer, got ${upWindows}`);
    this.#levels = levels;
    this.#highMs = high * budget;
    this.#lowMs = low * budget;
    this.#windowTicks = windowTicks;
    this.#upWindows = upWindows;
  }

  /** The complexity the worker's Opus encoders should use now. */
  get complexity(): number {
    return this.#levels[this.#level]!;
  }

  /** One tick's work in ms. True when the complexity changed (read it from `complexity`). */
  observe(workMs: number): boolean {
    this.#workMs += workMs;
    if (++this.#ticks < this.#windowTicks) return false;
    const mean = this.#workMs / this.#ticks;
    this.lastMeanMs = mean;
    this.#ticks = 0;
    this.#workMs = 0;
    if (mean > this.#highMs) {
      this.#quietWindows = 0;
      if (this.#level === this.#levels.length - 1) return false;
      this.#level++;
      return true;
    }
    if (mean >= this.#lowMs || this.#level === 0) {
      this.#quietWindows = 0;
      return false;
    }
    if (++this.#quietWindows < this.#upWindows) return false;
    this.#quietWindows = 0;
    this.#level--;
    return true;
  }
}
