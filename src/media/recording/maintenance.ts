// Housekeeping of data_dir/recordings in the main process: at start-up, recordings a crash cut
// short are repaired, then retention runs, and again every hour. It runs in the background so
// that start-up never waits on a large directory; recordings begun after start-up are newer than
// the cut-off and are never touched by the repair.
import type { Log } from '../../util/log.js';
import { repairRecordings } from './repair.js';
import { sweepRecordings, type RetentionPolicy, type SweepResult } from './retention.js';

export interface RecordingMaintenanceOptions {
  /** data_dir/recordings. */
  dir: string;
  /** Read at every sweep, so that a reload's new limits apply. */
  policy: () => RetentionPolicy;
  log: Log;
  /** Between sweeps; default one hour. */
  intervalMs?: number;
}

export class RecordingMaintenance {
  /** Settles when the start-up repair and first sweep are done. */
  readonly ready: Promise<void>;
  readonly #o: RecordingMaintenanceOptions;
  readonly #timer: NodeJS.Timeout;
  readonly #stop = new AbortController();
  #running: Promise<SweepResult | null> | null = null;
  #closed = false;

  static start(o: RecordingMaintenanceOptions): RecordingMaintenance {
    return new RecordingMaintenance(o);
  }

  private constructor(o: RecordingMaintenanceOptions) {
    this.#o = o;
    const startedAt = new Date();
    this.ready = repairRecordings(o.dir, { before: startedAt, log: o.log, signal: this.#stop.signal })
      .then((r) => {
        if (r.repaired > 0 || r.failed > 0) o.log.info({ ...r }, 'recordings checked after start-up');
        return this.sweep();
      })
      .then(() => undefined);
    this.#timer = setInterval(() => void this.sweep(), o.intervalMs ?? 3_600_000);
    this.#timer.unref();
  }

  /** Applies the retention policy now (joins a sweep already running); null once closed. */
  sweep(): Promise<SweepResult | null> {
    if (this.#closed) return Promise.resolve(null);
    this.#running ??= this.#sweep().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #sweep(): Promise<SweepResult | null> {
    const policy = this.#o.policy();
    if (policy.retentionDays <= 0 && policy.maxTotalBytes <= 0) return null;
    try {
      const r = await sweepRecordings(this.#o.dir, policy, { log: this.#o.log, signal: this.#stop.signal });
      if (r.deleted > 0) this.#o.log.info({ ...r }, 'recording retention applied');
      return r;
    } catch (err) {
      this.#o.log.warn({ err }, 'recording retention failed');
      return null;
    }
  }

  /** Stops the hourly sweep and the pass in progress (after the file at hand). Safe twice. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stop.abort();
    clearInterval(this.#timer);
    await this.ready.catch(() => undefined);
    await this.#running;
  }
}
