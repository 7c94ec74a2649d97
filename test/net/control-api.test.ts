import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import type { CallInfo, ControlSource, RegistrationInfo, StatusInfo } from '../../src/api/control-types.js';
import { startControlServer } from '../../src/api/control.js';
import { createLogger } from '../../src/log.js';
import type { CdrRow } from '../../src/store/types.js';

const TOKEN = 'test-token-123';
const STATUS: StatusInfo = { version: '0.1.0', started_at: '2026-01-01T00:00:00.000Z', uptime_s: 42, registrations: 1, calls: 1 };
const REGISTRATION: RegistrationInfo = { extension: '1001', contact: 'sip:1001@127.0.0.1:5070', transport: 'udp', source: '127.0.0.1:5070', expires_at: '2026-01-01T01:00:00.000Z', user_agent: 'SIPp' };
const CALL: CallInfo = { id: 'c1', call_id: 'x@y', from: '1001', to: '1002', state: 'answered', started_at: '2026-01-01T00:00:01.000Z', answered_at: '2026-01-01T00:00:03.000Z', duration_s: 5, recording: false };
const CDR: CdrRow = { id: 'r1', call_id: 'x@y', from: '1001', to: '1002', status: 'missed', reason: 'cancel', started_at: '2026-01-01T00:00:00.000Z', answered_at: null, ended_at: '2026-01-01T00:00:09.000Z', duration_s: 9, billsec: 0, recording: null };

function fakeSource() {
  const cdrQueries: unknown[] = [];
  const originated: Array<[string, string]> = [];
  let reloadResult: { ok: true } | { ok: false; errors: string[] } = { ok: true };
  const source: ControlSource = {
    status: () => STATUS,
    registrations: () => [REGISTRATION],
    calls: () => [CALL],
    cdr: (q) => (cdrQueries.push(q), [CDR]),
    reload: async () => reloadResult,
    setRecording: async () => ({ ok: false as const, refusal: 'unknown-call' as const, error: 'no such call' }),
    originate: (from: string, to: string) => (originated.push([from, to]), from === '1001' ? { id: 'o1' } : { error: `from: ${from} is not an extension` }),
  };
  return { source, cdrQueries, originated, refuseReloads: (errors: string[]) => (reloadResult = { ok: false, errors }) };
}

async function start(t: Test) {
  const fake = fakeSource();
  const log = createLogger({ level: 'error', destination: new Writable({ write: (_c, _e, done) => done() }) });
  const server = await startControlServer({ host: '127.0.0.1', port: 0, token: TOKEN, source: fake.source, log });
  t.teardown(() => server.close());
  const call = async (path: string, init: RequestInit = {}, token: string | null = TOKEN) => {
    const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { ...init, headers });
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as unknown };
  };
  return { ...fake, server, call };
}

t.test('requests without the right bearer token get 401', async (t) => {
  const { call } = await start(t);
  t.equal((await call('/api/status', {}, null)).status, 401);
  t.equal((await call('/api/status', {}, 'test-token-12')).status, 401);
  t.equal((await call('/api/status', {}, 'test-token-1234')).status, 401);
  t.equal((await call('/api/nothing', {}, null)).status, 401, 'paths are not revealed without the token');
  t.equal((await call('/api/status')).status, 200);
});

t.test('status, registrations, calls and cdr answer JSON from the source', async (t) => {
  const { call, cdrQueries } = await start(t);
  const status = await call('/api/status');
  t.same(status, { status: 200, type: 'application/json; charset=utf-8', body: STATUS });
  t.same((await call('/api/registrations')).body, [REGISTRATION]);
  t.same((await call('/api/calls')).body, [CALL]);
  t.same((await call('/api/cdr')).body, [CDR]);
  await call('/api/cdr?missed=1&since=2026-01-01T10:00:00%2B01:00&limit=5');
  t.same(cdrQueries, [
    { missed: false, since: null, limit: 100 },
    { missed: true, since: '2026-01-01T09:00:00.000Z', limit: 5 },
  ]);
});

t.test('bad query values get 400 and never reach the source', async (t) => {
  const { call, cdrQueries } = await start(t);
  for (const query of ['missed=maybe', 'since=yesterday', 'since=2026-13-45', 'limit=0', 'limit=-1', 'limit=abc', 'limit=10001', 'color=red']) {
    const res = await call(`/api/cdr?${query}`);
    t.equal(res.status, 400, query);
    t.match(res.body, { error: String }, query);
  }
  t.same(cdrQueries, []);
});

t.test('unknown paths get 404, wrong methods 405', async (t) => {
  const { call } = await start(t);
  t.equal((await call('/api/nothing')).status, 404);
  t.equal((await call('/')).status, 404);
  t.equal((await call('/api/status', { method: 'POST' })).status, 405);
  t.equal((await call('/api/reload')).status, 405);
});

t.test('POST /api/reload answers 200 when accepted and 422 with the errors when refused', async (t) => {
  const { call, refuseReloads } = await start(t);
  t.same(await call('/api/reload', { method: 'POST' }), { status: 200, type: 'application/json; charset=utf-8', body: { ok: true } });
  refuseReloads(['pbx.yaml:3:5: sip: unknown key "lisen"; did you mean "listen"?']);
  t.same((await call('/api/reload', { method: 'POST' })).body, { ok: false, errors: ['pbx.yaml:3:5: sip: unknown key "lisen"; did you mean "listen"?'] });
  t.equal((await call('/api/reload', { method: 'POST' })).status, 422);
});

t.test('close is safe to call twice and frees the port', async (t) => {
  const { server, call } = await start(t);
  t.equal((await call('/api/status')).status, 200);
  await Promise.all([server.close(), server.close()]);
  await server.close();
  await t.rejects(fetch(`http://127.0.0.1:${server.port}/api/status`));
});

t.test('POST /api/originate starts a click-to-call (202 with its id); a missing or bad field is 400 naming it', async (t) => {
  const api = await start(t);
  const ok = await api.call('/api/originate?from=1001&to=1002', { method: 'POST' });
  t.same(ok, { status: 202, type: 'application/json; charset=utf-8', body: { id: 'o1' } });
  t.same(api.originated, [['1001', '1002']]);
  t.match((await api.call('/api/originate?to=1002', { method: 'POST' })).body, { error: /^from: / });
  t.match((await api.call('/api/originate?from=1001', { method: 'POST' })).body, { error: /^to: / });
  const bad = await api.call('/api/originate?from=9999&to=1002', { method: 'POST' });
  t.equal(bad.status, 400);
  t.match(bad.body, { error: 'from: 9999 is not an extension' });
  t.equal((await api.call('/api/originate?from=1001&to=1002')).status, 405, 'GET is not allowed');
  t.equal((await api.call('/api/originate?from=1001&to=1002', { method: 'POST' }, 'wrong')).status, 401);
});
