import t from 'tap';
import { CallbackWidget, callbackNumber, SlidingWindowLimiter, type CallbackStarted } from '../../src/api/callback-widget.js';
import type { CallbackWidgetConfig } from '../../src/config/types.js';

const CONFIG: CallbackWidgetConfig = {
  target: 'group:sales',
  allowed_origins: ['https://shop.example'],
  per_number: 2,
  number_window: 600,
  per_ip: 4,
  ip_window: 60,
  min_digits: 5,
  max_digits: 15,
  ring_time: 30,
};

function widget(config: CallbackWidgetConfig | null = CONFIG) {
  let now = 1_000_000;
  const started: Array<[string, string, string | null, number]> = [];
  const w = new CallbackWidget({
    config: () => config,
    start: (target, number, name, ring): CallbackStarted => (started.push([target, number, name, ring]), { id: `c${started.length}`, status: 'ringing' }),
    now: () => now,
  });
  return { w, started, advance: (ms: number) => (now += ms) };
}

const ADMITTED = { 'access-control-allow-origin': 'https://shop.example', vary: 'Origin' };

t.test('an allowed origin is admitted with its CORS headers, and its preflight lists POST and content-type', async (t) => {
  const { w } = widget();
  t.same(w.admit('https://shop.example'), { headers: ADMITTED });
  t.match(w.preflight(ADMITTED), { status: 204, headers: { ...ADMITTED, 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': 'content-type' } });
});

t.test('another origin, or none, gets 403 without CORS headers; an unconfigured widget 404', async (t) => {
  const { w } = widget();
  t.match(w.admit('https://evil.example'), { status: 403, headers: { vary: 'Origin' } });
  t.notOk('access-control-allow-origin' in (w.admit('https://evil.example') as { headers: object }).headers);
  t.match(w.admit(undefined), { status: 403 });
  t.match(widget(null).w.admit('https://shop.example'), { status: 404 });
});

t.test('a good number starts the call on the target with the ring time; separators are dropped', async (t) => {
  const { w, started } = widget();
  t.same(w.request('192.0.2.1', { number: '+1 (555) 123-4567', name: 'Ann' }, ADMITTED), {
    status: 202,
    headers: ADMITTED,
    body: { id: 'c1', status: 'ringing', number: '+15551234567' },
  });
  t.same(started, [['group:sales', '+15551234567', 'Ann', 30]]);
});

t.test('a bad number or name is 400 naming the field, and nothing is dialled', async (t) => {
  const { w, started } = widget();
  t.match(w.request('192.0.2.1', {}, ADMITTED), { status: 400, body: { error: 'bad_request', field: 'number', message: /^number: / } });
  t.match(w.request('192.0.2.1', { number: '12ab345' }, ADMITTED), { status: 400, body: { field: 'number', message: 'number: only digits, with an optional leading +' } });
  t.match(w.request('192.0.2.1', { number: '1234' }, ADMITTED), { status: 400, body: { field: 'number', message: 'number: must have 5 to 15 digits' } });
  t.match(w.request('192.0.2.2', { number: '12345', name: 'x'.repeat(65) }, ADMITTED), { status: 400, body: { field: 'name' } });
  t.same(started, []);
  t.same(callbackNumber('1234567890123456', CONFIG), { error: 'number: must have 5 to 15 digits' });
  t.same(callbackNumber(5551234, CONFIG), { number: '5551234' });
});

t.test('one number asks too often: 429 with Retry-After until its window frees a place', async (t) => {
  const { w, started, advance } = widget();
  t.equal(w.request('192.0.2.1', { number: '5551234' }, ADMITTED).status, 202);
  advance(100_000);
  t.equal(w.request('192.0.2.2', { number: '5551234' }, ADMITTED).status, 202);
  const refused = w.request('192.0.2.3', { number: '555-1234' }, ADMITTED);
  t.match(refused, { status: 429, headers: { 'retry-after': '500', 'access-control-allow-origin': 'https://shop.example' }, body: { error: 'too_many_requests', retry_after_s: 500 } });
  t.equal(started.length, 2);
  advance(500_000);
  t.equal(w.request('192.0.2.3', { number: '5551234' }, ADMITTED).status, 202, 'the first request left the window');
});

t.test('one address asks too often, whatever the numbers: 429 with Retry-After', async (t) => {
  const { w, advance } = widget();
  for (let i = 0; i < 4; i++) t.equal(w.request('192.0.2.9', { number: `555000${i}` }, ADMITTED).status, 202);
  t.match(w.request('192.0.2.9', { number: '5559999' }, ADMITTED), { status: 429, headers: { 'retry-after': '60' } });
  t.equal(w.request('192.0.2.10', { number: '5559999' }, ADMITTED).status, 202, 'another address is not held back');
  advance(60_000);
  t.equal(w.request('192.0.2.9', { number: '5558888' }, ADMITTED).status, 202);
});

t.test('the limiter forgets the oldest keys beyond its bound', async (t) => {
  const limiter = new SlidingWindowLimiter();
  for (let i = 0; i < 10_005; i++) limiter.hit(`k${i}`, 0, 1, 1000);
  t.equal(limiter.size, 10_000);
  t.same(limiter.hit('k0', 1, 1, 1000), { ok: true }, 'k0 was dropped first');
});
