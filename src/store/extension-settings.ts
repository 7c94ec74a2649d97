// What an extension's owner set from the phone with feature codes (FreePBX's *72/*73 forward,
// *90/*91 forward on busy, *52/*53 forward on no answer, *78/*79 do not disturb), kept in SQLite so
// that it survives a restart, and read from memory by every call. A forward set here overrides the
// config's forward of that kind; one turned off here (target null) overrides it too. Writes are one
// small statement each, made when a person dials a code.
import type Database from 'better-sqlite3';
import { PbxError } from '../util/errors.js';
import { openDatabase } from './store.js';

export const SETTINGS_ERRORS = {
  EXTENSION: 'PBX_ERR_SETTINGS_EXTENSION',
  CLOSED: 'PBX_ERR_SETTINGS_CLOSED',
} as const;

/** The forward kinds a phone can set (extensions.N.forward keys). */
export type ForwardKind = 'always' | 'busy' | 'no_answer';
export const FORWARD_KINDS: readonly ForwardKind[] = ['always', 'busy', 'no_answer'];

/** An extension's settings from the phone; a forward kind absent here is the config's. */
export interface PhoneSettings {
  dnd: boolean;
  /** Forward target by kind: a number, or null when the phone turned it off. */
  forward: Partial<Record<ForwardKind, string | null>>;
}

const NONE: PhoneSettings = Object.freeze({ dnd: false, forward: Object.freeze({}) });
const EXTENSION = /^[0-9]{1,20}$/;

interface Row {
  extension: string;
  setting: 'dnd' | `forward_${ForwardKind}`;
  value: string | null;
}

type Statement = Database.Statement<unknown[], unknown>;

export class ExtensionSettings {
  readonly #db: Database.Database;
  readonly #byExtension = new Map<string, PhoneSettings>();
  readonly #upsert: Statement;
  readonly #remove: Statement;
  #closed = false;

  /** Opens (and migrates) the database under data_dir and loads every extension's settings. */
  static open(dataDir: string): ExtensionSettings {
    return new ExtensionSettings(openDatabase(dataDir));
  }

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#upsert = db.prepare('INSERT INTO extension_settings (extension, setting, value) VALUES (?, ?, ?) ON CONFLICT (extension, setting) DO UPDATE SET value = excluded.value');
    this.#remove = db.prepare('DELETE FROM extension_settings WHERE extension = ? AND setting = ?');
    for (const row of db.prepare('SELECT extension, setting, value FROM extension_settings').all() as Row[]) {
      const s = this.#editable(row.extension);
      if (row.setting === 'dnd') s.dnd = true;
      else s.forward[row.setting.slice('forward_'.length) as ForwardKind] = row.value;
    }
  }

  /** What the phone set for `ext` (nothing set: no DND, every forward from the config). */
  of(ext: string): PhoneSettings {
    return this.#byExtension.get(ext) ?? NONE;
  }

  /** Every extension with something set, by number. */
  all(): ReadonlyMap<string, PhoneSettings> {
    return this.#byExtension;
  }

  /** Turns do not disturb on or off; committed when it returns. */
  setDnd(ext: string, on: boolean): void {
    this.#check(ext);
    if (on) this.#upsert.run(ext, 'dnd', '1');
    else this.#remove.run(ext, 'dnd');
    this.#editable(ext).dnd = on;
  }

  /** Forwards `kind` calls of `ext` to `target`, or turns that forward off (null); committed when it returns. */
  setForward(ext: string, kind: ForwardKind, target: string | null): void {
    this.#check(ext);
    this.#upsert.run(ext, `forward_${kind}`, target);
    this.#editable(ext).forward[kind] = target;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #check(ext: string): void {
    if (this.#closed) throw new PbxError(SETTINGS_ERRORS.CLOSED, 'the extension settings store is closed');
    if (!EXTENSION.test(ext)) throw new PbxError(SETTINGS_ERRORS.EXTENSION, `not an extension number: ${JSON.stringify(ext)}`);
  }

  #editable(ext: string): PhoneSettings {
    let s = this.#byExtension.get(ext);
    if (s === undefined) {
      s = { dnd: false, forward: {} };
      this.#byExtension.set(ext, s);
    }
    return s;
  }
}
