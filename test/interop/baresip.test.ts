// baresip (a real softphone) registers with digest, over UDP and over TCP (an account with
// ;transport=tcp), and calls a SIPp callee through the PBX; G.711 flows both ways through the
// PBX's media ports, and the registration and the INVITE use the account's transport.
import { spawn } from 'node:child_process';
import t, { type Test } from 'tap';
import type { RegistrationInfo } from '../../src/api/control-types.js';
import type { CdrRow } from '../../src/store/types.js';
import { describe, freePort, isPbxMediaSource, PbxProcess, pbxJson, preparePbx, registerFrom, RtpProbe, startSipp, teardown, tempDir, writeBaresipConfig } from './harness.js';

async function baresipCall(t: Test, transport: 'udp' | 'tcp'): Promise<void> {
  const setup = await preparePbx();
  const pbx = await PbxProcess.start(setup);
  t.teardown(() => teardown(pbx, setup));
  const dir = tempDir(`baresip-${transport}`);
  t.teardown(dir.cleanup);
  writeBaresipConfig(dir.path, await freePort(), `<sip:1001@127.0.0.1:${setup.sipPort};transport=${transport}>;auth_pass=alice-pass;regint=600;audio_codecs=PCMA,PCMU`);

  const calleePort = await freePort();
  const reg = await registerFrom(setup, '1002', calleePort);
  t.equal(reg.code, 0, reg.errors);
  const probe = await RtpProbe.open();
  t.teardown(() => probe.close());
  const callee = startSipp({ scenario: 'uas.xml', localPort: calleePort, set: { rtp_port: probe.port }, timeoutS: 30 });

  const registered = pbx.waitForLog((l) => l.msg === 'registered' && l.extension === '1001', 15000);
  const target = `sip:1002@127.0.0.1:${setup.sipPort}${transport === 'tcp' ? ';transport=tcp' : ''}`;
  const phone = spawn('baresip', ['-f', dir.path, '-e', `/dial ${target}`, '-t', '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  phone.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  phone.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const killer = setTimeout(() => phone.kill('SIGKILL'), 30000);
  const phoneExit = new Promise<number | null>((resolve) => phone.once('exit', (code) => resolve(code)));

  t.ok(await registered, 'the PBX logged the registration of 1001 from baresip');
  const bindings = await pbxJson<RegistrationInfo[]>(setup.file, ['registrations']);
  t.match(bindings.find((b) => b.extension === '1001'), { transport }, `baresip is registered over ${transport}`);
  const [calleeResult, phoneCode] = await Promise.all([callee.done, phoneExit]);
  clearTimeout(killer);
  t.equal(calleeResult.code, 0, `callee: ${calleeResult.errors}`);
  t.equal(phoneCode, 0, 'baresip exits 0');
  t.match(output, /Call established/);
  t.match(pbx.logs.find((l) => l.msg === 'new call'), { from: '1001', transport }, `baresip's INVITE came over ${transport}`);

  const counts = probe.counts;
  t.ok((counts.fromPeer.get(8) ?? 0) >= 50, `baresip's PCMA reached the callee: ${describe(counts)}`);
  t.ok([...counts.sources].every((s) => isPbxMediaSource(s, setup.rtp)), 'from the PBX media ports');
  // baresip's status line: audio=TX/RX (bit/s); the callee's RTP is the probe's copy of baresip's.
  const rates = [...output.matchAll(/audio=(\d+)\/(\d+) \(bit\/s\)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
  t.ok(rates.some(([tx, rx]) => tx > 0 && rx > 0), `baresip sent and received RTP (rates seen: ${[...new Set(rates.map((r) => r.join('/')))].join(', ')})`);

  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.match(rows, [{ from: /1001/, to: /1002/, status: 'answered' }]);
}

t.test('baresip registers over UDP and calls a SIPp callee through the PBX, with audio both ways', (t) => baresipCall(t, 'udp'));
t.test('baresip registers over TCP and calls a SIPp callee through the PBX, with audio both ways', (t) => baresipCall(t, 'tcp'));
