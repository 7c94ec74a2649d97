// What every kind of call writes when it ends: the times of its CDR row, and the insert that never
// throws (a row that cannot be written is logged; the call still ends).
import type { CdrRow } from '../store/types.js';
import type { Log } from '../util/log.js';
import type { CallStore } from './deps.js';
import { secondsBetween } from './outcome.js';

/** started_at, answered_at, ended_at, duration_s and billsec of a call (times in ms since the epoch). */
export function cdrTimes(startedAt: number, answeredAt: number | null, endedAt: number): Pick<CdrRow, 'started_at' | 'answered_at' | 'ended_at' | 'duration_s' | 'billsec'> {
  return {
    started_at: new Date(startedAt).toISOString(),
    answered_at: answeredAt === null ? null : new Date(answeredAt).toISOString(),
    ended_at: new Date(endedAt).toISOString(),
    duration_s: secondsBetween(startedAt, endedAt),
    billsec: answeredAt === null ? 0 : secondsBetween(answeredAt, endedAt),
  };
}

/** Inserts the row; resolves (never rejects) once it is committed or its failure logged. */
export function writeCdr(store: CallStore, row: CdrRow, log: Log): Promise<void> | undefined {
  try {
    const pending = store.insertCdr(row);
    if (pending !== undefined) return pending.catch((err: unknown) => log.error({ err }, 'CDR could not be written'));
  } catch (err) {
    log.error({ err }, 'CDR could not be written');
  }
  return undefined;
}

/** A CDR store that calls `then` with each row once it is committed (webhooks, automatic callback). */
export function afterCdr(store: CallStore, then: (row: CdrRow) => void): CallStore {
  return {
    insertCdr(row) {
      const pending = store.insertCdr(row);
      if (pending === undefined) {
        then(row);
        return undefined;
      }
      return pending.then(() => then(row));
    },
  };
}
