import t from 'tap';
import { responseTo, type SipRequest, type SipResponse } from '../../src/sip/message.js';
import { createTransactionLayer } from '../../src/sip/transaction/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeTransport } from '../helpers/fake-transport.js';
import { outgoing, PHONE, PHONE_TCP } from '../helpers/sip-messages.js';

function setup() {
  const clock = new FakeClock();
  const transport = new FakeTransport(() => clock.now());
  const layer = createTransactionLayer(transport, { clock });
  const finals: SipResponse[] = [];
  const provisionals: SipResponse[] = [];
  const cb = { onFinal: (r: SipResponse) => finals.push(r), onProvisional: (r: SipResponse) => provisionals.push(r) };
  return { clock, transport, layer, finals, provisionals, cb };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function answer(req: SipRequest, status: number, tag = 'callee1'): SipResponse {
  return responseTo(req, status, undefined, tag);
}

t.test('request() adds a top Via with a z9hG4bK branch, our sent-by and rport', async (t) => {
  const { layer, transport, cb } = setup();
  const tx = layer.request(outgoing('OPTIONS'), PHONE, cb);
  const via = tx.request.headers.get('via')!;
  t.match(via, /^SIP\/2\.0\/UDP 192\.0\.2\.1:5060;branch=z9hG4bK[A-Za-z0-9_-]{8,};rport$/);
  t.equal(transport.sent.length, 1);
  t.equal(transport.sent[0]!.to, PHONE);
  const other = layer.request(outgoing('OPTIONS', 2), PHONE, cb);
  t.not(other.request.headers.get('via'), via, 'each transaction gets its own branch');
  await layer.close();
});

t.test('INVITE over UDP: Timer A retransmits at T1 doubling, Timer B gives the TU a 408 at 64*T1', async (t) => {
  const { layer, transport, clock, finals, cb } = setup();
  layer.request(outgoing('INVITE'), PHONE, cb);
  clock.advance(31_999);
  t.same(
    transport.sent.map((s) => s.at),
    [0, 500, 1500, 3500, 7500, 15500, 31500],
  );
  t.equal(finals.length, 0);
  clock.advance(1);
  t.equal(finals.length, 1);
  t.equal(finals[0]!.status, 408);
  t.equal(finals[0]!.headers.get('call-id'), 'call-1@test');
  t.equal(clock.pending, 0, 'no timer left after Terminated');
  t.same(layer.size, { server: 0, client: 0 });
});

t.test('INVITE over TCP: no retransmissions, Timer B still fires', async (t) => {
  const { layer, transport, clock, finals, cb } = setup();
  layer.request(outgoing('INVITE'), PHONE_TCP, cb);
  clock.advance(32_000);
  t.equal(transport.sent.length, 1);
  t.equal(finals[0]?.status, 408);
});

t.test('INVITE with the first two sends lost: a provisional stops Timer A and reaches the TU', async (t) => {
  const { layer, transport, clock, finals, provisionals, cb } = setup();
  transport.drop = 2;
  const tx = layer.request(outgoing('INVITE'), PHONE, cb);
  clock.advance(1500);
  t.equal(transport.lost.length, 2);
  t.equal(transport.sent.length, 1, 'third transmission went out');
  transport.deliver(answer(tx.request, 180), PHONE);
  t.equal(provisionals.length, 1);
  clock.advance(60_000);
  t.equal(transport.sent.length, 1, 'no retransmission in Proceeding');
  t.equal(finals.length, 0, 'Timer B does not run in Proceeding');
  transport.deliver(answer(tx.request, 200), PHONE);
  t.equal(finals.length, 1);
  t.equal(finals[0]!.status, 200);
});

t.test('INVITE answered 486: the transaction ACKs it, retransmissions are ACKed again, Timer D ends it', async (t) => {
  const { layer, transport, clock, finals, cb } = setup();
  const tx = layer.request(outgoing('INVITE'), PHONE, cb);
  const busy = answer(tx.request, 486);
  transport.deliver(busy, PHONE);
  t.equal(finals.length, 1);
  t.equal(finals[0]!.status, 486);
  const ack = transport.sent[1]!.message as SipRequest;
  t.equal(ack.method, 'ACK');
  t.equal(ack.uri, tx.request.uri);
  t.equal(ack.headers.get('via'), tx.request.headers.get('via'), 'same top Via as the INVITE');
  t.equal(ack.headers.getAll('via').length, 1);
  t.equal(ack.headers.get('to'), busy.headers.get('to'), 'To with the tag of the response');
  t.equal(ack.headers.get('cseq'), '1 ACK');
  t.equal(ack.headers.get('route'), '<sip:proxy.test;lr>');
  t.equal(ack.headers.get('from'), tx.request.headers.get('from'));
  t.equal(ack.headers.get('call-id'), 'call-1@test');
  transport.deliver(busy, PHONE);
  t.equal(finals.length, 1, 'retransmitted final not passed up');
  t.equal(transport.sent.length, 3);
  t.equal((transport.sent[2]!.message as SipRequest).method, 'ACK');
  clock.advance(1000);
  t.equal(transport.sent.length, 3, 'no INVITE retransmission in Completed');
  clock.advance(31_000);
  t.same(layer.size, { server: 0, client: 0 }, 'Timer D (32 s) terminated it');
  t.equal(clock.pending, 0);
});

t.test('INVITE 2xx ends the transaction; a retransmitted 2xx goes to onStrayResponse', async (t) => {
  const { layer, transport, clock, finals, cb } = setup();
  const strays: SipResponse[] = [];
  layer.onStrayResponse = (r) => strays.push(r);
  const tx = layer.request(outgoing('INVITE'), PHONE, cb);
  const ok = answer(tx.request, 200);
  transport.deliver(ok, PHONE);
  t.equal(finals.length, 1);
  t.equal(transport.sent.length, 1, 'no ACK from the transaction for a 2xx');
  t.same(layer.size, { server: 0, client: 0 });
  t.equal(clock.pending, 0);
  transport.deliver(ok, PHONE);
  t.equal(finals.length, 1);
  t.equal(strays.length, 1);
});

t.test('non-INVITE over UDP: Timer E doubles to T2, Timer F gives a 408 at 64*T1', async (t) => {
  const { layer, transport, clock, finals, cb } = setup();
  layer.request(outgoing('OPTIONS'), PHONE, cb);
  clock.advance(32_000);
  t.same(
    transport.sent.map((s) => s.at),
    [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500],
  );
  t.equal(finals.length, 1);
  t.equal(finals[0]!.status, 408);
  t.equal(clock.pending, 0);
});

t.test('non-INVITE in Proceeding retransmits every T2', async (t) => {
  const { layer, transport, clock, provisionals, cb } = setup();
  const tx = layer.request(outgoing('REGISTER'), PHONE, cb);
  clock.advance(500);
  transport.deliver(answer(tx.request, 100), PHONE);
  t.equal(provisionals.length, 1);
  clock.advance(9000);
  t.same(
    transport.sent.map((s) => s.at),
    [0, 500, 1500, 5500, 9500],
  );
});

t.test('non-INVITE final: passed up once, Timer K absorbs retransmissions for T4', async (t) => {
  const { layer, transport, clock, finals, cb } = setup();
  const strays: SipResponse[] = [];
  layer.onStrayResponse = (r) => strays.push(r);
  const tx = layer.request(outgoing('BYE'), PHONE, cb);
  const ok = answer(tx.request, 200);
  transport.deliver(ok, PHONE);
  transport.deliver(ok, PHONE);
  t.equal(finals.length, 1);
  t.equal(strays.length, 0);
  clock.advance(4999);
  t.same(layer.size, { server: 0, client: 1 });
  clock.advance(1);
  t.same(layer.size, { server: 0, client: 0 });
  transport.deliver(ok, PHONE);
  t.equal(strays.length, 1, 'after Timer K the response is a stray');
  clock.advance(60_000);
  t.equal(transport.sent.length, 1, 'no retransmission after the final response');
});

t.test('non-INVITE over TCP terminates at once on the final response', async (t) => {
  const { layer, transport, clock, finals, cb } = setup();
  const tx = layer.request(outgoing('OPTIONS'), PHONE_TCP, cb);
  transport.deliver(answer(tx.request, 200), PHONE_TCP);
  t.equal(finals.length, 1);
  t.same(layer.size, { server: 0, client: 0 });
  t.equal(clock.pending, 0);
});

t.test('a transport error gives the TU a locally made 503', async (t) => {
  const { layer, transport, clock, finals, cb } = setup();
  transport.failWith = new Error('ECONNREFUSED');
  layer.request(outgoing('INVITE'), PHONE_TCP, cb);
  await tick();
  t.equal(finals.length, 1);
  t.equal(finals[0]!.status, 503);
  t.equal(clock.pending, 0);
  t.same(layer.size, { server: 0, client: 0 });
});

t.test('a request for a transport nobody listens on gets a 503, not an exception', async (t) => {
  const { layer, finals, cb } = setup();
  layer.request(outgoing('OPTIONS'), { transport: 'tls', address: '198.51.100.7', port: 5061, connectionId: null }, cb);
  await tick();
  t.equal(finals[0]?.status, 503);
});

t.test('request() refuses a request whose CSeq does not name its method, and ACK/CANCEL', async (t) => {
  const { layer, cb } = setup();
  const bad = outgoing('INVITE');
  bad.headers.set('cseq', '1 BYE');
  t.throws(() => layer.request(bad, PHONE, cb), { code: 'PBX_ERR_SIP_BAD_REQUEST' });
  t.throws(() => layer.request(outgoing('ACK'), PHONE, cb), { code: 'PBX_ERR_SIP_BAD_REQUEST' });
});

t.test('close() cancels every timer and is safe twice; request() after close throws', async (t) => {
  const { layer, clock, finals, cb } = setup();
  layer.request(outgoing('INVITE'), PHONE, cb);
  layer.request(outgoing('OPTIONS'), PHONE, cb);
  t.ok(clock.pending > 0);
  await layer.close();
  await layer.close();
  t.equal(clock.pending, 0);
  clock.advance(100_000);
  t.equal(finals.length, 0);
  t.throws(() => layer.request(outgoing('OPTIONS'), PHONE, cb), { code: 'PBX_ERR_SIP_LAYER_CLOSED' });
});

t.test('a TU callback that throws does not break the layer', async (t) => {
  const { layer, transport } = setup();
  const tx = layer.request(outgoing('OPTIONS'), PHONE, {
    onFinal() {
      throw new Error('TU bug');
    },
  });
  transport.deliver(answer(tx.request, 200), PHONE);
  t.pass('no exception escaped');
});

t.test('non-INVITE with the first two sends lost: the third transmission gets the answer through', async (t) => {
  const { layer, transport, clock, finals, cb } = setup();
  transport.drop = 2;
  const tx = layer.request(outgoing('REGISTER'), PHONE, cb);
  clock.advance(1500);
  t.equal(transport.lost.length, 2);
  t.equal(transport.sent.length, 1);
  t.equal(transport.sent[0]!.at, 1500);
  transport.deliver(answer(tx.request, 200), PHONE);
  t.equal(finals[0]?.status, 200);
  clock.advance(5000);
  t.equal(transport.sent.length, 1);
});
