// SIP over TLS (RFC 3261 26.2): the PBX listens on tls:127.0.0.1 with a certificate made here by
// openssl. A UA on one TLS connection (the project's parser and serializer; Debian's SIPp has no
// TLS) registers 1002 with digest, shows up in `pbx registrations --json` with transport tls,
// and takes a call from a SIPp caller on UDP over that same connection, with RTP both ways.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { RegistrationInfo } from '../../src/api/control-types.js';
import { Headers, SipRequest, responseTo, type SipResponse } from '../../src/sip/message.js';
import type { CdrRow } from '../../src/store/types.js';
import { describe, EXTENSIONS, freePort, isPbxMediaSource, PbxProcess, pbxJson, preparePbx, RtpProbe, startSipp, teardown, tempDir } from './harness.js';
import { digestAuthorization, isRequest, TlsUa } from './stream-ua.js';

const certs = tempDir('tls');
t.teardown(certs.cleanup);
const cert = join(certs.path, 'cert.pem');
const key = join(certs.path, 'key.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=pbx.test', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });

const setup = await preparePbx({ listen: ['udp:127.0.0.1:PORT', 'tls:127.0.0.1:PORT'], tls: { cert, key } });
const pbx = await PbxProcess.start(setup);
t.teardown(() => teardown(pbx, setup));

const ua = await TlsUa.open('127.0.0.1', setup.sipPort, readFileSync(cert));
t.teardown(() => ua.close());
const contact = `<sip:1002@127.0.0.1:${ua.localPort};transport=tls>`;
const callId = `tls-reg-${process.pid}`;

function register(cseq: number, authorization?: string): void {
  const h = new Headers()
    .add('via', `SIP/2.0/TLS 127.0.0.1:${ua.localPort};branch=z9hG4bK-tlsreg-${cseq};rport`)
    .add('from', '<sip:1002@pbx.test>;tag=tlsreg')
    .add('to', '<sip:1002@pbx.test>')
    .add('call-id', callId)
    .add('cseq', `${cseq} REGISTER`)
    .add('contact', contact)
    .add('max-forwards', '70')
    .add('expires', '600')
    .add('user-agent', 'tls-ua');
  if (authorization !== undefined) h.add('authorization', authorization);
  h.add('content-length', '0');
  ua.send(new SipRequest('REGISTER', 'sip:pbx.test', h));
}

t.test('REGISTER over TLS: 401 with a challenge, then 200 with the digest', async (t) => {
  register(1);
  const challenge = (await ua.waitFor((m) => m.kind === 'response' && m.headers.get('cseq') === '1 REGISTER')) as SipResponse;
  t.equal(challenge.status, 401);
  const www = challenge.headers.get('www-authenticate') ?? '';
  register(2, digestAuthorization(www, '1002', EXTENSIONS['1002']!.password, 'REGISTER', 'sip:pbx.test'));
  const ok = (await ua.waitFor((m) => m.kind === 'response' && m.headers.get('cseq') === '2 REGISTER')) as SipResponse;
  t.equal(ok.status, 200);
});

t.test('pbx registrations --json lists 1002 with transport tls', async (t) => {
  const rows = await pbxJson<RegistrationInfo[]>(setup.file, ['registrations']);
  t.match(rows, [{ extension: '1002', transport: 'tls' }]);
});

t.test('a SIPp caller on UDP reaches 1002 over its TLS connection, with RTP both ways', async (t) => {
  const probe = await RtpProbe.open();
  t.teardown(() => probe.close());
  const caller = startSipp({
    scenario: 'uac-call.xml',
    remote: `127.0.0.1:${setup.sipPort}`,
    localPort: await freePort(),
    mediaPort: await freePort(3),
    rtpEcho: true,
    service: '1002',
    credentials: [['1001', EXTENSIONS['1001']!.password]],
    durationMs: 2000,
    timeoutS: 30,
  });
  t.teardown(() => caller.kill());

  const invite = (await ua.waitFor((m) => isRequest(m, 'INVITE'), 15000)) as SipRequest;
  t.match(invite.uri, /transport=tls/i, 'the INVITE is sent to the TLS contact');
  const ringing = responseTo(invite, 180, undefined, 'tlscallee');
  ringing.headers.add('contact', contact).add('content-length', '0');
  ua.send(ringing);
  const sdp = Buffer.from(['v=0', 'o=callee 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${probe.port} RTP/AVP 8 101`, 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', ''].join('\r\n'));
  const answer = responseTo(invite, 200, undefined, 'tlscallee');
  for (const rr of invite.headers.getAll('record-route')) answer.headers.add('record-route', rr);
  answer.headers.add('contact', contact).add('content-type', 'application/sdp').add('content-length', String(sdp.length));
  answer.body = sdp;
  ua.send(answer);
  await ua.waitFor((m) => isRequest(m, 'ACK'), 10000);
  await probe.waitFor((c) => (c.fromPeer.get(8) ?? 0) >= 20 && c.echoedBack >= 20, 15000);

  const bye = (await ua.waitFor((m) => isRequest(m, 'BYE'), 15000)) as SipRequest;
  const byeOk = responseTo(bye, 200);
  byeOk.headers.add('content-length', '0');
  ua.send(byeOk);
  const result = await caller.done;
  t.equal(result.code, 0, result.errors);
  const counts = probe.counts;
  t.ok((counts.fromPeer.get(8) ?? 0) >= 20 && [...counts.sources].every((s) => isPbxMediaSource(s, setup.rtp)), `the caller's PCMA came from the PBX media ports: ${describe(counts)}`);
  t.ok(counts.echoedBack >= 20, `the callee's RTP reached the caller and came back: ${describe(counts)}`);
  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.match(rows, [{ from: /1001/, to: /1002/, status: 'answered' }]);
});

t.test('SIGTERM afterwards exits 0', async (t) => {
  t.same(await pbx.stop(), { code: 0, signal: null });
});
