// OPTIONS transactions per second over UDP on 127.0.0.1: a client transaction layer to a server
// one that answers 200, 64 transactions in flight. Baseline in the same run: the same bytes
// bounced between two bare dgram sockets (no parsing, no transactions).
// Run: npm run bench -- sip-transaction
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { Headers, SipRequest, responseTo } from '../dist/sip/message.js';
import { serialize } from '../dist/sip/serializer.js';
import { createTransactionLayer } from '../dist/sip/transaction/index.js';
import { createTransportLayer } from '../dist/sip/transport/index.js';

const TOTAL = 20_000;
const WINDOW = 64;
const DEADLINE_MS = 30_000;

/** Stops a run that lost its way: resolves after the deadline whatever happened. */
function bounded(run) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, DEADLINE_MS);
    run(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function options(port, n) {
  const h = new Headers();
  h.add('max-forwards', '70');
  h.add('from', '<sip:1001@pbx.test>;tag=bench');
  h.add('to', '<sip:1002@pbx.test>');
  h.add('call-id', `bench-${n}@127.0.0.1`);
  h.add('cseq', '1 OPTIONS');
  return new SipRequest('OPTIONS', `sip:1002@127.0.0.1:${port}`, h);
}

async function transactions() {
  const opts = { maxMessageSize: 65535, tcpIdleTimeoutS: 60, maxConnectionsPerSource: 10 };
  const a = await createTransportLayer({ ...opts, listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
  const b = await createTransportLayer({ ...opts, listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
  const la = createTransactionLayer(a);
  const lb = createTransactionLayer(b);
  lb.onRequest = (st) => st.respond(responseTo(st.request, 200, undefined, 'b'));
  const port = b.local('udp').port;
  const to = { transport: 'udp', address: '127.0.0.1', port, connectionId: null };
  let sent = 0;
  let done = 0;
  let failed = 0;
  const start = process.hrtime.bigint();
  await bounded((resolve) => {
    const next = () => {
      if (sent >= TOTAL) return;
      const n = sent++;
      la.request(options(port, n), to, {
        onFinal(res) {
          if (res.status !== 200) failed++;
          if (++done === TOTAL) resolve();
          else next();
        },
      });
    };
    for (let i = 0; i < WINDOW; i++) next();
  });
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  await Promise.all([la.close(), lb.close(), a.close(), b.close()]);
  return { rate: done / s, failed: failed + TOTAL - done };
}

async function bareSockets() {
  const req = serialize(options(5060, 0));
  const res = serialize(responseTo(options(5060, 0), 200, undefined, 'b'));
  const a = createSocket('udp4');
  const b = createSocket('udp4');
  a.bind(0, '127.0.0.1');
  b.bind(0, '127.0.0.1');
  await Promise.all([once(a, 'listening'), once(b, 'listening')]);
  const bPort = b.address().port;
  b.on('message', (_m, r) => b.send(res, r.port, r.address));
  let sent = 0;
  let done = 0;
  const start = process.hrtime.bigint();
  await bounded((resolve) => {
    a.on('message', () => {
      if (++done === TOTAL) resolve();
      else if (sent < TOTAL) (sent++, a.send(req, bPort, '127.0.0.1'));
    });
    for (let i = 0; i < WINDOW; i++) (sent++, a.send(req, bPort, '127.0.0.1'));
  });
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  a.close();
  b.close();
  return { rate: done / s };
}

const base = await bareSockets();
const tx = await transactions();
console.log(`bare UDP request/response:        ${Math.round(base.rate)} /s`);
console.log(`OPTIONS transactions (UDP, layer): ${Math.round(tx.rate)} /s, ${tx.failed} failed`);
console.log(`ratio transactions / bare:         ${(tx.rate / base.rate).toFixed(2)}`);
