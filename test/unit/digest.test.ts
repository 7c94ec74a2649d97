import t from 'tap';
import { createHash } from 'node:crypto';
import { DigestAuthenticator } from '../../src/sip/auth/digest.js';

const REALM = 'pbx.test';
const passwords: Record<string, string> = { '1001': 'alice-pass' };
const lookup = (u: string): string | null => passwords[u] ?? null;

function param(header: string, name: string): string {
  const m = new RegExp(`${name}="?([^",]*)"?`).exec(header);
  if (m === null) throw new Error(`no ${name} in ${header}`);
  return m[1]!;
}

/** An Authorization value built by hand from RFC 7616 3.4.1, independent of the code under test. */
function answer(
  challenge: string,
  o: { user?: string; password?: string; method?: string; uri?: string; nc?: string; alg?: 'MD5' | 'SHA-256' | null } = {},
): string {
  const user = o.user ?? '1001';
  const password = o.password ?? 'alice-pass';
  const method = o.method ?? 'REGISTER';
  const uri = o.uri ?? 'sip:pbx.test';
  const nc = o.nc ?? '00000001';
  const alg = o.alg === undefined ? (param(challenge, 'algorithm') as 'MD5' | 'SHA-256') : o.alg;
  const hash = alg === 'SHA-256' ? 'sha256' : 'md5';
  const H = (s: string) => createHash(hash).update(s).digest('hex');
  const nonce = param(challenge, 'nonce');
  const cnonce = 'f00dcafe';
  const response = H(`${H(`${user}:${REALM}:${password}`)}:${nonce}:${nc}:${cnonce}:auth:${H(`${method}:${uri}`)}`);
  return `Digest username="${user}", realm="${REALM}", nonce="${nonce}", uri="${uri}", response="${response}", ` +
    `${alg === null ? '' : `algorithm=${alg}, `}cnonce="${cnonce}", opaque="${param(challenge, 'opaque')}", qop=auth, nc=${nc}`;
}

function fakeClock(start = 1_700_000_000_000) {
  return { ms: start, now() { return this.ms; } };
}

t.test('by default the challenge offers MD5 alone, with qop="auth" and an opaque', async (t) => {
  const auth = new DigestAuthenticator({ realm: REALM, nonceTtlS: 300 });
  const all = auth.challengeHeaders(false);
  t.equal(all.length, 1);
  t.match(all[0], /^Digest realm="pbx\.test", nonce="[^"]+", opaque="[^"]+", algorithm=MD5, qop="auth"$/);
  t.not(param(auth.challengeHeaders(false)[0]!, 'nonce'), param(all[0]!, 'nonce'), 'each challenge has a fresh nonce');
  t.match(auth.challengeHeaders(true)[0], /, stale=true$/);
});

t.test('with SHA-256 enabled the challenge offers SHA-256 first, then MD5, sharing one nonce', async (t) => {
  const auth = new DigestAuthenticator({ realm: REALM, nonceTtlS: 300, algorithms: ['SHA-256', 'MD5'] });
  const [sha, md5] = auth.challengeHeaders(false);
  t.match(sha, /^Digest realm="pbx\.test", nonce="[^"]+", opaque="[^"]+", algorithm=SHA-256, qop="auth"$/);
  t.match(md5, /^Digest realm="pbx\.test", nonce="[^"]+", opaque="[^"]+", algorithm=MD5, qop="auth"$/);
  t.equal(param(sha!, 'nonce'), param(md5!, 'nonce'));
});

t.test('an algorithm not offered is refused', async (t) => {
  const md5Only = new DigestAuthenticator({ realm: REALM, nonceTtlS: 300 });
  const [md5] = md5Only.challengeHeaders(false);
  t.same(md5Only.verify('REGISTER', answer(md5!.replace('MD5', 'SHA-256')), lookup), { ok: false, stale: false });
  const shaOnly = new DigestAuthenticator({ realm: REALM, nonceTtlS: 300, algorithms: ['SHA-256'] });
  const [ch] = shaOnly.challengeHeaders(false);
  t.equal(shaOnly.challengeHeaders(false).length, 1);
  t.same(shaOnly.verify('REGISTER', answer(ch!), lookup), { ok: true, user: '1001' });
  t.same(shaOnly.verify('REGISTER', answer(ch!.replace('SHA-256', 'MD5')), lookup), { ok: false, stale: false });
  for (const bad of [[], ['MD5', 'MD5'], ['SHA-512']]) {
    t.throws(() => new DigestAuthenticator({ realm: REALM, nonceTtlS: 300, algorithms: bad as never }), { code: 'PBX_ERR_AUTH_ALGORITHMS' });
  }
});

for (const alg of ['SHA-256', 'MD5'] as const) {
  t.test(`a right ${alg} response is accepted and names the user`, async (t) => {
    const auth = new DigestAuthenticator({ realm: REALM, nonceTtlS: 300, algorithms: ['SHA-256', 'MD5'] });
    const ch = auth.challengeHeaders(false).find((c) => c.includes(`algorithm=${alg}`))!;
    t.same(auth.verify('REGISTER', answer(ch), lookup), { ok: true, user: '1001' });
  });
}

t.test('a response without an algorithm parameter is MD5 (RFC 7616 3.4)', async (t) => {
  const auth = new DigestAuthenticator({ realm: REALM, nonceTtlS: 300, algorithms: ['SHA-256', 'MD5'] });
  const ch = auth.challengeHeaders(false)[1]!;
  t.same(auth.verify('REGISTER', answer(ch, { alg: null }), lookup), { ok: true, user: '1001' });
  const sha = auth.challengeHeaders(false)[0]!;
  const shaWithoutAlgorithm = answer(sha).replace('algorithm=SHA-256, ', '');
  t.same(auth.verify('REGISTER', shaWithoutAlgorithm, lookup), { ok: false, stale: false }, 'a SHA-256 digest read as MD5 fails');
});

t.test('a known MD5 vector computed by hand verifies', async (t) => {
  const clock = fakeClock();
  const auth = new DigestAuthenticator({ realm: REALM, nonceTtlS: 300, secret: 'k', clock });
  const ch = auth.challengeHeaders(false)[0]!;
  const nonce = param(ch, 'nonce');
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const ha1 = md5('1001:pbx.test:alice-pass');
  const ha2 = md5('REGISTER:sip:pbx.test');
  const resp = md5(`${ha1}:${nonce}:00000001:0a4f113b:auth:${ha2}`);
  const value = `Digest username="1001",realm="pbx.test",nonce="${nonce}",uri="sip:pbx.test",response="${resp.toUpperCase()}",cnonce="0a4f113b",nc=00000001,qop="auth",algorithm=MD5`;
  t.same(auth.verify('REGISTER', value, lookup), { ok: true, user: '1001' }, 'hex case and missing opaque are accepted');
});

t.test('the method is part of the digest', async (t) => {
  const auth = new DigestAuthenticator({ realm: REALM, nonceTtlS: 300 });
  const ch = auth.challengeHeaders(false)[0]!;
  t.same(auth.verify('INVITE', answer(ch, { method: 'REGISTER' }), lookup), { ok: false, stale: false });
});

t.test('a wrong password and an unknown user get the same answer and challenges alike but for the nonce', async (t) => {
  const auth = new DigestAuthenticator({ realm: REALM, nonceTtlS: 300 });
  const ch1 = auth.challengeHeaders(false)[0]!;
  const wrong = auth.verify('REGISTER', answer(ch1, { password: 'guess' }), lookup);
  const ch2 = auth.challengeHeaders(false)[0]!;
  const unknown = auth.verify('REGISTER', answer(ch2, { user: '9999', password: 'guess' }), lookup);
  t.same(wrong, { ok: false, stale: false });
  t.same(unknown, wrong);
  const strip = (hs: string[]) => hs.map((h) => h.replace(/nonce="[^"]+"/, 'nonce=""'));
  t.same(strip(auth.challengeHeaders(wrong.ok ? false : wrong.stale)), strip(auth.challengeHeaders(unknown.ok ? false : unknown.stale)));
});

t.test('an expired nonce with a right digest gets stale=true, a wrong digest does not', async (t) => {
  const clock = fakeClock();
  const auth = new DigestAuthenticator({ realm: REALM, nonceTtlS: 30, clock });
  const ch = auth.challengeHeaders(false)[0]!;
  clock.ms += 31_000;
  t.same(auth.verify('REGISTER', answer(ch), lookup), { ok: false, stale: true });
  t.same(auth.verify('REGISTER', answer(ch, { password: 'x', nc: '00000002' }), lookup), { ok: false, stale: false });
  t.same(auth.verify('REGISTER', answer(ch, { user: '9999', nc: '00000003' }), lookup), { ok: false, stale: false });
});

t.test('a nonce from another process (other secret) with a right digest is stale, not a failure', async (t) => {
  const old = new DigestAuthenticator({ realm: REALM, nonceTtlS: 300 });
  const now = new DigestAuthenticator({ realm: REALM, nonceTtlS: 300 });
  const ch = old.challengeHeaders(false)[0]!;
  t.same(now.verify('REGISTER', answer(ch).replace(/opaque="[^"]+", /, ''), lookup), { ok: false, stale: true });
});

t.test('a replayed nc is refused with stale=true; a higher nc on the same nonce is accepted', async (t) => {
  const auth = new DigestAuthenticator({ realm: REALM, nonceTtlS: 300 });
  const ch = auth.challengeHeaders(false)[0]!;
  t.same(auth.verify('REGISTER', answer(ch), lookup), { ok: true, user: '1001' });
  t.same(auth.verify('REGISTER', answer(ch), lookup), { ok: false, stale: true });
  t.same(auth.verify('REGISTER', answer(ch, { nc: '00000002' }), lookup), { ok: true, user: '1001' });
});

t.test('missing or wrong fields fail without throwing', async (t) => {
  const auth = new DigestAuthenticator({ realm: REALM, nonceTtlS: 300 });
  const good = answer(auth.challengeHeaders(false)[0]!);
  const bad = [
    good.replace(/username="1001", /, ''),
    good.replace('realm="pbx.test"', 'realm="other"'),
    good.replace(/uri="[^"]+", /, ''),
    good.replace(/, nc=\S+$/, ''),
    good.replace(/cnonce="[^"]+", /, ''),
    good.replace('qop=auth', 'qop=auth-int'),
    good.replace(/opaque="[^"]+"/, 'opaque="x"'),
    good.replace('nc=00000001', 'nc=zz'),
    good.replace('algorithm=MD5', 'algorithm=MD5-sess'),
    good.replace('Digest', 'Basic'),
    'Digest username="1001", realm="pbx.test", nonce="unterminated',
    '',
    'Digest',
  ];
  for (const v of bad) t.same(auth.verify('REGISTER', v, lookup), { ok: false, stale: false }, v);
});

t.test('bad options throw at once', async (t) => {
  t.throws(() => new DigestAuthenticator({ realm: '', nonceTtlS: 300 }), { code: 'PBX_ERR_AUTH_REALM' });
  t.throws(() => new DigestAuthenticator({ realm: REALM, nonceTtlS: 0 }), { code: 'PBX_ERR_AUTH_NONCE_TTL' });
});
