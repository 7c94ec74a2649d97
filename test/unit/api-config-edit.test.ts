import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { ControlSource } from '../../src/api/control-types.js';
import { buildApiServer } from '../../src/api/server.js';
import { revisionOf } from '../../src/config/edit/config-file.js';
import { loadConfig } from '../../src/config/load.js';
import { quietLog } from '../helpers/log.js';
import { tempDir } from '../helpers/temp-dir.js';

const TOKEN = 'edit-token';
const EXAMPLE = readFileSync(new URL('../../config.example.yaml', import.meta.url), 'utf8');

/** The REST API over a copy of the shipped config; reload() loads the file as the PBX does. */
async function served(t: Test) {
  const file = join(tempDir(t, 'api-edit'), 'pbx.yaml');
  writeFileSync(file, EXAMPLE);
  const reloads: string[][] = [];
  const loaded = loadConfig(file);
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  let config = loaded.config;
  const refuse = (): never => {
    throw new Error('not used by this test');
  };
  const source: ControlSource = {
    status: refuse,
    registrations: refuse,
    calls: refuse,
    cdr: refuse,
    missed: refuse,
    missedDone: refuse,
    setRecording: refuse,
    originate: refuse,
    get config() {
      return config;
    },
    reload: async () => {
      const r = loadConfig(file);
      reloads.push(r.ok ? [...r.config.extensions.keys()] : r.errors);
      if (!r.ok) return { ok: false, errors: r.errors };
      config = r.config;
      return { ok: true };
    },
  };
  const app = await buildApiServer({ token: TOKEN, source, log: quietLog });
  t.teardown(() => app.close());
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}`, ...headers }, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: res.statusCode, etag: res.headers.etag, body: res.json() as Record<string, unknown> };
  };
  return { file, reloads, call };
}

t.test('POST /api/extensions adds an entry, generates and returns a password, reloads; the comments stay', async (t) => {
  const { file, reloads, call } = await served(t);
  const r = await call('POST', '/api/extensions', { ext: '1005', name: 'Eve' });
  t.equal(r.status, 201);
  t.match(r.body, { changed: true, reloaded: true, created: true, password: /^[A-Za-z0-9_-]{20}$/ });
  const text = readFileSync(file, 'utf8');
  t.equal(r.etag, `"${revisionOf(text)}"`);
  t.equal(r.body.revision, revisionOf(text));
  t.equal(text.replace(`  "1005": { name: Eve, password: ${String(r.body.password)} }\n`, ''), EXAMPLE);
  t.same(reloads, [['1001', '1002', '1003', '1005']]);
  const again = await call('POST', '/api/extensions', { ext: '1005', password: 'x' });
  t.same([again.status, again.body.error, again.body.message], [409, 'exists', 'extension 1005 already exists']);
});

t.test('a refused edit answers 400 or 409 with the check lines and leaves the file byte-identical', async (t) => {
  const { file, reloads, call } = await served(t);
  const rm = await call('DELETE', '/api/extensions/1003');
  t.equal(rm.status, 409, 'a removal the config still needs');
  t.equal(rm.body.error, 'invalid_config');
  t.match(rm.body.message, /^extensions\.1002\.forward\.no_answer\.to: destination "1003" points nowhere.*; ivr\.main\.default: destination "1003" points nowhere/);
  t.same(rm.body.errors, [
    `${file}:51:52: extensions.1002.forward.no_answer.to: destination "1003" points nowhere: no extension or dialplan number 1003`,
    `${file}:62:14: ivr.main.default: destination "1003" points nowhere: no extension or dialplan number 1003`,
    `${file}:78:54: groups.sales.members[1]: member "1003" is not an extension`,
  ]);
  const put = await call('PUT', '/api/groups/sales', { members: ['1001'], ring_time: 9999 });
  t.equal(put.status, 400, 'a value the check refuses');
  t.match(put.body.message, /^groups\.sales\.ring_time: must be at most 600 \(got 9999\) \(the change was refused; .* is unchanged\)$/);
  const type = await call('PUT', '/api/groups/sales', { members: ['1001'], ring_time: 'soon' });
  t.same([type.status, type.body.message], [400, 'body/ring_time must be integer'], 'the schema names a wrong type first');
  const typo = await call('PUT', '/api/extensions/1001', { pasword: 'x' });
  t.equal(typo.status, 400);
  t.match(typo.body.message, /extensions\.1001: unknown key "pasword"; did you mean "password"\?/, 'the field is named');
  t.equal(readFileSync(file, 'utf8'), EXAMPLE);
  t.same(reloads, [], 'no reload');
});

t.test('If-Match: an edit against another revision is 412; the current revision goes through', async (t) => {
  const { file, call } = await served(t);
  const got = await call('GET', '/api/config?path=groups.sales.members');
  t.same([got.status, got.body.value, got.body.path], [200, ['1001', '1003'], 'groups.sales.members']);
  t.equal(got.etag, `"${revisionOf(EXAMPLE)}"`);
  const stale = await call('PATCH', '/api/config', { path: 'groups.sales.ring_time', value: 25 }, { 'if-match': `"${revisionOf('older')}"` });
  t.equal(stale.status, 412);
  t.equal(stale.etag, got.etag, 'the current revision comes back');
  t.equal(readFileSync(file, 'utf8'), EXAMPLE);
  const ok = await call('PATCH', '/api/config', { path: 'groups.sales.ring_time', value: 25 }, { 'if-match': got.etag! });
  t.same([ok.status, ok.body.changed, ok.body.reloaded], [200, true, true]);
  t.match(readFileSync(file, 'utf8'), /ring_time: 25, default/);
});

t.test('PATCH /api/config sets or removes any key; bad bodies and paths are 400', async (t) => {
  const { file, call } = await served(t);
  const set = await call('PATCH', '/api/config', { path: 'extensions.1001.voicemail', value: { pin: '0123' } });
  t.equal(set.status, 200);
  t.match(readFileSync(file, 'utf8'), /"1001": \{ name: Alice, password: "alice-pass", voicemail: \{ pin: "0123" \} \}/);
  const removed = await call('PATCH', '/api/config', { path: 'extensions.1001.voicemail', remove: true });
  t.equal(removed.status, 200);
  t.equal(readFileSync(file, 'utf8'), EXAMPLE);
  const same = await call('PATCH', '/api/config', { path: 'groups.sales.ring_time', value: 20 });
  t.same([same.status, same.body.changed, same.body.reloaded], [200, false, false], 'nothing to change');
  t.equal((await call('PATCH', '/api/config', { path: 'a..b', value: 1 })).status, 400);
  t.equal((await call('PATCH', '/api/config', { path: 'x' })).status, 400, 'neither value nor remove');
  t.equal((await call('PATCH', '/api/config', { path: 'x', value: 1, extra: 1 })).status, 400);
  const absent = await call('PATCH', '/api/config', { path: 'queues.none', remove: true });
  t.same([absent.status, absent.body.error], [404, 'not_found']);
  t.equal((await call('GET', '/api/config?path=queues.none')).status, 404);
});

t.test('groups, queues, dialplan numbers and routes are put and removed by key', async (t) => {
  const { file, call } = await served(t);
  const group = await call('PUT', '/api/groups/support', { strategy: 'sequential', members: ['1001', '1002'] });
  t.same([group.status, group.body.created], [201, true]);
  const replaced = await call('PUT', '/api/groups/support', { members: ['1002'] });
  t.same([replaced.status, replaced.body.created], [200, false]);
  t.equal((await call('POST', '/api/queues', { name: 'help', members: ['1001'] })).status, 201);
  t.equal((await call('PUT', '/api/dialplan/800', { destination: 'queue:help' })).status, 201);
  t.equal((await call('PUT', '/api/dialplan/%2A98', { destination: 'group:support' })).status, 201, 'a * number');
  const text = readFileSync(file, 'utf8');
  t.match(text, /\n {2}support: \{ members: \["1002"\] \}\n/);
  t.match(text, /\nqueues:\n {2}help:\n {4}members: \["1001"\]\n/);
  t.match(text, /\n {2}"800": queue:help\n {2}"\*98": group:support\n/);
  const inUse = await call('DELETE', '/api/queues/help');
  t.equal(inUse.status, 409, 'dialplan 800 still sends calls to it');
  t.equal((await call('DELETE', '/api/dialplan/800')).status, 200);
  t.equal((await call('DELETE', '/api/queues/help')).status, 200);
  t.equal((await call('DELETE', '/api/queues/help')).status, 404);
  t.equal((await call('PUT', '/api/routes/inbound/%2B74951234567', { destination: '1001' })).status, 201);
  t.match(readFileSync(file, 'utf8'), /\ninbound:\n {2}"\+74951234567": "1001"\n/);
  const bad = await call('PUT', '/api/dialplan/800', { destination: 'queue:help', x: 1 });
  t.same([bad.status, bad.body.message], [400, 'body/x is not a known field']);
});

t.test('without the token nothing is read or changed', async (t) => {
  const { file, call } = await served(t);
  const r = await call('POST', '/api/extensions', { ext: '1009', password: 'p' }, { authorization: 'Bearer wrong' });
  t.equal(r.status, 401);
  t.equal((await call('GET', '/api/config', undefined, { authorization: 'Bearer wrong' })).status, 401);
  t.equal(readFileSync(file, 'utf8'), EXAMPLE);
});
