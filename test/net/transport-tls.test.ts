import t from 'tap';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect as rawConnect } from 'node:net';
import { connect } from 'node:tls';
import { responseTo, type SipResponse } from '../../src/sip/message.js';
import { createTransactionLayer } from '../../src/sip/transaction/index.js';
import type { Inbound } from '../../src/sip/transport/types.js';
import { listenOn, options, peerOf, rawRequest, transports } from '../helpers/net.js';
import { selfSignedCert } from '../helpers/tls-cert.js';

const files = selfSignedCert();
t.teardown(() => files.remove());
const tls = { cert: files.cert, key: files.key, ca: files.cert };

t.test('TLS: a request through the transaction layers gets its response over the same connection', async (t) => {
  const a = await transports([listenOn('tls')], { tls });
  const b = await transports([listenOn('tls')], { tls });
  const la = createTransactionLayer(a);
  const lb = createTransactionLayer(b);
  t.teardown(() => Promise.all([la.close(), lb.close(), a.close(), b.close()]));
  const bSpec = b.local('tls')!;
  t.not(bSpec.port, 0);
  lb.onRequest = (st) => {
    t.equal(st.source.transport, 'tls');
    t.ok(st.source.connectionId !== null);
    st.respond(responseTo(st.request, 200, undefined, 'b1'));
  };
  const req = options(bSpec);
  const res = await new Promise<SipResponse>((resolve) => la.request(req, peerOf(bSpec), { onFinal: resolve }));
  t.equal(res.status, 200);
  t.match(req.headers.get('via'), /^SIP\/2\.0\/TLS 127\.0\.0\.1:\d+;branch=z9hG4bK/);
  t.equal(b.stats.connections, 1);
});

t.test('TLS: a raw client gets framed, stamped and answered; a bad request gets 400', async (t) => {
  const server = await transports([listenOn('tls')], { tls });
  t.teardown(() => server.close());
  const arrived = new Promise<Inbound>((resolve) => (server.onMessage = resolve));
  const socket = connect({ host: '127.0.0.1', port: server.local('tls')!.port, ca: readFileSync(tls.ca) });
  t.teardown(() => socket.destroy());
  await once(socket, 'secureConnect');
  socket.write(rawRequest('SIP/2.0/TLS 10.0.0.9:5061;branch=z9hG4bKtls1;rport'));
  const i = await arrived;
  t.match(i.message.headers.get('via'), /;rport=\d+;received=127\.0\.0\.1$/);
  const answer = once(socket, 'data');
  socket.write(rawRequest('SIP/2.0/TLS 10.0.0.9:5061;branch=z9hG4bKtls2', 'CSeq: nope\r\n'));
  const [buf] = (await answer) as [Buffer];
  t.match(buf.toString(), /^SIP\/2\.0 400 /);
});

t.test('TLS: a client that does not trust the certificate gets a 503, not an exception', async (t) => {
  const a = await transports([listenOn('tls')], { tls: { cert: files.cert, key: files.key } });
  const b = await transports([listenOn('tls')], { tls });
  const la = createTransactionLayer(a);
  t.teardown(() => Promise.all([la.close(), a.close(), b.close()]));
  const bSpec = b.local('tls')!;
  const res = await new Promise<SipResponse>((resolve) => la.request(options(bSpec), peerOf(bSpec), { onFinal: resolve }));
  t.equal(res.status, 503);
});

t.test('a tls listener without certificate files fails to start with a clear error', async (t) => {
  await t.rejects(transports([listenOn('tls')]), { code: 'PBX_ERR_SIP_TLS_CONFIG' });
  await t.rejects(transports([listenOn('tls')], { tls: { cert: '/nonexistent/cert.pem', key: files.key } }), { code: 'PBX_ERR_SIP_TLS_FILE' });
});

t.test('TLS: the per-source cap counts TCP connections before any handshake', async (t) => {
  const server = await transports([listenOn('tls')], { tls, maxConnectionsPerSource: 1 });
  t.teardown(() => server.close());
  const port = server.local('tls')!.port;
  const idle = rawConnect({ host: '127.0.0.1', port });
  t.teardown(() => idle.destroy());
  await once(idle, 'connect');
  const second = rawConnect({ host: '127.0.0.1', port });
  second.on('error', () => undefined);
  await once(second, 'close');
  t.equal(server.stats.refused, 1, 'a connection that never starts TLS still holds its slot');
});
