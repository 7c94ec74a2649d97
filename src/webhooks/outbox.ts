// The webhook outbox: one SQLite row per (hook, event) to deliver, written before any attempt, so
// an event survives a crash or restart until its receiver took it. Rows are deleted once delivered;
// after MAX_ATTEMPTS failures a row stays with state 'failed' for `pbx` to show, and is not tried again.
import type Database from 'better-sqlite3';
import { openDatabase } from '../store/store.js';

type Statement = Database.Statement<unknown[], unknown>;

export interface OutboxRow {
  seq: number;
  url: string;
  event: string;
  body: string;
  attempts: number;
  next_ms: number;
}

export class WebhookOutbox {
  readonly #db: Database.Database;
  readonly #insert: Statement;
  readonly #due: Statement;
  readonly #delete: Statement;
  readonly #retry: Statement;
  readonly #fail: Statement;
  readonly #dropUrl: Statement;
  readonly #count: Statement;
  #closed = false;

  static open(dataDir: string): WebhookOutbox {
    return new WebhookOutbox(openDatabase(dataDir));
  }

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare('INSERT INTO webhook_outbox (url, event, body, attempts, next_ms, state, created_ms) VALUES (?, ?, ?, 0, ?, \'pending\', ?)');
    this.#due = db.prepare("SELECT seq, url, event, body, attempts, next_ms FROM webhook_outbox WHERE state = 'pending' AND next_ms <= ? ORDER BY next_ms, seq LIMIT ?");
    this.#delete = db.prepare('DELETE FROM webhook_outbox WHERE seq = ?');
    this.#retry = db.prepare('UPDATE webhook_outbox SET attempts = attempts + 1, next_ms = ?, last_error = ? WHERE seq = ?');
    this.#fail = db.prepare("UPDATE webhook_outbox SET attempts = attempts + 1, state = 'failed', last_error = ? WHERE seq = ?");
    this.#dropUrl = db.prepare("DELETE FROM webhook_outbox WHERE url = ? AND state = 'pending'");
    this.#count = db.prepare("SELECT state, COUNT(*) AS n FROM webhook_outbox GROUP BY state");
  }

  /** Queues one body for each url, in one transaction (committed when it returns). */
  add(urls: readonly string[], event: string, body: string, now: number): void {
    if (urls.length === 0) return;
    this.#db.transaction(() => {
      for (const url of urls) this.#insert.run(url, event, body, now, now);
    })();
  }

  /** Rows whose next attempt is due, oldest first. */
  due(now: number, limit: number): OutboxRow[] {
    return this.#due.all(now, limit) as OutboxRow[];
  }

  delivered(seq: number): void {
    this.#delete.run(seq);
  }

  retryAt(seq: number, nextMs: number, error: string): void {
    this.#retry.run(nextMs, error, seq);
  }

  failed(seq: number, error: string): void {
    this.#fail.run(error, seq);
  }

  /** Drops what waits for a hook that is no longer configured; returns how many rows. */
  dropUrl(url: string): number {
    return this.#dropUrl.run(url).changes;
  }

  counts(): { pending: number; failed: number } {
    const out = { pending: 0, failed: 0 };
    for (const r of this.#count.all() as Array<{ state: 'pending' | 'failed'; n: number }>) out[r.state] = r.n;
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
