// Outside lines against providers simulated by SIPp, with the real `pbx start`: a registrar that
// challenges REGISTER (SIPp verifyauth) sees the PBX register, refresh, and un-REGISTER when it
// stops; a carrier delivers a DID call that reaches the extension `inbound:` names; a call out
// fails over from a trunk answering 503, and from one answering nothing, to the next one, which sees the extension's caller ID in
// From and P-Asserted-Identity; members of groups present their group's number; a provider that
// challenges the INVITE gets it again in the same dialog; an unauthenticated INVITE to an outside
// number and an international call of an extension without that permission are refused (403
// with a Warning) and never reach a trunk.
import t, { type Test } from 'tap';
import type { StatusInfo, TrunkInfo } from '../../src/api/control-types.js';
import type { CdrRow } from '../../src/store/types.js';
import { EXTENSIONS, freePort, pbxAddress, pbxJson, PbxProcess, preparePbx, registerFrom, RtpProbe, runSipp, startSipp, teardown, TOKEN } from './harness.js';

const registrarPort = await freePort();
const carrierPort = await freePort();
const downPort = await freePort();
const upPort = await freePort();
const authPort = await freePort();
const silentPort = await freePort();

const setup = await preparePbx({
  extensions: {
    ...EXTENSIONS,
    '1002': { ...EXTENSIONS['1002']!, outbound: '{ caller_id: "+74951110002" }' },
    '1003': { ...EXTENSIONS['1003']!, outbound: '{ caller_id_group: support }' },
    '1004': { name: 'Dave', password: 'dave-pass', outbound: '{ caller_id: "+74951110004" }', more: 'forward: { always: "74951234" }' },
  },
  extraYaml: [
    'trunks:',
    `  acme: { type: register, host: 127.0.0.1, port: ${registrarPort}, username: acct, password: secret, from_domain: carrier.test, expires: 600, did_header: to }`,
    `  carrier: { type: ip, host: 127.0.0.1, port: ${carrierPort}, match: ["127.0.0.1:${carrierPort}"] }`,
    `  down: { type: ip, host: 127.0.0.1, port: ${downPort} }`,
    `  up: { type: ip, host: 127.0.0.1, port: ${upPort} }`,
    `  auth: { type: ip, host: 127.0.0.1, port: ${authPort}, username: acct2, password: s3cret }`,
    `  silent: { type: ip, host: 127.0.0.1, port: ${silentPort}, response_timeout: 1 }`,
    'inbound:',
    '  "+74951234567": "1001"',
    '  "+74951234568": "1004"',
    'outbound:',
    '  - { name: city, pattern: "9XXXXXXX", strip: 1, prepend: "+7495", trunks: [down, up], class: local }',
    '  - { name: world, pattern: "810X.", strip: 3, prepend: "+", trunks: [down, up], class: international }',
    '  - { name: direct, pattern: "7XXXXXXX", strip: 1, prepend: "+7495", trunks: [up], class: local }',
    '  - { name: secure, pattern: "6XXXXXXX", strip: 1, prepend: "+7495", trunks: [auth], class: local }',
    '  - { name: fallback, pattern: "5XXXXXXX", strip: 1, prepend: "+7495", trunks: [silent, up], class: local }',
    'groups:',
    '  sales: { members: ["1001", "1002", "1003"], caller_id: "+74951110100", caller_id_name: "Acme Sales" }',
    '  support: { members: ["1003"], caller_id: "+74951110200" }',
    '',
  ].join('\n'),
});
// The provider's registrar listens before the PBX starts: the first REGISTER goes out at start.
// It stays up until the PBX stops and removes its registration (the last test).
const registrar = startSipp({ scenario: 'provider-registrar.xml', localPort: registrarPort, timeoutS: 120 });
const pbx = await PbxProcess.start(setup);
t.teardown(async () => {
  registrar.kill();
  await teardown(pbx, setup);
});

t.test('registration: the challenge is answered with a digest the registrar verifies, and refreshed before the 4 s grant runs out', async (t) => {
  const registered = await pbx.waitForLog((l) => l.msg === 'registered to the provider');
  t.match(registered, { trunk: 'acme', expires: 4 });
  await pbx.waitForLog((l) => l.msg === 'registration refreshed' && l.expires === 3600);
  const status = await pbxJson<StatusInfo[]>(setup.file, ['status']);
  const acme = status[0]!.trunks!.find((x) => x.name === 'acme');
  t.match(acme, { type: 'register', state: 'registered', last_error: null });
  t.ok(Date.parse(acme!.expires_at!) - Date.now() > 3000_000, 'expires_at follows the 3600 s grant');
  const res = await fetch(`http://127.0.0.1:${setup.httpPort}/api/trunks`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  const trunks = (await res.json()) as TrunkInfo[];
  t.same(trunks.map((x) => [x.name, x.state]), [['acme', 'registered'], ['carrier', 'ip'], ['down', 'ip'], ['up', 'ip'], ['auth', 'ip'], ['silent', 'ip']]);
});

t.test('inbound: a DID call from the carrier reaches the extension inbound: names, without a digest challenge', async (t) => {
  const calleePort = await freePort();
  const reg = await registerFrom(setup, '1001', calleePort);
  t.equal(reg.code, 0, reg.errors);
  const probe = await RtpProbe.open();
  t.teardown(() => probe.close());
  const callee = startSipp({ scenario: 'uas.xml', localPort: calleePort, set: { rtp_port: probe.port }, timeoutS: 20 });
  const carrier = await carrierCall('+74951234567', '+79161234567', 1000);
  const answered = await callee.done;
  t.equal(carrier.code, 0, `carrier: ${carrier.errors}`);
  t.equal(answered.code, 0, `1001: ${answered.errors}`);
  const call = await pbx.waitForLog((l) => l.msg === 'new call' && l.trunk === 'carrier');
  t.match(call, { from: '+79161234567', to: '+74951234567' });
  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.match(rows.find((r) => r.from === '+79161234567'), { to: '+74951234567', status: 'answered' });
});

t.test('forward to a mobile: a DID call to 1004, forwarded always to an outside number, goes out through the route with 1004’s caller ID', async (t) => {
  const probe = await RtpProbe.open();
  t.teardown(() => probe.close());
  const up = startSipp({ scenario: 'carrier-uas.xml', localPort: upPort, set: { rtp_port: probe.port, number: '+74954951234', cid: '+74951110004' }, timeoutS: 20 });
  const carrier = await carrierCall('+74951234568', '+79161230000', 500);
  const u = await up.done;
  t.equal(carrier.code, 0, `carrier: ${carrier.errors}`);
  t.equal(u.code, 0, `the mobile's provider (number and caller ID checked): ${u.errors}`);
  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.match(rows.find((r) => r.from === '+79161230000'), { status: 'answered', path: /forward-always:1004.*outbound:direct/ });
});

t.test('outbound: the first trunk answers 503, the call fails over to the next, which sees 1002’s caller ID', async (t) => {
  const probe = await RtpProbe.open();
  t.teardown(() => probe.close());
  const down = startSipp({ scenario: 'carrier-503.xml', localPort: downPort, timeoutS: 20 });
  const up = startSipp({ scenario: 'carrier-uas.xml', localPort: upPort, set: { rtp_port: probe.port, number: '+74954951234', cid: '+74951110002' }, timeoutS: 20 });
  const caller = await runSipp({
    scenario: 'uac-call.xml',
    remote: pbxAddress(setup),
    localPort: await freePort(),
    mediaPort: await freePort(3),
    rtpEcho: true,
    service: '94951234',
    credentials: [['1002', EXTENSIONS['1002']!.password]],
    durationMs: 1000,
    timeoutS: 20,
  });
  const [d, u] = await Promise.all([down.done, up.done]);
  t.equal(caller.code, 0, `1002: ${caller.errors}`);
  t.equal(d.code, 0, `trunk down: ${d.errors}`);
  t.equal(u.code, 0, `trunk up (number and caller ID checked): ${u.errors}`);
  t.ok(probe.counts.fromPeer.size > 0, 'the caller’s audio reached the provider');
  await pbx.waitForLog((l) => l.msg === 'trunk failed; trying the next' && l.trunk === 'down' && l.status === 503);
  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.match(rows.find((r) => r.to === '94951234'), { from: '1002', status: 'answered', path: 'outbound:city' });
});

t.test('outbound: a trunk that answers nothing within its response_timeout (1 s) is left for the next', async (t) => {
  const silent = startSipp({ scenario: 'carrier-silent.xml', localPort: silentPort, timeoutS: 20 });
  const started = Date.now();
  await callOut(t, '1002', '54951234', 'carrier-uas.xml', upPort, '+74954951234', '+74951110002');
  const s = await silent.done;
  t.equal(s.code, 0, `silent trunk got the INVITE: ${s.errors}`);
  const left = await pbx.waitForLog((l) => l.msg === 'trunk failed; trying the next' && l.trunk === 'silent');
  t.equal(left.status, 408, 'counted as a timeout (408)');
  t.ok(Date.now() - started < 15000, 'long before Timer B (32 s) would have fired');
});

t.test('toll fraud: an INVITE without credentials to an outside number gets the challenge and never reaches a trunk', async (t) => {
  const before = pbx.logs.filter((l) => l.msg === 'calling out').length;
  const r = await runSipp({ scenario: 'uac-noauth.xml', remote: pbxAddress(setup), localPort: await freePort(), mediaPort: await freePort(3), service: '94951234', timeoutS: 10 });
  t.equal(r.code, 0, `scanner: ${r.errors}`);
  t.equal(pbx.logs.filter((l) => l.msg === 'calling out').length, before, 'no INVITE went to a provider');
});

t.test('toll fraud: international is off unless allowed; the refusal is 403 and logged', async (t) => {
  const before = pbx.logs.filter((l) => l.msg === 'calling out').length;
  const r = await runSipp({
    scenario: 'uac-forbidden.xml',
    remote: pbxAddress(setup),
    localPort: await freePort(),
    mediaPort: await freePort(3),
    service: '81044207123',
    credentials: [['1002', EXTENSIONS['1002']!.password]],
    set: { caller: '1002' },
    timeoutS: 10,
  });
  t.equal(r.code, 0, `1002: ${r.errors}`);
  const refused = await pbx.waitForLog((l) => l.msg === 'outside call refused');
  t.match(refused, { from: '1002', to: '81044207123', reason: 'class-not-allowed', class: 'international' });
  t.equal(pbx.logs.filter((l) => l.msg === 'calling out').length, before, 'no INVITE went to a provider');
});

/** The carrier trunk delivers a call from `caller` to DID `did`, talking for `durationMs` once answered. */
function carrierCall(did: string, caller: string, durationMs: number): ReturnType<typeof runSipp> {
  return freePort(3).then((mediaPort) =>
    runSipp({ scenario: 'carrier-uac.xml', remote: pbxAddress(setup), localPort: carrierPort, mediaPort, rtpEcho: true, service: did, set: { caller }, durationMs, timeoutS: 20 }),
  );
}

/** Extension `ext` calls `dialled`; the provider on `port` runs `scenario`, checking the number and caller ID. */
async function callOut(t: Test, ext: string, dialled: string, scenario: string, port: number, number: string, cid: string): Promise<void> {
  const probe = await RtpProbe.open();
  t.teardown(() => probe.close());
  const provider = startSipp({ scenario, localPort: port, set: { rtp_port: probe.port, number, cid }, timeoutS: 20 });
  const caller = await runSipp({
    scenario: 'uac-call.xml',
    remote: pbxAddress(setup),
    localPort: await freePort(),
    mediaPort: await freePort(3),
    rtpEcho: true,
    service: dialled,
    credentials: [[ext, EXTENSIONS[ext]!.password]],
    durationMs: 500,
    timeoutS: 20,
  });
  const p = await provider.done;
  t.equal(caller.code, 0, `${ext}: ${caller.errors}`);
  t.equal(p.code, 0, `provider (number, caller ID${scenario === 'carrier-auth.xml' ? ', dialog and digest' : ''} checked): ${p.errors}`);
}

t.test('group caller ID: a member without its own caller_id presents the first group listing it, with the group’s name', async (t) => {
  await callOut(t, '1001', '74951234', 'carrier-uas.xml', upPort, '+74954951234', '+74951110100');
  const metrics = await (await fetch(`http://127.0.0.1:${setup.httpPort}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
  t.match(metrics, /^tspbx_outside_calls \d+$/m, '/metrics counts outside calls');
  t.match(metrics, /^# TYPE tspbx_outside_calls_limited_total counter$/m);
});

t.test('group caller ID: caller_id_group picks the group; the INVITE a provider challenged is sent again in the same dialog with CSeq + 1', async (t) => {
  await callOut(t, '1003', '64951234', 'carrier-auth.xml', authPort, '+74954951234', '+74951110200');
});

t.test('SIGTERM exits 0 after removing the registration at the provider (Expires: 0, challenge answered)', async (t) => {
  t.same(await pbx.stop(), { code: 0, signal: null });
  const r = await registrar.done;
  t.equal(r.code, 0, `registrar scenario (register, refresh, un-REGISTER): ${r.errors}${r.stdout}`);
  t.ok(pbx.logs.some((l) => l.msg === 'unregistered from the provider' && l.trunk === 'acme'));
});
