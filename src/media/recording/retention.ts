// Retention of recordings: files older than N days go, then the oldest ones until the total fits
// a size limit; and a free-space guard that refuses new recordings on a nearly full disk instead
// of filling it. Ages are modification times (a recording's end); a file modified within the
// last minute is being written and is never deleted.
import { rmdir, stat, statfs as fsStatfs, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, relative } from 'node:path';
import { PbxError } from '../../util/errors.js';
import type { Log } from '../../util/log.js';
import { wavFiles } from './list.js';

const DAY_MS = 86_400_000;
const MB = 1024 * 1024;

export interface RetentionPolicy {
  /** Recordings older than this many days are deleted; 0 keeps them forever. */
  retentionDays: number;
  /** The oldest recordings are deleted while all of them take more than this; 0 = no limit. */
  maxTotalBytes: number;
}

export interface SweepResult {
  /** Recordings left, and their bytes. */
  files: number;
  bytes: number;
  deleted: number;
  freedBytes: number;
}

export interface SweepOptions {
  log: Log;
  /** Default Date.now(). */
  now?: number;
  /** Files modified this recently are being written and kept; default 60 s. */
  activeMs?: number;
  /** Stops the sweep between two files. */
  signal?: AbortSignal;
}

interface Recording {
  path: string;
  mtimeMs: number;
  size: number;
}

/** Applies `policy` to the recordings under `dir`. Problems are logged, never thrown. */
export async function sweepRecordings(dir: string, policy: RetentionPolicy, o: SweepOptions): Promise<SweepResult> {
  const now = o.now ?? Date.now();
  const activeSince = now - (o.activeMs ?? 60_000);
  const expiredBefore = policy.retentionDays > 0 ? now - policy.retentionDays * DAY_MS : -Infinity;
  const kept: Recording[] = [];
  const result: SweepResult = { files: 0, bytes: 0, deleted: 0, freedBytes: 0 };
  const emptied = new Set<string>();
  const remove = async (r: Recording, why: string): Promise<boolean> => {
    try {
      await unlink(r.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') o.log.warn({ path: r.path, err }, 'cannot delete an old recording');
      return false;
    }
    result.deleted++;
    result.freedBytes += r.size;
    emptied.add(dirname(r.path));
    o.log.info({ path: r.path, bytes: r.size, why }, 'recording deleted by retention');
    return true;
  };

  for await (const path of wavFiles(dir, o.log)) {
    if (o.signal?.aborted === true) break;
    let r: Recording;
    try {
      const s = await stat(path);
      r = { path, mtimeMs: s.mtimeMs, size: s.size };
    } catch {
      continue; // deleted meanwhile
    }
    if (r.mtimeMs < expiredBefore && (await remove(r, `older than ${policy.retentionDays} days`))) continue;
    kept.push(r);
  }
  let total = kept.reduce((sum, r) => sum + r.size, 0);
  if (policy.maxTotalBytes > 0 && total > policy.maxTotalBytes) {
    kept.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const r of kept) {
      if (total <= policy.maxTotalBytes || o.signal?.aborted === true) break;
      if (r.mtimeMs >= activeSince) continue;
      if (await remove(r, `recordings above ${Math.round(policy.maxTotalBytes / MB)} MB`)) {
        total -= r.size;
        r.size = -1;
      }
    }
  }
  for (const r of kept) {
    if (r.size < 0) continue;
    result.files++;
    result.bytes += r.size;
  }
  for (const d of emptied) await removeEmptyDirs(d, dir);
  return result;
}

/** Removes `from` and its parents up to (not including) `root` while they are empty. */
async function removeEmptyDirs(from: string, root: string): Promise<void> {
  for (let d = from; isInside(d, root); d = dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return; // not empty (or gone): its parents are not empty either
    }
  }
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** What the guard needs of fs.statfs: free blocks for unprivileged users, and the block size. */
export type StatfsFunction = (path: string) => Promise<{ bavail: number; bsize: number }>;

export interface FreeSpaceGuardOptions {
  /** The recordings directory (or any path on the same file system). */
  dir: string;
  /** New recordings are refused below this many free bytes; 0 turns the guard off. */
  minFreeBytes: number;
  log: Log;
  /** Default fs.promises.statfs. */
  statfs?: StatfsFunction;
}

/**
 * Asked before a recording starts. Below the threshold it refuses with PBX_ERR_RECORDING_DISK_FULL
 * and logs one warning (not one per refused call); one info line when space is back.
 */
export class FreeSpaceGuard {
  readonly #dir: string;
  readonly #minFreeBytes: number;
  readonly #log: Log;
  readonly #statfs: StatfsFunction;
  #low = false;

  constructor(o: FreeSpaceGuardOptions) {
    this.#dir = o.dir;
    this.#minFreeBytes = o.minFreeBytes;
    this.#log = o.log;
    this.#statfs = o.statfs ?? fsStatfs;
  }

  /** True while recordings are being refused. */
  get low(): boolean {
    return this.#low;
  }

  /** Resolves when a recording may start; rejects with PBX_ERR_RECORDING_DISK_FULL otherwise. */
  async check(): Promise<void> {
    if (this.#minFreeBytes <= 0) return;
    let free: number;
    try {
      const s = await this.#statfs(this.#dir);
      free = Number(s.bavail) * Number(s.bsize);
    } catch (err) {
      this.#log.debug({ dir: this.#dir, err }, 'free space unknown; recording allowed');
      return;
    }
    if (free >= this.#minFreeBytes) {
      if (this.#low) this.#log.info({ dir: this.#dir, freeMb: Math.floor(free / MB) }, 'free disk space is back above recording.min_free_mb; recordings start again');
      this.#low = false;
      return;
    }
    const message = `recording refused: only ${Math.floor(free / MB)} MB free on the disk of ${this.#dir}, below recording.min_free_mb (${Math.round(this.#minFreeBytes / MB)} MB); free some space or lower the limit`;
    if (!this.#low) this.#log.warn({ dir: this.#dir, freeMb: Math.floor(free / MB), minFreeMb: Math.round(this.#minFreeBytes / MB) }, message);
    this.#low = true;
    throw new PbxError('PBX_ERR_RECORDING_DISK_FULL', message);
  }
}
