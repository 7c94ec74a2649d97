import t from 'tap';
import { betterFinal, secondsBetween, unansweredStatus } from '../../src/calls/outcome.js';

t.test('forked final responses: 6xx beats busy, busy beats other 4xx, 4xx beats 5xx, 408 comes last', async (t) => {
  const best = (...statuses: number[]): number => statuses.reduce((a, b) => betterFinal(a, b));
  t.equal(best(486, 603, 480), 603);
  t.equal(best(480, 486, 404), 486);
  t.equal(best(503, 480), 480);
  t.equal(best(408, 503), 503);
  t.equal(best(408, 487), 487);
  t.equal(best(486, 486), 486);
});

t.test('an unanswered call is busy, missed or failed by the status its caller got', async (t) => {
  t.equal(unansweredStatus(486), 'busy');
  t.equal(unansweredStatus(600), 'busy');
  t.equal(unansweredStatus(603), 'busy');
  t.equal(unansweredStatus(487), 'missed');
  t.equal(unansweredStatus(480), 'missed');
  t.equal(unansweredStatus(408), 'missed');
  t.equal(unansweredStatus(404), 'failed');
  t.equal(unansweredStatus(488), 'failed');
  t.equal(unansweredStatus(503), 'failed');
});

t.test('durations are whole seconds, never negative', async (t) => {
  t.equal(secondsBetween(1000, 3400), 2);
  t.equal(secondsBetween(1000, 3600), 3);
  t.equal(secondsBetween(5000, 1000), 0);
});
