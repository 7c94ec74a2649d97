// The callback list: numbers whose calls nobody answered, for people to call back. Kept up to date
// by each CDR as it is stored (Store.insertCdr, in the same transaction): a missed call opens the
// number's entry or adds to it; an answered call with the number on either side closes it.
import type Database from 'better-sqlite3';
import type { CdrRow, MissedCall } from './types.js';

export interface MissedQuery {
  /** Closed entries too (default: only the open ones). */
  all?: boolean;
  /** At most this many entries (default 100, at most 10000). */
  limit?: number;
}

const MAX_ENTRIES = 10000;
/** Ids are "m" and the row's sequence number, so that no id reads as a phone number. */
const ID = /^m([1-9][0-9]{0,15})$/;
/** Caller numbers nobody can call back. */
const UNREACHABLE = new Set(['', 'anonymous']);

type Statement = Database.Statement<unknown[], unknown>;
type StoredEntry = Omit<MissedCall, 'id'> & { seq: number };

const COLUMNS = 'seq, number, calls, first_at, last_at, "to", path, status, reason, last_cdr AS cdr_id, done_at, done_by, done_cdr';

export class CallbackList {
  readonly #answeredSince: Statement;
  readonly #open: Statement;
  readonly #close: Statement;
  readonly #list: Statement;
  readonly #listAll: Statement;
  readonly #bySeq: Statement;
  readonly #openByNumber: Statement;
  readonly #closeOne: Statement;

  constructor(db: Database.Database) {
    this.#answeredSince = db.prepare(
      `SELECT 1 FROM cdr WHERE started_ms > @started_ms AND answered_at IS NOT NULL AND ("from" = @number OR "to" = @number) LIMIT 1`,
    );
    // A missed call's insert may come after a later one's (CDRs are written as calls end): first and
    // last are kept by start time, and the details are the latest call's.
    this.#open = db.prepare(
      `INSERT INTO callbacks (number, calls, first_at, first_ms, last_at, last_ms, "to", path, status, reason, last_cdr)
       VALUES (@number, 1, @at, @ms, @at, @ms, @to, @path, @status, @reason, @cdr)
       ON CONFLICT (number) WHERE done_at IS NULL DO UPDATE SET
         calls = calls + 1,
         first_at = CASE WHEN excluded.first_ms < first_ms THEN excluded.first_at ELSE first_at END,
         first_ms = min(first_ms, excluded.first_ms),
         "to" = CASE WHEN excluded.last_ms >= last_ms THEN excluded."to" ELSE "to" END,
         path = CASE WHEN excluded.last_ms >= last_ms THEN excluded.path ELSE path END,
         status = CASE WHEN excluded.last_ms >= last_ms THEN excluded.status ELSE status END,
         reason = CASE WHEN excluded.last_ms >= last_ms THEN excluded.reason ELSE reason END,
         last_cdr = CASE WHEN excluded.last_ms >= last_ms THEN excluded.last_cdr ELSE last_cdr END,
         last_at = CASE WHEN excluded.last_ms >= last_ms THEN excluded.last_at ELSE last_at END,
         last_ms = max(last_ms, excluded.last_ms)`,
    );
    this.#close = db.prepare(
      `UPDATE callbacks SET done_at = @at, done_by = 'answered', done_cdr = @cdr
       WHERE done_at IS NULL AND number IN (@from, @to) AND last_ms <= @started_ms`,
    );
    this.#list = db.prepare(`SELECT ${COLUMNS} FROM callbacks WHERE done_at IS NULL ORDER BY last_ms DESC, seq DESC LIMIT ?`);
    this.#listAll = db.prepare(`SELECT ${COLUMNS} FROM callbacks ORDER BY last_ms DESC, seq DESC LIMIT ?`);
    this.#bySeq = db.prepare(`SELECT ${COLUMNS} FROM callbacks WHERE seq = ?`);
    this.#openByNumber = db.prepare(`SELECT ${COLUMNS} FROM callbacks WHERE number = ? AND done_at IS NULL`);
    this.#closeOne = db.prepare(`UPDATE callbacks SET done_at = ?, done_by = 'manual' WHERE seq = ? AND done_at IS NULL`);
  }

  /**
   * What a stored CDR changes: a missed call opens or adds to its caller's entry (unless a call
   * with that number that started later was answered already); an answered call closes the entries
   * of both its numbers whose last missed call started before it. Runs inside the CDR's transaction.
   */
  record(row: CdrRow, startedMs: number, missed: boolean): void {
    if (missed) {
      if (UNREACHABLE.has(row.from.toLowerCase())) return;
      if (this.#answeredSince.get({ started_ms: startedMs, number: row.from }) !== undefined) return;
      this.#open.run({
        number: row.from,
        at: row.started_at,
        ms: startedMs,
        to: row.to,
        path: row.path ?? null,
        status: row.status,
        reason: row.reason,
        cdr: row.id,
      });
    } else if (row.answered_at !== null) {
      this.#close.run({ at: row.answered_at, cdr: row.id, from: row.from, to: row.to, started_ms: startedMs });
    }
  }

  /** Newest last call first. */
  list(query: MissedQuery = {}): MissedCall[] {
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? 100), 0), MAX_ENTRIES);
    const rows = (query.all === true ? this.#listAll : this.#list).all(limit) as StoredEntry[];
    return rows.map(entry);
  }

  /**
   * Closes by hand the open entry `which` names: its id ("m7") or its number. Returns the entry as
   * closed, or null when no open entry has that id or number.
   */
  close(which: string, at: Date): MissedCall | null {
    const id = ID.exec(which);
    const found = (id === null ? this.#openByNumber.get(which) : this.#bySeq.get(Number(id[1]))) as StoredEntry | undefined;
    if (found === undefined || found.done_at !== null) return null;
    this.#closeOne.run(at.toISOString(), found.seq);
    return entry(this.#bySeq.get(found.seq) as StoredEntry);
  }
}

function entry(r: StoredEntry): MissedCall {
  return {
    id: `m${r.seq}`,
    number: r.number,
    calls: r.calls,
    first_at: r.first_at,
    last_at: r.last_at,
    to: r.to,
    path: r.path,
    status: r.status,
    reason: r.reason,
    cdr_id: r.cdr_id,
    done_at: r.done_at,
    done_by: r.done_by,
    done_cdr: r.done_cdr,
  };
}
