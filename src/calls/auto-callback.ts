// Automatic callback of missed calls (missed_calls.auto_callback): once a missed call's CDR is
// committed, the PBX rings a free member of missed_calls.ring (an extension, or a group's members
// in order) and, when one answers, dials the caller back (CallControl.originate). One attempt per
// missed call; a call that cannot be made stays on the callback list for people (`pbx missed`),
// and an answered callback closes the entry there like any answered call with that number.
import type { Config } from '../config/types.js';
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
  log: Log;
}

export class AutoCallback {
  readonly #o: AutoCallbackOptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(options: AutoCallbackOptions) {
    this.#o = options;
  }

  /** A CDR row was committed: a missed call from a number that can be dialled back is called back after the delay. */
  cdrWritten(row: CdrRow): void {
    const settings = this.#o.getConfig().missed_calls;
    if (this.#closed || !settings.auto_callback || row.missed !== true) return;
    if (!/^\+?[0-9]+$/.test(row.from)) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#callBack(row);
    }, settings.delay * 1000);
    timer.unref();
    this.#timers.add(timer);
  }

  /** Members of missed_calls.ring that could take the call now, in order. */
  candidates(config: Config): string[] {
    const ring = config.missed_calls.ring;
    if (ring === null) return [];
    const members = ring.startsWith('group:') ? (config.groups.get(ring.slice(6))?.members ?? []) : [ring];
    return members.filter((ext) => config.extensions.has(ext) && this.#o.registered(ext) && !this.#o.busy(ext));
  }

  async #callBack(row: CdrRow): Promise<void> {
    const config = this.#o.getConfig();
    const log = this.#o.log.child({ missed: row.id, number: row.from });
    const member = this.candidates(config).find((ext) => ext !== row.from);
    if (member === undefined) {
      log.info({}, 'automatic callback: no free member; the call stays on the callback list');
      return;
    }
    try {
      const { result } = await this.#o.originate({ first: member, then: row.from, callerId: `Callback ${row.from}` });
      log.info({ member, result }, 'automatic callback done');
    } catch (err) {
      log.warn({ err, member }, 'automatic callback could not be made');
    }
  }

  /** Cancels the callbacks still waiting for their delay. Safe to call twice. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
