// SIP over TLS with SRTP (RFC 3711, SDES RFC 4568) bridged to plain RTP: baresip registers 1001
// over TLS (a certificate made here by openssl) with mediaenc=srtp-mand and calls 1002, a SIPp
// callee on UDP whose media is a plain-RTP probe that echoes what it gets. baresip's microphone
// is speech-like audio (aufile); the probe decodes the PCMA it receives (decrypted by the PBX) and
// baresip dumps what it hears (sndfile: the echo, encrypted by the PBX): both must correlate with
// the audio sent. 1001 requires SRTP (media_encryption: sdes), so a plain offer from it gets 488.
import { spawn } from 'node:child_process';
import { createServer, type TLSSocket } from 'node:tls';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ALAW_DECODE } from '../../src/media/codec/pcma.js';
import type { RegistrationInfo } from '../../src/api/control-types.js';
import { speechLike } from '../helpers/audio.js';
import { correlation } from '../helpers/rtp-endpoint.js';
import { selfSignedCert } from '../helpers/tls-cert.js';
import { soxSamples } from '../helpers/wav-check.js';
import { describe, EXTENSIONS, freePort, isPbxMediaSource, PbxProcess, pbxJson, pcmWav, preparePbx, registerFrom, RtpProbe, startSipp, teardown, tempDir, writeBaresipConfig } from './harness.js';
import { callOverStream, registerOverStream, StreamUa } from './stream-ua.js';
import { StreamFramer } from '../../src/sip/framer.js';
import { responseTo, type SipRequest } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { serialize } from '../../src/sip/serializer.js';

const RATE = 8000;
const SECONDS = 12;

/**
 * How well 2 s of the sent audio (from its third second) is found in what came out, at the best
 * lag within 4 s (the far end starts hearing it some time into the call).
 */
function match(sent: Int16Array, heard: Int16Array): number {
  return correlation(sent.subarray(3 * RATE, 5 * RATE), heard, 4 * RATE).r;
}

const { cert, key, remove } = selfSignedCert();
t.teardown(remove);

/** The provider: a TLS server that answers every REGISTER 200 (expires 600) and keeps it. */
const registers: { req: SipRequest; socket: TLSSocket }[] = [];
const provider = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (socket) => {
  const framer = new StreamFramer({
    onMessage: (buf) => {
      const r = parseMessage(buf, { stream: true });
      if (!r.ok || r.message.kind !== 'request' || r.message.method !== 'REGISTER') return;
      registers.push({ req: r.message, socket });
      const res = responseTo(r.message, 200, 'OK', 'provider');
      res.headers.add('contact', `${r.message.headers.get('contact') ?? ''};expires=600`).add('content-length', '0');
      socket.write(serialize(res));
    },
    onPing: () => socket.write('\r\n'),
    onError: () => socket.destroy(),
  });
  socket.on('data', (chunk: Buffer) => framer.push(chunk));
  socket.on('error', () => undefined);
});
await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
t.teardown(() => provider.close());
const providerPort = (provider.address() as { port: number }).port;

const extensions = { ...EXTENSIONS };
const setup = await preparePbx({
  listen: ['udp:127.0.0.1:PORT', 'tls:127.0.0.1:PORT'],
  tls: { cert, key },
  extensions,
  extraYaml: `trunks:\n  secure: { type: register, host: 127.0.0.1, port: ${providerPort}, transport: tls, media_encryption: sdes, username: "74951234567", password: secret }\n`,
});
// 1001 requires SRTP (the harness writes extensions on one line each, so the key goes in there);
// the provider's certificate is checked against sip.tls.ca.
writeFileSync(
  setup.file,
  readFileSync(setup.file, 'utf8')
    .replace(/("1001": \{[^}]*)\}/, '$1, media_encryption: sdes }')
    .replace(/(\n    key: [^\n]*)/, `$1\n    ca: ${JSON.stringify(cert)}`),
);
const pbx = await PbxProcess.start(setup);
t.teardown(() => teardown(pbx, setup));

t.test('baresip over TLS with SRTP calls a plain-RTP callee; the audio arrives intact both ways', async (t) => {
  const dir = tempDir('baresip-srtp');
  t.teardown(dir.cleanup);
  writeBaresipConfig(dir.path, await freePort(), `<sip:1001@127.0.0.1:${setup.sipPort};transport=tls>;auth_pass=alice-pass;regint=600;audio_codecs=PCMA;mediaenc=srtp-mand`, [
    'module srtp.so',
    `sip_cafile ${cert}`,
    'module sndfile.so',
    `snd_path ${dir.path}`,
  ]);
  const sent = speechLike(RATE, SECONDS);
  writeFileSync(join(dir.path, 'tone.wav'), pcmWav(sent));

  const calleePort = await freePort();
  const reg = await registerFrom(setup, '1002', calleePort);
  t.equal(reg.code, 0, reg.errors);
  const probe = await RtpProbe.open();
  t.teardown(() => probe.close());
  const callee = startSipp({ scenario: 'uas.xml', localPort: calleePort, set: { rtp_port: probe.port }, timeoutS: 40 });
  t.teardown(() => callee.kill());

  const registered = pbx.waitForLog((l) => l.msg === 'registered' && l.extension === '1001', 15000);
  const phone = spawn('baresip', ['-f', dir.path, '-e', `/dial sip:1002@127.0.0.1:${setup.sipPort};transport=tls`, '-t', '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  phone.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  phone.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const killer = setTimeout(() => phone.kill('SIGKILL'), 40000);
  const phoneExit = new Promise<number | null>((resolve) => phone.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    clearTimeout(killer);
    phone.kill('SIGKILL');
  });

  t.ok(await registered, 'baresip registered 1001');
  const bindings = await pbxJson<RegistrationInfo[]>(setup.file, ['registrations']);
  t.match(bindings.find((b) => b.extension === '1001'), { transport: 'tls' }, 'over TLS');
  const [calleeResult, phoneCode] = await Promise.all([callee.done, phoneExit]);
  t.equal(calleeResult.code, 0, `callee: ${calleeResult.errors}`);
  t.equal(phoneCode, 0, 'baresip exits 0', { output: output.slice(-500) });
  t.match(output, /Call established/);
  t.match(output, /srtp/i, 'baresip negotiated SRTP');
  t.match(pbx.logs.find((l) => l.msg === 'new call'), { from: '1001', transport: 'tls' }, "baresip's INVITE came over TLS");

  t.ok(probe.pcma.length >= 100, `the plain callee got baresip's PCMA: ${describe(probe.counts)}`);
  t.ok([...probe.counts.sources].every((s) => isPbxMediaSource(s, setup.rtp)), 'from the PBX media ports');
  const atCallee = Int16Array.from(Buffer.concat(probe.pcma), (b) => ALAW_DECODE[b]!);
  const toCallee = match(sent, atCallee);
  t.ok(toCallee > 0.9, `what the plain callee got is baresip's audio, decrypted (r = ${toCallee.toFixed(3)})`);
  // baresip's sndfile module dumps what it decoded to dump-<time>-dec.wav.
  const dump = readdirSync(dir.path).find((f) => f.endsWith('-dec.wav'));
  t.ok(dump !== undefined, 'baresip dumped what it heard');
  const heard = dump === undefined ? new Int16Array(0) : soxSamples(join(dir.path, dump));
  const back = match(sent, heard);
  t.ok(back > 0.8, `what baresip heard is the callee's echo, encrypted and decrypted (r = ${back.toFixed(3)})`);

  const secret = /inline:([A-Za-z0-9+/=]+)/;
  t.notOk(pbx.logs.some((l) => secret.test(JSON.stringify(l))) || pbx.stderr.some((l) => secret.test(l)), 'no SRTP key in the logs');
});

t.test('an INVITE with plain RTP from 1001 (media_encryption: sdes) is refused with 488', async (t) => {
  const ua = await StreamUa.openTls('127.0.0.1', setup.sipPort, readFileSync(cert));
  t.teardown(() => ua.close());
  t.equal(await registerOverStream(ua, 'tls', '1001', extensions['1001']!.password), 200);
  const call = await callOverStream(ua, 'tls', '1001', extensions['1001']!.password, '1002', await freePort());
  t.equal(call.status, 488);
});

t.test('a trunk with transport: tls registers to its provider over TLS, with a transport=tls contact', async (t) => {
  await pbx.waitForLog((l) => l.msg === 'registered to the provider' && l.trunk === 'secure', 15000);
  t.ok(registers.length >= 1, 'the provider got a REGISTER');
  const reg = registers[0]!.req;
  t.match(reg.headers.get('via'), /^SIP\/2\.0\/TLS /, 'Via says TLS');
  t.match(reg.headers.get('contact'), /^<?sip:74951234567@127\.0\.0\.1:\d+;transport=tls/, 'the provider calls us back over TLS');
});

t.test('SIGTERM afterwards exits 0', async (t) => {
  t.same(await pbx.stop(), { code: 0, signal: null });
});
