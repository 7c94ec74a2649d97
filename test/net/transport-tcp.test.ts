import t from 'tap';
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { responseTo, type SipResponse } from '../../src/sip/message.js';
import { createTransactionLayer, type ServerTransaction } from '../../src/sip/transaction/index.js';
import type { Inbound } from '../../src/sip/transport/types.js';
import { listenOn, options, peerOf, rawRequest, tcpClient, transports, writeInPieces } from '../helpers/net.js';

function collect(server: { onMessage: ((i: Inbound) => void) | null }) {
  const got: Inbound[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  server.onMessage = (i) => {
    got.push(i);
    for (const w of waiters) if (got.length >= w.n) w.resolve();
  };
  return {
    got,
    until: (n: number) => (got.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
  };
}

t.test('TCP: a request through the transaction layers gets its response on the same connection', async (t) => {
  const a = await transports([listenOn('tcp')]);
  const b = await transports([listenOn('tcp')]);
  const la = createTransactionLayer(a);
  const lb = createTransactionLayer(b);
  t.teardown(() => Promise.all([la.close(), lb.close(), a.close(), b.close()]));
  const bSpec = b.local('tcp')!;
  t.not(bSpec.port, 0);
  let source: ServerTransaction['source'] | null = null;
  lb.onRequest = (st) => {
    source = st.source;
    st.respond(responseTo(st.request, 200, undefined, 'b1'));
  };
  const req = options(bSpec);
  const res = await new Promise<SipResponse>((resolve) => la.request(req, peerOf(bSpec), { onFinal: resolve }));
  t.equal(res.status, 200);
  t.match(req.headers.get('via'), /^SIP\/2\.0\/TCP 127\.0\.0\.1:\d+;branch=z9hG4bK/);
  t.ok(source!.connectionId !== null, 'the request carries its connection id');
  t.not(source!.port, a.local('tcp')!.port, 'the source is the ephemeral port of the connection, not the listener');
  const again = await new Promise<SipResponse>((resolve) => la.request(options(bSpec), peerOf(bSpec), { onFinal: resolve }));
  t.equal(again.status, 200, 'a second request reuses the connection');
});

t.test('TCP framing: a message split in small pieces and two messages in one write are both cut right', async (t) => {
  const server = await transports([listenOn('tcp')]);
  t.teardown(() => server.close());
  const c = collect(server);
  const client = await tcpClient(server.local('tcp')!.port);
  t.teardown(() => client.socket.destroy());
  const body = 'v=0\r\n';
  const withBody = rawRequest('SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKs1', 'Content-Type: application/sdp\r\n', 'MESSAGE').replace(
    'Content-Length: 0\r\n\r\n',
    `Content-Length: ${body.length}\r\n\r\n${body}`,
  );
  await writeInPieces(client.socket, withBody, 7);
  await c.until(1);
  t.equal(c.got[0]!.message.body.toString(), body);
  client.socket.write(rawRequest('SIP/2.0/TCP 10.9.9.9:5999;branch=z9hG4bKs2') + rawRequest('SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKs3'));
  await c.until(3);
  t.match(c.got[1]!.message.headers.get('via'), /z9hG4bKs2;received=127\.0\.0\.1$/);
  t.match(c.got[2]!.message.headers.get('via'), /z9hG4bKs3/);
  t.equal(c.got[1]!.source.connectionId, c.got[0]!.source.connectionId);
  t.equal(c.got[1]!.source.transport, 'tcp');
});

t.test('TCP: a double CRLF keep-alive gets a single CRLF back (RFC 5626 3.5.1)', async (t) => {
  const server = await transports([listenOn('tcp')]);
  t.teardown(() => server.close());
  const client = await tcpClient(server.local('tcp')!.port);
  t.teardown(() => client.socket.destroy());
  client.socket.write('\r\n\r\n');
  t.equal(await client.waitFor(/^\r\n/), '\r\n');
});

t.test('TCP: an idle connection is closed after tcpIdleTimeoutS', async (t) => {
  const server = await transports([listenOn('tcp')], { tcpIdleTimeoutS: 0.2 });
  t.teardown(() => server.close());
  const client = await tcpClient(server.local('tcp')!.port);
  const started = Date.now();
  await client.closed;
  t.ok(Date.now() - started >= 150, 'not before the timeout');
});

t.test('TCP: connections beyond maxConnectionsPerSource are refused, the others keep working', async (t) => {
  const server = await transports([listenOn('tcp')], { maxConnectionsPerSource: 2 });
  t.teardown(() => server.close());
  const c = collect(server);
  const port = server.local('tcp')!.port;
  const one = await tcpClient(port);
  const two = await tcpClient(port);
  const three = await tcpClient(port);
  t.teardown(() => [one, two, three].forEach((x) => x.socket.destroy()));
  await three.closed;
  t.equal(server.stats.refused, 1);
  two.socket.write(rawRequest('SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKcap'));
  await c.until(1);
  one.socket.destroy();
  await one.closed;
  for (let i = 0; i < 200 && server.stats.connections > 1; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(server.stats.connections, 1, 'the server saw the close');
  const four = await tcpClient(port);
  t.teardown(() => four.socket.destroy());
  four.socket.write(rawRequest('SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKcap2'));
  await c.until(2);
  t.equal(server.stats.refused, 1, 'a freed slot can be used again');
});

t.test('TCP: a message over maxMessageSize closes the connection; the listener keeps working', async (t) => {
  const server = await transports([listenOn('tcp')], { maxMessageSize: 1000 });
  t.teardown(() => server.close());
  const c = collect(server);
  const port = server.local('tcp')!.port;
  const big = await tcpClient(port);
  big.socket.write(rawRequest('SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKbig').replace('Content-Length: 0', 'Content-Length: 5000'));
  await big.closed;
  t.equal(server.stats.dropped, 1);
  t.equal(c.got.length, 0);
  const next = await tcpClient(port);
  t.teardown(() => next.socket.destroy());
  next.socket.write(rawRequest('SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKok'));
  await c.until(1);
});

t.test('TCP: a message without Content-Length cannot be framed: the connection is closed', async (t) => {
  const server = await transports([listenOn('tcp')]);
  t.teardown(() => server.close());
  const client = await tcpClient(server.local('tcp')!.port);
  client.socket.write(rawRequest('SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKnocl').replace('Content-Length: 0\r\n', ''));
  await client.closed;
  t.equal(server.stats.dropped, 1);
});

t.test('TCP: a bad request gets 400 on its connection, which stays open for the next one', async (t) => {
  const server = await transports([listenOn('tcp')]);
  t.teardown(() => server.close());
  const c = collect(server);
  const client = await tcpClient(server.local('tcp')!.port);
  t.teardown(() => client.socket.destroy());
  client.socket.write(rawRequest('SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKbad', 'CSeq: banana\r\n'));
  t.match(await client.waitFor(/SIP\/2\.0 \d+ [^\r]*/), /^SIP\/2\.0 400 /);
  t.equal(server.stats.rejected, 1);
  client.socket.write(rawRequest('SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKfine'));
  await c.until(1);
});

t.test('TCP: a response from the TU goes back on the connection the request came on', async (t) => {
  const server = await transports([listenOn('tcp')]);
  const layer = createTransactionLayer(server);
  t.teardown(() => Promise.all([layer.close(), server.close()]));
  layer.onRequest = (st) => st.respond(responseTo(st.request, 202, undefined, 'x'));
  const client = await tcpClient(server.local('tcp')!.port);
  t.teardown(() => client.socket.destroy());
  // sent-by names a port nobody listens on: only the connection can carry the answer.
  client.socket.write(rawRequest('SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKback', '', 'INFO'));
  t.match(await client.waitFor(/SIP\/2\.0 202 [^\r]*/), /202/);
});

t.test('TCP: a request to a port where nobody listens gives the TU a 503', async (t) => {
  const a = await transports([listenOn('tcp')]);
  const b = await transports([listenOn('tcp')]);
  const gone = b.local('tcp')!;
  await b.close();
  const la = createTransactionLayer(a);
  t.teardown(() => Promise.all([la.close(), a.close()]));
  const res = await new Promise<SipResponse>((resolve) => la.request(options(gone), peerOf(gone), { onFinal: resolve }));
  t.equal(res.status, 503);
});

t.test('TCP: when the request connection is gone, the response opens one to the source address and sent-by port (18.2.2)', async (t) => {
  const server = await transports([listenOn('tcp')]);
  const layer = createTransactionLayer(server);
  const phone = createServer();
  phone.listen(0, '127.0.0.1');
  await once(phone, 'listening');
  const phonePort = (phone.address() as AddressInfo).port;
  t.teardown(() => Promise.all([layer.close(), server.close(), new Promise((r) => phone.close(r))]));
  const pending: ServerTransaction[] = [];
  const arrived = new Promise<void>((resolve) => (layer.onRequest = (st) => (pending.push(st), resolve())));
  const client = await tcpClient(server.local('tcp')!.port);
  client.socket.write(rawRequest(`SIP/2.0/TCP 127.0.0.1:${phonePort};branch=z9hG4bKgone`, '', 'INFO'));
  await arrived;
  client.socket.destroy();
  await client.closed;
  for (let i = 0; i < 200 && server.stats.connections > 0; i++) await new Promise((r) => setTimeout(r, 10));
  const connected = once(phone, 'connection');
  pending[0]!.respond(responseTo(pending[0]!.request, 200));
  const [socket] = (await connected) as [Socket];
  t.teardown(() => socket.destroy());
  const [data] = (await once(socket, 'data')) as [Buffer];
  t.match(data.toString(), /^SIP\/2\.0 200 OK\r\n/);
});
