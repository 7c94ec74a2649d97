import t from 'tap';
import type { Test } from 'tap';
import { CallStats, extensionOf } from '../../src/store/call-stats.js';
import { Store } from '../../src/store/store.js';
import type { CdrRow } from '../../src/store/types.js';
import { tempDir } from '../helpers/temp-dir.js';

const DAY = Date.parse('2026-11-26T00:00:00Z');

function cdr(id: string, startedMs: number, status: CdrRow['status'], to: string, path: string | null = null, from = '+15550001'): CdrRow {
  const at = new Date(startedMs).toISOString();
  return { id, call_id: id, from, to, status, reason: 'x', started_at: at, answered_at: status === 'answered' ? at : null, ended_at: at, duration_s: 1, billsec: 0, recording: null, path, missed: status === 'missed' || status === 'voicemail' };
}

function statsWith(t: Test, rows: CdrRow[]): CallStats {
  const dir = tempDir(t, 'stats');
  const store = Store.open(dir);
  for (const r of rows) store.insertCdr(r);
  store.close();
  const stats = CallStats.open(dir);
  t.teardown(() => stats.close());
  return stats;
}

const H = 3_600_000;
const ROWS = [
  cdr('a1', DAY + 9 * H + 60_000, 'answered', '1001'),
  cdr('a2', DAY + 9 * H + 120_000, 'answered', '600', 'group:sales>1002'),
  cdr('m1', DAY + 9 * H + 300_000, 'missed', '1001'),
  cdr('m2', DAY + 14 * H, 'voicemail', '1002', 'voicemail:1002', '+15550002'),
  cdr('o1', DAY + 14 * H + 1, 'answered', '+15559999', 'originate', '1003'),
  cdr('g1', DAY + 15 * H, 'missed', '600', 'group:sales'),
  cdr('f1', DAY + 15 * H + 1, 'answered', '1001', 'forward-busy:1001>1003'),
  cdr('y1', DAY - H, 'answered', '1001'),
  cdr('t1', DAY + 24 * H, 'missed', '1001'),
];

t.test('per hour from the given start: every slot, counts in their hour, calls outside the range left out', async (t) => {
  const stats = statsWith(t, ROWS);
  const slots = stats.bySlot({ fromMs: DAY, toMs: DAY + 24 * H }, 'hour');
  t.equal(slots.length, 24);
  t.same(slots[0], { start: '2026-11-26T00:00:00.000Z', answered: 0, missed: 0, total: 0 });
  t.same(slots[9], { start: '2026-11-26T09:00:00.000Z', answered: 2, missed: 1, total: 3 });
  t.same(slots[14], { start: '2026-11-26T14:00:00.000Z', answered: 1, missed: 1, total: 2 }, 'voicemail counts as missed');
  t.equal(slots.reduce((n, s) => n + s.total, 0), 7);
});

t.test('per day over a week', async (t) => {
  const stats = statsWith(t, ROWS);
  const days = stats.bySlot({ fromMs: DAY - 24 * H, toMs: DAY + 6 * 24 * H }, 'day');
  t.equal(days.length, 7);
  t.same(days.slice(0, 3).map((d) => [d.answered, d.missed, d.total]), [[1, 0, 1], [4, 3, 7], [0, 1, 1]]);
});

t.test('per extension: the extension that answered or was tried last; originated calls count for the one rung first', async (t) => {
  const stats = statsWith(t, ROWS);
  t.same(stats.byExtension({ fromMs: DAY, toMs: DAY + 24 * H }, (n) => /^100[0-9]$/.test(n)), [
    { extension: '1001', answered: 1, missed: 1, total: 2 },
    { extension: '1002', answered: 1, missed: 1, total: 2 },
    { extension: '1003', answered: 2, missed: 0, total: 2 },
  ], 'a missed call to a group that no member took is nobody\'s; a forwarded call is the answering one\'s');
  t.equal(extensionOf('600', 'group:sales>1002', (n) => n === '1002'), '1002');
  t.equal(extensionOf('+15550001', null, (n) => n === '1002'), null);
});

t.test('too many slots is a RangeError', async (t) => {
  const stats = statsWith(t, []);
  t.throws(() => stats.bySlot({ fromMs: 0, toMs: 32 * 24 * H }, 'hour'), RangeError);
  t.equal(stats.bySlot({ fromMs: 0, toMs: 31 * 24 * H }, 'hour').length, 744);
});
