// The queues' SQLite tables (data_dir/pbx.sqlite, its own connection): callback requests, which
// survive a restart, and one row per caller that left a queue, from which the statistics come.
// Writes are single small statements (one per caller event, never per packet).
import type Database from 'better-sqlite3';
import { openDatabase } from '../store/store.js';

/** A callback request as stored. 'dialling': handed to originate; never dialled again. */
export interface CallbackRow {
  id: string;
  queue: string;
  /** The number called back (the caller's extension or caller ID). */
  number: string;
  call_id: string | null;
  joined_ms: number;
  seq: number;
  asked_ms: number;
  state: 'waiting' | 'dialling';
}

export type QueueOutcome = 'answered' | 'abandoned' | 'timeout' | 'callback-failed' | 'callback-lost';

/** One caller that left a queue. */
export interface QueueCallRow {
  id: string;
  queue: string;
  number: string;
  call_id: string | null;
  /** The caller asked to be called back. */
  callback: boolean;
  joined_ms: number;
  ended_ms: number;
  outcome: QueueOutcome;
  /** Seconds from joining to an agent answering (or to leaving). */
  wait_s: number;
  agent: string | null;
}

/** `pbx queue stats` and GET /api/queues/{name}/stats. */
export interface QueueStats {
  queue: string;
  /** Callers connected to an agent (callbacks that reached the customer included). */
  answered: number;
  /** Callers who hung up while waiting. */
  abandoned: number;
  /** Callers sent on after max_wait. */
  timed_out: number;
  /** Callbacks asked for (finished or not). */
  callbacks: number;
  /** Callbacks still waiting for an agent. */
  callbacks_pending: number;
  /** Callbacks whose customer did not answer, or that a restart cut off while dialling. */
  callbacks_failed: number;
  /** Mean seconds to answer, over answered callers; null when none. */
  average_wait_s: number | null;
  /** Longest wait to answer. */
  max_wait_s: number | null;
  /** service_level seconds of the queue. */
  service_level_s: number;
  /** Percent of callers that left the queue who were answered within service_level; null when none left. */
  service_level_pct: number | null;
}

type Statement = Database.Statement<unknown[], unknown>;

/** An agent's state in one queue, as its codes set it. */
export interface AgentStateRow {
  queue: string;
  extension: string;
  logged_out: boolean;
  paused: boolean;
}

export class QueueStore {
  readonly #db: Database.Database;
  readonly #insertCallback: Statement;
  readonly #setCallbackState: Statement;
  readonly #deleteCallback: Statement;
  readonly #callbacks: Statement;
  readonly #insertCall: Statement;
  readonly #stats: Statement;
  readonly #pending: Statement;
  readonly #agents: Statement;
  readonly #setAgent: Statement;
  readonly #clearAgent: Statement;
  #closed = false;

  static open(dataDir: string): QueueStore {
    return new QueueStore(openDatabase(dataDir));
  }

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#insertCallback = db.prepare(
      `INSERT INTO queue_callbacks (id, queue, number, call_id, joined_ms, seq, asked_ms, state)
       VALUES (@id, @queue, @number, @call_id, @joined_ms, @seq, @asked_ms, @state)`,
    );
    this.#setCallbackState = db.prepare('UPDATE queue_callbacks SET state = ? WHERE id = ?');
    this.#deleteCallback = db.prepare('DELETE FROM queue_callbacks WHERE id = ?');
    this.#callbacks = db.prepare('SELECT id, queue, number, call_id, joined_ms, seq, asked_ms, state FROM queue_callbacks ORDER BY joined_ms, seq');
    this.#insertCall = db.prepare(
      `INSERT OR REPLACE INTO queue_calls (id, queue, number, call_id, callback, joined_ms, ended_ms, outcome, wait_s, agent)
       VALUES (@id, @queue, @number, @call_id, @callback, @joined_ms, @ended_ms, @outcome, @wait_s, @agent)`,
    );
    this.#stats = db.prepare(
      `SELECT
         COALESCE(SUM(outcome = 'answered'), 0) AS answered,
         COALESCE(SUM(outcome = 'abandoned'), 0) AS abandoned,
         COALESCE(SUM(outcome = 'timeout'), 0) AS timed_out,
         COALESCE(SUM(callback), 0) AS callbacks,
         COALESCE(SUM(outcome IN ('callback-failed', 'callback-lost')), 0) AS callbacks_failed,
         AVG(CASE WHEN outcome = 'answered' THEN wait_s END) AS average_wait_s,
         MAX(CASE WHEN outcome = 'answered' THEN wait_s END) AS max_wait_s,
         COALESCE(SUM(outcome = 'answered' AND wait_s <= @sl), 0) AS within,
         COUNT(*) AS total
       FROM queue_calls WHERE queue = @queue AND joined_ms >= @since`,
    );
    this.#pending = db.prepare('SELECT COUNT(*) AS n FROM queue_callbacks WHERE queue = ? AND joined_ms >= ?');
    this.#agents = db.prepare('SELECT queue, extension, logged_out, paused FROM queue_agents');
    this.#setAgent = db.prepare(
      `INSERT INTO queue_agents (queue, extension, logged_out, paused) VALUES (@queue, @extension, @logged_out, @paused)
       ON CONFLICT (queue, extension) DO UPDATE SET logged_out = excluded.logged_out, paused = excluded.paused`,
    );
    this.#clearAgent = db.prepare('DELETE FROM queue_agents WHERE queue = ? AND extension = ?');
  }

  /** The agents logged out or paused somewhere. */
  agentStates(): AgentStateRow[] {
    return (this.#agents.all() as Array<{ queue: string; extension: string; logged_out: number; paused: number }>).map((r) => ({
      queue: r.queue,
      extension: r.extension,
      logged_out: r.logged_out === 1,
      paused: r.paused === 1,
    }));
  }

  /** Stores an agent's state in a queue (logged in and not paused is no row); committed when it returns. */
  setAgentState(row: AgentStateRow): void {
    if (!row.logged_out && !row.paused) this.#clearAgent.run(row.queue, row.extension);
    else this.#setAgent.run({ ...row, logged_out: row.logged_out ? 1 : 0, paused: row.paused ? 1 : 0 });
  }

  /** Every stored callback request, in line order. */
  callbacks(): CallbackRow[] {
    return this.#callbacks.all() as CallbackRow[];
  }

  /** Stores a callback request; committed when it returns. */
  addCallback(row: CallbackRow): void {
    this.#insertCallback.run(row);
  }

  setCallbackState(id: string, state: CallbackRow['state']): void {
    this.#setCallbackState.run(state, id);
  }

  /** A caller left the queue: its row for the statistics, and its callback request (if any) gone, in one transaction. */
  finish(row: QueueCallRow): void {
    this.#db.transaction(() => {
      this.#insertCall.run({ ...row, callback: row.callback ? 1 : 0 });
      this.#deleteCallback.run(row.id);
    })();
  }

  /** The statistics of `queue` for callers that joined at or after `sinceMs`. */
  stats(queue: string, serviceLevelS: number, sinceMs = 0): QueueStats {
    const r = this.#stats.get({ queue, since: sinceMs, sl: serviceLevelS }) as {
      answered: number;
      abandoned: number;
      timed_out: number;
      callbacks: number;
      callbacks_failed: number;
      average_wait_s: number | null;
      max_wait_s: number | null;
      within: number;
      total: number;
    };
    const pending = (this.#pending.get(queue, sinceMs) as { n: number }).n;
    return {
      queue,
      answered: r.answered,
      abandoned: r.abandoned,
      timed_out: r.timed_out,
      callbacks: r.callbacks + pending,
      callbacks_pending: pending,
      callbacks_failed: r.callbacks_failed,
      average_wait_s: r.average_wait_s === null ? null : round1(r.average_wait_s),
      max_wait_s: r.max_wait_s === null ? null : round1(r.max_wait_s),
      service_level_s: serviceLevelS,
      service_level_pct: r.total === 0 ? null : round1((100 * r.within) / r.total),
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
