import { existsSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { DATABASE_FILE } from '../../src/store/store.js';
import { VoicemailStore, type MailboxCounts } from '../../src/store/voicemail-store.js';
import { memoryLog, type LogLine } from '../helpers/log.js';
import { tempDir } from '../helpers/temp-dir.js';
import { writeSilenceWav } from '../helpers/wav-file.js';

const wav = (path: string, seconds = 2): string => writeSilenceWav(path, seconds);

async function open(t: Test, dataDir: string, log: LogLine[] = []): Promise<VoicemailStore> {
  const store = await VoicemailStore.open(dataDir, memoryLog(log));
  t.teardown(() => store.close());
  return store;
}

function rows(dataDir: string): Array<{ id: string; folder: string; path: string }> {
  const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    return db.prepare('SELECT id, folder, path FROM voicemail').all() as Array<{ id: string; folder: string; path: string }>;
  } finally {
    db.close();
  }
}

t.test('add moves the WAV into voicemail/MAILBOX/, indexes it, and only then emits change with the counts', async (t) => {
  const dir = tempDir(t, 'vm');
  const store = await open(t, dir);
  const src = wav(join(dir, 'rec.wav'));
  const seen: Array<{ mailbox: string; counts: MailboxCounts; fileThere: boolean; rowThere: boolean }> = [];
  store.on('change', (mailbox, counts) => {
    const listed = store.list(mailbox);
    seen.push({ mailbox, counts, fileThere: listed.every((m) => existsSync(m.path)), rowThere: listed.length === 1 });
  });
  const msg = await store.add('1002', src, { caller: '1001', callerName: 'Alice', durationS: 2 });
  t.notOk(existsSync(src), 'the source file is gone');
  t.equal(msg.path, join(dir, 'voicemail', '1002', `msg-${msg.id}.wav`));
  t.ok(existsSync(msg.path), 'the message file is in the mailbox');
  t.same(readdirSync(join(dir, 'voicemail', '1002')), [`msg-${msg.id}.wav`], 'no .part file left');
  t.same(seen, [{ mailbox: '1002', counts: { new: 1, old: 0, urgentNew: 0, urgentOld: 0 }, fileThere: true, rowThere: true }]);
  t.match(store.list('1002'), [{ id: msg.id, folder: 'new', caller: '1001', caller_name: 'Alice', duration_s: 2, urgent: false }]);
  t.same(rows(dir).map((r) => r.path), [join('voicemail', '1002', `msg-${msg.id}.wav`)], 'the row stores the path relative to data_dir');
});

t.test('markHeard moves new to old; move saves; counts follow; urgent counted apart', async (t) => {
  const dir = tempDir(t, 'vm');
  const store = await open(t, dir);
  const a = await store.add('1002', wav(join(dir, 'a.wav')), { caller: '1001', durationS: 2 });
  await store.add('1002', wav(join(dir, 'b.wav')), { caller: '1003', durationS: 2, urgent: true });
  t.same(store.counts('1002'), { new: 2, old: 0, urgentNew: 1, urgentOld: 0 });
  t.equal(store.markHeard(a.id), true);
  t.equal(store.markHeard(a.id), false, 'a heard message is not new any more');
  t.same(store.counts('1002'), { new: 1, old: 1, urgentNew: 1, urgentOld: 0 });
  t.equal(store.move(a.id, 'saved'), true);
  t.same(store.counts('1002'), { new: 1, old: 1, urgentNew: 1, urgentOld: 0 }, 'saved messages count as old');
  t.same(store.list('1002', 'saved').map((m) => m.id), [a.id]);
  t.same(store.counts('1003'), { new: 0, old: 0, urgentNew: 0, urgentOld: 0 }, 'an empty mailbox counts zero');
});

t.test('delete removes the file and the row and emits change; an unknown id is false', async (t) => {
  const dir = tempDir(t, 'vm');
  const store = await open(t, dir);
  const msg = await store.add('1002', wav(join(dir, 'a.wav')), { caller: '1001', durationS: 2 });
  const changes: number[] = [];
  store.on('change', (_m, c) => changes.push(c.new));
  t.equal(await store.delete(msg.id), true);
  t.notOk(existsSync(msg.path));
  t.same(rows(dir), []);
  t.same(changes, [0]);
  t.equal(await store.delete(msg.id), false);
  t.equal(store.get(msg.id), null);
});

t.test('bad arguments throw coded errors at once', async (t) => {
  const dir = tempDir(t, 'vm');
  const store = await open(t, dir);
  t.throws(() => store.list('../etc'), { code: 'PBX_ERR_VOICEMAIL_MAILBOX' });
  await t.rejects(store.add('1002', join(dir, 'missing.wav'), { caller: '1001', durationS: 1 }), { code: 'PBX_ERR_VOICEMAIL_FILE' });
  await t.rejects(store.add('1002', wav(join(dir, 'x.wav')), { caller: '1001', durationS: -1 }), { code: 'PBX_ERR_VOICEMAIL_META' });
  await t.rejects(store.add('10/2', wav(join(dir, 'y.wav')), { caller: '1001', durationS: 1 }), { code: 'PBX_ERR_VOICEMAIL_MAILBOX' });
  t.same(rows(dir), [], 'nothing indexed');
  store.close();
  store.close();
  t.throws(() => store.list('1002'), { code: 'PBX_ERR_VOICEMAIL_CLOSED' });
});

t.test('start-up reconciliation: an orphan file is adopted, a row without file removed, a half delete finished, .part removed', async (t) => {
  const dir = tempDir(t, 'vm');
  const first = await VoicemailStore.open(dir, memoryLog([]));
  const kept = await first.add('1002', wav(join(dir, 'a.wav')), { caller: '1001', durationS: 2 });
  const lost = await first.add('1002', wav(join(dir, 'b.wav')), { caller: '1001', durationS: 2 });
  const halfDeleted = await first.add('1003', wav(join(dir, 'c.wav')), { caller: '1001', durationS: 2 });
  first.close();
  // What crashes leave behind.
  const db = new Database(join(dir, DATABASE_FILE));
  db.prepare("UPDATE voicemail SET folder = 'deleted' WHERE id = ?").run(halfDeleted.id);
  db.close();
  unlinkSync(lost.path);
  const orphanId = '0f0e0d0c-0b0a-4909-8807-060504030201';
  mkdirSync(join(dir, 'voicemail', '1004'), { recursive: true });
  const orphan = wav(join(dir, 'voicemail', '1004', `msg-${orphanId}.wav`), 3);
  const part = wav(join(dir, 'voicemail', '1002', 'msg-half.wav.part'));

  const log: LogLine[] = [];
  const store = await open(t, dir, log);
  t.same(store.list('1002').map((m) => m.id), [kept.id], 'the message whose file vanished is gone');
  t.notOk(existsSync(part), 'the unfinished .part file is removed');
  t.notOk(existsSync(halfDeleted.path), 'the half-deleted file is removed');
  t.same(store.list('1003'), [], 'the half-deleted row is removed');
  t.match(store.list('1004'), [{ id: orphanId, folder: 'new', caller: 'unknown', duration_s: 3, path: orphan }], 'the orphan file is adopted as new');
  t.same(store.counts('1004'), { new: 1, old: 0, urgentNew: 0, urgentOld: 0 });
  t.same(store.counts('1002').new, 1);
  t.ok(log.some((l) => l.level === 'warn' && /row without its file/.test(l.msg)), 'the removed row is logged');
  t.ok(log.some((l) => l.level === 'warn' && /without a row/.test(l.msg)), 'the adoption is logged');
  for (const r of rows(dir)) t.ok(existsSync(join(dir, r.path)), `row ${r.id} points at an existing file`);
});

t.test('a crash between the file and the row loses no message: the file is found at the next start', async (t) => {
  const dir = tempDir(t, 'vm');
  const store = await open(t, dir);
  // The row insert fails after the file was placed (as a crash would stop it).
  const db = new Database(join(dir, DATABASE_FILE));
  db.exec('CREATE TRIGGER fail_insert BEFORE INSERT ON voicemail BEGIN SELECT RAISE(ABORT, \'disk gone\'); END');
  const changes: string[] = [];
  store.on('change', (m) => changes.push(m));
  await t.rejects(store.add('1002', wav(join(dir, 'a.wav')), { caller: '1001', durationS: 2 }));
  t.same(changes, [], 'no MWI change without a row');
  const files = readdirSync(join(dir, 'voicemail', '1002'));
  t.equal(files.length, 1, 'the file is in place');
  t.match(files[0], /^msg-.*\.wav$/);
  db.exec('DROP TRIGGER fail_insert');
  db.close();
  store.close();
  const again = await open(t, dir);
  t.equal(again.list('1002').length, 1, 'the message is indexed at the next start');
});
