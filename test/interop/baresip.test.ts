// baresip (a real softphone) registers with digest and calls a SIPp callee through the PBX;
// G.711 flows both ways through the PBX's media ports.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { CdrRow } from '../../src/store/types.js';
import { describe, freePort, isPbxMediaSource, PbxProcess, pbxJson, preparePbx, registerFrom, RtpProbe, startSipp, teardown, tempDir } from './harness.js';

const setup = await preparePbx();
const pbx = await PbxProcess.start(setup);
t.teardown(() => teardown(pbx, setup));

/** A mono 16-bit 8 kHz WAV with a 440 Hz tone (what baresip's aufile source plays). */
function toneWav(seconds: number): Buffer {
  const samples = 8000 * seconds;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(16000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)), 44 + 2 * i);
  return wav;
}

t.test('baresip registers and calls a SIPp callee through the PBX, with audio both ways', async (t) => {
  const dir = tempDir('baresip');
  t.teardown(dir.cleanup);
  writeFileSync(join(dir.path, 'tone.wav'), toneWav(12));
  const sipPort = await freePort();
  writeFileSync(
    join(dir.path, 'config'),
    [
      `sip_listen 127.0.0.1:${sipPort}`,
      `audio_source aufile,${join(dir.path, 'tone.wav')}`,
      `audio_player aufile,${join(dir.path, 'heard.wav')}`,
      'audio_alert aufile,/dev/null',
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module_app account.so',
      'module_app menu.so',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir.path, 'accounts'), `<sip:1001@127.0.0.1:${setup.sipPort};transport=udp>;auth_pass=alice-pass;regint=600;audio_codecs=PCMA,PCMU\n`);

  const calleePort = await freePort();
  const reg = await registerFrom(setup, '1002', calleePort);
  t.equal(reg.code, 0, reg.errors);
  const probe = await RtpProbe.open();
  t.teardown(() => probe.close());
  const callee = startSipp({ scenario: 'uas.xml', localPort: calleePort, set: { rtp_port: probe.port }, timeoutS: 30 });

  const registered = pbx.waitForLog((l) => l.msg === 'registered' && l.extension === '1001', 15000);
  const phone = spawn('baresip', ['-f', dir.path, '-e', `/dial sip:1002@127.0.0.1:${setup.sipPort}`, '-t', '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  phone.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  phone.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const killer = setTimeout(() => phone.kill('SIGKILL'), 30000);
  const phoneExit = new Promise<number | null>((resolve) => phone.once('exit', (code) => resolve(code)));

  t.ok(await registered, 'the PBX logged the registration of 1001 from baresip');
  const [calleeResult, phoneCode] = await Promise.all([callee.done, phoneExit]);
  clearTimeout(killer);
  t.equal(calleeResult.code, 0, `callee: ${calleeResult.errors}`);
  t.equal(phoneCode, 0, 'baresip exits 0');
  t.match(output, /Call established/);

  const counts = probe.counts;
  t.ok((counts.fromPeer.get(8) ?? 0) >= 50, `baresip's PCMA reached the callee: ${describe(counts)}`);
  t.ok([...counts.sources].every((s) => isPbxMediaSource(s, setup.rtp)), 'from the PBX media ports');
  // baresip's status line: audio=TX/RX (bit/s); the callee's RTP is the probe's copy of baresip's.
  const rates = [...output.matchAll(/audio=(\d+)\/(\d+) \(bit\/s\)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
  t.ok(rates.some(([tx, rx]) => tx > 0 && rx > 0), `baresip sent and received RTP (rates seen: ${[...new Set(rates.map((r) => r.join('/')))].join(', ')})`);

  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.match(rows, [{ from: /1001/, to: /1002/, status: 'answered' }]);
});
