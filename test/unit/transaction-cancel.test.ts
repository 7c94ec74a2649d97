import t from 'tap';
import { responseTo, type SipRequest, type SipResponse } from '../../src/sip/message.js';
import { createTransactionLayer, type ServerTransaction } from '../../src/sip/transaction/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeTransport } from '../helpers/fake-transport.js';
import { incoming, outgoing, PHONE } from '../helpers/sip-messages.js';

function setup() {
  const clock = new FakeClock();
  const transport = new FakeTransport(() => clock.now());
  const layer = createTransactionLayer(transport, { clock });
  const requests: ServerTransaction[] = [];
  layer.onRequest = (st) => requests.push(st);
  return { clock, transport, layer, requests };
}

const tag = (v: string | null) => /;tag=([^;>]+)/.exec(v ?? '')?.[1] ?? null;

t.test('CANCEL of a ringing INVITE: 200 from the layer with the same To tag, oncancel called', async (t) => {
  const { transport, requests } = setup();
  transport.deliver(incoming('INVITE'), PHONE);
  const st = requests[0]!;
  const cancels: SipRequest[] = [];
  st.oncancel = (c) => cancels.push(c);
  st.respond(responseTo(st.request, 180, undefined, 'uas1'));
  transport.deliver(incoming('CANCEL'), PHONE);
  t.equal(cancels.length, 1);
  t.equal(requests.length, 1, 'the CANCEL is not a new request for the TU');
  const ok = transport.sent[1]!.message as SipResponse;
  t.equal(ok.status, 200);
  t.equal(ok.headers.get('cseq'), '1 CANCEL');
  t.equal(tag(ok.headers.get('to')), 'uas1');
  transport.deliver(incoming('CANCEL'), PHONE);
  t.equal(cancels.length, 1, 'a retransmitted CANCEL is answered by its own transaction');
  t.equal((transport.sent[2]!.message as SipResponse).status, 200);
});

t.test('CANCEL with no oncancel: the layer ends the INVITE with 487 and absorbs its ACK', async (t) => {
  const { transport, requests, layer } = setup();
  const acks: SipRequest[] = [];
  layer.onAck = (a) => acks.push(a);
  transport.deliver(incoming('INVITE'), PHONE);
  transport.deliver(incoming('CANCEL'), PHONE);
  const statuses = transport.sent.map((s) => (s.message as SipResponse).status);
  t.same(statuses, [200, 487]);
  t.ok(requests[0]!.finished);
  const ok = transport.sent[0]!.message as SipResponse;
  const terminated = transport.sent[1]!.message as SipResponse;
  t.equal(tag(ok.headers.get('to')), tag(terminated.headers.get('to')), 'one To tag for both');
  transport.deliver(incoming('ACK', { toTag: tag(terminated.headers.get('to'))! }), PHONE);
  t.equal(acks.length, 0);
});

t.test('CANCEL that matches nothing gets 481', async (t) => {
  const { transport, requests } = setup();
  transport.deliver(incoming('CANCEL', { branch: 'z9hG4bKnothing' }), PHONE);
  t.equal((transport.sent[0]!.message as SipResponse).status, 481);
  t.ok(tag((transport.sent[0]!.message as SipResponse).headers.get('to')), 'with a To tag (8.2.6.2)');
  t.equal(requests.length, 0);
});

t.test('CANCEL after the final response: 200, and the INVITE is left alone', async (t) => {
  const { transport, requests } = setup();
  transport.deliver(incoming('INVITE'), PHONE);
  const st = requests[0]!;
  let cancelled = false;
  st.oncancel = () => (cancelled = true);
  st.respond(responseTo(st.request, 200, undefined, 'uas1'));
  transport.deliver(incoming('CANCEL'), PHONE);
  t.equal((transport.sent[1]!.message as SipResponse).status, 200);
  t.notOk(cancelled);
});

t.test('CANCEL by the RFC 2543 rules matches the INVITE without a cookie branch', async (t) => {
  const { transport, requests } = setup();
  const via = 'SIP/2.0/UDP 198.51.100.9:5060';
  transport.deliver(incoming('INVITE', { via }), PHONE);
  let cancelled = false;
  requests[0]!.oncancel = () => (cancelled = true);
  transport.deliver(incoming('CANCEL', { via }), PHONE);
  t.ok(cancelled);
});

t.test('client cancel() waits for a provisional, then sends CANCEL in its own transaction', async (t) => {
  const { transport, layer, clock } = setup();
  const finals: SipResponse[] = [];
  const tx = layer.request(outgoing('INVITE'), PHONE, { onFinal: (r) => finals.push(r) });
  tx.cancel();
  t.equal(transport.sent.length, 1, 'no CANCEL before a provisional');
  transport.deliver(responseTo(tx.request, 180, undefined, 'callee'), PHONE);
  t.equal(transport.sent.length, 2);
  const cancel = transport.sent[1]!.message as SipRequest;
  t.equal(cancel.method, 'CANCEL');
  t.equal(cancel.uri, tx.request.uri);
  t.equal(cancel.headers.get('cseq'), '1 CANCEL');
  t.same(cancel.headers.getAll('via'), [tx.request.headers.get('via')], 'the single top Via of the INVITE');
  t.equal(cancel.headers.get('to'), tx.request.headers.get('to'), 'To of the request, without the remote tag');
  t.equal(cancel.headers.get('route'), '<sip:proxy.test;lr>');
  tx.cancel();
  t.equal(transport.sent.length, 2, 'cancel() twice sends one CANCEL');
  transport.deliver(responseTo(cancel, 200, undefined, 'callee'), PHONE);
  t.equal(finals.length, 0, "the CANCEL's 200 is not the INVITE's final response");
  clock.advance(500);
  t.equal(transport.sent.length, 2, 'the CANCEL transaction completed: no retransmission');
  transport.deliver(responseTo(tx.request, 487, undefined, 'callee'), PHONE);
  t.equal(finals[0]?.status, 487);
  t.equal((transport.sent[2]!.message as SipRequest).method, 'ACK');
});

t.test('client CANCEL is retransmitted by Timer E when lost', async (t) => {
  const { transport, layer, clock } = setup();
  const tx = layer.request(outgoing('INVITE'), PHONE, { onFinal() {} });
  transport.deliver(responseTo(tx.request, 180, undefined, 'callee'), PHONE);
  transport.drop = 1;
  tx.cancel();
  t.equal(transport.lost.length, 1);
  clock.advance(500);
  t.equal((transport.sent[1]!.message as SipRequest).method, 'CANCEL');
});

t.test('client cancel() with no final response in 64*T1 gives the TU a 408', async (t) => {
  const { transport, layer, clock } = setup();
  const finals: SipResponse[] = [];
  const tx = layer.request(outgoing('INVITE'), PHONE, { onFinal: (r) => finals.push(r) });
  transport.deliver(responseTo(tx.request, 183, undefined, 'callee'), PHONE);
  tx.cancel();
  clock.advance(31_999);
  t.equal(finals.length, 0);
  clock.advance(1);
  t.equal(finals[0]?.status, 408);
  t.equal(clock.pending, 0);
  t.same(layer.size, { server: 0, client: 0 });
});

t.test('client cancel() after the final response sends nothing', async (t) => {
  const { transport, layer } = setup();
  const tx = layer.request(outgoing('INVITE'), PHONE, { onFinal() {} });
  transport.deliver(responseTo(tx.request, 486, undefined, 'callee'), PHONE);
  tx.cancel();
  t.same(
    transport.sent.map((s) => (s.message as SipRequest).method),
    ['INVITE', 'ACK'],
  );
});

t.test('sendStateless adds a fresh Via; sendResponse sends as is', async (t) => {
  const { transport, layer } = setup();
  const ack = outgoing('ACK');
  layer.sendStateless(ack, PHONE);
  t.match(ack.headers.get('via'), /branch=z9hG4bK/);
  const res = responseTo(incoming('INVITE'), 200, undefined, 'x');
  layer.sendResponse(res, PHONE);
  await new Promise((r) => setImmediate(r));
  t.equal(transport.sent.length, 2);
  t.equal(transport.sent[1]!.message, res);
});
