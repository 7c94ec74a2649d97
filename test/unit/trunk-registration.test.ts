import t from 'tap';
import type { TrunkConfig } from '../../src/config/types.js';
import { DigestAuthenticator } from '../../src/sip/auth/digest.js';
import { responseTo, type Peer, type SipRequest } from '../../src/sip/message.js';
import type { ClientCallbacks, ClientTransaction, TransactionLayer } from '../../src/sip/transaction/types.js';
import { TrunkRegistration } from '../../src/trunks/registration.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { quietLog } from '../helpers/log.js';

const TRUNK: TrunkConfig = {
  name: 'acme', type: 'register', host: '127.0.0.1', port: 5099, transport: 'udp', username: 'acct', password: 'secret', auth_username: null,
  from_user: null, from_domain: 'carrier.test', expires: 600, register: true, codecs: null, max_channels: 0, response_timeout: 5, dtmf_mode: 'auto', media_encryption: 'none', caller_id: null,
  match: [], did_header: 'request-uri',
};

/** A transaction layer whose requests the test answers by hand. */
function fakeLayer(sent: Array<{ req: SipRequest; cb: ClientCallbacks }>): TransactionLayer {
  return {
    onRequest: null,
    onAck: null,
    onStrayResponse: null,
    request: (req: SipRequest, to: Peer, cb: ClientCallbacks): ClientTransaction => {
      sent.push({ req, cb });
      return { request: req, destination: to, cancel() {} };
    },
    sendStateless() {},
    sendResponse() {},
    close: async () => undefined,
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

t.test('REGISTER answers the 401 with digest, refreshes at half the granted expiry, backs off after failures', async (t) => {
  const clock = new FakeClock();
  const sent: Array<{ req: SipRequest; cb: ClientCallbacks }> = [];
  const server = new DigestAuthenticator({ realm: 'carrier.test', nonceTtlS: 3600, clock });
  const reg = new TrunkRegistration(TRUNK, {
    transactions: fakeLayer(sent),
    peer: async (trunk) => ({ transport: 'udp', address: trunk.host, port: trunk.port, connectionId: null }),
    contact: () => 'sip:acct@127.0.0.1:5060',
    clock,
    log: quietLog,
    userAgent: 'tspbx-test',
  });
  t.teardown(() => reg.close());
  const challenge = (req: SipRequest): void => {
    const res = responseTo(req, 401);
    for (const v of server.challengeHeaders(false)) res.headers.add('www-authenticate', v);
    sent.at(-1)!.cb.onFinal(res);
  };
  const accept = (req: SipRequest, expires: number): void => {
    const auth = req.headers.get('authorization');
    const ok = auth !== null && server.verify('REGISTER', auth, (u) => (u === 'acct' ? 'secret' : null)).ok;
    const res = responseTo(req, ok ? 200 : 403);
    res.headers.add('contact', `<sip:acct@127.0.0.1:5060>;expires=${expires}`);
    sent.at(-1)!.cb.onFinal(res);
  };

  reg.start();
  clock.advance(0);
  await settle();
  t.equal(sent.length, 1, 'the first REGISTER goes out at once');
  const first = sent[0]!.req;
  t.equal(first.uri, 'sip:carrier.test');
  t.match(first.headers.get('to'), '<sip:acct@carrier.test>');
  t.equal(first.headers.get('expires'), '600');
  challenge(first);
  await settle();
  t.equal(sent.length, 2, 'the challenge is answered');
  const second = sent[1]!.req;
  t.equal(second.headers.get('call-id'), first.headers.get('call-id'), 'same Call-ID');
  t.match(second.headers.get('cseq'), /^2 REGISTER$/, 'CSeq goes up');
  accept(second, 120);
  await settle();
  t.match(reg.status, { state: 'registered', failures: 0, last_error: null });
  t.equal(Date.parse(reg.status.expires_at!), 120_000, 'expires_at from the granted expiry in the Contact');

  clock.advance(59_000);
  await settle();
  t.equal(sent.length, 2, 'no refresh before half the expiry');
  clock.advance(1000);
  await settle();
  t.equal(sent.length, 3, 'refreshed at 60 s, half of 120');
  sent[2]!.cb.onFinal(responseTo(sent[2]!.req, 503));
  await settle();
  t.match(reg.status, { state: 'failed', failures: 1, last_error: '503 Service Unavailable' });
  t.equal(Date.parse(reg.status.next_attempt_at!), 90_000, 'next attempt 30 s after the first failure');

  clock.advance(30_000);
  await settle();
  t.equal(sent.length, 4);
  challenge(sent[3]!.req);
  await settle();
  const wrong = responseTo(sent[4]!.req, 401);
  for (const v of server.challengeHeaders(false)) wrong.headers.add('www-authenticate', v);
  // a fresh nonce gets one more answer; a repeated one is a failure
  sent[4]!.cb.onFinal(wrong);
  await settle();
  const again = responseTo(sent[5]!.req, 401);
  again.headers.add('www-authenticate', sent[5]!.req.headers.get('authorization')!.replace(/^Digest /, 'Digest ').replace(/response="[^"]*",?/, ''));
  sent[5]!.cb.onFinal(again);
  await settle();
  t.match(reg.status, { state: 'failed', failures: 2, last_error: '401 authentication refused' });
  t.equal(Date.parse(reg.status.next_attempt_at!) - clock.now(), 60_000, 'the back-off doubles');

  reg.close();
  reg.close();
  t.equal(reg.status.state, 'stopped');
  const before = sent.length;
  clock.advance(600_000);
  await settle();
  t.equal(sent.length, before, 'nothing is sent after close()');
});

t.test('on shutdown a registration in force is removed with Expires: 0 in its dialog; the wait for the provider is bounded', async (t) => {
  const clock = new FakeClock();
  const sent: Array<{ req: SipRequest; cb: ClientCallbacks }> = [];
  const logged: string[] = [];
  const log = { ...quietLog, info: (_: unknown, msg: string) => logged.push(msg), warn: (_: unknown, msg: string) => logged.push(msg) };
  const make = (): TrunkRegistration =>
    new TrunkRegistration(TRUNK, {
      transactions: fakeLayer(sent),
      peer: async (trunk) => ({ transport: 'udp', address: trunk.host, port: trunk.port, connectionId: null }),
      contact: () => 'sip:acct@127.0.0.1:5060',
      clock,
      log,
      userAgent: 'tspbx-test',
    });
  const reg = make();
  reg.start();
  clock.advance(0);
  await settle();
  sent[0]!.cb.onFinal(responseTo(sent[0]!.req, 200));
  await settle();
  t.equal(reg.status.state, 'registered');

  const removing = reg.unregister(2000);
  await settle();
  t.equal(sent.length, 2, 'one un-REGISTER');
  const un = sent[1]!.req;
  t.equal(un.headers.get('expires'), '0');
  t.equal(un.headers.get('contact'), '<sip:acct@127.0.0.1:5060>', 'the contact that was registered');
  t.equal(un.headers.get('call-id'), sent[0]!.req.headers.get('call-id'), 'same Call-ID as the registration');
  t.equal(un.headers.get('cseq'), '2 REGISTER', 'CSeq one higher');
  const challenge = responseTo(un, 401);
  challenge.headers.add('www-authenticate', 'Digest realm="carrier.test", nonce="n1", algorithm=MD5');
  sent[1]!.cb.onFinal(challenge);
  await settle();
  t.equal(sent.length, 3, 'its challenge is answered');
  t.equal(sent[2]!.req.headers.get('expires'), '0');
  t.match(sent[2]!.req.headers.get('authorization'), /username="acct"/);
  sent[2]!.cb.onFinal(responseTo(sent[2]!.req, 200));
  await removing;
  t.equal(reg.status.state, 'stopped');
  t.ok(logged.includes('unregistered from the provider'));
  await reg.unregister(2000);
  t.equal(sent.length, 3, 'a second unregister sends nothing');

  const silent = make();
  silent.start();
  clock.advance(0);
  await settle();
  sent[3]!.cb.onFinal(responseTo(sent[3]!.req, 200));
  await settle();
  let done = false;
  const waiting = silent.unregister(2000).then(() => (done = true));
  await settle();
  t.equal(sent.length, 5, 'the un-REGISTER went out');
  clock.advance(1999);
  await settle();
  t.notOk(done, 'still waiting for the provider before 2 s');
  clock.advance(1);
  await waiting;
  t.ok(logged.includes('the provider did not answer the un-REGISTER in time'));

  const never = make();
  await never.unregister(2000);
  t.equal(sent.length, 5, 'nothing is sent for a trunk that was never registered');
});
