import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { DATABASE_FILE, Store } from '../../src/store/store.js';
import type { BindingRow, CdrRow } from '../../src/store/types.js';
import { tempDir } from '../helpers/temp-dir.js';

function binding(extension: string, contact: string, expiresAt: number): BindingRow {
  return {
    extension,
    contact,
    transport: 'udp',
    source_address: '192.0.2.7',
    source_port: 5062,
    expires_at: expiresAt,
    user_agent: 'Phone/1.0',
    call_id: `reg-${extension}`,
    cseq: 3,
    instance: null,
  };
}

function cdr(id: string, startedAt: string, status: CdrRow['status'] = 'answered'): CdrRow {
  return {
    id,
    call_id: `call-${id}`,
    from: '1001',
    to: '1002',
    status,
    reason: 'caller-bye',
    started_at: startedAt,
    answered_at: status === 'answered' ? startedAt : null,
    ended_at: startedAt,
    duration_s: 12.5,
    billsec: 10,
    recording: null,
  };
}

t.test('a fresh data_dir gets its folders and a migrated database in WAL mode', async (t) => {
  const dir = join(tempDir(t, 'store'), 'nested', 'data');
  const store = Store.open(dir);
  store.close();
  store.close();
  t.ok(existsSync(join(dir, 'recordings')));
  t.ok(existsSync(join(dir, 'voicemail')));
  const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
  t.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();
  const again = Store.open(dir);
  t.same(again.loadBindings(), [], 'reopening an up-to-date database runs no migration twice');
  again.close();
});

t.test('bindings survive close and reopen; upsert replaces, delete and purge remove', async (t) => {
  const dir = tempDir(t, 'store');
  const store = Store.open(dir);
  store.upsertBinding(binding('1001', 'sip:1001@192.0.2.7:5062', 5000));
  store.upsertBinding(binding('1001', 'sip:1001@192.0.2.8:5060', 9000));
  store.upsertBinding(binding('1002', 'sip:1002@192.0.2.9:5060', 1000));
  store.upsertBinding({ ...binding('1001', 'sip:1001@192.0.2.7:5062', 7000), cseq: 4, instance: '<urn:uuid:1>' });
  store.close();

  const reopened = Store.open(dir);
  t.teardown(() => reopened.close());
  const rows = reopened.loadBindings();
  t.equal(rows.length, 3);
  t.same(rows[0], { ...binding('1001', 'sip:1001@192.0.2.7:5062', 7000), cseq: 4, instance: '<urn:uuid:1>' });
  t.equal(reopened.purgeExpired(1000), 1, 'expired at or before now');
  reopened.deleteBinding('1001', 'sip:1001@192.0.2.8:5060');
  t.same(reopened.loadBindings().map((r) => r.contact), ['sip:1001@192.0.2.7:5062']);
  reopened.deleteBindings('1001');
  t.same(reopened.loadBindings(), []);
});

t.test('a batch commits all its writes together, or none when it throws', async (t) => {
  const store = Store.open(tempDir(t, 'store'));
  t.teardown(() => store.close());
  store.batch(() => {
    store.upsertBinding(binding('1001', 'sip:a', 5000));
    store.upsertBinding(binding('1002', 'sip:b', 5000));
  });
  t.equal(store.loadBindings().length, 2);
  t.throws(() =>
    store.batch(() => {
      store.deleteBindings('1001');
      throw new Error('half-way');
    }),
  );
  t.equal(store.loadBindings().length, 2, 'rolled back');
});

t.test('CDR rows list newest first, filtered by missed and since, limited', async (t) => {
  const store = Store.open(tempDir(t, 'store'));
  t.teardown(() => store.close());
  store.insertCdr(cdr('a', '2026-01-01T10:00:00.000Z'));
  store.insertCdr(cdr('b', '2026-01-01T11:00:00.000Z', 'missed'));
  store.insertCdr(cdr('c', '2026-01-01T12:00:00.000Z', 'busy'));
  store.insertCdr(cdr('d', '2026-01-01T13:00:00.000Z', 'missed'));
  t.same(store.listCdr({}).map((r) => r.id), ['d', 'c', 'b', 'a']);
  t.same(store.listCdr({ missed: true }).map((r) => r.id), ['d', 'b']);
  t.same(store.listCdr({ since: '2026-01-01T11:00:00Z' }).map((r) => r.id), ['d', 'c', 'b']);
  t.same(store.listCdr({ since: '2026-01-01T12:30:00+01:00' }).map((r) => r.id), ['d', 'c'], 'offsets are compared as instants');
  t.same(store.listCdr({ missed: true, since: '2026-01-01T12:00:00Z' }).map((r) => r.id), ['d']);
  t.same(store.listCdr({ limit: 2 }).map((r) => r.id), ['d', 'c']);
  t.same(store.listCdr({ limit: 1 })[0], { ...cdr('d', '2026-01-01T13:00:00.000Z', 'missed'), quality: null, path: null, missed: true }, 'every CONTRACT field round-trips');
  t.throws(() => store.listCdr({ since: 'yesterday' }), /ISO 8601/);
  t.throws(() => store.insertCdr(cdr('a', '2026-01-02T00:00:00Z')), /UNIQUE/, 'a CDR id is stored once');
});

t.test('call quality per leg round-trips, nested under quality; a leg not measured is null', async (t) => {
  const store = Store.open(tempDir(t, 'store'));
  t.teardown(() => store.close());
  const caller = { loss_pct: 4.76, jitter_ms: 12.5, rtt_ms: 31, mos: 3.91 };
  store.insertCdr({ ...cdr('q', '2026-01-01T10:00:00.000Z'), quality: { caller, callee: null } });
  store.insertCdr({ ...cdr('r', '2026-01-01T11:00:00.000Z'), quality: { caller: { ...caller, rtt_ms: null }, callee: caller } });
  store.insertCdr({ ...cdr('s', '2026-01-01T12:00:00.000Z'), quality: null });
  const rows = store.listCdr({});
  t.same(rows.map((r) => [r.id, r.quality]), [
    ['s', null],
    ['r', { caller: { ...caller, rtt_ms: null }, callee: caller }],
    ['q', { caller, callee: null }],
  ]);
  t.same(Object.keys(rows[0]!), ['id', 'call_id', 'from', 'to', 'status', 'reason', 'started_at', 'answered_at', 'ended_at', 'duration_s', 'billsec', 'recording', 'quality', 'path', 'missed']);
});

t.test('the path a call took through apps round-trips; a row written without one has null', async (t) => {
  const store = Store.open(tempDir(t, 'store'));
  t.teardown(() => store.close());
  store.insertCdr({ ...cdr('p', '2026-01-01T10:00:00.000Z'), path: 'ivr:main>ivr:sales>1002' });
  store.insertCdr(cdr('n', '2026-01-01T11:00:00.000Z'));
  t.same(store.listCdr({}).map((r) => [r.id, r.path]), [
    ['n', null],
    ['p', 'ivr:main>ivr:sales>1002'],
  ]);
});

t.test('the missed flag decides what --missed lists; a row written without it is missed when its status is missed', async (t) => {
  const store = Store.open(tempDir(t, 'store'));
  t.teardown(() => store.close());
  store.insertCdr({ ...cdr('busy-customer', '2026-01-01T10:00:00.000Z', 'busy'), missed: true });
  store.insertCdr({ ...cdr('blacklisted', '2026-01-01T11:00:00.000Z', 'busy'), reason: 'blacklisted', missed: false });
  store.insertCdr({ ...cdr('conference', '2026-01-01T12:00:00.000Z', 'missed'), missed: false });
  store.insertCdr(cdr('legacy-missed', '2026-01-01T13:00:00.000Z', 'missed'));
  store.insertCdr(cdr('legacy-busy', '2026-01-01T14:00:00.000Z', 'busy'));
  t.same(store.listCdr({ missed: true }).map((r) => r.id), ['legacy-missed', 'busy-customer']);
  t.same(
    store.listCdr({}).map((r) => [r.id, r.missed]),
    [
      ['legacy-busy', false],
      ['legacy-missed', true],
      ['conference', false],
      ['blacklisted', false],
      ['busy-customer', true],
    ],
  );
});

t.test('a database of schema 4 migrates: its missed calls keep their flag, the callback list starts empty', async (t) => {
  const dir = tempDir(t, 'store');
  const db = new Database(join(dir, DATABASE_FILE));
  for (const m of MIGRATIONS.slice(0, 4)) db.exec(m);
  db.pragma('user_version = 4');
  const insert = db.prepare(
    `INSERT INTO cdr (id, call_id, "from", "to", status, reason, started_at, started_ms, answered_at, ended_at, duration_s, billsec, recording)
     VALUES (?, 'c', '1001', '1002', ?, 'x', '2026-01-01T00:00:00.000Z', 1767225600000, null, '2026-01-01T00:00:00.000Z', 1, 0, null)`,
  );
  insert.run('was-missed', 'missed');
  insert.run('was-busy', 'busy');
  db.close();
  const store = Store.open(dir);
  t.teardown(() => store.close());
  t.same(store.listCdr({ missed: true }).map((r) => r.id), ['was-missed']);
  t.same(store.listMissed({ all: true }), []);
});

t.test('a database of schema 1 migrates: its CDR rows stay, with no quality', async (t) => {
  const dir = tempDir(t, 'store');
  const db = new Database(join(dir, DATABASE_FILE));
  db.exec(MIGRATIONS[0]!);
  db.pragma('user_version = 1');
  db.prepare(
    `INSERT INTO cdr (id, call_id, "from", "to", status, reason, started_at, started_ms, answered_at, ended_at, duration_s, billsec, recording)
     VALUES ('old', 'c', '1001', '1002', 'answered', 'caller-bye', '2026-01-01T00:00:00.000Z', 1767225600000, null, '2026-01-01T00:00:00.000Z', 1, 1, null)`,
  ).run();
  db.close();
  const store = Store.open(dir);
  t.teardown(() => store.close());
  const rows = store.listCdr({});
  t.equal(rows.length, 1);
  t.equal(rows[0]!.id, 'old');
  t.equal(rows[0]!.quality, null);
});

t.test('a CDR written just before kill -9 is still there', async (t) => {
  const dir = tempDir(t, 'store');
  const storeUrl = new URL('../../src/store/store.ts', import.meta.url).href;
  const script = `
    const { Store } = await import(${JSON.stringify(storeUrl)});
    const s = Store.open(${JSON.stringify(dir)});
    s.insertCdr(${JSON.stringify(cdr('killed', '2026-02-03T04:05:06.000Z'))});
    process.stdout.write('written\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('written') && resolve());
    child.on('exit', () => reject(new Error('child exited before writing')));
  });
  child.kill('SIGKILL');
  t.equal(await exited, 'SIGKILL');
  const store = Store.open(dir);
  t.teardown(() => store.close());
  t.same(store.listCdr({}).map((r) => r.id), ['killed']);
});
