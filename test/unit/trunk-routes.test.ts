import t from 'tap';
import { DigestAuthenticator } from '../../src/sip/auth/digest.js';
import { authorizationFor, parseChallenge } from '../../src/sip/auth/digest-client.js';
import { backoffMs, refreshMs } from '../../src/trunks/backoff.js';
import { OutsideCallLimits } from '../../src/trunks/limits.js';
import { compilePattern, rewriteNumber, type DialPattern } from '../../src/trunks/pattern.js';
import { mayDial } from '../../src/trunks/routes.js';

function pattern(p: string): DialPattern {
  const c = compilePattern(p);
  if (typeof c === 'string') throw new Error(c);
  return c;
}

t.test('patterns: X Z N, digit sets, . and ! match whole numbers only', async (t) => {
  const cases: [string, string, boolean][] = [
    ['9XXXXXXX', '94951234', true],
    ['9XXXXXXX', '9495123', false],
    ['9XXXXXXX', '949512345', false],
    ['_8XXXXXXXXXX', '84951234567', true],
    ['_8XXXXXXXXXX', '74951234567', false],
    ['+X.', '+74951234567', true],
    ['+X.', '+7', false],
    ['+X.', '74951234567', false],
    ['00X.', '0044207123', true],
    ['Z', '0', false],
    ['Z', '1', true],
    ['NXX', '199', false],
    ['NXX', '299', true],
    ['[1-5]12', '312', true],
    ['[1-5]12', '612', false],
    ['[137]', '3', true],
    ['[137]', '2', false],
    ['112', '112', true],
    ['112', '1120', false],
    ['9!', '9', true],
    ['9!', '9123', true],
    ['*7X', '*71', true],
  ];
  for (const [p, n, want] of cases) t.equal(pattern(p).test(n), want, `${p} ${want ? 'matches' : 'does not match'} ${n}`);
});

t.test('bad patterns are refused with a reason', async (t) => {
  t.match(compilePattern('9.X'), /must come last/);
  t.match(compilePattern('[1-5'), /unclosed/);
  t.match(compilePattern('[a]'), /must list digits/);
  t.match(compilePattern('9Y'), /"Y" is not allowed/);
  t.match(compilePattern('_'), /at least one character/);
});

t.test('strip removes leading digits, then prepend adds its own', async (t) => {
  t.equal(rewriteNumber('94951234', 1, ''), '4951234');
  t.equal(rewriteNumber('84951234567', 1, '+7'), '+74951234567');
  t.equal(rewriteNumber('+74951234567', 0, ''), '+74951234567');
  t.equal(rewriteNumber('12', 5, '0'), '0', 'stripping more than there is leaves only the prefix');
});

t.test('permissions: a class is allowed only when listed; emergency always', async (t) => {
  const ext = { allow: ['internal', 'local', 'national'] as const, caller_id: null, caller_id_group: null, anonymous: false, max_calls_per_hour: 0, max_concurrent: 0 };
  t.ok(mayDial(ext, 'local'));
  t.ok(mayDial(ext, 'national'));
  t.notOk(mayDial(ext, 'international'), 'international is off unless listed');
  t.ok(mayDial(ext, 'emergency'));
  t.ok(mayDial({ ...ext, allow: ['internal'] }, 'emergency'), 'emergency even for an internal-only extension');
  t.ok(mayDial({ ...ext, allow: ['international'] }, 'international'));
});

t.test('limits: concurrent outside calls and calls per hour block, and free up', async (t) => {
  let now = 0;
  const limits = new OutsideCallLimits({ now: () => now });
  const a = limits.start('1001', { max_calls_per_hour: 0, max_concurrent: 2 });
  const b = limits.start('1001', { max_calls_per_hour: 0, max_concurrent: 2 });
  t.ok(a.ok && b.ok);
  t.same(limits.start('1001', { max_calls_per_hour: 0, max_concurrent: 2 }), { ok: false, refusal: 'concurrent', scope: 'extension' });
  t.ok(limits.start('1002', { max_calls_per_hour: 0, max_concurrent: 2 }).ok, 'another extension has its own count');
  if (a.ok) {
    a.release();
    a.release();
  }
  t.equal(limits.active('1001'), 1, 'a release counts once');
  t.ok(limits.start('1001', { max_calls_per_hour: 0, max_concurrent: 2 }).ok);

  const hourly = new OutsideCallLimits({ now: () => now });
  const rule = { max_calls_per_hour: 3, max_concurrent: 0 };
  for (let i = 0; i < 3; i++) {
    const h = hourly.start('1003', rule);
    if (h.ok) h.release();
    now += 60_000;
  }
  t.same(hourly.start('1003', rule), { ok: false, refusal: 'calls-per-hour', scope: 'extension' }, 'the fourth call within the hour is refused');
  now += 3_600_000 - 3 * 60_000;
  t.ok(hourly.start('1003', rule).ok, 'an hour after the first call one more is allowed');
});

t.test('the PBX-wide limits count every extension together; a refused call counts against neither', async (t) => {
  let now = 0;
  const limits = new OutsideCallLimits({ now: () => now });
  const own = { max_calls_per_hour: 0, max_concurrent: 0 };
  const pbx = { max_calls_per_hour: 3, max_concurrent: 2 };
  const a = limits.start('1001', own, pbx);
  const b = limits.start('1002', own, pbx);
  t.ok(a.ok && b.ok);
  t.equal(limits.activeOnPbx(), 2);
  t.same(limits.start('1003', own, pbx), { ok: false, refusal: 'concurrent', scope: 'pbx' }, 'a third extension finds the PBX full');
  t.same(limits.start('1001', { max_calls_per_hour: 0, max_concurrent: 1 }, pbx), { ok: false, refusal: 'concurrent', scope: 'extension' }, 'the extension’s own limit is checked first');
  if (a.ok) a.release();
  t.equal(limits.activeOnPbx(), 1);
  t.equal(limits.active('1001'), 0);
  const c = limits.start('1003', own, pbx);
  t.ok(c.ok, 'a place freed by a call that ended is taken');
  if (b.ok) b.release();
  if (c.ok) c.release();
  t.same(limits.start('1004', own, pbx), { ok: false, refusal: 'calls-per-hour', scope: 'pbx' }, 'three calls started this hour, refused ones not counted');
  now += 3_600_000;
  t.ok(limits.start('1004', own, pbx).ok, 'an hour later the PBX calls out again');
  t.same(
    limits.refusals().sort((x, y) => x.reason.localeCompare(y.reason) || x.scope.localeCompare(y.scope)),
    [
      { scope: 'pbx', reason: 'calls-per-hour', count: 1 },
      { scope: 'extension', reason: 'concurrent', count: 1 },
      { scope: 'pbx', reason: 'concurrent', count: 1 },
    ],
    'refusals are counted by scope and limit (metrics)',
  );
});

t.test('back-off: 30 s after a failure, doubling, at most 10 minutes; refresh at half the expiry', async (t) => {
  t.same([1, 2, 3, 4, 5, 6, 7, 50].map(backoffMs), [30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000]);
  t.equal(refreshMs(3600), 1_800_000);
  t.equal(refreshMs(60), 30_000);
  t.equal(refreshMs(4), 1000, 'never less than a second');
});

t.test('the digest client answers a challenge the PBX’s own digest server accepts (MD5 and SHA-256)', async (t) => {
  for (const algorithm of ['MD5', 'SHA-256'] as const) {
    const server = new DigestAuthenticator({ realm: 'carrier.test', nonceTtlS: 60, algorithms: [algorithm] });
    const challenge = parseChallenge(server.challengeHeaders(false));
    t.ok(challenge !== null, 'the challenge is read');
    t.equal(challenge!.algorithm, algorithm);
    const value = authorizationFor(challenge!, { username: 'acct', password: 'secret' }, 'REGISTER', 'sip:carrier.test', 1);
    t.same(server.verify('REGISTER', value, (u) => (u === 'acct' ? 'secret' : null)), { ok: true, user: 'acct' });
    const wrong = authorizationFor(challenge!, { username: 'acct', password: 'guess' }, 'REGISTER', 'sip:carrier.test', 2);
    t.same(server.verify('REGISTER', wrong, (u) => (u === 'acct' ? 'secret' : null)), { ok: false, stale: false });
  }
  t.equal(parseChallenge(['Basic realm="x"']), null, 'a challenge it cannot answer is skipped');
  const legacy = parseChallenge(['Digest realm="r", nonce="n"']);
  t.match(legacy, { qop: false, algorithm: 'MD5' });
  t.notMatch(authorizationFor(legacy!, { username: 'u', password: 'p' }, 'INVITE', 'sip:1@r', 1), /qop=/, 'RFC 2069 form without qop');
});
