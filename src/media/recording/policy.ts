// Which calls are recorded (config: extensions.X.record, groups.X.record, queues.X.record,
// recording.numbers) and where their files go: data_dir/recordings/YYYY/MM/DD/ (UTC) with a
// name from the call, e.g. 231254_1001_1002_5f3a09c1.wav (time, from, to, a hash of the Call-ID).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Config, RecordingConfig, Routing } from '../../config/types.js';
import type { Log } from '../../util/log.js';
import { FreeSpaceGuard, type RetentionPolicy } from './retention.js';

export interface RecordingName {
  /** When the recording starts. */
  startedAt: Date;
  from: string;
  to: string;
  callId: string;
}

/** The path of a new recording under `dataDir`. */
export function recordingPathFor(dataDir: string, call: RecordingName): string {
  const t = call.startedAt;
  const two = (n: number): string => String(n).padStart(2, '0');
  const day = join(String(t.getUTCFullYear()), two(t.getUTCMonth() + 1), two(t.getUTCDate()));
  const time = `${two(t.getUTCHours())}${two(t.getUTCMinutes())}${two(t.getUTCSeconds())}`;
  const id = createHash('sha1').update(call.callId).digest('hex').slice(0, 8);
  return join(recordingsDir(dataDir), day, `${time}_${namePart(call.from)}_${namePart(call.to)}_${id}.wav`);
}

/** A number or user as a safe file-name part: letters, digits, + . - kept, the rest as _. */
function namePart(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9+.-]/g, '_').slice(0, 32);
  return safe === '' || /^\.+$/.test(safe) ? 'unknown' : safe;
}

export interface RecordingQuery {
  /** The calling extension (or the caller's number from a trunk). */
  from: string | null;
  /** The extension that answers, when known. */
  to: string | null;
  /** The number dialled, before the dialplan. */
  dialled: string | null;
  /** The group or queue that rang, when the call went through one. */
  group?: string | null;
  queue?: string | null;
}

/**
 * Whether a call is recorded: the caller or the callee is an extension with `record: true`, the
 * dialled number (or a dialplan number it leads through) is in recording.numbers, or it rang a
 * group or queue with `record: true`.
 */
export function shouldRecord(routing: Routing, q: RecordingQuery): boolean {
  const c = routing.config;
  if (q.from !== null && c.extensions.get(q.from)?.record === true) return true;
  if (q.to !== null && c.extensions.get(q.to)?.record === true) return true;
  if (q.group != null && c.groups.get(q.group)?.record === true) return true;
  if (q.queue != null && c.queues.get(q.queue)?.record === true) return true;
  if (q.dialled === null) return false;
  if (c.recording.numbers.length > 0 && leadsThroughRecordedNumber(c, q.dialled)) return true;
  const d = routing.resolve(q.dialled);
  if (d === null) return false;
  switch (d.kind) {
    case 'extension':
      return c.extensions.get(d.ext)?.record === true;
    case 'group':
      return c.groups.get(d.name)?.record === true;
    case 'queue':
      return c.queues.get(d.name)?.record === true;
    default:
      return false;
  }
}

/** Follows the dialplan from `number` through plain numbers (as routing does); loops end it. */
function leadsThroughRecordedNumber(c: Config, number: string): boolean {
  let current: string | undefined = number;
  for (let hops = 0; current !== undefined && hops <= c.dialplan.size; hops++) {
    if (c.recording.numbers.includes(current)) return true;
    current = c.dialplan.get(current);
  }
  return false;
}

const MB = 1024 * 1024;

/** data_dir/recordings. */
export function recordingsDir(dataDir: string): string {
  return join(dataDir, 'recordings');
}

/** The `recording:` keys as the retention sweep takes them. */
export function retentionPolicy(c: RecordingConfig): RetentionPolicy {
  return { retentionDays: c.retention_days, maxTotalBytes: c.max_total_mb * MB };
}

/** The free-space guard for new recordings under `dataDir` (recording.min_free_mb). */
export function freeSpaceGuard(dataDir: string, c: RecordingConfig, log: Log): FreeSpaceGuard {
  return new FreeSpaceGuard({ dir: recordingsDir(dataDir), minFreeBytes: c.min_free_mb * MB, log });
}
