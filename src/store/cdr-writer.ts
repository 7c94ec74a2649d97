// CDR group commit: the rows of calls that ended in the same event-loop turn are inserted in one
// SQLite transaction, so one fsync (synchronous=FULL) covers them all instead of one per call.
// insertCdr resolves once its row is committed; call control answers the BYE's 200 only then, so
// a call whose BYE was answered is on disk before a kill -9 can lose it, as with a direct insert.
import type { CdrRow } from './types.js';

/** The Store methods the writer uses (src/store/store.ts). */
export interface CdrStore {
  batch(fn: () => void): void;
  insertCdr(row: CdrRow): void;
}

interface Pending {
  row: CdrRow;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class CdrWriter {
  readonly #store: CdrStore;
  #pending: Pending[] = [];
  #scheduled: NodeJS.Immediate | null = null;
  #closed = false;

  constructor(store: CdrStore) {
    this.#store = store;
  }

  /** Queues a row; resolves when it is committed, rejects if its insert or the commit failed. */
  insertCdr(row: CdrRow): Promise<void> {
    if (this.#closed) {
      try {
        this.#store.insertCdr(row);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ row, resolve, reject });
      this.#scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commits every queued row now, in one transaction. */
  flush(): void {
    if (this.#scheduled !== null) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    if (this.#pending.length === 0) return;
    const pending = this.#pending;
    this.#pending = [];
    // A row that fails its insert (say a duplicate id) fails alone: the statement is undone, the
    // transaction goes on with the other rows.
    const failed = new Map<Pending, unknown>();
    try {
      this.#store.batch(() => {
        for (const p of pending) {
          try {
            this.#store.insertCdr(p.row);
          } catch (err) {
            failed.set(p, err);
          }
        }
      });
    } catch (err) {
      for (const p of pending) p.reject(err);
      return;
    }
    for (const p of pending) {
      if (failed.has(p)) p.reject(failed.get(p));
      else p.resolve();
    }
  }

  /** Commits what is queued; later rows are inserted at once. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
  }
}
