import t from 'tap';
import { responseTo, type SipRequest, type SipResponse } from '../../src/sip/message.js';
import { createTransactionLayer, type ServerTransaction } from '../../src/sip/transaction/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeTransport } from '../helpers/fake-transport.js';
import { incoming, PHONE, PHONE_TCP } from '../helpers/sip-messages.js';

function setup() {
  const clock = new FakeClock();
  const transport = new FakeTransport(() => clock.now());
  const layer = createTransactionLayer(transport, { clock });
  const requests: ServerTransaction[] = [];
  const acks: SipRequest[] = [];
  layer.onRequest = (st) => requests.push(st);
  layer.onAck = (ack) => acks.push(ack);
  const statuses = () => transport.sent.map((s) => (s.message as SipResponse).status);
  return { clock, transport, layer, requests, acks, statuses };
}

t.test('server INVITE: 100 Trying from the layer when the TU is silent for 200 ms', async (t) => {
  const { transport, clock, requests, statuses } = setup();
  transport.deliver(incoming('INVITE'), PHONE);
  t.equal(requests.length, 1);
  clock.advance(199);
  t.same(statuses(), []);
  clock.advance(1);
  t.same(statuses(), [100]);
  const trying = transport.sent[0]!.message as SipResponse;
  t.equal(trying.headers.get('to'), '<sip:1002@pbx.test>', '100 carries no To tag');
  t.equal(transport.sent[0]!.to, PHONE);
});

t.test('server INVITE: no 100 when the TU answers within 200 ms', async (t) => {
  const { transport, clock, requests, statuses } = setup();
  transport.deliver(incoming('INVITE'), PHONE);
  requests[0]!.respond(responseTo(requests[0]!.request, 180, undefined, 'uas1'));
  clock.advance(1000);
  t.same(statuses(), [180]);
});

t.test('server INVITE: retransmitted INVITE gets the last provisional and does not reach the TU again', async (t) => {
  const { transport, clock, requests, statuses } = setup();
  transport.deliver(incoming('INVITE'), PHONE);
  transport.deliver(incoming('INVITE'), PHONE);
  t.same(statuses(), [100], 'a retransmission before any answer gets 100 at once');
  requests[0]!.respond(responseTo(requests[0]!.request, 180, undefined, 'uas1'));
  transport.deliver(incoming('INVITE'), PHONE);
  t.same(statuses(), [100, 180, 180]);
  t.equal(requests.length, 1);
  clock.advance(1000);
  t.same(statuses(), [100, 180, 180], 'the TU answered: no late 100');
});

t.test('server INVITE 486 over UDP: Timer G retransmits doubling to T2, Timer H ends it without ACK', async (t) => {
  const { transport, clock, layer, requests } = setup();
  transport.deliver(incoming('INVITE'), PHONE);
  const st = requests[0]!;
  st.respond(responseTo(st.request, 486, undefined, 'uas1'));
  t.ok(st.finished);
  clock.advance(31_999);
  t.same(
    transport.sent.map((s) => s.at),
    [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500],
  );
  t.same(layer.size, { server: 1, client: 0 });
  clock.advance(1);
  t.same(layer.size, { server: 0, client: 0 }, 'Timer H fired');
  t.equal(clock.pending, 0);
});

t.test('server INVITE 486: the ACK stops Timer G, is absorbed, Timer I ends the transaction', async (t) => {
  const { transport, clock, layer, requests, acks } = setup();
  transport.deliver(incoming('INVITE'), PHONE);
  const st = requests[0]!;
  st.respond(responseTo(st.request, 486, undefined, 'uas1'));
  transport.deliver(incoming('INVITE'), PHONE);
  t.equal(transport.sent.length, 2, 'INVITE retransmission in Completed gets the 486 again');
  clock.advance(500);
  t.equal(transport.sent.length, 3);
  transport.deliver(incoming('ACK', { toTag: 'uas1' }), PHONE);
  transport.deliver(incoming('ACK', { toTag: 'uas1' }), PHONE);
  t.equal(acks.length, 0, 'ACK for a non-2xx never reaches the TU');
  clock.advance(4999);
  t.equal(transport.sent.length, 3, 'no retransmission once Confirmed');
  t.same(layer.size, { server: 1, client: 0 });
  clock.advance(1);
  t.same(layer.size, { server: 0, client: 0 }, 'Timer I (T4) fired');
});

t.test('server INVITE over TCP: no Timer G, the ACK ends it at once', async (t) => {
  const { transport, clock, layer, requests } = setup();
  transport.deliver(incoming('INVITE', { via: 'SIP/2.0/TCP 198.51.100.7:5062;branch=z9hG4bKtcp1' }), PHONE_TCP);
  const st = requests[0]!;
  st.respond(responseTo(st.request, 603, undefined, 'uas1'));
  clock.advance(10_000);
  t.equal(transport.sent.length, 1);
  t.same(transport.sent[0]!.to, { ...PHONE_TCP, port: 5062 }, 'on the same connection, else to the source address and sent-by port');
  transport.deliver(incoming('ACK', { via: 'SIP/2.0/TCP 198.51.100.7:5062;branch=z9hG4bKtcp1', toTag: 'uas1' }), PHONE_TCP);
  t.same(layer.size, { server: 0, client: 0 });
  t.equal(clock.pending, 0);
});

t.test('server INVITE 2xx: Accepted absorbs INVITE retransmissions, the 2xx ACK goes to onAck, Timer L ends it', async (t) => {
  const { transport, clock, layer, requests, acks } = setup();
  transport.deliver(incoming('INVITE'), PHONE);
  const st = requests[0]!;
  const ok = responseTo(st.request, 200, undefined, 'uas1');
  st.respond(ok);
  transport.deliver(incoming('INVITE'), PHONE);
  t.equal(transport.sent.length, 1, 'retransmitted INVITE absorbed');
  t.equal(requests.length, 1);
  st.respond(ok);
  t.equal(transport.sent.length, 2, 'the TU may retransmit its 2xx through the transaction');
  transport.deliver(incoming('ACK', { branch: 'z9hG4bKack2', toTag: 'uas1' }), PHONE);
  t.equal(acks.length, 1);
  clock.advance(32_000);
  t.same(layer.size, { server: 0, client: 0 });
  t.equal(clock.pending, 0);
});

t.test('server non-INVITE: Trying absorbs, Proceeding resends the provisional, Completed resends the final for Timer J', async (t) => {
  const { transport, clock, layer, requests, statuses } = setup();
  transport.deliver(incoming('REGISTER'), PHONE);
  transport.deliver(incoming('REGISTER'), PHONE);
  t.same(statuses(), [], 'absorbed in Trying');
  const st = requests[0]!;
  st.respond(responseTo(st.request, 100));
  transport.deliver(incoming('REGISTER'), PHONE);
  t.same(statuses(), [100, 100]);
  st.respond(responseTo(st.request, 200, undefined, 'reg1'));
  transport.deliver(incoming('REGISTER'), PHONE);
  t.same(statuses(), [100, 100, 200, 200]);
  t.equal(requests.length, 1);
  clock.advance(31_999);
  t.same(layer.size, { server: 1, client: 0 });
  clock.advance(1);
  t.same(layer.size, { server: 0, client: 0 }, 'Timer J (64*T1) fired');
  transport.deliver(incoming('REGISTER'), PHONE);
  t.equal(requests.length, 2, 'after Timer J the same branch starts a new transaction');
});

t.test('server non-INVITE over TCP ends at the final response', async (t) => {
  const { transport, clock, layer, requests } = setup();
  transport.deliver(incoming('OPTIONS', { via: 'SIP/2.0/TCP 198.51.100.7:5062;branch=z9hG4bKo1' }), PHONE_TCP);
  requests[0]!.respond(responseTo(requests[0]!.request, 200));
  t.same(layer.size, { server: 0, client: 0 });
  t.equal(clock.pending, 0);
});

t.test('a TU that never answers a non-INVITE request does not leak the transaction', async (t) => {
  const { transport, clock, layer } = setup();
  transport.deliver(incoming('OPTIONS'), PHONE);
  clock.advance(32_000);
  t.same(layer.size, { server: 0, client: 0 });
});

t.test('a response after the final one is dropped; a bad status throws', async (t) => {
  const { transport, requests, statuses } = setup();
  transport.deliver(incoming('OPTIONS'), PHONE);
  const st = requests[0]!;
  st.respond(responseTo(st.request, 200));
  st.respond(responseTo(st.request, 500));
  t.same(statuses(), [200]);
  transport.deliver(incoming('MESSAGE'), PHONE);
  t.throws(() => requests[1]!.respond(responseTo(requests[1]!.request, 99)), { code: 'PBX_ERR_SIP_BAD_STATUS' });
});

t.test('matching: same branch but another sent-by or method is another transaction', async (t) => {
  const { transport, requests } = setup();
  transport.deliver(incoming('OPTIONS', { branch: 'z9hG4bKsame' }), PHONE);
  transport.deliver(incoming('OPTIONS', { via: 'SIP/2.0/UDP 198.51.100.8:5062;branch=z9hG4bKsame' }), PHONE);
  transport.deliver(incoming('INFO', { branch: 'z9hG4bKsame' }), PHONE);
  t.equal(requests.length, 3);
});

t.test('RFC 2543 fallback: a request without the magic cookie matches on URI, tags, Call-ID, CSeq and top Via', async (t) => {
  const { transport, requests, acks } = setup();
  const via = 'SIP/2.0/UDP 198.51.100.9:5060;branch=oldstyle1';
  transport.deliver(incoming('INVITE', { via }), PHONE);
  transport.deliver(incoming('INVITE', { via }), PHONE);
  t.equal(requests.length, 1, 'retransmission matched');
  transport.deliver(incoming('INVITE', { via, seq: 2 }), PHONE);
  t.equal(requests.length, 2, 'another CSeq is a new transaction');
  transport.deliver(incoming('INVITE', { via: 'SIP/2.0/UDP 198.51.100.9:5060' }), PHONE);
  t.equal(requests.length, 3, 'another top Via is a new transaction');
  const st = requests[0]!;
  st.respond(responseTo(st.request, 404, undefined, 'uas9'));
  const sent = transport.sent.length;
  transport.deliver(incoming('ACK', { via, toTag: 'other' }), PHONE);
  t.equal(acks.length, 1, 'an ACK with another To tag does not match');
  transport.deliver(incoming('ACK', { via, toTag: 'uas9' }), PHONE);
  t.equal(acks.length, 1, 'the ACK with our To tag is absorbed');
  transport.deliver(incoming('INVITE', { via }), PHONE);
  t.equal(transport.sent.length, sent, 'Confirmed absorbs the INVITE');
});

t.test('responses go to the source port when rport was asked, else to the sent-by port (RFC 3581, 18.2.2)', async (t) => {
  const { transport, requests } = setup();
  const natted = { transport: 'udp' as const, address: '203.0.113.5', port: 61000, connectionId: null };
  transport.deliver(incoming('OPTIONS', { via: 'SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKn1;rport=61000;received=203.0.113.5' }), natted);
  transport.deliver(incoming('OPTIONS', { via: 'SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bKn2;received=203.0.113.5' }), natted);
  transport.deliver(incoming('OPTIONS', { via: 'SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKn3;received=203.0.113.5' }), natted);
  for (const st of requests) st.respond(responseTo(st.request, 200));
  t.same(
    transport.sent.map((s) => `${s.to.address}:${s.to.port}`),
    ['203.0.113.5:61000', '203.0.113.5:5070', '203.0.113.5:5060'],
  );
});

t.test('without a TU every new request gets 503', async (t) => {
  const { transport, layer, statuses } = setup();
  layer.onRequest = null;
  transport.deliver(incoming('OPTIONS'), PHONE);
  t.same(statuses(), [503]);
});

t.test('a request without Via is dropped, nothing breaks', async (t) => {
  const { transport, requests } = setup();
  const req = incoming('OPTIONS');
  req.headers.delete('via');
  transport.deliver(req, PHONE);
  t.equal(requests.length, 0);
  t.equal(transport.sent.length, 0);
});

t.test('an onRequest handler that throws does not escape the layer', async (t) => {
  const { transport, layer } = setup();
  layer.onRequest = () => {
    throw new Error('TU bug');
  };
  transport.deliver(incoming('OPTIONS'), PHONE);
  t.pass();
});

t.test('server INVITE with the first two 486 transmissions lost: Timer G delivers it, the ACK ends the retransmissions', async (t) => {
  const { transport, clock, requests } = setup();
  transport.deliver(incoming('INVITE'), PHONE);
  const st = requests[0]!;
  transport.drop = 2;
  st.respond(responseTo(st.request, 486, undefined, 'uas1'));
  clock.advance(1499);
  t.equal(transport.sent.length, 0);
  clock.advance(1);
  t.equal(transport.sent.length, 1, 'the second retransmission (T1 + 2*T1) got through');
  t.equal(transport.sent[0]!.at, 1500);
  transport.deliver(incoming('ACK', { toTag: 'uas1' }), PHONE);
  clock.advance(10_000);
  t.equal(transport.sent.length, 1);
});

t.test('server non-INVITE with its 200 lost: the client retransmission gets the 200 again', async (t) => {
  const { transport, requests, statuses } = setup();
  transport.deliver(incoming('OPTIONS'), PHONE);
  transport.drop = 1;
  requests[0]!.respond(responseTo(requests[0]!.request, 200));
  t.same(statuses(), []);
  transport.deliver(incoming('OPTIONS'), PHONE);
  t.same(statuses(), [200]);
  t.equal(requests.length, 1);
});

t.test('close() cancels the timers of server transactions too', async (t) => {
  const { transport, clock, layer, requests } = setup();
  transport.deliver(incoming('INVITE'), PHONE);
  transport.deliver(incoming('OPTIONS'), PHONE);
  requests[1]!.respond(responseTo(requests[1]!.request, 200));
  t.equal(clock.pending, 2, "the 100 Trying timer and Timer J");
  await layer.close();
  t.equal(clock.pending, 0);
  clock.advance(1000);
  t.equal(transport.sent.length, 1, 'no 100 Trying after close');
  transport.deliver(incoming('BYE'), PHONE);
  t.equal(requests.length, 2, 'the layer no longer listens');
});
