import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CdrWriter } from '../../src/store/cdr-writer.js';
import { Store } from '../../src/store/store.js';
import type { CdrRow } from '../../src/store/types.js';

function openStore(t: Test): Store {
  const dir = mkdtempSync(join(tmpdir(), 'tspbx-cdr-writer-'));
  const store = Store.open(dir);
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

/** Counts the transactions the writer opens on the store. */
function countBatches(store: Store): { batches: number } {
  const counter = { batches: 0 };
  const batch = store.batch.bind(store);
  store.batch = (fn) => {
    counter.batches++;
    batch(fn);
  };
  return counter;
}

t.test('the rows of calls that end in the same turn are committed in one transaction', async (t) => {
  const store = openStore(t);
  const counter = countBatches(store);
  const writer = new CdrWriter(store);
  const written = ['a', 'b', 'c'].map((id) => writer.insertCdr(cdr(id)));
  t.same(store.listCdr({}), [], 'nothing is written before the turn ends');
  await Promise.all(written);
  t.equal(counter.batches, 1, 'one commit for the three rows');
  t.same(store.listCdr({}).map((r) => r.id).sort(), ['a', 'b', 'c'], 'every row is on disk once its promise resolves');
  writer.close();
});

t.test('a row that fails its insert fails alone', async (t) => {
  const store = openStore(t);
  store.insertCdr(cdr('dup'));
  const writer = new CdrWriter(store);
  const dup = writer.insertCdr(cdr('dup'));
  const fresh = writer.insertCdr(cdr('fresh'));
  await t.rejects(dup, /UNIQUE/, 'the duplicate id is refused');
  await t.resolves(fresh, 'the other row of the batch is committed');
  t.same(store.listCdr({}).map((r) => r.id).sort(), ['dup', 'fresh']);
  writer.close();
});

t.test('close commits what is queued, later rows are inserted at once', async (t) => {
  const store = openStore(t);
  const writer = new CdrWriter(store);
  const queued = writer.insertCdr(cdr('queued'));
  writer.close();
  t.same(store.listCdr({}).map((r) => r.id), ['queued'], 'committed by close, before the turn ends');
  await queued;
  const late = writer.insertCdr(cdr('late'));
  t.same(store.listCdr({}).map((r) => r.id).sort(), ['late', 'queued'], 'written synchronously after close');
  await late;
  writer.close();
});
