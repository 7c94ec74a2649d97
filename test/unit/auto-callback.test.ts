// Automatic callback retries (missed_calls.auto_callback: { attempts, pause }) on a fake clock:
// each attempt that gets nobody is made again after the pause, up to the attempts allowed; an
// answered attempt or a closed callback entry stops them.
import t, { type Test } from 'tap';
import { AutoCallback } from '../../src/calls/auto-callback.js';
import type { OriginateRequest, OriginateResult } from '../../src/calls/originate.js';
import type { CdrRow } from '../../src/store/types.js';
import { configErrors, configOf } from '../helpers/config-text.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { quietLog } from '../helpers/log.js';

const BASE = 'http: { token: t }\nextensions:\n  "1001": { password: a }\n  "1003": { password: c }\ngroups:\n  sales: { members: ["1003"] }\n';

const missed = { id: 'cdr-1', from: '1001', to: '1002', missed: true } as CdrRow;

/** Lets the promise of an attempt (originate) settle. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function service(t: Test, policy: string, results: OriginateResult[], stillMissed = () => true) {
  const config = configOf(`${BASE}missed_calls: { auto_callback: ${policy}, ring: "group:sales", delay: 10 }\n`);
  const clock = new FakeClock();
  const calls: OriginateRequest[] = [];
  const auto = new AutoCallback({
    getConfig: () => config,
    registered: () => true,
    busy: () => false,
    originate: async (request) => {
      calls.push(request);
      return { id: `o${calls.length}`, result: results[calls.length - 1] ?? 'first-no-answer' };
    },
    stillMissed: (n) => stillMissed() && n === '1001',
    clock,
    log: quietLog,
  });
  t.teardown(() => auto.close());
  return { auto, clock, calls };
}

/** Moves the clock `ms` ahead and lets any attempt it started finish. */
async function after(clock: FakeClock, ms: number): Promise<void> {
  clock.advance(ms);
  await settle();
}

t.test('auto_callback: true is 3 attempts 300 s apart; a mapping sets both; out of range is an error at FILE:LINE:COL', async (t) => {
  t.match(configOf(`${BASE}missed_calls: { auto_callback: true, ring: "1003" }\n`).missed_calls, { auto_callback: true, attempts: 3, pause: 300 });
  t.match(configOf(`${BASE}missed_calls: { auto_callback: { attempts: 5, pause: 60 }, ring: "1003" }\n`).missed_calls, { auto_callback: true, attempts: 5, pause: 60 });
  t.match(configOf(`${BASE}missed_calls: { auto_callback: { pause: 60 }, ring: "1003" }\n`).missed_calls, { attempts: 3, pause: 60 });
  t.match(configOf(BASE).missed_calls, { auto_callback: false });
  t.same(configErrors(`${BASE}missed_calls:\n  auto_callback: { attempts: 0 }\n  ring: "1003"\n`), [
    'pbx.yaml:8:30: missed_calls.auto_callback.attempts: must be at least 1 (got 0)',
  ]);
  t.same(configErrors(`${BASE}missed_calls: { auto_callback: "yes", ring: "1003" }\n`), [
    'pbx.yaml:7:32: missed_calls.auto_callback: expected true, false, or { attempts: 1..10, pause: 10..86400 seconds }',
  ]);
  t.same(configErrors(`${BASE}missed_calls: { auto_callback: { attempts: 2 } }\n`), ['pbx.yaml:7:1: missed_calls: auto_callback needs ring: the extension or group:NAME rung first']);
});

t.test('attempts that get nobody are made again after the pause, up to the attempts allowed', async (t) => {
  const { auto, clock, calls } = service(t, '{ attempts: 3, pause: 60 }', ['first-no-answer', 'then-failed', 'then-failed', 'answered']);
  auto.cdrWritten(missed);
  await after(clock, 9_999);
  t.equal(calls.length, 0, 'nothing before the delay');
  await after(clock, 1);
  t.equal(calls.length, 1, 'the first attempt after the delay');
  t.match(calls[0], { first: '1003', then: '1001' });
  await after(clock, 59_999);
  t.equal(calls.length, 1, 'the second waits for the pause');
  await after(clock, 1);
  t.equal(calls.length, 2, 'the second attempt after the pause');
  await after(clock, 60_000);
  t.equal(calls.length, 3, 'the third');
  await after(clock, 3_600_000);
  t.equal(calls.length, 3, 'no fourth: three attempts in all');
  t.equal(clock.pending, 0, 'no timer left');
});

t.test('an answered attempt ends the callbacks', async (t) => {
  const { auto, clock, calls } = service(t, '{ attempts: 3, pause: 60 }', ['first-busy', 'answered']);
  auto.cdrWritten(missed);
  await after(clock, 10_000);
  await after(clock, 60_000);
  t.equal(calls.length, 2);
  await after(clock, 600_000);
  t.equal(calls.length, 2, 'no attempt after the answered one');
});

t.test('a callback entry closed meanwhile (the caller got through) stops the next attempt', async (t) => {
  let open = true;
  const { auto, clock, calls } = service(t, 'true', [], () => open);
  auto.cdrWritten(missed);
  await after(clock, 10_000);
  t.equal(calls.length, 1);
  open = false;
  await after(clock, 300_000);
  t.equal(calls.length, 1, 'no second attempt');
});

t.test('close() cancels the attempts still waiting', async (t) => {
  const { auto, clock, calls } = service(t, '{ attempts: 2, pause: 60 }', []);
  auto.cdrWritten(missed);
  await after(clock, 10_000);
  auto.close();
  await after(clock, 60_000);
  t.equal(calls.length, 1);
  t.equal(clock.pending, 0);
});
