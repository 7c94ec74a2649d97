// The dashboard's and the widget's routes on the fastify app (server.ts), answered through
// inject() with a fake PBX: statistics and wallboard with the token, the widget and the
// dashboard files without it.
import t from 'tap';
import type { Test } from 'tap';
import type { CallbackWidgetConfig, ControlSource, QueueStats } from '../../src/api/control-types.js';
import { buildApiServer } from '../../src/api/server.js';
import { quietLog } from '../helpers/log.js';

const TOKEN = 'unit-token';
const ORIGIN = 'https://shop.example';
const WIDGET: CallbackWidgetConfig = { target: 'queue:support', allowed_origins: [ORIGIN], per_number: 1, number_window: 600, per_ip: 10, ip_window: 60, min_digits: 5, max_digits: 15, ring_time: 30 };
const STATS: QueueStats = { queue: 'support', answered: 7, abandoned: 2, timed_out: 0, callbacks: 1, callbacks_pending: 0, callbacks_failed: 0, average_wait_s: 12.5, max_wait_s: 40, service_level_s: 20, service_level_pct: 80 };

async function app(t: Test, widget: CallbackWidgetConfig | null = WIDGET) {
  const asked: unknown[] = [];
  const source: ControlSource = {
    status: () => ({ version: 't', started_at: '2026-01-01T00:00:00.000Z', uptime_s: 0, registrations: 0, calls: 0 }),
    registrations: () => [],
    calls: () => [],
    cdr: () => [],
    missed: () => [],
    missedDone: () => null,
    reload: async () => ({ ok: true }),
    setRecording: async () => ({ ok: false, refusal: 'unknown-call', error: 'no' }),
    originate: () => ({ error: 'no' }),
    queueStats: (name) => (name === null ? [STATS] : null),
    queueLive: () => [{ queue: 'support', waiting: 2, callbacks_waiting: 1, longest_wait_s: 35, agents: { free: 0, busy: 2, paused: 1, logged_out: 0, offline: 0 } }],
    callStats: (by, fromMs, toMs) => (asked.push([by, fromMs, toMs]), by === 'extension' ? [{ extension: '1001', answered: 1, missed: 2, total: 3 }] : [{ start: new Date(fromMs).toISOString(), answered: 1, missed: 0, total: 1 }]),
    callbackConfig: () => widget,
    startCallback: (target, number) => (asked.push([target, number]), { id: 'cb1', status: 'queued', position: 3 }),
  };
  const server = await buildApiServer({ token: TOKEN, source, log: quietLog });
  t.teardown(() => server.close());
  return { server, asked };
}

const auth = { authorization: `Bearer ${TOKEN}` };

t.test('GET /api/stats/calls: rows per hour or extension for [from, to); bad ranges are 400 naming the parameter; the token is needed', async (t) => {
  const { server, asked } = await app(t);
  const ok = await server.inject({ url: '/api/stats/calls?from=2026-11-26T00:00:00Z&to=2026-11-27T00:00:00Z&by=hour', headers: auth });
  t.equal(ok.statusCode, 200);
  t.same(ok.json(), { by: 'hour', from: '2026-11-26T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z', rows: [{ start: '2026-11-26T00:00:00.000Z', answered: 1, missed: 0, total: 1 }] });
  t.same(asked[0], ['hour', Date.parse('2026-11-26T00:00:00Z'), Date.parse('2026-11-27T00:00:00Z')]);
  const ext = await server.inject({ url: '/api/stats/calls?from=2026-11-26&to=2026-11-27&by=extension', headers: auth });
  t.same(ext.json().rows, [{ extension: '1001', answered: 1, missed: 2, total: 3 }]);
  const bad = async (query: string) => (await server.inject({ url: `/api/stats/calls?${query}`, headers: auth })).json().message as string;
  t.match(await bad('from=2026-11-26&to=2026-11-27&by=week'), /querystring\/by must be one of "hour", "day", "extension"/);
  t.match(await bad('from=2026-11-26&by=hour'), /querystring\/to is required/);
  t.match(await bad('from=2026-11-27&to=2026-11-26&by=day'), /querystring\/to must be after querystring\/from/);
  t.match(await bad('from=2026-01-01&to=2026-03-01&by=hour'), /querystring\/to: at most 744 slots/);
  t.equal((await server.inject({ url: '/api/stats/calls?from=2026-11-26&to=2026-11-27&by=hour' })).statusCode, 401);
});

t.test('GET /api/wallboard: each queue now with its answered and abandoned callers', async (t) => {
  const { server } = await app(t);
  const res = await server.inject({ url: '/api/wallboard?since=2026-11-26T00:00:00Z', headers: auth });
  t.same(res.json(), [
    { queue: 'support', waiting: 2, callbacks_waiting: 1, longest_wait_s: 35, agents: { free: 0, busy: 2, paused: 1, logged_out: 0, offline: 0 }, answered: 7, abandoned: 2, average_wait_s: 12.5, service_level_pct: 80 },
  ]);
});

t.test('POST /api/callback needs no token but an allowed origin; the preflight and every answer carry CORS headers', async (t) => {
  const { server, asked } = await app(t);
  const pre = await server.inject({ method: 'OPTIONS', url: '/api/callback', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
  t.equal(pre.statusCode, 204);
  t.equal(pre.headers['access-control-allow-origin'], ORIGIN);
  t.equal(pre.headers['access-control-allow-headers'], 'content-type');
  const post = (payload: unknown, origin = ORIGIN) => server.inject({ method: 'POST', url: '/api/callback', headers: { origin }, payload: payload as object });
  const ok = await post({ number: '+44 20 7946 0000' });
  t.equal(ok.statusCode, 202);
  t.same(ok.json(), { id: 'cb1', status: 'queued', position: 3, number: '+442079460000' });
  t.equal(ok.headers['access-control-allow-origin'], ORIGIN);
  t.same(asked, [['queue:support', '+442079460000']]);
  const again = await post({ number: '+442079460000' });
  t.equal(again.statusCode, 429);
  t.equal(again.headers['retry-after'], '600');
  const schema = await post({ number: '12345', extra: 1 });
  t.equal(schema.statusCode, 400);
  t.match(schema.json(), { error: 'bad_request', message: 'body/extra is not a known field' });
  t.equal(schema.headers['access-control-allow-origin'], ORIGIN, 'a schema refusal is readable by the page too');
  t.match((await post({ number: '12' })).json(), { field: 'number', message: 'number: must have 5 to 15 digits' });
  const evil = await post({ number: '12345' }, 'https://evil.example');
  t.equal(evil.statusCode, 403);
  t.equal(evil.headers['access-control-allow-origin'], undefined);
});

t.test('POST /api/callback is 404 while http.callback is not configured', async (t) => {
  const { server } = await app(t, null);
  t.equal((await server.inject({ method: 'POST', url: '/api/callback', headers: { origin: ORIGIN }, payload: { number: '12345' } })).statusCode, 404);
});

t.test('the dashboard page, script and style are served without the token, with a strict Content-Security-Policy', async (t) => {
  const { server } = await app(t);
  for (const [url, type] of [['/dashboard', 'text/html'], ['/dashboard/app.js', 'text/javascript'], ['/dashboard/style.css', 'text/css']] as const) {
    const res = await server.inject({ url });
    t.equal(res.statusCode, 200, url);
    t.match(res.headers['content-type'], type);
    t.match(res.headers['content-security-policy'], /script-src 'self'/);
  }
  t.match((await server.inject({ url: '/dashboard' })).body, /<script type="module" src="\/dashboard\/app\.js">/);
});

t.test('the OpenAPI document lists the new routes', async (t) => {
  const { server } = await app(t);
  const paths = Object.keys((await server.inject({ url: '/api/openapi.json', headers: auth })).json().paths as object);
  for (const p of ['/api/stats/calls', '/api/wallboard', '/api/callback']) t.ok(paths.includes(p), p);
});
