// Call statistics from the CDR for the dashboard's charts (GET /api/stats/calls), counted in SQL on
// its own read connection to data_dir/pbx.sqlite: answered, missed and all calls that started in
// [from, to), per hour or day slot from `from`, or per extension.
// A slot is `from` plus whole hours or days, so a client that sends its local midnight gets its
// local hours. Per extension, SQL counts per (number dialled, path) and each pair goes to the
// extension the call was for: the last step of the path that names one (the extension that
// answered or was tried last, its voicemail, a forward from it), else the number dialled; for a
// call the PBX started (path "originate"), the extension rung first.
import type Database from 'better-sqlite3';
import { openDatabase } from './store.js';

export type StatsGrouping = 'hour' | 'day' | 'extension';

export interface CallCounts {
  answered: number;
  missed: number;
  total: number;
}

/** One hour or day from `start` (ISO 8601). */
export interface SlotCounts extends CallCounts {
  start: string;
}

export interface ExtensionCounts extends CallCounts {
  extension: string;
}

export interface CallStatsQuery {
  fromMs: number;
  toMs: number;
}

/** The most slots one query may ask for (hours of 31 days; days of a year and a bit). */
export const MAX_SLOTS = 31 * 24;
export const SLOT_MS: Readonly<Record<'hour' | 'day', number>> = { hour: 3_600_000, day: 86_400_000 };

type Statement = Database.Statement<unknown[], unknown>;

const COUNTS = `SUM(status = 'answered') AS answered, SUM(missed) AS missed, COUNT(*) AS total`;
/** Path steps that name an extension after a prefix ("voicemail:1002", "forward-busy:1002"). */
const EXTENSION_STEP = /^(?:voicemail|forward-[a-z_]+):(.+)$/;

export class CallStats {
  readonly #db: Database.Database;
  readonly #bySlot: Statement;
  readonly #byExtension: Statement;
  #closed = false;

  static open(dataDir: string): CallStats {
    return new CallStats(openDatabase(dataDir));
  }

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#bySlot = db.prepare(
      `SELECT CAST((started_ms - @from) / @size AS INTEGER) AS slot, ${COUNTS} FROM cdr
       WHERE started_ms >= @from AND started_ms < @to GROUP BY slot ORDER BY slot`,
    );
    this.#byExtension = db.prepare(
      `SELECT CASE WHEN path = 'originate' THEN "from" ELSE "to" END AS number, path, ${COUNTS}
       FROM cdr WHERE started_ms >= @from AND started_ms < @to GROUP BY number, path`,
    );
  }

  /** Every slot of [from, to), those without calls at zero. Throws RangeError past MAX_SLOTS. */
  bySlot(query: CallStatsQuery, by: 'hour' | 'day'): SlotCounts[] {
    const size = SLOT_MS[by];
    const count = Math.ceil((query.toMs - query.fromMs) / size);
    if (count > MAX_SLOTS) throw new RangeError(`at most ${MAX_SLOTS} slots of one ${by}`);
    const slots: SlotCounts[] = [];
    for (let i = 0; i < count; i++) slots.push({ start: new Date(query.fromMs + i * size).toISOString(), answered: 0, missed: 0, total: 0 });
    for (const r of this.#bySlot.all({ from: query.fromMs, to: query.toMs, size }) as Array<CallCounts & { slot: number }>) {
      const slot = slots[r.slot];
      if (slot !== undefined) Object.assign(slot, { answered: r.answered, missed: r.missed, total: r.total });
    }
    return slots;
  }

  /** The extensions (`isExtension`) that had calls in [from, to), in number order. */
  byExtension(query: CallStatsQuery, isExtension: (n: string) => boolean): ExtensionCounts[] {
    const out = new Map<string, ExtensionCounts>();
    for (const r of this.#byExtension.all({ from: query.fromMs, to: query.toMs }) as Array<CallCounts & { number: string; path: string | null }>) {
      const extension = extensionOf(r.number, r.path, isExtension);
      if (extension === null) continue;
      const counts = out.get(extension) ?? { extension, answered: 0, missed: 0, total: 0 };
      counts.answered += r.answered;
      counts.missed += r.missed;
      counts.total += r.total;
      out.set(extension, counts);
    }
    return [...out.values()].sort((a, b) => a.extension.localeCompare(b.extension, 'en', { numeric: true }));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}

/** The extension a call was for: the path's last step naming one, else the number itself; null for none. */
export function extensionOf(number: string, path: string | null, isExtension: (n: string) => boolean): string | null {
  const steps = path === null || path === 'originate' ? [] : path.split('>');
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = EXTENSION_STEP.exec(steps[i]!)?.[1] ?? steps[i]!;
    if (isExtension(step)) return step;
  }
  return isExtension(number) ? number : null;
}
