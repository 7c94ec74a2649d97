// Recordings as the REST API shows them: each named by its id, its path under the recordings
// directory (`2026/11/26/231254_1001_1002_5f3a09c1.wav`), listed newest first.
import type { Dirent } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Log } from '../../util/log.js';

/** A recording modified this recently is being written: it is not deleted (as retention keeps it). */
export const ACTIVE_MS = 60_000;

export interface RecordingFile {
  /** The path under the recordings directory, `/`-separated. */
  id: string;
  bytes: number;
  /** The file's last write (the recording's end, or now while it is written), ISO 8601. */
  modified_at: string;
  /** From the layout YYYY/MM/DD/HHMMSS_...wav (UTC); null for a file named otherwise. */
  started_at: string | null;
}

export interface RecordingListQuery {
  /** Only the recordings of this UTC day (YYYY-MM-DD). */
  day?: string;
  /** Only ids sorting before this one (the next page after a page ending with it). */
  before?: string;
  limit: number;
}

const SEGMENT = /^[A-Za-z0-9+._-]+$/;
const LAYOUT = /^(\d{4})\/(\d\d)\/(\d\d)\/(\d\d)(\d\d)(\d\d)_/;

/** The file of recording `id` under `dir`; null for an id that names no recording (no .wav, a `..` step, odd characters). */
export function recordingFile(dir: string, id: string): string | null {
  const steps = id.split('/');
  if (!id.endsWith('.wav') || steps.some((s) => !SEGMENT.test(s) || /^\.+$/.test(s))) return null;
  return join(dir, ...steps);
}

/** Recordings under `dir`, newest (greatest id) first: the directories are read in descending order and the walk stops at `limit`. */
export async function listRecordings(dir: string, query: RecordingListQuery, log: Log): Promise<RecordingFile[]> {
  const out: RecordingFile[] = [];
  const start = query.day === undefined ? '' : query.day.replaceAll('-', '/');
  for await (const id of idsDescending(dir, start, log)) {
    if (query.before !== undefined && id >= query.before) continue;
    try {
      const s = await stat(join(dir, ...id.split('/')));
      out.push({ id, bytes: s.size, modified_at: s.mtime.toISOString(), started_at: startedAt(id) });
    } catch {
      continue; // deleted meanwhile
    }
    if (out.length >= query.limit) break;
  }
  return out;
}

/** Deletes recording `id`: `gone` when there is none, `active` while it is being written. */
export async function deleteRecording(dir: string, id: string, now = Date.now()): Promise<'deleted' | 'gone' | 'active'> {
  const path = recordingFile(dir, id);
  if (path === null) return 'gone';
  try {
    const s = await stat(path);
    if (!s.isFile()) return 'gone';
    if (s.mtimeMs > now - ACTIVE_MS) return 'active';
    await unlink(path);
    return 'deleted';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
}

async function* idsDescending(root: string, prefix: string, log: Log): AsyncGenerator<string> {
  let entries: Dirent[];
  const dir = prefix === '' ? root : join(root, ...prefix.split('/'));
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') log.warn({ dir, err }, 'cannot list recordings');
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  for (const e of entries) {
    const id = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (!SEGMENT.test(e.name)) continue;
    if (e.isDirectory()) yield* idsDescending(root, id, log);
    else if (e.isFile() && e.name.endsWith('.wav')) yield id;
  }
}

function startedAt(id: string): string | null {
  const m = LAYOUT.exec(id);
  if (m === null) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}
