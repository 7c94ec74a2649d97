// Binding writes leave the signalling path in batches: a REGISTER updates memory at once and
// queues its row; the queue is written in one SQLite transaction (one fsync) a few ms later.
// A crash can lose the last batch; the phones register again, so nothing else depends on it.
import type { Clock } from '../sip/transaction/types.js';
import type { BindingRow } from '../store/types.js';
import type { Log } from '../util/log.js';

/** The Store methods the registrar uses (src/store/store.ts). */
export interface BindingStore {
  batch(fn: () => void): void;
  upsertBinding(row: BindingRow): void;
  deleteBinding(extension: string, contact: string): void;
  deleteBindings(extension: string): void;
  loadBindings(): BindingRow[];
  purgeExpired(now: number): unknown;
}

type Op =
  | { kind: 'upsert'; row: BindingRow }
  | { kind: 'delete'; extension: string; contact: string }
  | { kind: 'delete-all'; extension: string }
  | { kind: 'purge'; now: number };

/** How long writes wait to be batched, and how many force a flush at once. */
const FLUSH_MS = 20;
const FLUSH_OPS = 1000;

export class BindingWriter {
  readonly #store: BindingStore;
  readonly #clock: Clock;
  readonly #log: Log;
  #ops: Op[] = [];
  #timer: unknown = null;
  #closed = false;

  constructor(store: BindingStore, clock: Clock, log: Log) {
    this.#store = store;
    this.#clock = clock;
    this.#log = log;
  }

  upsert(row: BindingRow): void {
    this.#queue({ kind: 'upsert', row });
  }

  delete(extension: string, contact: string): void {
    this.#queue({ kind: 'delete', extension, contact });
  }

  deleteAll(extension: string): void {
    this.#queue({ kind: 'delete-all', extension });
  }

  purge(now: number): void {
    this.#queue({ kind: 'purge', now });
  }

  /** Writes everything queued now. */
  flush(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#ops.length === 0) return;
    const ops = this.#ops;
    this.#ops = [];
    const store = this.#store;
    try {
      store.batch(() => {
        for (const op of ops) {
          if (op.kind === 'upsert') store.upsertBinding(op.row);
          else if (op.kind === 'delete') store.deleteBinding(op.extension, op.contact);
          else if (op.kind === 'delete-all') store.deleteBindings(op.extension);
          else store.purgeExpired(op.now);
        }
      });
    } catch (err) {
      this.#log.error({ err, writes: ops.length }, 'registrations could not be written to the store');
    }
  }

  /** Flushes and stops; later writes go straight to the store. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
  }

  #queue(op: Op): void {
    this.#ops.push(op);
    if (this.#closed || this.#ops.length >= FLUSH_OPS) this.flush();
    else if (this.#timer === null) this.#timer = this.#clock.setTimeout(() => this.flush(), FLUSH_MS);
  }
}
