// Voicemail messages: each a WAV file under data_dir/voicemail/MAILBOX/ with its row in the SQLite
// index. The order of every write keeps the two consistent across a crash:
//   add:    file moved to MAILBOX/msg-ID.wav.part, fsynced, renamed to msg-ID.wav, directory
//           fsynced; then the row (committed, synchronous=FULL); only then 'change' (MWI).
//   delete: the row marked folder 'deleted' (committed), the file unlinked, then the row deleted.
// Start-up reconciliation finishes what a crash interrupted: a 'deleted' row loses its file and
// row, a row whose file is gone is removed, a msg-ID.wav without a row is adopted as a new message
// (a message is never lost), a leftover .part is removed. Each case is logged.
// File work is asynchronous; the index writes are single small statements, one per message
// operation (never per request or packet), and the MWI counts are served from memory.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { copyFile, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { parseWav } from '../media/wav.js';
import { PbxError } from '../util/errors.js';
import type { Log } from '../util/log.js';
import { openDatabase } from './store.js';

export const VOICEMAIL_ERRORS = {
  MAILBOX: 'PBX_ERR_VOICEMAIL_MAILBOX',
  META: 'PBX_ERR_VOICEMAIL_META',
  FILE: 'PBX_ERR_VOICEMAIL_FILE',
  CLOSED: 'PBX_ERR_VOICEMAIL_CLOSED',
} as const;

export type VoicemailFolder = 'new' | 'old' | 'saved';
const FOLDERS: readonly VoicemailFolder[] = ['new', 'old', 'saved'];

/** What the voicemail app knows of a message it recorded. */
export interface VoicemailMeta {
  /** Caller number (an extension, a trunk's caller ID, or "anonymous"). */
  caller: string;
  callerName?: string | null;
  durationS: number;
  urgent?: boolean;
  /** SIP Call-ID of the call that left it. */
  callId?: string | null;
  /** Default: now. */
  createdAt?: Date;
}

export interface VoicemailMessage {
  id: string;
  mailbox: string;
  folder: VoicemailFolder;
  caller: string;
  caller_name: string | null;
  duration_s: number;
  urgent: boolean;
  /** ISO 8601. */
  created_at: string;
  /** Absolute path of the WAV file. */
  path: string;
  call_id: string | null;
}

/** RFC 3842 Voice-Message counts: `new` unheard, `old` heard (old and saved folders). */
export interface MailboxCounts {
  new: number;
  old: number;
  urgentNew: number;
  urgentOld: number;
}

export interface VoicemailStoreEvents {
  /** A mailbox's messages changed; emitted after the file and the row are on disk. */
  change: [mailbox: string, counts: MailboxCounts];
  /** A new message was stored (file and row on disk), after its 'change'. */
  added: [message: VoicemailMessage];
}

interface Row {
  id: string;
  mailbox: string;
  folder: VoicemailFolder | 'deleted';
  caller: string;
  caller_name: string | null;
  duration_s: number;
  urgent: number;
  created_at: string;
  created_ms: number;
  path: string;
  call_id: string | null;
}

const MAILBOX = /^[0-9]{1,20}$/;
const MESSAGE_FILE = /^msg-([0-9a-f-]{36})\.wav$/;
const EMPTY: MailboxCounts = Object.freeze({ new: 0, old: 0, urgentNew: 0, urgentOld: 0 });
const VOICEMAIL_DIR = 'voicemail';

type Statement = Database.Statement<unknown[], unknown>;

export class VoicemailStore extends EventEmitter<VoicemailStoreEvents> {
  readonly #db: Database.Database;
  readonly #dataDir: string;
  readonly #log: Log;
  readonly #counts = new Map<string, MailboxCounts>();
  readonly #insert: Statement;
  readonly #get: Statement;
  readonly #list: Statement;
  readonly #listFolder: Statement;
  readonly #setFolder: Statement;
  readonly #remove: Statement;
  readonly #countRows: Statement;
  #closed = false;

  /** Opens the index (migrating the database), reconciles files and rows, loads the counts. */
  static async open(dataDir: string, log: Log): Promise<VoicemailStore> {
    const store = new VoicemailStore(openDatabase(dataDir), dataDir, log);
    try {
      await store.#reconcile();
    } catch (err) {
      store.close();
      throw err;
    }
    return store;
  }

  private constructor(db: Database.Database, dataDir: string, log: Log) {
    super();
    this.#db = db;
    this.#dataDir = dataDir;
    this.#log = log;
    const columns = 'id, mailbox, folder, caller, caller_name, duration_s, urgent, created_at, created_ms, path, call_id';
    this.#insert = db.prepare(
      `INSERT INTO voicemail (${columns}) VALUES (@id, @mailbox, @folder, @caller, @caller_name, @duration_s, @urgent, @created_at, @created_ms, @path, @call_id)`,
    );
    this.#get = db.prepare(`SELECT ${columns} FROM voicemail WHERE id = ? AND folder <> 'deleted'`);
    this.#list = db.prepare(`SELECT ${columns} FROM voicemail WHERE mailbox = ? AND folder <> 'deleted' ORDER BY created_ms, id`);
    this.#listFolder = db.prepare(`SELECT ${columns} FROM voicemail WHERE mailbox = ? AND folder = ? ORDER BY created_ms, id`);
    this.#setFolder = db.prepare(`UPDATE voicemail SET folder = @folder WHERE id = @id AND folder <> 'deleted' AND folder <> @folder`);
    this.#remove = db.prepare('DELETE FROM voicemail WHERE id = ?');
    this.#countRows = db.prepare(`SELECT folder, urgent, count(*) AS n FROM voicemail WHERE mailbox = ? AND folder <> 'deleted' GROUP BY folder, urgent`);
  }

  /** The directory of a mailbox's files. */
  mailboxDir(mailbox: string): string {
    checkMailbox(mailbox);
    return join(this.#dataDir, VOICEMAIL_DIR, mailbox);
  }

  /**
   * Stores a recorded message: moves `wavPath` (anywhere, e.g. a temp file) into the mailbox,
   * fsyncs it, inserts its row, then emits 'change'. The source file is gone when this resolves.
   */
  async add(mailbox: string, wavPath: string, meta: VoicemailMeta): Promise<VoicemailMessage> {
    this.#open();
    const dir = this.mailboxDir(mailbox);
    checkMeta(meta);
    const info = await stat(wavPath).catch((err: NodeJS.ErrnoException) => {
      throw new PbxError(VOICEMAIL_ERRORS.FILE, `${wavPath}: cannot store the message: ${err.code ?? err.message}`);
    });
    if (!info.isFile() || info.size === 0) throw new PbxError(VOICEMAIL_ERRORS.FILE, `${wavPath}: not a recorded WAV file`);
    const id = randomUUID();
    const file = join(dir, `msg-${id}.wav`);
    await mkdir(dir, { recursive: true });
    await placeDurably(wavPath, file);
    this.#open();
    const created = meta.createdAt ?? new Date();
    const row: Row = {
      id,
      mailbox,
      folder: 'new',
      caller: meta.caller,
      caller_name: meta.callerName ?? null,
      duration_s: meta.durationS,
      urgent: meta.urgent === true ? 1 : 0,
      created_at: created.toISOString(),
      created_ms: created.getTime(),
      path: join(VOICEMAIL_DIR, mailbox, `msg-${id}.wav`),
      call_id: meta.callId ?? null,
    };
    this.#insert.run(row);
    this.#log.info({ mailbox, id, caller: meta.caller, duration_s: meta.durationS }, 'voicemail stored');
    this.#changed(mailbox);
    const message = this.#message(row);
    try {
      this.emit('added', message);
    } catch (err) {
      this.#log.error({ err, mailbox }, 'a voicemail listener failed');
    }
    return message;
  }

  /** A mailbox's messages, oldest first; only one folder when `folder` is given. */
  list(mailbox: string, folder?: VoicemailFolder): VoicemailMessage[] {
    this.#open();
    checkMailbox(mailbox);
    const rows = (folder === undefined ? this.#list.all(mailbox) : this.#listFolder.all(mailbox, folder)) as Row[];
    return rows.map((r) => this.#message(r));
  }

  get(id: string): VoicemailMessage | null {
    this.#open();
    const row = this.#get.get(id) as Row | undefined;
    return row === undefined ? null : this.#message(row);
  }

  /** A new message was listened to: moved to 'old'. False when there is no such new message. */
  markHeard(id: string): boolean {
    this.#open();
    const row = this.#get.get(id) as Row | undefined;
    if (row === undefined || row.folder !== 'new') return false;
    return this.move(id, 'old');
  }

  /** Moves a message to another folder. False when there is no such message or it is there already. */
  move(id: string, folder: VoicemailFolder): boolean {
    this.#open();
    if (!FOLDERS.includes(folder)) throw new PbxError(VOICEMAIL_ERRORS.META, `unknown voicemail folder ${String(folder)}; expected new, old or saved`);
    const row = this.#get.get(id) as Row | undefined;
    if (row === undefined || this.#setFolder.run({ id, folder }).changes === 0) return false;
    this.#changed(row.mailbox);
    return true;
  }

  /** Deletes a message: the row marked, the file removed, the row removed. False when there is none. */
  async delete(id: string): Promise<boolean> {
    this.#open();
    const row = this.#get.get(id) as Row | undefined;
    if (row === undefined || this.#setFolder.run({ id, folder: 'deleted' }).changes === 0) return false;
    this.#changed(row.mailbox);
    await unlinkIfPresent(join(this.#dataDir, row.path));
    if (!this.#closed) this.#remove.run(id);
    this.#log.info({ mailbox: row.mailbox, id }, 'voicemail deleted');
    return true;
  }

  /** New and old message counts of a mailbox (from memory). */
  counts(mailbox: string): MailboxCounts {
    return this.#counts.get(mailbox) ?? EMPTY;
  }

  /** Mailboxes that hold at least one message. */
  mailboxes(): string[] {
    return [...this.#counts.keys()];
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #open(): void {
    if (this.#closed) throw new PbxError(VOICEMAIL_ERRORS.CLOSED, 'the voicemail store is closed');
  }

  #changed(mailbox: string): void {
    const counts = this.#recount(mailbox);
    try {
      this.emit('change', mailbox, counts);
    } catch (err) {
      this.#log.error({ err, mailbox }, 'a voicemail change listener failed');
    }
  }

  #recount(mailbox: string): MailboxCounts {
    const c = { new: 0, old: 0, urgentNew: 0, urgentOld: 0 };
    for (const r of this.#countRows.all(mailbox) as Array<{ folder: VoicemailFolder; urgent: number; n: number }>) {
      if (r.folder === 'new') {
        c.new += r.n;
        if (r.urgent !== 0) c.urgentNew += r.n;
      } else {
        c.old += r.n;
        if (r.urgent !== 0) c.urgentOld += r.n;
      }
    }
    if (c.new + c.old === 0) this.#counts.delete(mailbox);
    else this.#counts.set(mailbox, c);
    return c;
  }

  #message(r: Row): VoicemailMessage {
    return {
      id: r.id,
      mailbox: r.mailbox,
      folder: r.folder as VoicemailFolder,
      caller: r.caller,
      caller_name: r.caller_name,
      duration_s: r.duration_s,
      urgent: r.urgent !== 0,
      created_at: r.created_at,
      path: join(this.#dataDir, r.path),
      call_id: r.call_id,
    };
  }

  /** Finishes what a crash interrupted (see the top of this file), then loads the counts. */
  async #reconcile(): Promise<void> {
    const rows = this.#db.prepare('SELECT id, mailbox, folder, path FROM voicemail').all() as Array<Pick<Row, 'id' | 'mailbox' | 'folder' | 'path'>>;
    const known = new Set<string>();
    const mailboxes = new Set<string>();
    for (const r of rows) {
      const file = join(this.#dataDir, r.path);
      if (r.folder === 'deleted') {
        await unlinkIfPresent(file);
        this.#remove.run(r.id);
        this.#log.info({ mailbox: r.mailbox, id: r.id }, 'voicemail delete interrupted by a restart: finished');
        continue;
      }
      if (!(await isFile(file))) {
        this.#remove.run(r.id);
        this.#log.warn({ mailbox: r.mailbox, id: r.id, path: file }, 'voicemail row without its file: row removed');
        continue;
      }
      known.add(r.path);
      mailboxes.add(r.mailbox);
    }
    const root = join(this.#dataDir, VOICEMAIL_DIR);
    for (const mailbox of await readdir(root).catch(() => [] as string[])) {
      if (!MAILBOX.test(mailbox)) continue;
      const dir = join(root, mailbox);
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const file = join(dir, name);
        if (name.endsWith('.part')) {
          await unlinkIfPresent(file);
          this.#log.info({ mailbox, path: file }, 'unfinished voicemail file from before a restart removed');
          continue;
        }
        const m = MESSAGE_FILE.exec(name);
        if (m === null || known.has(join(VOICEMAIL_DIR, mailbox, name))) continue;
        await this.#adopt(mailbox, m[1]!, file, name);
        mailboxes.add(mailbox);
      }
    }
    for (const mailbox of mailboxes) this.#recount(mailbox);
  }

  /** A message file whose row never made it: indexed as a new message from an unknown caller. */
  async #adopt(mailbox: string, id: string, file: string, name: string): Promise<void> {
    const info = await stat(file);
    let durationS = 0;
    try {
      const wav = parseWav(await readFile(file), file);
      durationS = Math.round((wav.pcm.length / wav.sampleRate) * 10) / 10;
    } catch (err) {
      this.#log.warn({ err, path: file }, 'adopted voicemail file is not a readable WAV; duration unknown');
    }
    this.#insert.run({
      id,
      mailbox,
      folder: 'new',
      caller: 'unknown',
      caller_name: null,
      duration_s: durationS,
      urgent: 0,
      created_at: info.mtime.toISOString(),
      created_ms: info.mtime.getTime(),
      path: join(VOICEMAIL_DIR, mailbox, name),
      call_id: null,
    } satisfies Row);
    this.#log.warn({ mailbox, id, path: file }, 'voicemail file without a row: indexed as a new message');
  }
}

function checkMailbox(mailbox: string): void {
  if (typeof mailbox !== 'string' || !MAILBOX.test(mailbox)) {
    throw new PbxError(VOICEMAIL_ERRORS.MAILBOX, `bad mailbox ${JSON.stringify(mailbox)}: a mailbox is an extension number (1 to 20 digits)`);
  }
}

function checkMeta(meta: VoicemailMeta): void {
  if (typeof meta.caller !== 'string' || meta.caller === '') throw new PbxError(VOICEMAIL_ERRORS.META, 'a voicemail needs its caller (a number or "anonymous")');
  if (!Number.isFinite(meta.durationS) || meta.durationS < 0) throw new PbxError(VOICEMAIL_ERRORS.META, `bad voicemail duration ${meta.durationS}: seconds, 0 or more`);
  if (meta.createdAt !== undefined && Number.isNaN(meta.createdAt.getTime())) throw new PbxError(VOICEMAIL_ERRORS.META, 'bad voicemail createdAt: not a valid date');
}

/** Moves `from` to `to` so that `to` only ever names a complete, fsynced file. */
async function placeDurably(from: string, to: string): Promise<void> {
  const part = `${to}.part`;
  let copied = false;
  try {
    await rename(from, part);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw new PbxError(VOICEMAIL_ERRORS.FILE, `${from}: cannot move the message into its mailbox: ${(err as Error).message}`);
    await copyFile(from, part);
    copied = true;
  }
  await fsync(part);
  await rename(part, to);
  await fsync(join(to, '..'));
  if (copied) await unlinkIfPresent(from);
}

async function fsync(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
