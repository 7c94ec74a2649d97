// REGISTER with digest against the running PBX, driven by SIPp.
import t from 'tap';
import { freePort, PbxProcess, pbxJson, preparePbx, runSipp, teardown } from './harness.js';
import type { RegistrationInfo } from '../../src/api/control-types.js';

const setup = await preparePbx();
const pbx = await PbxProcess.start(setup);
t.teardown(() => teardown(pbx, setup));
const remote = `127.0.0.1:${setup.sipPort}`;

t.test('REGISTER is challenged 401, then the right password gets 200 and the binding is listed', async (t) => {
  const port = await freePort();
  const r = await runSipp({ scenario: 'register.xml', remote, localPort: port, credentials: [['1001', 'alice-pass']], set: { expires: 600 } });
  t.equal(r.code, 0, r.errors);
  t.equal(r.successful, 1);
  const rows = await pbxJson<RegistrationInfo[]>(setup.file, ['registrations']);
  const row = rows.find((x) => x.extension === '1001');
  t.ok(row, 'pbx registrations --json lists 1001');
  t.match(row, { extension: '1001', transport: 'udp', contact: new RegExp(`127\\.0\\.0\\.1:${port}`), user_agent: 'sipp-register' });
  t.ok(Date.parse(row!.expires_at) > Date.now(), 'expires_at is in the future');
});

t.test('a wrong password is challenged 401 again, never accepted', async (t) => {
  const r = await runSipp({ scenario: 'register-refused.xml', remote, localPort: await freePort(), credentials: [['1002', 'not-bob-pass']] });
  t.equal(r.code, 0, r.errors);
  t.equal(r.successful, 1);
});

t.test('an unknown user gets the same 401 as a wrong password', async (t) => {
  const r = await runSipp({ scenario: 'register-refused.xml', remote, localPort: await freePort(), credentials: [['7777', 'guess']] });
  t.equal(r.code, 0, r.errors);
  t.equal(r.successful, 1);
  const rows = await pbxJson<RegistrationInfo[]>(setup.file, ['registrations']);
  t.notOk(rows.some((x) => x.extension === '7777' || x.extension === '1002'), 'neither refused user is registered');
});

t.test('SIGTERM stops the PBX with exit code 0', async (t) => {
  const r = await pbx.stop();
  t.same(r, { code: 0, signal: null });
  t.ok(pbx.logs.some((l) => l.msg === 'stopped'), 'it logged "stopped"');
});
