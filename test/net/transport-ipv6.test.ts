import t from 'tap';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { responseTo, type SipResponse } from '../../src/sip/message.js';
import { createTransactionLayer } from '../../src/sip/transaction/index.js';
import type { Inbound } from '../../src/sip/transport/types.js';
import { listenOn, options, peerOf, rawRequest, transports, udpClient } from '../helpers/net.js';

async function hasIpv6Loopback(): Promise<boolean> {
  const s = createSocket('udp6');
  try {
    s.bind(0, '::1');
    await once(s, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    s.close();
  }
}

const skip = (await hasIpv6Loopback()) ? false : '::1 is not available on this machine';

t.test('IPv6 UDP and TCP on ::1: requests get their responses, Via carries [::1]', { skip }, async (t) => {
  for (const transport of ['udp', 'tcp'] as const) {
    const a = await transports([listenOn(transport, '::1')]);
    const b = await transports([listenOn(transport, '::1')]);
    const la = createTransactionLayer(a);
    const lb = createTransactionLayer(b);
    t.teardown(() => Promise.all([la.close(), lb.close(), a.close(), b.close()]));
    const bSpec = b.local(transport)!;
    t.equal(bSpec.host, '::1');
    lb.onRequest = (st) => {
      t.equal(st.source.address, '::1');
      st.respond(responseTo(st.request, 200, undefined, 'v6'));
    };
    const req = options(bSpec);
    const res = await new Promise<SipResponse>((resolve) => la.request(req, peerOf(bSpec), { onFinal: resolve }));
    t.equal(res.status, 200, `${transport} over ::1`);
    t.match(req.headers.get('via'), new RegExp(`^SIP/2\\.0/${transport.toUpperCase()} \\[::1\\]:\\d+;branch=z9hG4bK`));
  }
});

t.test('IPv6: a listen host written [::1] works; received carries the bare address', { skip }, async (t) => {
  const server = await transports([{ transport: 'udp', host: '[::1]', port: 0 }]);
  t.teardown(() => server.close());
  const client = await udpClient('udp6');
  t.teardown(() => client.socket.close());
  const arrived = new Promise<Inbound>((resolve) => (server.onMessage = resolve));
  client.socket.send(rawRequest('SIP/2.0/UDP [2001:db8::5]:5060;branch=z9hG4bKv6;rport'), server.local('udp')!.port, '::1');
  const i = await arrived;
  t.equal(i.message.headers.get('via'), `SIP/2.0/UDP [2001:db8::5]:5060;branch=z9hG4bKv6;rport=${client.port};received=::1`);
});
