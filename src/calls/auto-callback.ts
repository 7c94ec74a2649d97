// Automatic callback of missed calls (missed_calls.auto_callback): once a missed call's CDR is
// committed, the PBX rings a free member of missed_calls.ring (an extension, or a group's members
// in order) and, when one answers, dials the caller back (CallControl.originate). An attempt that
// gets nobody (no free member, the member or the caller does not answer) is made again after
// missed_calls pause seconds, up to missed_calls attempts in all, unless the number's entry on the
// callback list was closed meanwhile (the caller got through, or someone called back by hand).
// A call never made stays on the callback list for people (`pbx missed`), and an answered
// callback closes the entry there like any answered call with that number.
import type { Config } from '../config/types.js';
import { realClock, type Clock } from '../sip/transaction/types.js';
import type { CdrRow } from '../store/types.js';
import type { Log } from '../util/log.js';
import type { OriginateRequest, OriginateResult } from './originate.js';

export interface AutoCallbackOptions {
  getConfig: () => Config;
  /** True when the extension has a registered phone. */
  registered: (ext: string) => boolean;
  /** True while the extension is in a call. */
  busy: (ext: string) => boolean;
  originate: (request: OriginateRequest) => Promise<{ id: string; result: OriginateResult }>;
  /** True while the number still has an open entry on the callback list (default: always). */
  stillMissed?: (number: string) => boolean;
  /** Timers of the delay and the pauses (default: the real clock). */
  clock?: Clock;
  log: Log;
}

export class AutoCallback {
  readonly #o: AutoCallbackOptions;
  readonly #clock: Clock;
  readonly #timers = new Set<unknown>();
  #closed = false;

  constructor(options: AutoCallbackOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
  }

  /** A CDR row was committed: a missed call from a number that can be dialled back is called back after the delay. */
  cdrWritten(row: CdrRow): void {
    const settings = this.#o.getConfig().missed_calls;
    if (this.#closed || !settings.auto_callback || row.missed !== true) return;
    if (!/^\+?[0-9]+$/.test(row.from)) return;
    this.#later(settings.delay * 1000, () => this.#attempt(row, 1));
  }

  #later(ms: number, fn: () => Promise<void>): void {
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) void fn();
    }, ms);
    this.#timers.add(timer);
  }

  /** Attempt `n` of missed_calls.attempts; one that gets nobody schedules the next after the pause. */
  async #attempt(row: CdrRow, n: number): Promise<void> {
    const log = this.#o.log.child({ missed: row.id, number: row.from, attempt: n });
    if (this.#o.stillMissed?.(row.from) === false) {
      log.info({}, 'automatic callback: the entry was closed; no further attempt');
      return;
    }
    const answered = await this.#callBack(row, log);
    const { attempts, pause } = this.#o.getConfig().missed_calls;
    if (answered || this.#closed) return;
    if (n >= attempts) {
      log.info({ attempts }, 'automatic callback: no attempt got through; the call stays on the callback list');
      return;
    }
    log.info({ pause }, 'automatic callback: trying again after the pause');
    this.#later(pause * 1000, () => this.#attempt(row, n + 1));
  }

  /** Members of missed_calls.ring that could take the call now, in order. */
  candidates(config: Config): string[] {
    const ring = config.missed_calls.ring;
    if (ring === null) return [];
    const members = ring.startsWith('group:') ? (config.groups.get(ring.slice(6))?.members ?? []) : [ring];
    return members.filter((ext) => config.extensions.has(ext) && this.#o.registered(ext) && !this.#o.busy(ext));
  }

  /** One attempt; true when the caller was reached. */
  async #callBack(row: CdrRow, log: Log): Promise<boolean> {
    const member = this.candidates(this.#o.getConfig()).find((ext) => ext !== row.from);
    if (member === undefined) {
      log.info({}, 'automatic callback: no free member');
      return false;
    }
    try {
      const { result } = await this.#o.originate({ first: member, then: row.from, callerId: `Callback ${row.from}` });
      log.info({ member, result }, 'automatic callback done');
      return result === 'answered';
    } catch (err) {
      log.warn({ err, member }, 'automatic callback could not be made');
      return false;
    }
  }

  /** Cancels the callbacks still waiting for their delay. Safe to call twice. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers.clear();
  }
}
