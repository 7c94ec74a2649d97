import t from 'tap';
import { ComplexityGovernor, COMPLEXITY_LEVELS } from '../../src/media/pipeline/complexity-governor.js';

/** Feeds `ticks` ticks of `workMs` each; returns the complexities it changed to, in order. */
function feed(g: ComplexityGovernor, ticks: number, workMs: number): number[] {
  const changes: number[] = [];
  for (let i = 0; i < ticks; i++) if (g.observe(workMs)) changes.push(g.complexity);
  return changes;
}

t.test('starts at the best complexity, 3', async (t) => {
  t.equal(new ComplexityGovernor().complexity, 3);
  t.same(COMPLEXITY_LEVELS, [3, 1, 0]);
});

t.test('a light load keeps complexity 3', async (t) => {
  const g = new ComplexityGovernor();
  t.same(feed(g, 1000, 2), []);
  t.equal(g.complexity, 3);
});

t.test('a window whose mean work is above 40% of the 20 ms budget steps down one level, at the end of the window', async (t) => {
  const g = new ComplexityGovernor();
  t.same(feed(g, 24, 9), [], 'nothing before the window of 25 ticks is full');
  t.ok(g.observe(9), 'the 25th tick of 9 ms (45%) steps down');
  t.equal(g.complexity, 1);
  t.equal(g.lastMeanMs, 9);
  t.same(feed(g, 25, 9), [0], 'one more loaded window: down to 0');
  t.same(feed(g, 250, 19), [], 'nothing below 0');
  t.equal(g.complexity, 0);
});

t.test('a single slow tick in a light window does not step down (the mean counts, not the worst)', async (t) => {
  const g = new ComplexityGovernor();
  t.notOk(g.observe(19));
  t.same(feed(g, 24, 2), []);
  t.equal(g.complexity, 3);
});

t.test('steps back up one level after 10 quiet windows in a row (5 s), not before', async (t) => {
  const g = new ComplexityGovernor();
  feed(g, 50, 10);
  t.equal(g.complexity, 0);
  t.same(feed(g, 249, 2), [], '9 quiet windows and 24 ticks: still 0');
  t.ok(g.observe(2), 'the 10th quiet window steps up');
  t.equal(g.complexity, 1);
  t.same(feed(g, 250, 2), [3], 'ten more: back to 3');
});

t.test('hysteresis: a load between the two thresholds neither steps up nor down', async (t) => {
  const g = new ComplexityGovernor();
  feed(g, 25, 10);
  t.equal(g.complexity, 1);
  t.same(feed(g, 2500, 5), [], '25% of the budget: stays at 1 for 50 s');
});

t.test('a loaded window resets the count of quiet windows', async (t) => {
  const g = new ComplexityGovernor();
  feed(g, 25, 10);
  feed(g, 9 * 25, 1);
  feed(g, 25, 5);
  t.same(feed(g, 9 * 25, 1), [], 'nine quiet windows after the middling one are not enough');
  t.equal(g.complexity, 1);
  t.same(feed(g, 25, 1), [3]);
});

t.test('options: levels, budget, thresholds and windows', async (t) => {
  const g = new ComplexityGovernor({ levels: [5, 2], budgetMs: 10, highShare: 0.5, lowShare: 0.1, windowTicks: 2, upWindows: 1 });
  t.equal(g.complexity, 5);
  t.same(feed(g, 2, 6), [2]);
  t.same(feed(g, 2, 0.5), [5]);
});

t.test('bad options throw PBX_ERR_MEDIA_ARGUMENT', async (t) => {
  const bad = [
    { levels: [] },
    { levels: [1, 3] },
    { levels: [11] },
    { levels: [2.5] },
    { budgetMs: 0 },
    { highShare: 0.2, lowShare: 0.3 },
    { highShare: 1.5 },
    { windowTicks: 0 },
    { upWindows: 1.5 },
  ];
  for (const o of bad) t.throws(() => new ComplexityGovernor(o), { code: 'PBX_ERR_MEDIA_ARGUMENT' }, JSON.stringify(o));
});
