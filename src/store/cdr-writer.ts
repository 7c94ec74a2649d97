// CDR group commit off the event loop: the rows of calls that ended in the same event-loop turn go
// to a worker thread as one batch, committed there in one SQLite transaction (one fsync). insertCdr
// resolves once its row is committed; call control answers the BYE's 200 only then, so a call whose
// BYE was answered is on disk before a kill -9 can lose it, as with a direct insert.
import { Worker } from 'node:worker_threads';
import { PbxError } from '../util/errors.js';
import type { CdrRow, OutboxEntry } from './types.js';

export interface CdrWorkerData {
  dataDir: string;
}

export interface CdrBatch {
  seq: number;
  rows: CdrRow[];
  /** Per row, the webhook deliveries written in its transaction (Store.insertCdr). */
  outbox: OutboxEntry[][];
}

/** One entry per row of the batch: null when committed, else why not. */
export interface CdrBatchResult {
  seq: number;
  errors: Array<string | null>;
}

interface Pending {
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface InFlight {
  pending: Pending[];
  timer: NodeJS.Timeout;
}

const WORKER_URL = new URL(`./cdr-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url);
/** A batch not committed by then is reported failed (the thread's start-up plus SQLite's 5 s busy_timeout). */
const COMMIT_DEADLINE_MS = 20000;
const CLOSE_DEADLINE_MS = 30000;

export class CdrWriter {
  readonly #worker: Worker;
  #rows: CdrRow[] = [];
  #outbox: OutboxEntry[][] = [];
  #pending: Pending[] = [];
  #scheduled: NodeJS.Immediate | null = null;
  readonly #inFlight = new Map<number, InFlight>();
  #seq = 0;
  #commits = 0;
  #closing: Promise<void> | null = null;
  #gone: string | null = null;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (msg: CdrBatchResult) => this.#onResult(msg));
    worker.on('error', (err) => this.#onGone(`the CDR writer failed: ${err.message}`));
    worker.on('exit', (code) => this.#onGone(`the CDR writer exited with ${code}`));
  }

  /**
   * Starts the writer thread on the database in dataDir (already opened and migrated). Start-up
   * does not wait for the thread: batches posted meanwhile queue in its port, and a thread that
   * fails to start fails them.
   */
  static start(dataDir: string): CdrWriter {
    return new CdrWriter(new Worker(WORKER_URL, { workerData: { dataDir } satisfies CdrWorkerData, name: 'cdr-writer' }));
  }

  /** Transactions committed so far. */
  get commits(): number {
    return this.#commits;
  }

  /**
   * Queues a row, with the webhook deliveries of its events written in its transaction; resolves
   * when it is committed, rejects if its insert or the commit failed (then none of it is stored).
   */
  insertCdr(row: CdrRow, outbox: readonly OutboxEntry[] = []): Promise<void> {
    if (this.#gone !== null || this.#closing !== null) {
      return Promise.reject(new PbxError('PBX_ERR_STORE_CDR_WRITER', this.#gone ?? 'the CDR writer is closed'));
    }
    return new Promise<void>((resolve, reject) => {
      this.#rows.push(row);
      this.#outbox.push([...outbox]);
      this.#pending.push({ resolve, reject });
      this.#scheduled ??= setImmediate(() => this.#send());
    });
  }

  /** Commits what is queued, waits for it, and stops the thread. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#send();
    if (this.#gone !== null) return;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.postMessage('close');
    const timer = setTimeout(() => void this.#worker.terminate(), CLOSE_DEADLINE_MS);
    await exited;
    clearTimeout(timer);
  }

  #send(): void {
    if (this.#scheduled !== null) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    if (this.#rows.length === 0) return;
    const batch: CdrBatch = { seq: ++this.#seq, rows: this.#rows, outbox: this.#outbox };
    const pending = this.#pending;
    this.#rows = [];
    this.#outbox = [];
    this.#pending = [];
    const timer = setTimeout(() => this.#fail(batch.seq, `the CDR batch was not committed in ${COMMIT_DEADLINE_MS} ms`), COMMIT_DEADLINE_MS);
    this.#inFlight.set(batch.seq, { pending, timer });
    this.#worker.postMessage(batch);
  }

  #onResult(msg: CdrBatchResult): void {
    const batch = this.#inFlight.get(msg.seq);
    if (batch === undefined) return;
    this.#inFlight.delete(msg.seq);
    clearTimeout(batch.timer);
    this.#commits++;
    for (let i = 0; i < batch.pending.length; i++) {
      const error = msg.errors[i] ?? null;
      if (error === null) batch.pending[i]!.resolve();
      else batch.pending[i]!.reject(new PbxError('PBX_ERR_STORE_CDR_INSERT', error));
    }
  }

  #fail(seq: number, why: string): void {
    const batch = this.#inFlight.get(seq);
    if (batch === undefined) return;
    this.#inFlight.delete(seq);
    clearTimeout(batch.timer);
    for (const p of batch.pending) p.reject(new PbxError('PBX_ERR_STORE_CDR_WRITER', why));
  }

  #onGone(why: string): void {
    this.#gone ??= why;
    for (const seq of [...this.#inFlight.keys()]) this.#fail(seq, this.#gone);
  }
}
