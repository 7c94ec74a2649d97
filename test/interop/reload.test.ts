// `pbx reload` and SIGHUP: an invalid file is refused with FILE:LINE:COL lines and the old config
// stays in force; a valid one adds an extension that can then register.
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { configText, EXTENSIONS, freePort, PbxProcess, pbxCli, preparePbx, runSipp, teardown } from './harness.js';

const setup = await preparePbx();
const pbx = await PbxProcess.start(setup);
t.teardown(() => teardown(pbx, setup));
const remote = `127.0.0.1:${setup.sipPort}`;
const valid = configText(setup);
const invalid = `${valid}  "1004": { name: Dave, pasword: "dave-pass" }\n`;

function registers(ext: string, password: string): Promise<number | null> {
  return freePort().then((localPort) =>
    runSipp({ scenario: 'register.xml', remote, localPort, credentials: [[ext, password]], set: { expires: 600 } }).then((r) => r.code),
  );
}

t.test('pbx reload with an invalid file exits 1 with FILE:LINE:COL lines', async (t) => {
  writeFileSync(setup.file, invalid);
  const r = await pbxCli(setup.file, ['reload']);
  t.equal(r.code, 1);
  t.match(`${r.stdout}${r.stderr}`, new RegExp(`${setup.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
});

t.test('SIGHUP with the invalid file is refused and logged; the old config keeps working', async (t) => {
  pbx.signal('SIGHUP');
  const refused = await pbx.waitForLog((l) => /reload refused/.test(l.msg));
  t.ok(Array.isArray(refused.errors) && (refused.errors as string[]).length > 0, 'the log line carries the errors');
  t.equal(await registers('1001', EXTENSIONS['1001']!.password), 0, '1001 still registers');
  const dave = await runSipp({ scenario: 'register-refused.xml', remote, localPort: await freePort(), credentials: [['1004', 'dave-pass']] });
  t.equal(dave.code, 0, '1004 of the refused file is challenged again, not registered');
});

t.test('pbx reload with a valid file adds an extension that can then register', async (t) => {
  writeFileSync(setup.file, `${valid}  "1004": { name: Dave, password: "dave-pass" }\n`);
  const r = await pbxCli(setup.file, ['reload']);
  t.equal(r.code, 0, r.stderr);
  t.equal(await registers('1004', 'dave-pass'), 0, '1004 registers');
});

t.test('SIGTERM exits 0', async (t) => {
  t.same(await pbx.stop(), { code: 0, signal: null });
});
