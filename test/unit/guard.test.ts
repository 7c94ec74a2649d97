import t from 'tap';
import { Guard, type GuardOptions } from '../../src/registrar/guard.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { memoryLog, type LogLine } from '../helpers/log.js';

function setup(over: Partial<GuardOptions> = {}) {
  const clock = new FakeClock();
  const lines: LogLine[] = [];
  const log = memoryLog(lines);
  const guard = new Guard({ slowAfter: 3, banAfter: 6, windowS: 60, banTimeS: 600, dropScanners: true, log, clock, ...over });
  return { clock, lines, guard };
}

t.test('answers are delayed after slowAfter failures, growing with each one', async (t) => {
  const { guard } = setup();
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    guard.recordFailure('198.51.100.7');
    delays.push(guard.delayMs('198.51.100.7'));
  }
  t.same(delays.slice(0, 3), [0, 0, 0]);
  t.ok(delays[3]! > 0 && delays[4]! > delays[3]!, `growing: ${delays}`);
  t.equal(guard.delayMs('198.51.100.8'), 0, 'other addresses are not slowed');
});

t.test('banAfter failures within the window ban the address, log it, and the ban ends after banTime', async (t) => {
  const { guard, clock, lines } = setup();
  for (let i = 0; i < 5; i++) guard.recordFailure('198.51.100.7');
  t.notOk(guard.isBanned('198.51.100.7'));
  guard.recordFailure('198.51.100.7');
  t.ok(guard.isBanned('198.51.100.7'));
  t.notOk(guard.isBanned('198.51.100.9'), 'only that address');
  t.match(lines, [{ level: 'warn', obj: { address: '198.51.100.7' }, msg: /banned/ }]);
  clock.advance(599_000);
  t.ok(guard.isBanned('198.51.100.7'));
  clock.advance(11_000);
  t.notOk(guard.isBanned('198.51.100.7'));
  t.match(lines[1], { level: 'info', obj: { address: '198.51.100.7' }, msg: /unbanned/ }, 'the sweep logs the unban on time');
  t.equal(lines.length, 2, 'unban logged once');
  t.equal(guard.delayMs('198.51.100.7'), 0, 'an unbanned address starts afresh');
});

t.test('failures spread wider than the window do not ban', async (t) => {
  const { guard, clock } = setup();
  for (let i = 0; i < 12; i++) {
    guard.recordFailure('198.51.100.7');
    clock.advance(20_000);
  }
  t.notOk(guard.isBanned('198.51.100.7'));
});

t.test('a success forgets the failures of that address', async (t) => {
  const { guard } = setup();
  for (let i = 0; i < 5; i++) guard.recordFailure('198.51.100.7');
  t.ok(guard.delayMs('198.51.100.7') > 0);
  guard.recordSuccess('198.51.100.7');
  t.equal(guard.delayMs('198.51.100.7'), 0);
  guard.recordFailure('198.51.100.7');
  t.notOk(guard.isBanned('198.51.100.7'));
});

t.test('a success does not lift a ban', async (t) => {
  const { guard } = setup();
  for (let i = 0; i < 6; i++) guard.recordFailure('198.51.100.7');
  guard.recordSuccess('198.51.100.7');
  t.ok(guard.isBanned('198.51.100.7'));
});

t.test('scanner User-Agents are recognised when dropping scanners is on', async (t) => {
  const { guard } = setup();
  for (const ua of ['friendly-scanner', 'sipvicious 0.3', 'sundayddr', 'sipcli/v1.8', 'VaxSIPUserAgent/3.1', 'iWar', 'SIVuS', 'pplsip']) {
    t.ok(guard.isScanner(ua), ua);
  }
  for (const ua of ['baresip v3.10', 'Linphone/5', 'sipsak 0.9.8', 'Yealink SIP-T46S', null]) t.notOk(guard.isScanner(ua), String(ua));
  const off = setup({ dropScanners: false }).guard;
  t.notOk(off.isScanner('friendly-scanner'), 'off: never dropped');
  off.close();
});

t.test('the table is bounded', async (t) => {
  const { guard } = setup({ maxEntries: 100 });
  for (let i = 0; i < 1000; i++) guard.recordFailure(`10.0.${i >> 8}.${i & 255}`);
  t.equal(guard.size, 100);
});

t.test('close stops the sweep timer and is safe twice', async (t) => {
  const { guard, clock } = setup();
  t.equal(clock.pending, 1);
  guard.close();
  guard.close();
  t.equal(clock.pending, 0);
});

t.test('bad options throw at once', async (t) => {
  t.throws(() => setup({ banAfter: Number.NaN }), { code: 'PBX_ERR_GUARD_OPTION' });
});
