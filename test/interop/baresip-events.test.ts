// baresip's mwi and presence modules against the PBX process: a message file left in the mailbox
// (as a crash between file and index would leave it) is indexed at start-up, and baresip's own
// message-summary subscription shows the lamp on with 1 new message; its presence subscription to
// a contact is accepted.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { freePort, PbxProcess, preparePbx, teardown, tempDir, toneWav } from './harness.js';

t.test('baresip subscribes to message-summary with digest and shows the waiting message; presence is served', async (t) => {
  const setup = await preparePbx();
  const mailbox = join(setup.dataDir, 'voicemail', '1001');
  mkdirSync(mailbox, { recursive: true });
  writeFileSync(join(mailbox, 'msg-0f0e0d0c-0b0a-4909-8807-060504030201.wav'), toneWav(1));
  const pbx = await PbxProcess.start(setup);
  t.teardown(() => teardown(pbx, setup));
  t.ok(pbx.logs.some((l) => l.msg === 'voicemail file without a row: indexed as a new message' && l.mailbox === '1001'), 'the orphan file was indexed at start-up');

  const dir = tempDir('baresip-events');
  t.teardown(dir.cleanup);
  writeFileSync(
    join(dir.path, 'config'),
    [
      `sip_listen 127.0.0.1:${await freePort()}`,
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module_app account.so',
      'module_app menu.so',
      'module_app contact.so',
      'module_app mwi.so',
      'module_app presence.so',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir.path, 'accounts'), `<sip:1001@127.0.0.1:${setup.sipPort}>;auth_pass=alice-pass;regint=600\n`);
  writeFileSync(join(dir.path, 'contacts'), `"Bob" <sip:1002@127.0.0.1:${setup.sipPort}>;presence=p2p\n`);

  const mwi = pbx.waitForLog((l) => l.msg === 'subscribed' && l.event === 'message-summary' && l.user === '1001', 20000);
  const presence = pbx.waitForLog((l) => l.msg === 'subscribed' && l.event === 'presence' && l.resource === '1002', 20000);
  const phone = spawn('baresip', ['-f', dir.path, '-t', '8'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  phone.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  phone.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const killer = setTimeout(() => phone.kill('SIGKILL'), 30000);
  const exit = new Promise<number | null>((resolve) => phone.once('exit', (code) => resolve(code)));
  t.ok(await mwi, 'baresip subscribed to its mailbox');
  t.ok(await presence, 'baresip subscribed to the presence of 1002');
  t.equal(await exit, 0, 'baresip exits 0');
  clearTimeout(killer);
  t.match(output, /Messages-Waiting: yes/);
  t.match(output, /Voice-Message: 1\/0 \(0\/0\)/);
  t.ok(pbx.logs.some((l) => l.msg === 'unsubscribed' && l.event === 'message-summary'), 'baresip unsubscribed (Expires 0) when it stopped');
});
