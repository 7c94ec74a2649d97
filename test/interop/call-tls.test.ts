// SIP over TLS (RFC 3261 26.2): the PBX listens on tls:127.0.0.1 with a certificate made here by
// openssl. A UA on one TLS connection (the project's parser and serializer; Debian's SIPp has no
// TLS) registers 1002 with digest, shows up in `pbx registrations --json` with transport tls,
// takes a call from a SIPp caller on UDP over that same connection, and places one over TLS to a
// SIPp callee on UDP, with RTP both ways each time.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { selfSignedCert } from '../helpers/tls-cert.js';
import type { RegistrationInfo } from '../../src/api/control-types.js';
import type { CdrRow } from '../../src/store/types.js';
import { describe, EXTENSIONS, freePort, isPbxMediaSource, PbxProcess, pbxJson, preparePbx, registerFrom, RtpProbe, startSipp, teardown } from './harness.js';
import { callOverStream, hangUpOverStream, registerOverStream, sippCallAnsweredOverStream, StreamUa, uaContact } from './stream-ua.js';

const { cert, key, remove } = selfSignedCert();
t.teardown(remove);

const setup = await preparePbx({ listen: ['udp:127.0.0.1:PORT', 'tls:127.0.0.1:PORT'], tls: { cert, key } });
const pbx = await PbxProcess.start(setup);
t.teardown(() => teardown(pbx, setup));

const ua = await StreamUa.openTls('127.0.0.1', setup.sipPort, readFileSync(cert));
t.teardown(() => ua.close());

t.test('REGISTER over TLS with digest gets 200', async (t) => {
  t.equal(await registerOverStream(ua, 'tls', '1002', EXTENSIONS['1002']!.password), 200);
});

t.test('pbx registrations --json lists 1002 with transport tls', async (t) => {
  const rows = await pbxJson<RegistrationInfo[]>(setup.file, ['registrations']);
  t.match(rows, [{ extension: '1002', transport: 'tls' }]);
});

t.test('a SIPp caller on UDP reaches 1002 over its TLS connection, with RTP both ways', async (t) => {
  const { invite, result, probe } = await sippCallAnsweredOverStream(t, setup, ua, '1002', uaContact(ua, '1002', 'tls'));
  t.match(invite.uri, /transport=tls/i, 'the INVITE is for the TLS contact');
  t.equal(result.code, 0, result.errors);
  const counts = probe.counts;
  t.ok((counts.fromPeer.get(8) ?? 0) >= 20 && [...counts.sources].every((s) => isPbxMediaSource(s, setup.rtp)), `the caller's PCMA came from the PBX media ports: ${describe(counts)}`);
  t.ok(counts.echoedBack >= 20, `the callee's RTP reached the caller and came back: ${describe(counts)}`);
  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.match(rows, [{ from: /1001/, to: /1002/, status: 'answered' }]);
});

t.test('1002 calls over TLS (digest, ACK, BYE) and reaches a SIPp callee on UDP, with RTP both ways', async (t) => {
  const calleePort = await freePort();
  const reg = await registerFrom(setup, '1001', calleePort);
  t.equal(reg.code, 0, reg.errors);
  const calleeProbe = await RtpProbe.open();
  t.teardown(() => calleeProbe.close());
  const callee = startSipp({ scenario: 'uas.xml', localPort: calleePort, set: { rtp_port: calleeProbe.port }, timeoutS: 30 });
  t.teardown(() => callee.kill());
  const callerProbe = await RtpProbe.open();
  t.teardown(() => callerProbe.close());

  const call = await callOverStream(ua, 'tls', '1002', EXTENSIONS['1002']!.password, '1001', callerProbe.port);
  t.equal(call.status, 200, 'the INVITE over TLS is answered');
  t.ok(call.media !== null && isPbxMediaSource(`${call.media.address}:${call.media.port}`, setup.rtp), `the answer's media is a PBX port: ${JSON.stringify(call.media)}`);
  await callerProbe.play(call.media!.address, call.media!.port, 50);
  await callerProbe.waitFor((c) => c.echoedBack >= 20, 10000);
  t.ok((calleeProbe.counts.fromPeer.get(8) ?? 0) >= 20, `the caller's RTP reached the callee: ${describe(calleeProbe.counts)}`);
  t.ok(callerProbe.counts.echoedBack >= 20, `the callee's RTP reached the caller: ${describe(callerProbe.counts)}`);
  t.ok([...calleeProbe.counts.sources].every((s) => isPbxMediaSource(s, setup.rtp)), 'the callee heard the PBX media ports');
  t.equal(await hangUpOverStream(ua, 'tls', call), 200, 'BYE over TLS gets 200');
  const result = await callee.done;
  t.equal(result.code, 0, result.errors);
  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.equal(rows.length, 2);
  t.ok(rows.some((r) => /1002/.test(r.from) && /1001/.test(r.to) && r.status === 'answered'), JSON.stringify(rows));
});

t.test('a phone registered with a sips: Contact over TLS gets its INVITE on that connection, to the sips: URI', async (t) => {
  const secure = await StreamUa.openTls('127.0.0.1', setup.sipPort, readFileSync(cert));
  t.teardown(() => secure.close());
  const contact = `<sips:1003@127.0.0.1:${secure.localPort}>`;
  t.equal(await registerOverStream(secure, 'tls', '1003', EXTENSIONS['1003']!.password, contact), 200);
  const { invite, result } = await sippCallAnsweredOverStream(t, setup, secure, '1003', contact);
  t.match(invite.uri, /^sips:1003@/);
  t.equal(result.code, 0, result.errors);
});

t.test('SIGTERM afterwards exits 0', async (t) => {
  t.same(await pbx.stop(), { code: 0, signal: null });
});
