// The SQLite store under data_dir: registrations that survive restarts, call detail records and
// the callback list of missed calls (callback-list.ts).
// WAL with synchronous=FULL: a row is on disk when its insert returns, so kill -9 loses nothing.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CallbackList, type MissedQuery } from './callback-list.js';
import { MIGRATIONS } from './migrations.js';
import type { BindingRow, CdrQuality, CdrRow, LegQuality, MissedCall, OutboxEntry } from './types.js';

export const DATABASE_FILE = 'pbx.sqlite';
const MAX_CDR_ROWS = 10000;

export interface CdrQuery {
  /** Only missed calls (CdrRow.missed). */
  missed?: boolean;
  /** ISO 8601: only calls that started at or after it. */
  since?: string | null;
  /** At most this many rows (default 100, at most 10000). */
  limit?: number;
  /** ISO 8601: only calls that started before it. */
  until?: string | null;
  status?: CdrRow['status'];
  /** Calls from or to this extension, or whose path has it as a step (it rang on the way). */
  extension?: string;
  /** Calls whose from or to contains these characters. */
  number?: string;
  /** Rows skipped before the first one returned. */
  offset?: number;
}

/** The WHERE of listCdr and countCdr: one prepared statement each whatever filters are set (null = not set). */
const CDR_WHERE = `WHERE (@missed = 0 OR missed = 1) AND started_ms >= @since AND started_ms < @until
       AND (@status IS NULL OR status = @status)
       AND (@extension IS NULL OR "from" = @extension OR "to" = @extension OR instr('>' || coalesce(path, '') || '>', '>' || @extension || '>') > 0)
       AND (@number IS NULL OR instr("from", @number) > 0 OR instr("to", @number) > 0)`;

type Statement = Database.Statement<unknown[], unknown>;

export class Store {
  readonly #db: Database.Database;
  readonly #upsertBinding: Statement;
  readonly #deleteBinding: Statement;
  readonly #deleteBindings: Statement;
  readonly #loadBindings: Statement;
  readonly #purgeExpired: Statement;
  readonly #insertCdr: Statement;
  readonly #listCdr: Statement;
  readonly #countCdr: Statement;
  readonly #callbacks: CallbackList;
  readonly #insertCdrAndCallbacks: (row: CdrRow, startedMs: number, outbox: readonly OutboxEntry[]) => void;
  readonly #insertOutbox: Statement;
  #closed = false;

  /** Opens (creating data_dir, recordings/ and voicemail/ if missing) and migrates the database. */
  static open(dataDir: string): Store {
    return new Store(openDatabase(dataDir));
  }

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#upsertBinding = db.prepare(
      `INSERT INTO bindings (extension, contact, transport, source_address, source_port, expires_at, user_agent, call_id, cseq, instance)
       VALUES (@extension, @contact, @transport, @source_address, @source_port, @expires_at, @user_agent, @call_id, @cseq, @instance)
       ON CONFLICT (extension, contact) DO UPDATE SET
         transport = excluded.transport, source_address = excluded.source_address, source_port = excluded.source_port,
         expires_at = excluded.expires_at, user_agent = excluded.user_agent, call_id = excluded.call_id,
         cseq = excluded.cseq, instance = excluded.instance`,
    );
    this.#deleteBinding = db.prepare('DELETE FROM bindings WHERE extension = ? AND contact = ?');
    this.#deleteBindings = db.prepare('DELETE FROM bindings WHERE extension = ?');
    this.#loadBindings = db.prepare(
      'SELECT extension, contact, transport, source_address, source_port, expires_at, user_agent, call_id, cseq, instance FROM bindings ORDER BY extension, contact',
    );
    this.#purgeExpired = db.prepare('DELETE FROM bindings WHERE expires_at <= ?');
    this.#insertCdr = db.prepare(
      `INSERT INTO cdr (id, call_id, "from", "to", status, reason, started_at, started_ms, answered_at, ended_at, duration_s, billsec, recording,
         caller_loss_pct, caller_jitter_ms, caller_rtt_ms, caller_mos, callee_loss_pct, callee_jitter_ms, callee_rtt_ms, callee_mos, path, missed)
       VALUES (@id, @call_id, @from, @to, @status, @reason, @started_at, @started_ms, @answered_at, @ended_at, @duration_s, @billsec, @recording,
         @caller_loss_pct, @caller_jitter_ms, @caller_rtt_ms, @caller_mos, @callee_loss_pct, @callee_jitter_ms, @callee_rtt_ms, @callee_mos, @path, @missed)`,
    );
    this.#listCdr = db.prepare(
      `SELECT id, call_id, "from", "to", status, reason, started_at, answered_at, ended_at, duration_s, billsec, recording,
         caller_loss_pct, caller_jitter_ms, caller_rtt_ms, caller_mos, callee_loss_pct, callee_jitter_ms, callee_rtt_ms, callee_mos, path, missed FROM cdr
       ${CDR_WHERE}
       ORDER BY started_ms DESC, seq DESC LIMIT @limit OFFSET @offset`,
    );
    this.#countCdr = db.prepare(`SELECT count(*) AS n FROM cdr ${CDR_WHERE}`);
    this.#callbacks = new CallbackList(db);
    this.#insertOutbox = db.prepare("INSERT INTO webhook_outbox (url, event, body, attempts, next_ms, state, created_ms) VALUES (?, ?, ?, 0, ?, 'pending', ?)");
    this.#insertCdrAndCallbacks = db.transaction((row: CdrRow, startedMs: number, outbox: readonly OutboxEntry[]) => {
      const { quality, path, missed, ...fields } = row;
      const isMissed = missed ?? row.status === 'missed';
      this.#insertCdr.run({
        ...fields,
        path: path ?? null,
        missed: isMissed ? 1 : 0,
        started_ms: startedMs,
        ...qualityColumns('caller', quality?.caller),
        ...qualityColumns('callee', quality?.callee),
      });
      this.#callbacks.record(row, startedMs, isMissed);
      for (const e of outbox) this.#insertOutbox.run(e.url, e.event, e.body, e.at, e.at);
    });
  }

  upsertBinding(row: BindingRow): void {
    this.#upsertBinding.run(row);
  }

  deleteBinding(extension: string, contact: string): void {
    this.#deleteBinding.run(extension, contact);
  }

  deleteBindings(extension: string): void {
    this.#deleteBindings.run(extension);
  }

  loadBindings(): BindingRow[] {
    return this.#loadBindings.all() as BindingRow[];
  }

  /** Runs several writes as one transaction: one fsync for the lot (registration bursts). */
  batch(fn: () => void): void {
    this.#db.transaction(fn)();
  }

  /** Removes bindings that expired at or before nowMs; returns how many. */
  purgeExpired(nowMs: number): number {
    return this.#purgeExpired.run(nowMs).changes;
  }

  /**
   * Stores a finished call, what it changes in the callback list and the webhook deliveries of its
   * events (`outbox`), together (one transaction, or a savepoint inside a batch): all or none.
   * Committed (fsynced) before it returns outside a batch.
   */
  insertCdr(row: CdrRow, outbox: readonly OutboxEntry[] = []): void {
    const startedMs = Date.parse(row.started_at);
    if (Number.isNaN(startedMs)) throw new TypeError(`CDR ${row.id}: started_at is not an ISO 8601 time: ${row.started_at}`);
    this.#insertCdrAndCallbacks(row, startedMs, outbox);
  }

  /** Newest first. */
  listCdr(query: CdrQuery = {}): CdrRow[] {
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? 100), 0), MAX_CDR_ROWS);
    const offset = Math.max(Math.trunc(query.offset ?? 0), 0);
    return (this.#listCdr.all({ ...cdrFilter(query), limit, offset }) as StoredCdr[]).map(cdrRow);
  }

  /** How many rows match the filters of `query` (its limit and offset aside). */
  countCdr(query: CdrQuery = {}): number {
    return (this.#countCdr.get(cdrFilter(query)) as { n: number }).n;
  }

  /** The callback list, newest last call first: the open entries, or all with `all`. */
  listMissed(query: MissedQuery = {}): MissedCall[] {
    return this.#callbacks.list(query);
  }

  /** Closes by hand the open callback entry with this id ("m7") or number; null when there is none. */
  closeMissed(which: string, at = new Date()): MissedCall | null {
    return this.#callbacks.close(which, at);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}

function cdrFilter(query: CdrQuery): Record<string, string | number | null> {
  return {
    missed: query.missed === true ? 1 : 0,
    since: epochMs('since', query.since, 0),
    until: epochMs('until', query.until, Number.MAX_SAFE_INTEGER),
    status: query.status ?? null,
    extension: query.extension ?? null,
    number: query.number ?? null,
  };
}

function epochMs(name: string, iso: string | null | undefined, absent: number): number {
  if (iso == null) return absent;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new TypeError(`${name} is not an ISO 8601 time: ${iso}`);
  return ms;
}

type Side = 'caller' | 'callee';
type QualityColumns<S extends Side> = Record<`${S}_loss_pct` | `${S}_jitter_ms` | `${S}_rtt_ms` | `${S}_mos`, number | null>;
type StoredCdr = Omit<CdrRow, 'quality' | 'path' | 'missed'> & { path: string | null; missed: number } & QualityColumns<'caller'> & QualityColumns<'callee'>;

function qualityColumns<S extends Side>(side: S, q: LegQuality | null | undefined): QualityColumns<S> {
  return {
    [`${side}_loss_pct`]: q?.loss_pct ?? null,
    [`${side}_jitter_ms`]: q?.jitter_ms ?? null,
    [`${side}_rtt_ms`]: q?.rtt_ms ?? null,
    [`${side}_mos`]: q?.mos ?? null,
  } as QualityColumns<S>;
}

function legQuality<S extends Side>(side: S, r: QualityColumns<S>): LegQuality | null {
  const mos = r[`${side}_mos`];
  if (mos === null) return null;
  return { loss_pct: r[`${side}_loss_pct`] ?? 0, jitter_ms: r[`${side}_jitter_ms`] ?? 0, rtt_ms: r[`${side}_rtt_ms`], mos };
}

/** A stored row as `pbx cdr --json` shows it: the quality columns nested under `quality`. */
function cdrRow(r: StoredCdr): CdrRow {
  const caller = legQuality('caller', r);
  const callee = legQuality('callee', r);
  const quality: CdrQuality | null = caller === null && callee === null ? null : { caller, callee };
  return {
    id: r.id,
    call_id: r.call_id,
    from: r.from,
    to: r.to,
    status: r.status,
    reason: r.reason,
    started_at: r.started_at,
    answered_at: r.answered_at,
    ended_at: r.ended_at,
    duration_s: r.duration_s,
    billsec: r.billsec,
    recording: r.recording,
    quality,
    path: r.path,
    missed: r.missed === 1,
  };
}

/**
 * A connection to the database under data_dir (created, with recordings/ and voicemail/, if
 * missing), migrated to the current schema: WAL, synchronous=FULL, 5 s busy timeout.
 */
export function openDatabase(dataDir: string): Database.Database {
  for (const dir of [dataDir, join(dataDir, 'recordings'), join(dataDir, 'voicemail')]) mkdirSync(dir, { recursive: true });
  const db = new Database(join(dataDir, DATABASE_FILE));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`the database is from a newer tspbx (schema ${current}, this one knows ${MIGRATIONS.length})`);
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
