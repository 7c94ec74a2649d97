import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CdrWriter } from '../../src/store/cdr-writer.js';
import { Store } from '../../src/store/store.js';
import type { CdrRow } from '../../src/store/types.js';

function openStore(t: Test): Store & { dataDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tspbx-cdr-writer-'));
  const store = Object.assign(Store.open(dir), { dataDir: dir });
  t.teardown(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

function cdr(id: string): CdrRow {
  return {
    id,
    call_id: `call-${id}`,
    from: '1001',
    to: '1002',
    status: 'answered',
    reason: 'caller-bye',
    started_at: '2026-01-01T10:00:00.000Z',
    answered_at: '2026-01-01T10:00:01.000Z',
    ended_at: '2026-01-01T10:00:05.000Z',
    duration_s: 5,
    billsec: 4,
    recording: null,
  };
}

t.test('the rows of calls that end in the same turn are committed in one transaction', async (t) => {
  const store = openStore(t);
  const writer = CdrWriter.start(store.dataDir);
  t.teardown(() => writer.close());
  const written = ['a', 'b', 'c'].map((id) => writer.insertCdr(cdr(id)));
  t.same(store.listCdr({}), [], 'nothing is written before the turn ends');
  await Promise.all(written);
  t.equal(writer.commits, 1, 'one commit for the three rows');
  t.same(store.listCdr({}).map((r) => r.id).sort(), ['a', 'b', 'c'], 'every row is on disk once its promise resolves');
});

t.test('a row that fails its insert fails alone', async (t) => {
  const store = openStore(t);
  store.insertCdr(cdr('dup'));
  const writer = CdrWriter.start(store.dataDir);
  t.teardown(() => writer.close());
  const dup = writer.insertCdr(cdr('dup'));
  const fresh = writer.insertCdr(cdr('fresh'));
  await t.rejects(dup, /UNIQUE/, 'the duplicate id is refused');
  await t.resolves(fresh, 'the other row of the batch is committed');
  t.same(store.listCdr({}).map((r) => r.id).sort(), ['dup', 'fresh']);
});

t.test('the writer thread keeps the callback list with the rows: a missed call opens an entry, a later answered call closes it', async (t) => {
  const store = openStore(t);
  const writer = CdrWriter.start(store.dataDir);
  t.teardown(() => writer.close());
  const missedCall: CdrRow = { ...cdr('missed'), status: 'missed', reason: 'no-answer', answered_at: null, billsec: 0, missed: true };
  await writer.insertCdr(missedCall);
  t.match(store.listMissed(), [{ number: '1001', calls: 1, cdr_id: 'missed' }]);
  await writer.insertCdr({ ...cdr('back'), from: '1002', to: '1001', started_at: '2026-01-01T10:01:00.000Z', answered_at: '2026-01-01T10:01:02.000Z' });
  t.same(store.listMissed(), []);
  t.match(store.listMissed({ all: true }), [{ number: '1001', done_by: 'answered', done_cdr: 'back' }]);
});

t.test('close commits what is queued; later rows are refused', async (t) => {
  const store = openStore(t);
  const writer = CdrWriter.start(store.dataDir);
  const queued = writer.insertCdr(cdr('queued'));
  const closed = writer.close();
  t.equal(writer.close(), closed, 'a second close waits for the same thing');
  await closed;
  await t.resolves(queued, 'the queued row was committed before the thread stopped');
  t.same(store.listCdr({}).map((r) => r.id), ['queued']);
  await t.rejects(writer.insertCdr(cdr('late')), { code: 'PBX_ERR_STORE_CDR_WRITER' });
});
