import t from 'tap';
import { QueueLine } from '../../src/queues/line.js';
import { chooseAgents, type AgentRecord, type QueueStrategy } from '../../src/queues/strategy.js';

const MEMBERS = ['1001', '1002', '1003', '1004'];

function choose(strategy: QueueStrategy, o: { free?: string[]; records?: Record<string, AgentRecord>; last?: string | null; random?: number } = {}): string[] {
  const free = new Set(o.free ?? MEMBERS);
  return chooseAgents({
    strategy,
    members: MEMBERS,
    free: (ext) => free.has(ext),
    record: (ext) => o.records?.[ext] ?? { lastEndedAt: 0, calls: 0 },
    last: o.last ?? null,
    random: () => o.random ?? 0,
  });
}

t.test('ringall rings every free agent; linear the first free one in member order', async (t) => {
  t.same(choose('ringall', { free: ['1004', '1002'] }), ['1002', '1004']);
  t.same(choose('linear'), ['1001']);
  t.same(choose('linear', { free: ['1003', '1004'] }), ['1003']);
  for (const s of ['ringall', 'linear', 'rrmemory', 'leastrecent', 'fewestcalls', 'random'] as const) t.same(choose(s, { free: [] }), [], `${s}: nobody free, nobody rung`);
});

t.test('rrmemory goes on after the agent rung last, wrapping around and skipping busy ones', async (t) => {
  t.same(choose('rrmemory'), ['1001'], 'no memory: the first member');
  t.same(choose('rrmemory', { last: '1002' }), ['1003']);
  t.same(choose('rrmemory', { last: '1004' }), ['1001'], 'wraps around');
  t.same(choose('rrmemory', { last: '1002', free: ['1001', '1002'] }), ['1001'], 'skips busy ones, the last one comes again last');
  t.same(choose('rrmemory', { last: 'gone', free: ['1003'] }), ['1003'], 'a remembered agent no longer a member');
});

t.test('leastrecent picks the agent idle longest; fewestcalls the one with fewest calls; ties go to the earlier member', async (t) => {
  const records = {
    '1001': { lastEndedAt: 500, calls: 4 },
    '1002': { lastEndedAt: 100, calls: 2 },
    '1003': { lastEndedAt: 100, calls: 2 },
    '1004': { lastEndedAt: 900, calls: 1 },
  };
  t.same(choose('leastrecent', { records }), ['1002']);
  t.same(choose('leastrecent', { records, free: ['1001', '1004'] }), ['1001']);
  t.same(choose('fewestcalls', { records }), ['1004']);
  t.same(choose('fewestcalls', { records, free: ['1001', '1002', '1003'] }), ['1002']);
});

t.test('random picks among the free agents only', async (t) => {
  t.same(choose('random', { random: 0 }), ['1001']);
  t.same(choose('random', { random: 0.99 }), ['1004']);
  t.same(choose('random', { random: 0.6, free: ['1002', '1003'] }), ['1003']);
});

t.test('a queue line keeps joining order; a late insert with an earlier time goes to its place', async (t) => {
  const line = new QueueLine<{ id: string; joinedAt: number; seq: number }>();
  const a = { id: 'a', joinedAt: 100, seq: 0 };
  const b = { id: 'b', joinedAt: 200, seq: 1 };
  const c = { id: 'c', joinedAt: 200, seq: 2 };
  line.insert(b);
  line.insert(c);
  line.insert(a);
  t.same(line.entries().map((e) => e.id), ['a', 'b', 'c']);
  t.equal(line.position(c), 3);
  t.ok(line.remove(a));
  t.notOk(line.remove(a), 'removing twice does nothing');
  t.equal(line.position(c), 2, 'everyone behind moves up');
  t.equal(line.position(a), 0, 'not in the line');
  t.equal(line.size, 2);
});
