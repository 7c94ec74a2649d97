// The registrar over real UDP sockets on 127.0.0.1: a test socket speaks SIP to the transport,
// transaction layer and Registrar bound on port 0, with the bindings in a real SQLite store.
import t, { type Test } from 'tap';
import type { Config } from '../../src/config/types.js';
import { Guard } from '../../src/registrar/guard.js';
import { Registrar } from '../../src/registrar/registrar.js';
import { DigestAuthenticator } from '../../src/sip/auth/digest.js';
import { createTransactionLayer } from '../../src/sip/transaction/index.js';
import { Store } from '../../src/store/store.js';
import { quietLog } from '../helpers/log.js';
import { listenOn, transports } from '../helpers/net.js';
import { registrarConfig } from '../helpers/registrar-config.js';
import { tempDir } from '../helpers/temp-dir.js';
import { UdpPhone } from '../helpers/udp-phone.js';

/** A PBX registrar on 127.0.0.1:0 with its store in `dataDir`. */
async function startRegistrar(dataDir: string, config: Config = registrarConfig()) {
  const transport = await transports([listenOn('udp')]);
  const transactions = createTransactionLayer(transport);
  const store = Store.open(dataDir);
  const guard = new Guard({ slowAfter: 3, banAfter: 6, windowS: 60, banTimeS: 600, dropScanners: true, log: quietLog });
  const auth = new DigestAuthenticator({ realm: 'pbx.test', nonceTtlS: 300 });
  const registrar = new Registrar({ store, transactions, auth, guard, getConfig: () => config, log: quietLog });
  transactions.onRequest = (st) => {
    if (st.request.method === 'REGISTER') registrar.handleRegister(st);
  };
  const local = transport.local('udp')!;
  let closed = false;
  return {
    registrar,
    server: { address: local.host, port: local.port },
    async close() {
      if (closed) return;
      closed = true;
      registrar.close();
      guard.close();
      store.close();
      await transactions.close();
      await transport.close();
    },
  };
}

async function setup(t: Test, config?: Config) {
  const pbx = await startRegistrar(tempDir(t, 'registrar'), config);
  t.teardown(() => pbx.close());
  const phone = async () => {
    const p = await UdpPhone.open(pbx.server);
    t.teardown(() => p.close());
    return p;
  };
  return { pbx, phone };
}

t.test('REGISTER gets 401, then 200 with the right digest', async (t) => {
  const { pbx, phone } = await setup(t);
  const p = await phone();
  const { challenge, final } = await p.register({ user: '1001', password: 'alice-pass', expires: 600 });
  t.equal(challenge.status, 401);
  t.match(challenge.headers.getAll('www-authenticate'), [/^Digest realm="pbx.test"/]);
  t.equal(final.status, 200);
  t.same(final.headers.getAll('contact'), [`<sip:1001@127.0.0.1:${p.port}>;expires=600`]);
  t.ok(final.headers.get('date'));
  t.equal(pbx.registrar.count(), 1);
});

t.test('a wrong password gets 401 again, the same as an unknown user', async (t) => {
  const { pbx, phone } = await setup(t);
  const p = await phone();
  const wrong = await p.register({ user: '1001', password: 'guess' });
  const unknown = await p.register({ user: '7777', password: 'guess' });
  t.equal(wrong.final.status, 401);
  t.equal(unknown.final.status, 401);
  const strip = (v: string[]) => v.map((s) => s.replace(/nonce="[^"]+"/, ''));
  t.same(strip(unknown.final.headers.getAll('www-authenticate')), strip(wrong.final.headers.getAll('www-authenticate')));
  t.equal(pbx.registrar.count(), 0);
});

t.test('two phones of one extension both register; Expires: 0 unregisters one', async (t) => {
  const { pbx, phone } = await setup(t);
  const desk = await phone();
  const soft = await phone();
  t.equal((await desk.register({ user: '1001', password: 'alice-pass' })).final.status, 200);
  const second = await soft.register({ user: '1001', password: 'alice-pass', expires: 120 });
  t.equal(second.final.headers.getAll('contact').length, 2);
  t.same(pbx.registrar.lookup('1001').map((b) => b.peer.port).sort(), [desk.port, soft.port].sort());
  const off = await soft.register({ user: '1001', password: 'alice-pass', expires: 0 });
  t.equal(off.final.status, 200);
  t.same(off.final.headers.getAll('contact'), [`<sip:1001@127.0.0.1:${desk.port}>;expires=600`]);
  t.same(pbx.registrar.lookup('1001').map((b) => b.peer.port), [desk.port]);
});

t.test('an expiry below min_expires gets 423 with Min-Expires', async (t) => {
  const { phone } = await setup(t);
  const p = await phone();
  const { final } = await p.register({ user: '1001', password: 'alice-pass', expires: 10 });
  t.equal(final.status, 423);
  t.equal(final.headers.get('min-expires'), '60');
});

t.test('registering another extension with valid credentials gets 403', async (t) => {
  const { pbx, phone } = await setup(t);
  const p = await phone();
  const { final } = await p.register({ user: '1001', password: 'alice-pass', to: '1002' });
  t.equal(final.status, 403);
  t.equal(pbx.registrar.count(), 0);
});

t.test('a NATed contact is reached at its real source address and port', async (t) => {
  const { pbx, phone } = await setup(t);
  const p = await phone();
  const { final } = await p.register({ user: '1002', password: 'bob-pass', contacts: ['<sip:1002@192.168.1.20:5060>'] });
  t.equal(final.status, 200);
  t.match(pbx.registrar.lookup('1002'), [
    { contact: 'sip:1002@192.168.1.20:5060', natted: true, peer: { transport: 'udp', address: '127.0.0.1', port: p.port } },
  ]);
  t.match(pbx.registrar.list(), [{ extension: '1002', source: `127.0.0.1:${p.port}`, user_agent: 'test-phone' }]);
});

t.test('keep-alive OPTIONS reach a NATed contact at its real source', async (t) => {
  const { phone } = await setup(t, registrarConfig({ keepalive_interval: 0.2 }));
  const p = await phone();
  await p.register({ user: '1002', password: 'bob-pass', contacts: ['<sip:1002@192.168.1.20:5060>'] });
  await p.waitForOptions(2);
  t.equal(p.options[0]!.uri, 'sip:1002@192.168.1.20:5060');
});

t.test('bindings survive closing and reopening the store (a restart)', async (t) => {
  const dir = tempDir(t, 'registrar');
  const first = await startRegistrar(dir);
  const p = await UdpPhone.open(first.server);
  t.teardown(() => p.close());
  t.equal((await p.register({ user: '1001', password: 'alice-pass', contacts: ['<sip:1001@192.168.1.20:5060>'] })).final.status, 200);
  await first.close();
  const second = await startRegistrar(dir);
  t.teardown(() => second.close());
  t.match(second.registrar.lookup('1001'), [
    { contact: 'sip:1001@192.168.1.20:5060', natted: true, peer: { address: '127.0.0.1', port: p.port } },
  ]);
  t.equal(second.registrar.count(), 1);
});
