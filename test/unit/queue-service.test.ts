import t, { type Test } from 'tap';
import { QueueService, type QueueEvent, type Originate, type OriginateRequest, type OriginateResult } from '../../src/queues/service.js';
import { QueueStore } from '../../src/queues/store.js';
import { configOf } from '../helpers/config-text.js';
import { quietLog } from '../helpers/log.js';
import { tempDir } from '../helpers/temp-dir.js';

const CONFIG = configOf(`http: { token: t }
extensions:
  "1001": { password: a }
  "1002": { password: b }
  "1005": { password: e }
queues:
  support: { strategy: linear, members: ["1001", "1002"], callback: true, wrapup: 10, service_level: 20 }
`);

/** Lets the service's dispatch (setImmediate) run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

interface Harness {
  service: QueueService;
  dialled: OriginateRequest[];
  clock: { now: number };
  /** What the next originate calls resolve with. */
  results: OriginateResult[];
}

function open(t: Test, dir: string, clock = { now: 1_000_000 }, registered: string[] = ['1001', '1002'], events: QueueEvent[] = []): Harness {
  const dialled: OriginateRequest[] = [];
  const results: OriginateResult[] = [];
  const originate: Originate = async (request) => {
    dialled.push(request);
    return { id: String(dialled.length), result: results.shift() ?? 'answered' };
  };
  const service = new QueueService({
    store: QueueStore.open(dir),
    getConfig: () => CONFIG,
    registered: (ext) => registered.includes(ext),
    originate,
    log: quietLog,
    now: () => clock.now,
    retryMs: 5000,
    onEvent: (e) => events.push(e),
  });
  t.teardown(() => service.close());
  return { service, dialled, clock, results };
}

t.test('callers are offered in joining order to the agent the strategy picks; an agent that does not answer rests', async (t) => {
  const { service, clock } = open(t, tempDir(t, 'queue'));
  const first = service.join('support', { number: '1005', callId: 'c1' });
  clock.now += 1000;
  const second = service.join('support', { number: '1006', callId: 'c2' });
  t.equal(first.position(), 1);
  t.equal(second.position(), 2);
  t.same(await first.nextOffer(), ['1001'], 'linear: the first member for the head of the line');
  t.same(await second.nextOffer(), ['1002'], 'the next caller gets the next free agent');
  first.notAnswered();
  await settle();
  let offered: string[] | null = null;
  void first.nextOffer().then((a) => (offered = a));
  await settle();
  t.equal(offered, null, '1001 rests after not answering, 1002 is reserved: nobody to offer');
  clock.now += 5001;
  service.registrationChanged();
  await settle();
  t.same(offered, ['1001'], 'after the rest 1001 is offered again');
});

t.test('an answered call ends in wrap-up: the agent is offered nothing until it is over', async (t) => {
  const { service, clock } = open(t, tempDir(t, 'queue'), { now: 1_000_000 }, ['1001']);
  const a = service.join('support', { number: '1005', callId: 'c1' });
  t.same(await a.nextOffer(), ['1001']);
  clock.now += 4000;
  a.answered('1001');
  const b = service.join('support', { number: '1006', callId: 'c2' });
  let offered: string[] | null = null;
  void b.nextOffer().then((x) => (offered = x));
  await settle();
  t.equal(offered, null, 'the agent is talking');
  a.done();
  await settle();
  t.equal(offered, null, 'the agent is in wrap-up (10 s)');
  clock.now += 10_001;
  service.registrationChanged();
  await settle();
  t.same(offered, ['1001'], 'after wrap-up the next caller is offered');
  t.match(service.stats('support'), { answered: 1, average_wait_s: 4, service_level_pct: 100 });
});

t.test('agents busy on other calls, logged out or paused are not offered', async (t) => {
  const { service } = open(t, tempDir(t, 'queue'));
  service.callState({ id: 'x-a', callId: 'other', extension: '1001', state: 'confirmed' });
  t.same(service.logout('1002', null), ['support']);
  const a = service.join('support', { number: '1005', callId: 'c1' });
  let offered: string[] | null = null;
  void a.nextOffer().then((x) => (offered = x));
  await settle();
  t.equal(offered, null, '1001 busy, 1002 logged out');
  t.same(service.login('1002', 'support'), ['support']);
  t.same(service.togglePause('1002', null), { paused: true, queues: ['support'] });
  await settle();
  t.equal(offered, null, '1002 paused');
  service.callState({ id: 'x-a', callId: 'other', extension: '1001', state: 'terminated' });
  await settle();
  t.same(offered, ['1001'], 'the other call ended: 1001 is offered');
  t.same(service.togglePause('1002', null), { paused: false, queues: ['support'] });
  t.equal(service.togglePause('1005', null), null, 'not a member of any queue');
});

t.test('a callback keeps its place, is dialled once an agent is reserved, agent first, and survives a restart', async (t) => {
  const dir = tempDir(t, 'queue');
  const clock = { now: 1_000_000 };
  const before = open(t, dir, clock, []);
  const a = before.service.join('support', { number: '1005', callId: 'c1' });
  clock.now += 1000;
  const b = before.service.join('support', { number: '1006', callId: 'c2' });
  t.ok(a.callback(), 'the first caller asks for a callback');
  t.equal(a.position(), 1, 'and keeps its place');
  t.equal(b.position(), 2);
  t.equal(before.service.stats('support').callbacks_pending, 1);
  before.service.close();
  t.equal(before.dialled.length, 0, 'no agent was free: nothing dialled');

  clock.now += 60_000;
  const after = open(t, dir, clock, ['1001']);
  const c = after.service.join('support', { number: '1007', callId: 'c3' });
  let offered: string[] | null = null;
  void c.nextOffer().then((x) => (offered = x));
  await settle();
  t.same(after.dialled, [{ first: '1001', then: '1005', ringTimeoutMs: 15000, callerId: 'Callback 1005' }], 'after the restart the callback goes first');
  t.equal(offered, null, 'the new caller waits behind it');
  await settle();
  t.match(after.service.stats('support'), { answered: 1, callbacks: 1, callbacks_pending: 0 });
  after.service.close();

  const again = open(t, dir, clock, ['1001']);
  await settle();
  t.equal(again.dialled.length, 0, 'a callback that was dialled is never dialled again');
});

t.test('a callback whose agent does not answer waits for the next agent; one whose customer does not answer ends', async (t) => {
  const { service, dialled, results, clock } = open(t, tempDir(t, 'queue'), { now: 1_000_000 }, ['1001', '1002']);
  service.togglePause('1002', null);
  results.push('first-no-answer', 'then-failed');
  const a = service.join('support', { number: '1005', callId: 'c1' });
  const offer = await a.nextOffer();
  a.notAnswered();
  t.same(offer, ['1001']);
  t.ok(a.callback());
  await settle();
  t.equal(dialled.length, 0, '1001 rests after the caller was not answered');
  clock.now += 5001;
  service.registrationChanged();
  await settle();
  await settle();
  t.same(dialled.map((d) => d.first), ['1001'], 'dialled through 1001, which does not answer');
  service.togglePause('1002', null);
  await settle();
  await settle();
  t.same(dialled.map((d) => d.first), ['1001', '1002'], 'then through 1002');
  t.match(service.stats('support'), { answered: 0, callbacks: 1, callbacks_failed: 1, callbacks_pending: 0 });
});

t.test('abandoned and timed-out callers count in the statistics and the service level', async (t) => {
  const { service, clock } = open(t, tempDir(t, 'queue'), { now: 1_000_000 }, []);
  const a = service.join('support', { number: '1005', callId: 'c1' });
  const b = service.join('support', { number: '1006', callId: 'c2' });
  clock.now += 30_000;
  a.leave('abandoned');
  b.leave('timeout');
  a.leave('abandoned');
  t.match(service.stats('support'), { answered: 0, abandoned: 1, timed_out: 1, average_wait_s: null, service_level_pct: 0 });
  t.throws(() => service.join('nope', { number: '1', callId: null }), { code: 'PBX_ERR_QUEUE_UNKNOWN' });
});

t.test('agent logout and pause are stored: after a restart the agent is still logged out or paused', async (t) => {
  const dir = tempDir(t, 'queue');
  const before = open(t, dir);
  t.same(before.service.logout('1001', null), ['support']);
  t.same(before.service.togglePause('1002', 'support'), { paused: true, queues: ['support'] });
  before.service.close();

  const after = open(t, dir);
  const a = after.service.join('support', { number: '1005', callId: 'c1' });
  let offered: string[] | null = null;
  void a.nextOffer().then((x) => (offered = x));
  await settle();
  t.equal(offered, null, '1001 still logged out, 1002 still paused');
  t.same(after.service.togglePause('1002', 'support'), { paused: false, queues: ['support'] }, 'the stored pause is toggled off');
  await settle();
  t.same(offered, ['1002']);
  after.service.close();

  const again = open(t, dir);
  const b = again.service.join('support', { number: '1006', callId: 'c2' });
  let next: string[] | null = null;
  void b.nextOffer().then((x) => (next = x));
  await settle();
  t.same(next, ['1002'], 'the resume was stored too; 1001 is still logged out');
  t.same(again.service.login('1001', null), ['support']);
  const store = QueueStore.open(dir);
  t.same(store.agentStates(), [], 'logged in and not paused leaves no row');
  store.close();
});

t.test('a callback cut off by a crash while it was dialled waits for an agent again and is dialled after the restart', async (t) => {
  const dir = tempDir(t, 'queue');
  const clock = { now: 1_000_000 };
  let release: (r: { id: string; result: OriginateResult }) => void = () => undefined;
  const hanging = new QueueService({
    store: QueueStore.open(dir),
    getConfig: () => CONFIG,
    registered: () => true,
    originate: () => new Promise((resolve) => (release = resolve)),
    log: quietLog,
    now: () => clock.now,
  });
  const w = hanging.join('support', { number: '1005', callId: 'c1' });
  t.ok(w.callback());
  await settle();
  t.equal(hanging.stats('support').callbacks_pending, 1, 'being dialled: still stored');
  // The PBX dies here: the originate never resolves and the service is dropped without closing.
  const after = open(t, dir, clock, ['1001']);
  await settle();
  t.same(after.dialled.map((r) => r.then), ['1005'], 'dialled again after the restart');
  await settle();
  t.match(after.service.stats('support'), { answered: 1, callbacks_pending: 0 });
  hanging.close();
  release({ id: 'x', result: 'failed' });
});

t.test('queue events: joined with its position, callback requested, answered with the agent and the wait, abandoned', async (t) => {
  const events: QueueEvent[] = [];
  const clock = { now: 1_000_000 };
  const { service } = open(t, tempDir(t, 'queue'), clock, [], events);
  const a = service.join('support', { number: '1005', callId: 'c1' });
  const b = service.join('support', { number: '1006', callId: 'c2' });
  const c = service.join('support', { number: '1007', callId: 'c3' });
  t.ok(b.callback());
  clock.now += 30_000;
  c.leave('abandoned');
  t.match(events, [
    { event: 'queue.joined', queue: 'support', number: '1005', call_id: 'c1', position: 1, callback: false },
    { event: 'queue.joined', number: '1006', position: 2 },
    { event: 'queue.joined', number: '1007', position: 3 },
    { event: 'queue.callback_requested', number: '1006', position: 2, callback: true },
    { event: 'queue.abandoned', number: '1007', call_id: 'c3', wait_s: 30, callback: false },
  ]);
  a.answered('1001');
  t.match(events.at(-1), { event: 'queue.answered', queue: 'support', number: '1005', agent: '1001', wait_s: 30 });
  t.equal(events.length, 6);
});

t.test('a callback asked for from outside joins the end of the line, is stored, and is dialled agent first', async (t) => {
  const dir = tempDir(t, 'queue');
  const registered: string[] = [];
  const clock = { now: 1_000_000 };
  const events: QueueEvent[] = [];
  const { service, dialled } = open(t, dir, clock, registered, events);
  const caller = service.join('support', { number: '1005', callId: 'c1' });
  clock.now += 1000;
  const asked = service.requestCallback('support', '+15551234');
  t.equal(asked.position, 2, 'behind the caller already waiting');
  t.match(events.at(-1), { event: 'queue.callback_requested', number: '+15551234', call_id: null, position: 2, callback: true }, 'a queue.callback_requested event');
  t.match(service.live('support'), { waiting: 1, callbacks_waiting: 1 });
  const stored = QueueStore.open(dir);
  t.same(stored.callbacks().map((r) => [r.number, r.state]), [['+15551234', 'waiting']], 'stored: it survives a restart');
  stored.close();
  registered.push('1001', '1002');
  service.registrationChanged();
  t.same(await caller.nextOffer(), ['1001']);
  await settle();
  t.match(dialled, [{ first: '1002', then: '+15551234' }], 'the next free agent rings first, then the number');
  t.throws(() => service.requestCallback('sales', '+15551234'), { code: 'PBX_ERR_QUEUE_UNKNOWN' });
});

t.test('live: callers waiting, the longest wait, and the members by state', async (t) => {
  const clock = { now: 1_000_000 };
  const { service } = open(t, tempDir(t, 'queue'), clock, ['1001']);
  t.same(service.live('support'), { queue: 'support', waiting: 0, callbacks_waiting: 0, longest_wait_s: 0, agents: { free: 1, busy: 0, paused: 0, logged_out: 0, offline: 1 } });
  const a = service.join('support', { number: '1005', callId: 'c1' });
  t.same(await a.nextOffer(), ['1001']);
  service.join('support', { number: '1006', callId: 'c2' });
  clock.now += 42_000;
  t.same(service.live('support'), { queue: 'support', waiting: 2, callbacks_waiting: 0, longest_wait_s: 42, agents: { free: 0, busy: 1, paused: 0, logged_out: 0, offline: 1 } });
  service.togglePause('1001', 'support');
  service.logout('1002', 'support');
  t.match(service.live('support').agents, { paused: 1, logged_out: 1, busy: 0, offline: 0 });
});
