import { chmodSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { editConfigFile, readConfigFile, revisionOf } from '../../src/config/edit/config-file.js';
import { addEntry, changeEntry, entryKeys, getEntry, putEntry, removeEntry } from '../../src/config/edit/entries.js';
import { tempDir } from '../helpers/temp-dir.js';

const EXAMPLE = readFileSync(new URL('../../config.example.yaml', import.meta.url), 'utf8');

/** A copy of the shipped config in a fresh directory. */
function exampleFile(t: Test, mode = 0o640): string {
  const file = join(tempDir(t, 'config-edit'), 'pbx.yaml');
  writeFileSync(file, EXAMPLE);
  chmodSync(file, mode);
  return file;
}

t.test('a valid edit is written: new revision, the file mode kept, no temp or lock file left', async (t) => {
  const file = exampleFile(t);
  const r = await editConfigFile(file, (doc) => addEntry(doc, 'extensions', '1004', { name: 'Dave', password: 'dave-pass' }));
  t.ok(r.ok && r.changed);
  const bytes = readFileSync(file);
  t.equal(r.ok && r.revision, revisionOf(bytes));
  t.equal(r.ok && r.config.extensions.get('1004')?.name, 'Dave', 'the result carries the loaded config');
  t.equal(statSync(file).mode & 0o777, 0o640);
  t.same(readdirSync(join(file, '..')), ['pbx.yaml']);
});

t.test('a change the loader refuses leaves the file byte-identical, with pbx check lines placed in the file', async (t) => {
  const file = exampleFile(t);
  const before = statSync(file);
  const r = await editConfigFile(file, (doc) => removeEntry(doc, 'extensions', '1003'));
  t.same(r.ok ? null : r.kind, 'invalid');
  t.same(r.ok === false && r.kind === 'invalid' ? r.errors : [], [
    `${file}:51:52: extensions.1002.forward.no_answer.to: destination "1003" points nowhere: no extension or dialplan number 1003`,
    `${file}:62:14: ivr.main.default: destination "1003" points nowhere: no extension or dialplan number 1003`,
    `${file}:78:54: groups.sales.members[1]: member "1003" is not an extension`,
  ], 'line 62 is ivr.main.default in the file on disk, though the edit removed lines above it');
  t.equal(readFileSync(file, 'utf8'), EXAMPLE);
  t.equal(statSync(file).mtimeMs, before.mtimeMs, 'not even rewritten');
  t.same(readdirSync(join(file, '..')), ['pbx.yaml']);
});

t.test('a problem inside inserted text points at the place of the insertion', async (t) => {
  const file = exampleFile(t);
  const r = await editConfigFile(file, (doc) => addEntry(doc, 'extensions', '1004', { name: 'Dave', pasword: 'x' }));
  t.same(r.ok === false && r.kind === 'invalid' ? r.errors : [], [
    `${file}:55:1: extensions.1004: missing key "password"`,
    `${file}:55:1: extensions.1004: unknown key "pasword"; did you mean "password"?`,
  ]);
  t.equal(readFileSync(file, 'utf8'), EXAMPLE);
});

t.test('an edit made against another revision is a conflict; the file stays', async (t) => {
  const file = exampleFile(t);
  const { revision } = await readConfigFile(file);
  t.equal(revision, revisionOf(EXAMPLE));
  const stale = revisionOf('an older file');
  const r = await editConfigFile(file, (doc) => doc.set(['groups', 'sales', 'ring_time'], 30), { expected: stale });
  t.same(r.ok ? null : { kind: r.kind, revision: r.kind === 'conflict' ? r.revision : null }, { kind: 'conflict', revision });
  t.equal(readFileSync(file, 'utf8'), EXAMPLE);
  const ok = await editConfigFile(file, (doc) => doc.set(['groups', 'sales', 'ring_time'], 30), { expected: revision });
  t.ok(ok.ok && ok.changed, 'the current revision is accepted');
});

t.test('edits that start together are applied one after the other, none lost', async (t) => {
  const file = exampleFile(t);
  const numbers = ['1004', '1005', '1006', '1007'];
  const results = await Promise.all(numbers.map((n) => editConfigFile(file, (doc) => addEntry(doc, 'extensions', n, { password: `p${n}` }))));
  t.same(results.map((r) => r.ok), [true, true, true, true]);
  const r = await editConfigFile(file, (doc) => entryKeys(doc, 'extensions'));
  t.same(r.ok && r.value, ['1001', '1002', '1003', ...numbers]);
});

t.test('a lock held by a live process makes the edit wait, then give up; a dead one is taken over', async (t) => {
  const file = exampleFile(t);
  writeFileSync(`${file}.lock`, `${process.pid}\n`);
  const started = Date.now();
  const r = await editConfigFile(file, (doc) => doc.set(['groups', 'sales', 'ring_time'], 30), { lockWaitMs: 150 });
  t.same(r.ok ? null : r.kind === 'refused' && r.code, 'PBX_ERR_CONFIG_EDIT_LOCKED');
  t.ok(Date.now() - started >= 150, 'it waited');
  t.equal(readFileSync(file, 'utf8'), EXAMPLE);
  // beyond the largest pid Linux hands out (pid_max is at most 2^22)
  writeFileSync(`${file}.lock`, `${2 ** 22 + 1}\n`);
  const taken = await editConfigFile(file, (doc) => doc.set(['groups', 'sales', 'ring_time'], 30), { lockWaitMs: 150 });
  t.ok(taken.ok && taken.changed);
  t.same(readdirSync(join(file, '..')), ['pbx.yaml'], 'the stale lock is gone');
});

t.test('a symlinked config: the file it points to is replaced, the link stays a link', async (t) => {
  const file = exampleFile(t);
  const link = join(tempDir(t, 'config-link'), 'link.yaml');
  symlinkSync(file, link);
  const r = await editConfigFile(link, (doc) => doc.set(['groups', 'sales', 'ring_time'], 30));
  t.ok(r.ok && r.changed);
  t.ok(lstatSync(link).isSymbolicLink());
  t.match(readFileSync(file, 'utf8'), /ring_time: 30/);
});

t.test('an edit that changes nothing writes nothing', async (t) => {
  const file = exampleFile(t);
  const before = statSync(file);
  const r = await editConfigFile(file, (doc) => doc.set(['groups', 'sales', 'ring_time'], 20));
  t.ok(r.ok && !r.changed);
  t.equal(statSync(file).ino, before.ino);
});

t.test('a missing file and a file that is not YAML are refused with the reason', async (t) => {
  const dir = tempDir(t, 'config-edit');
  const r = await editConfigFile(join(dir, 'none.yaml'), () => undefined);
  t.same(r.ok ? null : r.kind === 'refused' && [r.code, r.error], ['PBX_ERR_CONFIG_EDIT_READ', `cannot read ${join(dir, 'none.yaml')}: no such file`]);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'http:\n  token: [x\n');
  const b = await editConfigFile(bad, (doc) => doc.set(['http', 'token'], 'y'));
  t.same(b.ok ? null : b.kind, 'invalid');
  t.match(b.ok === false && b.kind === 'invalid' ? b.errors[0] : '', new RegExp(`^${bad}:\\d+:\\d+: `));
});

t.test('entries: add refuses an existing key, put replaces, change and remove need the entry', async (t) => {
  const file = exampleFile(t);
  const exists = await editConfigFile(file, (doc) => addEntry(doc, 'groups', 'sales', { members: ['1001'] }));
  t.same(exists.ok ? null : exists.kind === 'refused' && [exists.code, exists.error], ['PBX_ERR_CONFIG_EDIT_EXISTS', 'group sales already exists']);
  const put = await editConfigFile(file, (doc) => putEntry(doc, 'groups', 'sales', { members: ['1002'], ring_time: 15 }));
  t.equal(put.ok && put.value, 'replaced');
  t.match(readFileSync(file, 'utf8'), /\n {2}sales: \{ members: \["1002"\], ring_time: 15 \}\n/);
  const missing = await editConfigFile(file, (doc) => changeEntry(doc, 'queues', 'support', [{ path: ['wrapup'], value: 5 }]));
  t.same(missing.ok ? null : missing.kind === 'refused' && missing.code, 'PBX_ERR_CONFIG_EDIT_MISSING');
  const changed = await editConfigFile(file, (doc) => changeEntry(doc, 'extensions', '1002', [{ path: ['name'], value: 'Robert' }, { path: ['forward'] }]));
  t.ok(changed.ok && changed.changed);
  t.match(readFileSync(file, 'utf8'), /"1002": \{ name: Robert, password: "bob-pass", voicemail: \{ pin: "4321" \} \}/);
  const gone = await editConfigFile(file, (doc) => removeEntry(doc, 'dialplan', '700'));
  t.ok(gone.ok && gone.changed);
  t.notMatch(readFileSync(file, 'utf8'), /"700"/);
});

t.test('outbound routes are entries of a list, found by name (routeN when unnamed)', async (t) => {
  const file = join(tempDir(t, 'config-edit'), 'pbx.yaml');
  writeFileSync(
    file,
    'http: { token: t }\ntrunks:\n  sip1: { host: 127.0.0.1, type: ip }\noutbound:\n  - pattern: "9X."\n    trunks: [sip1]\n  - name: intl\n    pattern: "00X."\n    trunks: [sip1]\n',
  );
  const put = await editConfigFile(file, (doc) => putEntry(doc, 'outbound', 'local', { pattern: '8X.', trunks: ['sip1'], strip: 1 }));
  t.equal(put.ok && put.value, 'created');
  const keys = await editConfigFile(file, (doc) => [entryKeys(doc, 'outbound'), getEntry(doc, 'outbound', 'local')]);
  t.same(keys.ok && keys.value, [['route1', 'intl', 'local'], { name: 'local', pattern: '8X.', trunks: ['sip1'], strip: 1 }]);
  const rm = await editConfigFile(file, (doc) => removeEntry(doc, 'outbound', 'route1'));
  t.ok(rm.ok && rm.changed);
  t.equal(
    readFileSync(file, 'utf8'),
    'http: { token: t }\ntrunks:\n  sip1: { host: 127.0.0.1, type: ip }\noutbound:\n  - name: intl\n    pattern: "00X."\n    trunks: [sip1]\n  - name: local\n    pattern: 8X.\n    trunks: [sip1]\n    strip: 1\n',
  );
});
