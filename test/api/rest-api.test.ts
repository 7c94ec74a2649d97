// The REST API (src/api/server.ts) served over HTTP on 127.0.0.1 by startControlServer: the
// bearer token, schemas enforced with the field named, the OpenAPI document, range downloads of
// recordings and voicemail, CDR filters and paging on a real store, the config read, and how call
// hang-up and transfer refusals are answered.
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { CallInfo, ControlSource, TransferResult } from '../../src/api/control-types.js';
import { startControlServer } from '../../src/api/control.js';
import { Store } from '../../src/store/store.js';
import type { CdrRow } from '../../src/store/types.js';
import { VoicemailStore } from '../../src/store/voicemail-store.js';
import { configOf } from '../helpers/config-text.js';
import { quietLog } from '../helpers/log.js';
import { tempDir } from '../helpers/temp-dir.js';
import { writeSilenceWav } from '../helpers/wav-file.js';

const TOKEN = 'rest-token-0123';
const CALL: CallInfo = { id: 'c1', call_id: 'abc@host', from: '1001', to: '1002', state: 'answered', started_at: '2026-01-01T00:00:01.000Z', answered_at: '2026-01-01T00:00:03.000Z', duration_s: 5, recording: false };

function baseSource(): ControlSource {
  return {
    status: () => ({ version: 'test', started_at: '2026-01-01T00:00:00.000Z', uptime_s: 1, registrations: 0, calls: 1 }),
    registrations: () => [],
    calls: () => [CALL],
    cdr: () => [],
    missed: () => [],
    missedDone: () => null,
    reload: async () => ({ ok: true }),
    setRecording: async () => ({ ok: false, refusal: 'unknown-call', error: 'no such call' }),
    originate: () => ({ id: 'o1' }),
  };
}

interface Reply {
  status: number;
  headers: Headers;
  /** The body as JSON when it is JSON, else null. */
  json: Record<string, unknown> | Array<Record<string, unknown>> | null;
  bytes: Buffer;
}

/** Serves `source` on a free port for the test; `call` sends a request with the token unless told otherwise. */
async function serve(t: Test, source: ControlSource) {
  const server = await startControlServer({ host: '127.0.0.1', port: 0, token: TOKEN, source, log: quietLog });
  t.teardown(() => server.close());
  const call = async (method: string, path: string, o: { token?: string | null; headers?: Record<string, string>; body?: unknown } = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token === undefined ? TOKEN : o.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { method, headers, ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }) });
    const bytes = Buffer.from(await res.arrayBuffer());
    const json = (res.headers.get('content-type') ?? '').startsWith('application/json') ? (JSON.parse(bytes.toString()) as Reply['json']) : null;
    return { status: res.status, headers: res.headers, json, bytes };
  };
  return { call, port: server.port };
}

t.test('a missing or wrong token gets 401 with a JSON error, on known and unknown paths alike', async (t) => {
  const { call } = await serve(t, baseSource());
  for (const [token, path] of [
    [null, '/api/status'],
    ['wrong', '/api/status'],
    [`${TOKEN}x`, '/api/calls'],
    [null, '/api/openapi.json'],
    [null, '/api/no-such-thing'],
    ['wrong', '/api/recordings/2026%2F01%2F01%2Fa.wav'],
  ] as const) {
    const res = await call('GET', path, { token });
    t.equal(res.status, 401, `${path} with ${token ?? 'no token'}`);
    t.same(res.json, { error: 'unauthorized', message: 'missing or wrong bearer token' });
    t.equal(res.headers.get('www-authenticate'), 'Bearer realm="pbx"');
  }
  t.equal((await call('GET', '/api/status', { headers: { authorization: `bearer  ${TOKEN} ` }, token: null })).status, 200, 'the scheme is case-insensitive (RFC 6750 2.1)');
});

t.test('request schemas are enforced: a bad body, parameter or query gets 400 naming the field', async (t) => {
  const transfers: string[] = [];
  const { call } = await serve(t, {
    ...baseSource(),
    transfer: (id, to) => (transfers.push(`${id}>${to}`), { ok: true, call: CALL }),
  });
  const cases: Array<[string, string, unknown, string]> = [
    ['POST', '/api/calls/c1/transfer', { to: 1002 }, 'body/to must be string'],
    ['POST', '/api/calls/c1/transfer', {}, 'body/to is required'],
    ['POST', '/api/calls/c1/transfer', { to: '1002', color: 'red' }, 'body/color is not a known field'],
    ['POST', '/api/calls/c1/transfer', { to: '1002', keep: 'both' }, 'body/keep must be one of "caller", "callee"'],
    ['GET', '/api/cdr?limit=0', undefined, 'querystring/limit must be >= 1'],
    ['GET', '/api/cdr?status=lost', undefined, 'querystring/status must be one of'],
    ['GET', '/api/cdr?until=tomorrow', undefined, 'querystring/until must match pattern'],
    ['GET', '/api/cdr?until=2026-02-31T25:00', undefined, 'querystring/until must be an ISO 8601 time'],
    ['GET', '/api/cdr?extension=10a', undefined, 'querystring/extension must match pattern'],
    ['GET', '/api/cdr?page=2', undefined, 'querystring/page is not a known parameter'],
    ['GET', '/api/extensions/abc', undefined, 'params/ext must match pattern'],
  ];
  for (const [method, path, body, message] of cases) {
    const res = await call(method, path, { body });
    t.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
    t.match(res.json, { error: 'bad_request', message }, `${method} ${path} names the field`);
  }
  const bad = await call('POST', '/api/calls/c1/transfer', { headers: { 'content-type': 'application/json' }, token: TOKEN, body: undefined });
  t.equal(bad.status, 400, 'a JSON content type with no body');
  t.same(transfers, [], 'nothing bad reached the PBX');
  t.equal((await call('POST', '/api/calls/c1/transfer', { body: { to: '1003' } })).status, 202);
  t.same(transfers, ['c1>1003']);
});

t.test('errors are JSON: 404 for unknown paths, 405 with Allow for a known path with another method', async (t) => {
  const { call } = await serve(t, baseSource());
  t.same((await call('GET', '/api/nothing')).json, { error: 'not_found', message: 'no such path: /api/nothing' });
  const wrong = await call('PUT', '/api/calls/c1/recording');
  t.equal(wrong.status, 405);
  t.equal(wrong.headers.get('allow'), 'DELETE, POST');
  t.match(wrong.json, { error: 'method_not_allowed' });
  const unknownCall = await call('GET', '/api/calls/c9');
  t.equal(unknownCall.status, 404);
  t.match(unknownCall.json, { error: 'not_found', message: /c9/ });
});

t.test('GET /api/openapi.json is an OpenAPI 3 document with every path, its parameters and responses', async (t) => {
  const { call } = await serve(t, baseSource());
  const res = await call('GET', '/api/openapi.json');
  t.equal(res.status, 200);
  const doc = JSON.parse(res.bytes.toString()) as { openapi: string; paths: Record<string, Record<string, { parameters?: Array<{ name: string }>; requestBody?: unknown; responses: Record<string, unknown> }>>; components: { securitySchemes: unknown } };
  t.match(doc.openapi, /^3\./);
  t.same(doc.components.securitySchemes, { bearer: { type: 'http', scheme: 'bearer' } });
  for (const path of [
    '/api/status',
    '/api/registrations',
    '/api/calls',
    '/api/calls/{id}',
    '/api/calls/{id}/transfer',
    '/api/calls/{id}/recording',
    '/api/originate',
    '/api/cdr',
    '/api/missed',
    '/api/extensions',
    '/api/extensions/{ext}',
    '/api/groups',
    '/api/queues',
    '/api/queues/{name}/stats',
    '/api/routes',
    '/api/recordings',
    '/api/recordings/{id}',
    '/api/voicemail',
    '/api/voicemail/{id}/audio',
    '/api/events',
    '/metrics',
  ]) {
    t.ok(doc.paths[path], `${path} is documented`);
  }
  t.notOk(doc.paths['/api/openapi.json'], 'the document itself is not listed');
  t.same(Object.keys(doc.paths['/api/calls/{id}']!).sort(), ['delete', 'get']);
  t.ok(doc.paths['/api/calls/{id}/transfer']!.post!.requestBody, 'the transfer body is documented');
  t.ok(doc.paths['/api/cdr']!.get!.parameters!.some((p) => p.name === 'offset'), 'CDR paging is documented');
  t.ok(doc.paths['/api/recordings/{id}']!.get!.responses['206'], 'the partial download is documented');
  t.ok(doc.paths['/api/cdr']!.get!.responses['4XX'] ?? doc.paths['/api/cdr']!.get!.responses['4xx'], 'errors are documented');
});

/** A recording file of 1000 known bytes (not a real WAV: the bytes are what is checked). */
function recordingFixture(t: Test): { dir: string; id: string; bytes: Buffer } {
  const dir = tempDir(t, 'rest-rec');
  const id = '2026/01/02/101500_1001_1002_0badcafe.wav';
  mkdirSync(join(dir, '2026', '01', '02'), { recursive: true });
  const bytes = Buffer.alloc(1000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
  writeFileSync(join(dir, ...id.split('/')), bytes);
  return { dir, id, bytes };
}

t.test('a recording downloads whole, or by byte range with 206 and Content-Range; a bad range is 416', async (t) => {
  const rec = recordingFixture(t);
  const { call } = await serve(t, { ...baseSource(), recordingsDir: () => rec.dir });
  const url = `/api/recordings/${encodeURIComponent(rec.id)}`;

  const whole = await call('GET', url);
  t.equal(whole.status, 200);
  t.equal(whole.headers.get('content-type'), 'audio/wav');
  t.equal(whole.headers.get('accept-ranges'), 'bytes');
  t.equal(whole.headers.get('content-length'), '1000');
  t.ok(whole.bytes.equals(rec.bytes), 'the whole file');

  const first = await call('GET', url, { headers: { range: 'bytes=0-99' } });
  t.equal(first.status, 206);
  t.equal(first.headers.get('content-range'), 'bytes 0-99/1000');
  t.equal(first.headers.get('content-length'), '100');
  t.ok(first.bytes.equals(rec.bytes.subarray(0, 100)), 'bytes 0-99');

  const ranges: Array<[string, number, number]> = [
    ['bytes=500-', 500, 999],
    ['bytes=-10', 990, 999],
    ['bytes=990-5000', 990, 999],
    ['bytes=999-999', 999, 999],
  ];
  for (const [range, start, end] of ranges) {
    const part = await call('GET', url, { headers: { range } });
    t.equal(part.status, 206, range);
    t.equal(part.headers.get('content-range'), `bytes ${start}-${end}/1000`, range);
    t.ok(part.bytes.equals(rec.bytes.subarray(start, end + 1)), `${range}: the right bytes`);
  }
  for (const range of ['bytes=1000-1099', 'bytes=100-50', 'bytes=abc', 'bytes=-0', 'bytes=', 'pages']) {
    const bad = await call('GET', url, { headers: { range } });
    t.equal(bad.status, 416, range);
    t.equal(bad.headers.get('content-range'), 'bytes */1000', `${range}: the size is told`);
    t.match(bad.json, { error: 'range_not_satisfiable' }, range);
  }
  const several = await call('GET', url, { headers: { range: 'bytes=0-1,5-6' } });
  t.equal(several.status, 200, 'several ranges: the whole file (RFC 9110 14.2 lets a server ignore Range)');
  t.equal(several.bytes.length, 1000);

  const head = await call('HEAD', url, { headers: { range: 'bytes=0-99' } });
  t.equal(head.status, 206, 'HEAD answers as GET would');
  t.equal(head.headers.get('content-range'), 'bytes 0-99/1000');
  t.equal(head.bytes.length, 0);

  t.equal((await call('GET', `/api/recordings/${encodeURIComponent('2026/01/02/nothing.wav')}`)).status, 404);
  t.equal((await call('GET', `/api/recordings/${encodeURIComponent('../../etc/passwd.wav')}`)).status, 404, 'no way out of the recordings directory');
  t.equal((await call('GET', `/api/recordings/${encodeURIComponent('2026/01/02')}`)).status, 404, 'a directory is no recording');
});

t.test('recordings list newest first with a next link; a fresh one is not deleted, an old one is', async (t) => {
  const rec = recordingFixture(t);
  const older = '2026/01/01/235959_1003_1001_00000001.wav';
  mkdirSync(join(rec.dir, '2026', '01', '01'), { recursive: true });
  writeFileSync(join(rec.dir, ...older.split('/')), Buffer.alloc(10));
  writeFileSync(join(rec.dir, 'notes.txt'), 'not a recording');
  const { call } = await serve(t, { ...baseSource(), recordingsDir: () => rec.dir });

  const all = await call('GET', '/api/recordings');
  t.match(all.json, [
    { id: rec.id, url: `/api/recordings/${encodeURIComponent(rec.id)}`, bytes: 1000, started_at: '2026-01-02T10:15:00.000Z' },
    { id: older, bytes: 10, started_at: '2026-01-01T23:59:59.000Z' },
  ]);
  t.equal((all.json as unknown[]).length, 2);
  const page = await call('GET', '/api/recordings?limit=1');
  t.match(page.json, [{ id: rec.id }]);
  const next = /^<([^>]+)>; rel="next"$/.exec(page.headers.get('link') ?? '');
  t.ok(next, 'a full page links the next one');
  const page2 = await call('GET', next![1]!);
  t.match(page2.json, [{ id: older }]);
  t.same((await call('GET', '/api/recordings?day=2026-01-01')).json!.length, 1, 'one day');

  const url = `/api/recordings/${encodeURIComponent(rec.id)}`;
  const fresh = await call('DELETE', url);
  t.equal(fresh.status, 409, 'modified in the last minute: being written');
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(join(rec.dir, ...rec.id.split('/')), hourAgo, hourAgo);
  t.same((await call('DELETE', url)).json, { id: rec.id, deleted: true });
  t.equal((await call('GET', url)).status, 404, 'gone');
  t.equal((await call('DELETE', url)).status, 404);
});

t.test('voicemail messages list, download by range and delete', async (t) => {
  const dataDir = tempDir(t, 'rest-vm');
  const voicemail = await VoicemailStore.open(dataDir, quietLog);
  t.teardown(() => voicemail.close());
  const msg = await voicemail.add('1002', writeSilenceWav(join(dataDir, 'in.wav'), 1), { caller: '1001', callerName: 'Alice', durationS: 1 });
  await voicemail.add('1003', writeSilenceWav(join(dataDir, 'in2.wav'), 1), { caller: '+4930123', durationS: 1 });
  const { call } = await serve(t, { ...baseSource(), voicemail });

  const list = await call('GET', '/api/voicemail');
  t.match(list.json, [
    { id: msg.id, mailbox: '1002', folder: 'new', caller: '1001', caller_name: 'Alice', url: `/api/voicemail/${msg.id}/audio` },
    { mailbox: '1003', caller: '+4930123' },
  ]);
  t.notOk('path' in (list.json as Array<Record<string, unknown>>)[0]!, 'server paths stay on the server');
  t.equal((await call('GET', '/api/voicemail?mailbox=1003')).json!.length, 1);
  t.equal((await call('GET', '/api/voicemail?folder=old')).json!.length, 0);
  t.equal((await call('GET', '/api/voicemail?folder=trash')).status, 400);

  const part = await call('GET', `/api/voicemail/${msg.id}/audio`, { headers: { range: 'bytes=0-3' } });
  t.equal(part.status, 206);
  t.equal(part.bytes.toString('latin1'), 'RIFF');
  t.equal(part.headers.get('content-range'), `bytes 0-3/${44 + 16000}`);
  t.equal((await call('GET', `/api/voicemail/${msg.id}/audio`, { headers: { range: 'bytes=99999-' } })).status, 416);

  t.match((await call('DELETE', `/api/voicemail/${msg.id}`)).json, { id: msg.id, mailbox: '1002' });
  t.equal(voicemail.get(msg.id), null, 'deleted from the store');
  t.equal((await call('GET', `/api/voicemail/${msg.id}/audio`)).status, 404);
  t.equal((await call('DELETE', `/api/voicemail/${msg.id}`)).status, 404);
});

function cdrRow(i: number, over: Partial<CdrRow> = {}): CdrRow {
  const started = new Date(Date.UTC(2026, 0, 1, 8, 0, i));
  return {
    id: `r${i}`,
    call_id: `call-${i}@test`,
    from: i % 2 === 0 ? '1001' : '+49301234567',
    to: i % 3 === 0 ? '1002' : '600',
    status: i % 5 === 0 ? 'missed' : 'answered',
    reason: 'caller-bye',
    started_at: started.toISOString(),
    answered_at: null,
    ended_at: new Date(started.getTime() + 5000).toISOString(),
    duration_s: 5,
    billsec: 0,
    recording: null,
    path: i % 3 === 0 ? null : 'group:sales>1003',
    ...over,
  };
}

t.test('GET /api/cdr pages by limit and offset with X-Total-Count and a next link, and filters', async (t) => {
  const store = Store.open(tempDir(t, 'rest-cdr'));
  t.teardown(() => store.close());
  for (let i = 0; i < 25; i++) store.insertCdr(cdrRow(i));
  const { call } = await serve(t, { ...baseSource(), cdr: (q) => store.listCdr(q), cdrCount: (q) => store.countCdr(q) });

  const seen: string[] = [];
  let path: string | null = '/api/cdr?limit=10';
  let pages = 0;
  while (path !== null && pages < 5) {
    const res: Reply = await call('GET', path);
    pages++;
    t.equal(res.status, 200);
    t.equal(res.headers.get('x-total-count'), '25');
    seen.push(...(res.json as unknown as CdrRow[]).map((r) => r.id));
    const link = /^<([^>]+)>; rel="next"$/.exec(res.headers.get('link') ?? '');
    path = link === null ? null : link[1]!;
  }
  t.equal(pages, 3, 'three pages of 10, 10 and 5');
  t.same(seen, Array.from({ length: 25 }, (_, i) => `r${24 - i}`), 'every row once, newest first');

  const count = async (query: string): Promise<[number, string | null]> => {
    const res = await call('GET', `/api/cdr?${query}`);
    t.equal(res.status, 200, query);
    return [(res.json as unknown[]).length, res.headers.get('x-total-count')];
  };
  t.same(await count('status=missed'), [5, '5']);
  t.same(await count('missed=1'), [5, '5']);
  t.same(await count('extension=1002'), [9, '9'], 'to the extension');
  t.same(await count('extension=1003'), [16, '16'], 'rang on the way (path)');
  t.same(await count('extension=1001'), [13, '13'], 'from the extension');
  t.same(await count('number=3012'), [12, '12'], 'digits within from');
  t.same(await count('since=2026-01-01T08:00:10Z&until=2026-01-01T08:00:20Z'), [10, '10'], 'since inclusive, until exclusive');
  t.same(await count('extension=1002&status=missed&limit=1'), [1, '2']);
  const res = await call('GET', '/api/cdr?status=missed&limit=2&offset=4');
  t.same((res.json as unknown as CdrRow[]).map((r) => r.id), ['r0'], 'the last page');
  t.equal(res.headers.get('link'), null, 'no next page after the last');
});

t.test('extensions, groups, queues and routes are read from the running config, secrets left out', async (t) => {
  const config = configOf(`
http: { listen: "127.0.0.1:8088", token: "${TOKEN}" }
extensions:
  "1001": { name: Alice, password: "alice-secret-pass", voicemail: { pin: "4321" } }
  "1002": { name: Bob, password: "bob-secret-pass", forward: { no_answer: { after: 20, to: "1001" } } }
groups:
  sales: { strategy: simultaneous, members: ["1001", "1002"], ring_time: 20 }
queues:
  support: { members: ["1002"] }
dialplan:
  "600": "group:sales"
  "700": "queue:support"
`);
  const { call } = await serve(t, {
    ...baseSource(),
    config,
    registrations: () => [{ extension: '1001', contact: 'sip:1001@127.0.0.1:5070', transport: 'udp', source: '127.0.0.1:5070', expires_at: '2026-01-01T01:00:00.000Z', user_agent: 'x' }],
  });
  const exts = await call('GET', '/api/extensions');
  t.match(exts.json, [
    { number: '1001', name: 'Alice', voicemail: { email: null }, registered: 1 },
    { number: '1002', name: 'Bob', voicemail: null, forward: { no_answer: { after: 20, to: '1001' } }, registered: 0 },
  ]);
  t.notMatch(exts.bytes.toString(), /secret-pass|4321|password|pin/, 'no password or PIN in the answer');
  t.match((await call('GET', '/api/extensions/1002')).json, { number: '1002', name: 'Bob' });
  t.equal((await call('GET', '/api/extensions/1009')).status, 404);
  t.match((await call('GET', '/api/groups')).json, [{ name: 'sales', strategy: 'simultaneous', members: ['1001', '1002'], ring_time: 20 }]);
  t.match((await call('GET', '/api/groups/sales')).json, { name: 'sales' });
  t.equal((await call('GET', '/api/groups/nope')).status, 404);
  t.match((await call('GET', '/api/queues')).json, [{ name: 'support', members: ['1002'] }]);
  t.match((await call('GET', '/api/queues/support')).json, { name: 'support', strategy: String });
  t.match((await call('GET', '/api/routes')).json, {
    dialplan: [
      { number: '600', destination: 'group:sales' },
      { number: '700', destination: 'queue:support' },
    ],
    inbound: { dids: [], default: null },
    outbound: [],
  });
});

t.test('hang-up and transfer: 202 with the call, their refusals as 404, 400 and 409', async (t) => {
  const hungUp: string[] = [];
  let transferResult: TransferResult = { ok: true, call: CALL };
  const { call } = await serve(t, {
    ...baseSource(),
    hangup: (id) => (hungUp.push(id), id === 'c1' || id === 'abc@host' ? CALL : null),
    transfer: () => transferResult,
  });
  const res = await call('DELETE', '/api/calls/c1');
  t.equal(res.status, 202);
  t.same(res.json, CALL);
  t.equal((await call('DELETE', `/api/calls/${encodeURIComponent('abc@host')}`)).status, 202, 'by Call-ID');
  t.equal((await call('DELETE', '/api/calls/c9')).status, 404);
  t.same(hungUp, ['c1', 'abc@host', 'c9']);

  t.equal((await call('POST', '/api/calls/c1/transfer', { body: { to: '1003', keep: 'callee' } })).status, 202);
  const refusals: Array<[TransferResult, number, { error: string; message: string }]> = [
    [{ ok: false, refusal: 'unknown-call', error: 'no call' }, 404, { error: 'not_found', message: 'no call' }],
    [{ ok: false, refusal: 'unknown-number', error: '999 leads nowhere' }, 400, { error: 'bad_request', message: 'body/to: 999 leads nowhere' }],
    [{ ok: false, refusal: 'not-answered', error: 'not answered' }, 409, { error: 'conflict', message: 'not answered' }],
  ];
  for (const [result, status, body] of refusals) {
    transferResult = result;
    const refused = await call('POST', '/api/calls/c1/transfer', { body: { to: '999' } });
    t.equal(refused.status, status, JSON.stringify(result));
    t.same(refused.json, body);
  }
});
