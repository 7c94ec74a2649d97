// Changes the config file: read under a lock, edit the YAML text, validate the result exactly as
// `pbx check` does, and only then replace the file atomically (temp file in its directory, fsync,
// rename, directory fsync), keeping its mode. A refused change leaves the file byte-identical.
//
// Concurrent edits: a lock file (FILE.lock, created exclusively, holding the owner's pid) makes
// the PBX, `pbx ext`/`pbx config` and API requests take turns; a lock whose process is gone, or
// that is older than LOCK_STALE_MS, is taken over. The file's revision is the SHA-256 of its bytes
// (an HTTP ETag): an edit may name the revision it was made against and is refused as a conflict
// when the file differs, and every edit checks just before the rename that nobody (an editor by
// hand included) changed the file since it was read.
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PbxError } from '../../util/errors.js';
import { parseConfigText } from '../load.js';
import type { Config } from '../types.js';
import { errorsInFile } from './error-lines.js';
import { YamlText } from './yaml-text.js';

const LOCK_WAIT_MS = 5000;
const LOCK_POLL_MS = 25;
const LOCK_STALE_MS = 60_000;

export type EditResult<T> =
  /** `changed` is false when the edit left the text as it was (nothing written). */
  | { ok: true; changed: boolean; revision: string; config: Config; value: T }
  /** The edited config does not pass `pbx check`: its FILE:LINE:COL lines, placed in the file as it is (unchanged). */
  | { ok: false; kind: 'invalid'; errors: string[]; revision: string }
  /** The file is not at the expected revision, or changed while the edit was made. */
  | { ok: false; kind: 'conflict'; error: string; revision: string }
  /** The edit does not apply (PBX_ERR_CONFIG_EDIT_EXISTS, _MISSING, _PATH, _VALUE) or the file cannot be read or locked. */
  | { ok: false; kind: 'refused'; code: string; error: string };

export interface EditOptions {
  /** The revision the edit was made against (from readConfigFile or an ETag); any revision when absent. */
  expected?: string;
  /** How long to wait for another edit's lock (default 5 s). */
  lockWaitMs?: number;
}

/** The file's text and revision. Throws PBX_ERR_CONFIG_EDIT_READ. */
export async function readConfigFile(file: string): Promise<{ text: string; revision: string }> {
  const bytes = await readBytes(file);
  return { text: bytes.toString('utf8'), revision: revisionOf(bytes) };
}

/** SHA-256 of the file's bytes, hex. */
export function revisionOf(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Applies `change` to the config file's YAML and writes the result when it is valid. `change`
 * reads and edits the text (YamlText) and returns what the caller wants back (a generated
 * password, whether an entry was created); a PbxError it throws refuses the edit.
 */
export async function editConfigFile<T>(file: string, change: (doc: YamlText) => T, options: EditOptions = {}): Promise<EditResult<T>> {
  let target: string;
  try {
    target = await realpath(file);
  } catch (err) {
    return refusal(new PbxError('PBX_ERR_CONFIG_EDIT_READ', `cannot read ${file}: ${reason(err)}`));
  }
  return inTurn(target, async () => {
    const lock = await takeLock(target, options.lockWaitMs ?? LOCK_WAIT_MS);
    if (lock instanceof PbxError) return refusal(lock);
    try {
      return await editLocked(file, target, change, options);
    } finally {
      await unlink(lock).catch(() => undefined);
    }
  });
}

async function editLocked<T>(file: string, target: string, change: (doc: YamlText) => T, options: EditOptions): Promise<EditResult<T>> {
  let bytes: Buffer;
  let owner: Owner;
  try {
    [bytes, owner] = await Promise.all([readBytes(target), stat(target).then((s) => ({ mode: s.mode & 0o7777, uid: s.uid, gid: s.gid }))]);
  } catch (err) {
    if (err instanceof PbxError) return refusal(err);
    return refusal(new PbxError('PBX_ERR_CONFIG_EDIT_READ', `cannot read ${file}: ${reason(err)}`));
  }
  const revision = revisionOf(bytes);
  if (options.expected !== undefined && options.expected !== revision) {
    return { ok: false, kind: 'conflict', revision, error: `${file} changed since revision ${options.expected}; read it again and retry` };
  }
  const before = bytes.toString('utf8');
  let doc: YamlText;
  let value: T;
  try {
    doc = new YamlText(before);
    value = change(doc);
  } catch (err) {
    if (!(err instanceof PbxError)) throw err;
    if (err.code === 'PBX_ERR_CONFIG_EDIT_SYNTAX') {
      const loaded = parseConfigText(before, file);
      return { ok: false, kind: 'invalid', revision, errors: loaded.ok ? [`${file}:1:1: ${err.message}`] : loaded.errors };
    }
    return refusal(err);
  }
  const after = doc.text;
  const loaded = parseConfigText(after, file);
  if (!loaded.ok) return { ok: false, kind: 'invalid', revision, errors: errorsInFile(loaded.errors, file, before, doc) };
  if (after === before) return { ok: true, changed: false, revision, config: loaded.config, value };
  const written = await writeAtomically(target, after, owner, revision);
  if (written instanceof PbxError) {
    if (written.code === 'PBX_ERR_CONFIG_EDIT_CONFLICT') return { ok: false, kind: 'conflict', revision, error: written.message };
    return refusal(written);
  }
  return { ok: true, changed: true, revision: revisionOf(after), config: loaded.config, value };
}

function refusal(err: PbxError): EditResult<never> {
  return { ok: false, kind: 'refused', code: err.code, error: err.message };
}

async function readBytes(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new PbxError('PBX_ERR_CONFIG_EDIT_READ', `cannot read ${file}: ${reason(err)}`);
  }
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return (err as Error).message;
}

/** Edits of one file in this process, one after the other (the lock file orders processes). */
const turns = new Map<string, Promise<unknown>>();

function inTurn<R>(target: string, work: () => Promise<R>): Promise<R> {
  const previous = turns.get(target) ?? Promise.resolve();
  const mine = previous.then(work, work);
  const settled = mine.then(
    () => undefined,
    () => undefined,
  );
  turns.set(target, settled);
  void settled.then(() => {
    if (turns.get(target) === settled) turns.delete(target);
  });
  return mine;
}

/** Creates FILE.lock; its path, or PBX_ERR_CONFIG_EDIT_LOCKED when another edit holds it too long. */
async function takeLock(target: string, waitMs: number): Promise<string | PbxError> {
  const lock = `${target}.lock`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return lock;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') return new PbxError('PBX_ERR_CONFIG_EDIT_LOCKED', `cannot create the lock ${lock}: ${reason(err)}`);
    }
    if (await isStale(lock)) {
      await unlink(lock).catch(() => undefined);
      continue;
    }
    if (Date.now() >= deadline) {
      return new PbxError('PBX_ERR_CONFIG_EDIT_LOCKED', `another edit of the config holds ${lock}; try again (remove the file if no pbx command or PBX is editing)`);
    }
    await sleep(LOCK_POLL_MS);
  }
}

/** A lock left by a process that is gone, or older than LOCK_STALE_MS. */
async function isStale(lock: string): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(lock, 'utf8'), stat(lock)]);
    if (Date.now() - info.mtimeMs > LOCK_STALE_MS) return true;
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // ESRCH: no such process; ENOENT: released meanwhile (the next try takes it)
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** What the new file keeps of the old one. */
interface Owner {
  mode: number;
  uid: number;
  gid: number;
}

/** Temp file beside the target, fsync, a last revision check, rename, directory fsync. */
async function writeAtomically(target: string, text: string, owner: Owner, revision: string): Promise<void | PbxError> {
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', owner.mode);
    try {
      await handle.chmod(owner.mode); // the umask narrowed open's mode
      if (process.getuid?.() === 0) await handle.chown(owner.uid, owner.gid);
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (revisionOf(await readFile(target)) !== revision) {
      await unlink(temp);
      return new PbxError('PBX_ERR_CONFIG_EDIT_CONFLICT', `${target} was changed by someone else during the edit; nothing was written, try again`);
    }
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    return new PbxError('PBX_ERR_CONFIG_EDIT_WRITE', `cannot write ${target}: ${reason(err)}`);
  }
  await syncDirectory(dirname(target));
}

/** Makes the rename durable; some file systems do not fsync directories, which is not an error. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // EISDIR/EINVAL/EPERM on file systems without directory fsync: the rename stands
  }
}
