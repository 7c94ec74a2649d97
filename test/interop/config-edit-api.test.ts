// Config editing on a running `pbx start`: an extension added through the REST API or with
// `pbx ext add` can register at once; a refused edit answers 409 with the check lines and leaves
// the file byte-identical.
import { readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { UdpPhone } from '../helpers/udp-phone.js';
import { PbxProcess, pbxCli, preparePbx, teardown } from './harness.js';
import { shippedConfig } from './shipped-config.js';

const setup = await preparePbx();
writeFileSync(setup.file, shippedConfig(setup));
const pbx = await PbxProcess.start(setup);
t.teardown(() => teardown(pbx, setup));
const phone = await UdpPhone.open({ address: '127.0.0.1', port: setup.sipPort });
t.teardown(() => phone.close());

/** The token of config.example.yaml. */
const TOKEN = 'change-me';

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${setup.httpPort}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function registers(user: string, password: string, callId: string): Promise<number> {
  return (await phone.register({ user, password, callId })).final.status;
}

t.test('an extension added through the API registers at once; removed, it no longer does', async (t) => {
  t.not(await registers('1005', 'five-pass-5', 'reg-api-before'), 200, 'not there yet');
  const added = await api('POST', '/api/extensions', { ext: '1005', name: 'Eve', password: 'five-pass-5' });
  t.same([added.status, added.body.reloaded], [201, true]);
  t.equal(await registers('1005', 'five-pass-5', 'reg-api-added'), 200);
  const shown = await api('GET', '/api/extensions/1005');
  t.same([shown.status, shown.body.name], [200, 'Eve'], 'GET /api/extensions/1005 shows it');
  const removed = await api('DELETE', '/api/extensions/1005');
  t.same([removed.status, removed.body.reloaded], [200, true]);
  t.not(await registers('1005', 'five-pass-5', 'reg-api-removed'), 200);
});

t.test('a removal the IVR still needs is 409 with the check lines; the file is byte-identical', async (t) => {
  const before = readFileSync(setup.file);
  const r = await api('DELETE', '/api/extensions/1003');
  t.same([r.status, r.body.error], [409, 'invalid_config']);
  t.match(r.body.message, /ivr\.main\.default: destination "1003" points nowhere/);
  t.ok(Array.isArray(r.body.errors) && r.body.errors.every((l) => typeof l === 'string' && l.startsWith(`${setup.file}:`)), String(r.body.errors));
  t.same(readFileSync(setup.file), before);
  t.equal(await registers('1003', 'carol-pass', 'reg-carol'), 200, '1003 still registers');
});

t.test('pbx ext add makes the running PBX reload; the new extension registers', async (t) => {
  const r = await pbxCli(setup.file, ['ext', 'add', '1006', '--password', 'six-pass-6']);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, '', 'a given password is not printed');
  t.match(r.stderr, /the PBX reloaded/);
  t.equal(await registers('1006', 'six-pass-6', 'reg-cli-added'), 200);
});
