import t from 'tap';
import { responseTo, type SipResponse } from '../../src/sip/message.js';
import { createTransactionLayer, type ServerTransaction } from '../../src/sip/transaction/index.js';
import type { Inbound } from '../../src/sip/transport/types.js';
import { listenOn, options, peerOf, rawRequest, transports, udpClient } from '../helpers/net.js';

t.test('UDP on port 0: local() reports the real port; a request through the transaction layers gets its response', async (t) => {
  const a = await transports([listenOn('udp')]);
  const b = await transports([listenOn('udp')]);
  t.teardown(() => Promise.all([a.close(), b.close()]));
  const bSpec = b.local('udp')!;
  t.not(bSpec.port, 0);
  t.equal(b.local('tcp'), null);
  const la = createTransactionLayer(a);
  const lb = createTransactionLayer(b);
  t.teardown(() => Promise.all([la.close(), lb.close()]));
  lb.onRequest = (st: ServerTransaction) => {
    t.equal(st.source.port, a.local('udp')!.port, 'the real source port');
    t.match(st.request.headers.get('via'), /;rport=\d+;received=127\.0\.0\.1/, 'rport and received filled');
    st.respond(responseTo(st.request, 200, undefined, 'b1'));
  };
  const res = await new Promise<SipResponse>((resolve) => la.request(options(bSpec), peerOf(bSpec), { onFinal: resolve }));
  t.equal(res.status, 200);
  t.equal(res.headers.get('cseq'), '1 OPTIONS');
});

t.test('UDP: received added when sent-by differs from the source, rport filled only when asked', async (t) => {
  const server = await transports([listenOn('udp')]);
  t.teardown(() => server.close());
  const got: Inbound[] = [];
  const client = await udpClient();
  t.teardown(() => client.socket.close());
  const spec = server.local('udp')!;
  const arrived = () => new Promise<Inbound>((resolve) => (server.onMessage = (i) => (got.push(i), resolve(i))));
  let p = arrived();
  client.socket.send(rawRequest('SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bKr1;rport'), spec.port, '127.0.0.1');
  let i = await p;
  t.equal(i.message.headers.get('via'), `SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bKr1;rport=${client.port};received=127.0.0.1`);
  p = arrived();
  client.socket.send(rawRequest('SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bKr2'), spec.port, '127.0.0.1');
  i = await p;
  t.equal(i.message.headers.get('via'), 'SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bKr2;received=127.0.0.1');
  p = arrived();
  client.socket.send(rawRequest(`SIP/2.0/UDP 127.0.0.1:${client.port};branch=z9hG4bKr3`), spec.port, '127.0.0.1');
  i = await p;
  t.equal(i.message.headers.get('via'), `SIP/2.0/UDP 127.0.0.1:${client.port};branch=z9hG4bKr3`, 'nothing added when sent-by is the source');
  t.same(i.source, { transport: 'udp', address: '127.0.0.1', port: client.port, connectionId: null });
  t.equal(server.stats.received, 3);
});

t.test('UDP garbage: a readable bad request gets 400, noise is dropped and counted, the listener keeps working', async (t) => {
  const server = await transports([listenOn('udp')]);
  t.teardown(() => server.close());
  const client = await udpClient();
  t.teardown(() => client.socket.close());
  const spec = server.local('udp')!;
  const answer = client.next();
  client.socket.send(rawRequest('SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKbad', 'CSeq: banana\r\n'), spec.port, '127.0.0.1');
  const text = await answer;
  t.match(text, /^SIP\/2\.0 400 /);
  t.match(text, /\r\nTo: <sip:1002@pbx\.test>;tag=[\w-]+\r\n/, 'with a To tag');
  t.match(text, /\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1:5060;branch=z9hG4bKbad\r\n/, 'Via copied');
  t.equal(server.stats.rejected, 1);
  const version = client.next();
  client.socket.send(rawRequest('SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKv').replace(' SIP/2.0\r\n', ' SIP/7.0\r\n'), spec.port, '127.0.0.1');
  t.match(await version, /^SIP\/2\.0 505 /);
  client.socket.send(Buffer.from([0, 1, 2, 3, 255, 13, 10, 13, 10]), spec.port, '127.0.0.1');
  client.socket.send('SIP/2.0 200 OK\r\nbroken\r\n\r\n', spec.port, '127.0.0.1');
  const ok = new Promise<Inbound>((resolve) => (server.onMessage = resolve));
  client.socket.send(rawRequest('SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKgood'), spec.port, '127.0.0.1');
  const i = await ok;
  t.equal(i.message.kind, 'request');
  t.equal(server.stats.dropped, 2, 'noise and a broken response counted as dropped');
});

t.test('UDP: a datagram larger than maxMessageSize is dropped and counted, never handed up', async (t) => {
  const server = await transports([listenOn('udp')], { maxMessageSize: 1000 });
  t.teardown(() => server.close());
  const handed: Inbound[] = [];
  const client = await udpClient();
  t.teardown(() => client.socket.close());
  const spec = server.local('udp')!;
  const small = new Promise<void>((resolve) => (server.onMessage = (i) => (handed.push(i), resolve())));
  client.socket.send(rawRequest('SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKbig', `X-Pad: ${'a'.repeat(2000)}\r\n`), spec.port, '127.0.0.1');
  client.socket.send(rawRequest('SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsmall'), spec.port, '127.0.0.1');
  await small;
  t.equal(handed.length, 1);
  t.match(handed[0]!.message.headers.get('via'), /z9hG4bKsmall/);
  t.equal(server.stats.dropped, 1);
});

t.test('listening on a busy port fails with PBX_ERR_SIP_LISTEN and closes what was opened', async (t) => {
  const first = await transports([listenOn('udp')]);
  t.teardown(() => first.close());
  await t.rejects(transports([listenOn('tcp'), { transport: 'udp', host: '127.0.0.1', port: first.local('udp')!.port }]), { code: 'PBX_ERR_SIP_LISTEN' });
});

t.test('close() is safe twice and send() after close rejects', async (t) => {
  const server = await transports([listenOn('udp')]);
  await server.close();
  await server.close();
  await t.rejects(server.send(options(listenOn('udp')), { transport: 'udp', address: '127.0.0.1', port: 9, connectionId: null }), {
    code: 'PBX_ERR_SIP_NO_TRANSPORT',
  });
});
