import t from 'tap';
import { DigestAuthenticator } from '../../src/sip/auth/digest.js';
import { Headers, SipRequest, type Peer, type SipResponse } from '../../src/sip/message.js';
import type { ClientCallbacks, ClientTransaction, ServerTransaction, TransactionLayer } from '../../src/sip/transaction/types.js';
import { Guard } from '../../src/registrar/guard.js';
import { Registrar, type BindingStore } from '../../src/registrar/registrar.js';
import type { BindingRow } from '../../src/store/types.js';
import type { Config } from '../../src/config/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { quietLog } from '../helpers/log.js';
import { registrarConfig } from '../helpers/registrar-config.js';
import { digestAnswer } from '../helpers/digest-client.js';

class MemoryStore implements BindingStore {
  rows = new Map<string, BindingRow>();
  batches = 0;
  batch(fn: () => void): void { this.batches++; fn(); }
  upsertBinding(row: BindingRow): void { this.rows.set(`${row.extension} ${row.contact}`, { ...row }); }
  deleteBinding(extension: string, contact: string): void { this.rows.delete(`${extension} ${contact}`); }
  deleteBindings(extension: string): void { for (const [k, r] of this.rows) if (r.extension === extension) this.rows.delete(k); }
  loadBindings(): BindingRow[] { return [...this.rows.values()].map((r) => ({ ...r })); }
  purgeExpired(now: number): number {
    let n = 0;
    for (const [k, r] of this.rows) if (r.expires_at <= now) { this.rows.delete(k); n++; }
    return n;
  }
}

class FakeServerTransaction implements ServerTransaction {
  readonly responses: SipResponse[] = [];
  oncancel = null;
  readonly inbound;
  constructor(readonly request: SipRequest, readonly source: Peer) {
    this.inbound = { message: request, source, local: { transport: 'udp' as const, host: '127.0.0.1', port: 5060 } };
  }
  get finished(): boolean { return this.responses.some((r) => r.status >= 200); }
  respond(res: SipResponse): void { this.responses.push(res); }
  get last(): SipResponse { return this.responses[this.responses.length - 1]!; }
}

class FakeTransactions implements TransactionLayer {
  onRequest = null;
  onAck = null;
  onStrayResponse = null;
  readonly sent: { req: SipRequest; to: Peer }[] = [];
  request(req: SipRequest, to: Peer, cb: ClientCallbacks): ClientTransaction {
    this.sent.push({ req, to });
    return { request: req, destination: to, cancel() {} };
  }
  sendStateless(): void {}
  sendResponse(): void {}
  async close(): Promise<void> {}
}

const PHONE: Peer = { transport: 'udp', address: '127.0.0.1', port: 5062, connectionId: null };
const NAT: Peer = { transport: 'udp', address: '203.0.113.5', port: 40001, connectionId: null };

function setup(opts: { store?: MemoryStore; clock?: FakeClock; config?: Config } = {}) {
  const clock = opts.clock ?? new FakeClock();
  const store = opts.store ?? new MemoryStore();
  const config = opts.config ?? registrarConfig();
  const log = quietLog;
  const transactions = new FakeTransactions();
  const guard = new Guard({ slowAfter: 3, banAfter: 6, windowS: 60, banTimeS: 600, dropScanners: true, log, clock });
  const auth = new DigestAuthenticator({ realm: 'pbx.test', nonceTtlS: 300, clock });
  const registrar = new Registrar({ store, transactions, auth, guard, getConfig: () => config, log, clock });
  t.teardown(() => { registrar.close(); guard.close(); });
  let seq = 0;
  /** Sends one REGISTER (answering a challenge first when `password` is given) and returns the final answer. */
  function register(o: {
    user?: string; to?: string; password?: string | null; contacts?: string[]; expires?: number | null;
    callId?: string; cseq?: number; source?: Peer; ua?: string;
  } = {}): FakeServerTransaction {
    const user = o.user ?? '1001';
    const callId = o.callId ?? 'reg-call-1';
    const build = (auth: string | null) => {
      const h = new Headers();
      h.add('via', `SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK${++seq}`);
      h.add('from', `<sip:${user}@pbx.test>;tag=f${seq}`);
      h.add('to', `<sip:${o.to ?? user}@pbx.test>`);
      h.add('call-id', callId);
      h.add('cseq', `${o.cseq ?? seq} REGISTER`);
      for (const c of o.contacts ?? [`<sip:${user}@127.0.0.1:5062>`]) h.add('contact', c);
      if (o.expires !== null) h.add('expires', String(o.expires ?? 600));
      if (o.ua !== undefined) h.add('user-agent', o.ua);
      if (auth !== null) h.add('authorization', auth);
      return new SipRequest('REGISTER', 'sip:pbx.test', h);
    };
    const first = new FakeServerTransaction(build(null), o.source ?? PHONE);
    registrar.handleRegister(first);
    if (o.password === null || first.responses.length === 0 || first.last.status !== 401) return first;
    const challenge = first.last.headers.get('www-authenticate')!;
    const answer = digestAnswer(challenge, { user, password: o.password ?? 'alice-pass', method: 'REGISTER', uri: 'sip:pbx.test' });
    const second = new FakeServerTransaction(build(answer), o.source ?? PHONE);
    registrar.handleRegister(second);
    return second;
  }
  return { clock, store, config, transactions, guard, registrar, register };
}

t.test('REGISTER without credentials gets 401 with a digest challenge', async (t) => {
  const { register } = setup();
  const st = register({ password: null });
  t.equal(st.last.status, 401);
  t.match(st.last.headers.getAll('www-authenticate'), [/^Digest realm="pbx.test", .*algorithm=MD5, qop="auth"$/]);
  t.match(st.last.headers.get('to'), /;tag=/);
});

t.test('REGISTER with the right password gets 200 listing the contact with its expires and a Date', async (t) => {
  const { register, registrar } = setup();
  const st = register();
  t.equal(st.last.status, 200);
  t.same(st.last.headers.getAll('contact'), ['<sip:1001@127.0.0.1:5062>;expires=600']);
  t.match(st.last.headers.get('date'), /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/);
  t.equal(registrar.count(), 1);
  t.match(registrar.lookup('1001'), [{ contact: 'sip:1001@127.0.0.1:5062', peer: PHONE, natted: false }]);
});

t.test('a wrong password and an unknown user get the same 401', async (t) => {
  const { register, registrar } = setup();
  const wrong = register({ password: 'nope' });
  const unknown = register({ user: '4242', password: 'nope' });
  const shape = (r: SipResponse) => [r.status, r.reason, ...[...r.headers.entries()].map(([k, v]) =>
    k === 'www-authenticate' ? v.replace(/nonce="[^"]+"/, '') : ['to', 'from', 'via', 'cseq'].includes(k) ? k : `${k}: ${v}`)];
  t.equal(wrong.last.status, 401);
  t.same(shape(unknown.last), shape(wrong.last));
  t.equal(registrar.count(), 0);
});

t.test('a REGISTER for another extension with valid credentials gets 403', async (t) => {
  const { register, registrar } = setup();
  t.equal(register({ to: '1002' }).last.status, 403);
  t.equal(registrar.count(), 0);
});

t.test('two contacts of one extension are both kept and both listed', async (t) => {
  const { register, registrar } = setup();
  register({ contacts: ['<sip:1001@127.0.0.1:5062>'], callId: 'desk' });
  const st = register({ contacts: ['"Soft" <sip:1001@127.0.0.1:5064;transport=udp>;expires=120'], callId: 'soft', source: { ...PHONE, port: 5064 } });
  t.equal(st.last.status, 200);
  t.same(st.last.headers.getAll('contact').sort(), ['<sip:1001@127.0.0.1:5062>;expires=600', '<sip:1001@127.0.0.1:5064;transport=udp>;expires=120']);
  t.equal(registrar.lookup('1001').length, 2);
});

t.test('the contact expires param wins over the Expires header, and max_expires clamps', async (t) => {
  const { register } = setup();
  t.same(register({ contacts: ['<sip:1001@127.0.0.1:5062>;expires=90'], expires: 3000 }).last.headers.getAll('contact'), ['<sip:1001@127.0.0.1:5062>;expires=90']);
  t.same(register({ expires: 99999 }).last.headers.getAll('contact'), ['<sip:1001@127.0.0.1:5062>;expires=3600']);
  t.same(register({ expires: null }).last.headers.getAll('contact'), ['<sip:1001@127.0.0.1:5062>;expires=600'], 'default_expires');
});

t.test('an expiry below min_expires gets 423 with Min-Expires and changes nothing', async (t) => {
  const { register, registrar } = setup();
  const st = register({ expires: 30 });
  t.equal(st.last.status, 423);
  t.equal(st.last.headers.get('min-expires'), '60');
  t.equal(registrar.count(), 0);
});

t.test('Expires: 0 removes that contact only; Contact: * with Expires: 0 removes all', async (t) => {
  const { register, registrar, store, clock } = setup();
  register({ contacts: ['<sip:1001@127.0.0.1:5062>'], callId: 'desk' });
  register({ contacts: ['<sip:1001@127.0.0.1:5064>'], callId: 'soft' });
  const one = register({ contacts: ['<sip:1001@127.0.0.1:5064>'], callId: 'soft', expires: 0 });
  t.same(one.last.headers.getAll('contact'), ['<sip:1001@127.0.0.1:5062>;expires=600']);
  clock.advance(100);
  t.equal(store.rows.size, 1);
  t.equal(register({ contacts: ['*'], expires: 600 }).last.status, 400, '* needs Expires: 0');
  const all = register({ contacts: ['*'], expires: 0, callId: 'other' });
  t.equal(all.last.status, 200);
  t.same(all.last.headers.getAll('contact'), []);
  t.equal(registrar.count(), 0);
  clock.advance(100);
  t.equal(store.rows.size, 0);
});

t.test('a REGISTER with the same Call-ID and an older CSeq is refused (RFC 3261 10.3 step 7)', async (t) => {
  const { register, registrar } = setup();
  t.equal(register({ callId: 'c', cseq: 10 }).last.status, 200);
  t.equal(register({ callId: 'c', cseq: 5, expires: 0 }).last.status, 500);
  t.equal(registrar.count(), 1);
  t.equal(register({ callId: 'c', cseq: 11, expires: 0 }).last.status, 200);
  t.equal(registrar.count(), 0);
});

t.test('a contact behind NAT keeps the real source as the peer and gets keep-alive OPTIONS', async (t) => {
  const { register, registrar, transactions, clock } = setup({ config: registrarConfig({ keepalive_interval: 25 }) });
  register({ contacts: ['<sip:1001@192.168.1.20:5060>'], source: NAT });
  const [b] = registrar.lookup('1001');
  t.match(b, { contact: 'sip:1001@192.168.1.20:5060', peer: NAT, natted: true });
  clock.advance(24_000);
  t.equal(transactions.sent.length, 0);
  clock.advance(3_000);
  t.equal(transactions.sent.length, 1);
  t.match(transactions.sent[0], { req: { method: 'OPTIONS', uri: 'sip:1001@192.168.1.20:5060' }, to: NAT });
  clock.advance(25_000);
  t.equal(transactions.sent.length, 2, 'every interval');
});

t.test('a UDP registration from behind NAT (Contact differs from the source) is stored with the source and granted nat_max_expires', async (t) => {
  const { register, registrar } = setup({ config: registrarConfig({ nat_max_expires: 60 }) });
  const res = register({ contacts: ['<sip:1001@192.168.1.20:5060>'], source: NAT, expires: 3600 }).last;
  t.equal(res.status, 200);
  t.match(res.headers.get('contact'), /;expires=60$/);
  const [b] = registrar.lookup('1001');
  t.match(b, { peer: NAT, source: NAT, natted: true });
  t.equal(registrar.list()[0]!.source, '203.0.113.5:40001');
});

t.test('a registration not behind NAT keeps the expiry it asked for', async (t) => {
  const { register } = setup({ config: registrarConfig({ nat_max_expires: 60 }) });
  t.match(register({ expires: 3600 }).last.headers.get('contact'), /;expires=3600$/);
});

t.test('nat_max_expires 0 leaves a NATed registration its asked expiry', async (t) => {
  const { register } = setup({ config: registrarConfig({ nat_max_expires: 0 }) });
  t.match(register({ contacts: ['<sip:1001@192.168.1.20:5060>'], source: NAT, expires: 3600 }).last.headers.get('contact'), /;expires=3600$/);
});

t.test('a contact not behind NAT gets no keep-alive', async (t) => {
  const { register, transactions, clock } = setup();
  register();
  clock.advance(60_000);
  t.equal(transactions.sent.length, 0);
});

t.test('bindings expire and are swept from memory and the store', async (t) => {
  const { register, registrar, store, clock } = setup();
  const changes: string[] = [];
  registrar.on('change', (ext) => changes.push(ext));
  register({ expires: 60 });
  t.same(changes, ['1001']);
  clock.advance(61_000);
  t.equal(registrar.lookup('1001').length, 0);
  clock.advance(5_000);
  t.equal(store.rows.size, 0);
  t.same(changes, ['1001', '1001']);
});

t.test('bindings are loaded from the store by a new registrar', async (t) => {
  const store = new MemoryStore();
  const clock = new FakeClock();
  const a = setup({ store, clock });
  a.register({ source: NAT, contacts: ['<sip:1001@192.168.1.20:5060>'] });
  a.registrar.close();
  const b = setup({ store, clock });
  t.match(b.registrar.lookup('1001'), [{ contact: 'sip:1001@192.168.1.20:5060', peer: NAT, natted: true }]);
  t.match(b.registrar.list(), [{ extension: '1001', contact: 'sip:1001@192.168.1.20:5060', transport: 'udp', source: '203.0.113.5:40001' }]);
});

t.test('repeated failures from one source are slowed, then the source is banned and dropped', async (t) => {
  const { register, clock } = setup();
  for (let i = 0; i < 3; i++) t.equal(register({ password: 'bad' }).last.status, 401);
  const slowed = register({ password: 'bad' });
  t.equal(slowed.responses.length, 0, 'the refusal is held back');
  clock.advance(10_000);
  t.equal(slowed.last.status, 401, 'the refusal comes after a delay');
  register({ password: 'bad' });
  register({ password: 'bad' });
  const dropped = register({ password: null });
  t.equal(dropped.responses.length, 0, 'a banned source gets no answer at all');
  const other = register({ source: { ...PHONE, address: '127.0.0.2' } });
  t.equal(other.last.status, 200, 'other sources are unaffected');
});

t.test('a scanner User-Agent is dropped silently', async (t) => {
  const { register } = setup();
  t.equal(register({ ua: 'friendly-scanner', password: null }).responses.length, 0);
});

t.test('a stale nonce gets 401 stale=true and is not counted as a failure', async (t) => {
  const { register, registrar, clock } = setup();
  const h = new Headers();
  const st1 = register({ password: null });
  const challenge = st1.last.headers.get('www-authenticate')!;
  clock.advance(301_000);
  h.add('via', 'SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKstale');
  h.add('from', '<sip:1001@pbx.test>;tag=x');
  h.add('to', '<sip:1001@pbx.test>');
  h.add('call-id', 'stale');
  h.add('cseq', '1 REGISTER');
  h.add('contact', '<sip:1001@127.0.0.1:5062>');
  h.add('authorization', digestAnswer(challenge, { user: '1001', password: 'alice-pass', method: 'REGISTER', uri: 'sip:pbx.test' }));
  const st = new FakeServerTransaction(new SipRequest('REGISTER', 'sip:pbx.test', h), PHONE);
  registrar.handleRegister(st);
  t.equal(st.last.status, 401);
  t.match(st.last.headers.get('www-authenticate'), /stale=true/);
});

t.test('malformed Contact or Expires gets 400', async (t) => {
  const { register } = setup();
  t.equal(register({ contacts: ['<sip:1001@127.0.0.1:5062'] }).last.status, 400);
  t.equal(register({ contacts: ['<sip:1001@127.0.0.1>;expires=soon'] }).last.status, 400);
  t.equal(register({ contacts: ['*', '<sip:1001@127.0.0.1>'], expires: 0 }).last.status, 400);
});

t.test('a REGISTER without Contact is a query answered with the current bindings', async (t) => {
  const { register } = setup();
  register();
  t.same(register({ contacts: [] }).last.headers.getAll('contact'), ['<sip:1001@127.0.0.1:5062>;expires=600']);
});

t.test('authenticateRequest challenges an INVITE with 407 and returns the user once answered', async (t) => {
  const { registrar } = setup();
  const build = (auth: string | null) => {
    const h = new Headers();
    h.add('via', 'SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKinv');
    h.add('from', '<sip:1001@pbx.test>;tag=a');
    h.add('to', '<sip:1002@pbx.test>');
    h.add('call-id', 'inv');
    h.add('cseq', '1 INVITE');
    if (auth !== null) h.add('proxy-authorization', auth);
    return new FakeServerTransaction(new SipRequest('INVITE', 'sip:1002@pbx.test', h), PHONE);
  };
  const st = build(null);
  t.equal(registrar.authenticateRequest(st, 'proxy'), null);
  t.equal(st.last.status, 407);
  const challenge = st.last.headers.get('proxy-authenticate')!;
  const ok = build(digestAnswer(challenge, { user: '1001', password: 'alice-pass', method: 'INVITE', uri: 'sip:1002@pbx.test' }));
  t.equal(registrar.authenticateRequest(ok, 'proxy'), '1001');
  t.equal(ok.responses.length, 0, 'no answer yet: the B2BUA answers');
  const bad = build(digestAnswer(challenge, { user: '1001', password: 'x', method: 'INVITE', uri: 'sip:1002@pbx.test', nc: 2 }));
  t.equal(registrar.authenticateRequest(bad, 'proxy'), null);
  t.equal(bad.last.status, 407);
});

t.test('a refresh with the same URI written differently (RFC 3261 19.1.4) updates the binding, not adds one', async (t) => {
  const { register, registrar } = setup();
  register({ contacts: ['<sip:1001@PHONE.example:5062;ob>'], callId: 'a' });
  register({ contacts: ['<sip:1001@phone.example:5062>'], callId: 'b' });
  t.equal(registrar.lookup('1001').length, 1);
});

t.test('one extension holds at most 10 contacts; the oldest goes first', async (t) => {
  const { register, registrar, store, clock } = setup();
  for (let i = 0; i < 12; i++) register({ contacts: [`<sip:1001@127.0.0.1:${6000 + i}>`], callId: `c${i}` });
  const contacts = registrar.lookup('1001').map((b) => b.contact);
  t.equal(contacts.length, 10);
  t.notOk(contacts.includes('sip:1001@127.0.0.1:6000'));
  t.ok(contacts.includes('sip:1001@127.0.0.1:6011'));
  clock.advance(100);
  t.equal(store.rows.size, 10);
});

t.test('a burst of registrations is written to the store in one transaction, shortly after', async (t) => {
  const { register, store, clock } = setup();
  register({ user: '1001' });
  register({ user: '1002', password: 'bob-pass' });
  t.equal(store.rows.size, 0, 'not yet on disk: the answer did not wait for it');
  clock.advance(100);
  t.equal(store.rows.size, 2);
  t.equal(store.batches, 1);
});

t.test('a TCP contact is reached over the connection it registered on, and at its Contact after a restart', async (t) => {
  const store = new MemoryStore();
  const clock = new FakeClock();
  const a = setup({ store, clock });
  const tcp: Peer = { transport: 'tcp', address: '127.0.0.1', port: 51000, connectionId: 7 };
  a.register({ source: tcp, contacts: ['<sip:1001@127.0.0.1:5070;transport=tcp>'] });
  t.match(a.registrar.lookup('1001'), [{ peer: tcp }]);
  clock.advance(60_000);
  t.equal(a.transactions.sent.length, 0, 'no keep-alive OPTIONS over TCP');
  a.registrar.close();
  const b = setup({ store, clock });
  t.match(b.registrar.lookup('1001'), [{ peer: { transport: 'tcp', address: '127.0.0.1', port: 5070, connectionId: null } }]);
  t.match(b.registrar.list(), [{ transport: 'tcp', source: '127.0.0.1:51000' }]);
});
