// The callback list as CDRs are stored: one open entry per caller number, closed by a later
// answered call with that number (either direction) or by hand.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { DATABASE_FILE, Store } from '../../src/store/store.js';
import type { CdrRow } from '../../src/store/types.js';
import { tempDir } from '../helpers/temp-dir.js';

function openStore(t: Test): Store {
  const store = Store.open(tempDir(t, 'callbacks'));
  t.teardown(() => store.close());
  return store;
}

/** A call that started at minute `minute` of 2026-01-01 10:00 UTC. */
function at(minute: number): string {
  return new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString();
}

function missed(id: string, from: string, minute: number, more: Partial<CdrRow> = {}): CdrRow {
  return {
    id,
    call_id: `call-${id}`,
    from,
    to: '500',
    status: 'missed',
    reason: 'caller-bye',
    started_at: at(minute),
    answered_at: null,
    ended_at: at(minute + 1),
    duration_s: 60,
    billsec: 0,
    recording: null,
    path: 'ivr:main',
    missed: true,
    ...more,
  };
}

function answered(id: string, from: string, to: string, minute: number): CdrRow {
  return {
    ...missed(id, from, minute),
    to,
    status: 'answered',
    answered_at: at(minute),
    reason: 'caller-bye',
    billsec: 50,
    path: null,
    missed: false,
  };
}

t.test('two missed calls from one number make one entry with the count, the first and last times, the latest call details', async (t) => {
  const store = openStore(t);
  store.insertCdr(missed('a', '+4930111', 5, { to: '600', path: 'group:sales', reason: 'no-answer', status: 'busy' }));
  // Written after a later call (CDRs are written as calls end): first and last go by start time.
  store.insertCdr(missed('b', '+4930111', 1));
  store.insertCdr(missed('c', '+4930222', 3));
  const list = store.listMissed();
  t.same(list, [
    {
      id: 'm1',
      number: '+4930111',
      calls: 2,
      first_at: at(1),
      last_at: at(5),
      to: '600',
      path: 'group:sales',
      status: 'busy',
      reason: 'no-answer',
      cdr_id: 'a',
      done_at: null,
      done_by: null,
      done_cdr: null,
    },
    { ...list[1]!, number: '+4930222', calls: 1, first_at: at(3), last_at: at(3), cdr_id: 'c' },
  ]);
  t.not(list[1]!.id, 'm1', 'the second number has its own entry');
  t.same(store.listCdr({ missed: true }).map((r) => r.id), ['a', 'c', 'b'], 'every missed call stays in the CDR');
});

t.test('a later answered call closes the entry, whichever side the number is on; a new missed call opens a new one', async (t) => {
  const store = openStore(t);
  store.insertCdr(missed('m-1', '1001', 1));
  store.insertCdr(missed('m-2', '+4930333', 1));
  store.insertCdr(answered('back-1', '1002', '1001', 10));
  store.insertCdr(answered('back-2', '+4930333', '500', 11));
  t.same(store.listMissed(), []);
  t.match(store.listMissed({ all: true }), [
    { number: '+4930333', done_by: 'answered', done_at: at(11), done_cdr: 'back-2' },
    { number: '1001', done_by: 'answered', done_at: at(10), done_cdr: 'back-1' },
  ]);
  const closed = store.listMissed({ all: true }).find((e) => e.number === '1001')!;
  store.insertCdr(missed('m-3', '1001', 20));
  const open = store.listMissed();
  t.match(open, [{ number: '1001', calls: 1, first_at: at(20), cdr_id: 'm-3', done_at: null }], 'a fresh entry');
  t.not(open[0]!.id, closed.id, 'not the closed one');
  t.match(store.listMissed({ all: true }).find((e) => e.id === closed.id), { calls: 1, done_by: 'answered' }, 'the closed entry stays as it was');
});

t.test('an answered call that started before the last missed call leaves the entry open', async (t) => {
  const store = openStore(t);
  // The customer talks to 1002 from minute 0 to 9 and calls again at minute 4: nobody answers that one.
  store.insertCdr(missed('while-talking', '+4930444', 4));
  store.insertCdr(answered('long-call', '+4930444', '1002', 0));
  t.match(store.listMissed(), [{ number: '+4930444', calls: 1 }]);
});

t.test('a missed call written after a later answered call with that number opens no entry', async (t) => {
  const store = openStore(t);
  store.insertCdr(answered('called-back', '1003', '+4930555', 8));
  store.insertCdr(missed('rang-long', '+4930555', 2));
  t.same(store.listMissed({ all: true }), []);
  t.same(store.listCdr({ missed: true }).map((r) => r.id), ['rang-long']);
});

t.test('calls that are not missed, and callers that cannot be called back, make no entry', async (t) => {
  const store = openStore(t);
  store.insertCdr(missed('blacklisted', '+4930666', 1, { status: 'busy', reason: 'blacklisted', missed: false }));
  store.insertCdr(missed('anon', 'anonymous', 2));
  store.insertCdr(missed('anon-2', 'Anonymous', 3));
  store.insertCdr(missed('empty', '', 4));
  t.same(store.listMissed({ all: true }), []);
});

t.test('an entry is closed by hand by its id or its number; nothing open answers null', async (t) => {
  const store = openStore(t);
  store.insertCdr(missed('a', '1001', 1));
  store.insertCdr(missed('b', '1002', 2));
  const when = new Date(Date.UTC(2026, 0, 1, 12, 0));
  t.match(store.closeMissed('m1', when), { id: 'm1', number: '1001', done_by: 'manual', done_at: when.toISOString(), done_cdr: null });
  t.equal(store.closeMissed('m1', when), null, 'already closed');
  t.match(store.closeMissed('1002', when), { id: 'm2', done_by: 'manual' });
  t.equal(store.closeMissed('1002', when), null, 'no open entry for the number');
  for (const which of ['m99', 'm0', 'm', '', 'M1', '1', 'm1; DROP TABLE callbacks']) t.equal(store.closeMissed(which, when), null, JSON.stringify(which));
  t.same(store.listMissed(), []);
  t.equal(store.listMissed({ all: true }).length, 2);
  t.equal(store.listMissed({ all: true, limit: 1 }).length, 1, 'limited');
});

t.test('the CDR and its callback-list change are stored together or not at all, also inside a batch', async (t) => {
  const dir = tempDir(t, 'callbacks');
  const store = Store.open(dir);
  t.teardown(() => store.close());
  store.insertCdr(missed('dup', '1001', 1));
  t.throws(() => store.insertCdr(missed('dup', '1002', 2)), /UNIQUE/);
  // A list update that fails (here a trigger refuses new entries) takes its CDR row with it.
  const db = new Database(join(dir, DATABASE_FILE));
  db.exec(`CREATE TRIGGER refuse_new BEFORE INSERT ON callbacks WHEN NEW.number = '1005' BEGIN SELECT RAISE(ABORT, 'list full'); END`);
  db.close();
  t.throws(() => store.insertCdr(missed('refused', '1005', 3)), /list full/);
  store.batch(() => {
    t.throws(() => store.insertCdr(missed('refused-in-batch', '1005', 4)), /list full/);
    store.insertCdr(missed('fine', '1004', 5));
  });
  t.same(store.listCdr({}).map((r) => r.id), ['fine', 'dup']);
  t.same(
    store.listMissed().map((e) => e.number),
    ['1004', '1001'],
  );
});
