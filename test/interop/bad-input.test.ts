// Bad and unusual input on the PBX's real UDP socket: garbage is answered 400 or dropped and the
// next call still works; requests the PBX does not serve get the RFC 3261 / RFC 4475 answers.
import dgram from 'node:dgram';
import t from 'tap';
import { callThrough, PbxProcess, preparePbx, processIsRunning, teardown } from './harness.js';

const setup = await preparePbx();
const pbx = await PbxProcess.start(setup);
t.teardown(() => teardown(pbx, setup));

const sock = dgram.createSocket('udp4');
await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
t.teardown(() => sock.close());
const myPort = (sock.address() as { port: number }).port;
const replies: string[] = [];
let waiter: (() => void) | null = null;
sock.on('message', (m) => {
  replies.push(m.toString('latin1'));
  waiter?.();
});

/** Sends datagrams and resolves with the next reply (bounded wait). */
function exchange(...datagrams: (string | Buffer)[]): Promise<string> {
  const seen = replies.length;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no reply within 5 s')), 5000);
    waiter = () => {
      if (replies.length <= seen) return;
      clearTimeout(timer);
      waiter = null;
      resolve(replies[seen]!);
    };
    for (const d of datagrams) sock.send(d, setup.sipPort, '127.0.0.1');
  });
}

let n = 0;
function request(method: string, uri: string, extra: string[] = []): string {
  n++;
  return [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${myPort};branch=z9hG4bK-bad-${n}`,
    'Max-Forwards: 70',
    `From: <sip:probe@127.0.0.1>;tag=t${n}`,
    `To: <sip:1001@127.0.0.1>`,
    `Call-ID: bad-input-${n}@127.0.0.1`,
    `CSeq: 1 ${method}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
const uri = `sip:1001@127.0.0.1:${setup.sipPort}`;

t.test('a request with a broken CSeq is answered 400', async (t) => {
  const reply = await exchange(request('OPTIONS', uri).replace('CSeq: 1 OPTIONS', 'CSeq: one OPTIONS'));
  t.match(reply, /^SIP\/2\.0 400 /);
});

t.test('random bytes get no answer: the next reply is the one to a good OPTIONS', async (t) => {
  const garbage = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 73 + 11) & 0xff));
  const reply = await exchange(garbage, request('OPTIONS', uri));
  t.match(reply, /^SIP\/2\.0 200 /);
  t.ok(processIsRunning(pbx.child), 'the PBX still runs');
});

t.test('OPTIONS outside a dialog gets 200 with Allow and Accept', async (t) => {
  const reply = await exchange(request('OPTIONS', uri));
  t.match(reply, /^SIP\/2\.0 200 /);
  t.match(reply, /\r\nAllow: [^\r]*INVITE[^\r]*REGISTER/);
  t.match(reply, /\r\nAccept: application\/sdp\r\n/);
  t.match(reply, /\r\nTo: <sip:1001@127\.0\.0\.1>;tag=\S+\r\n/);
});

t.test('an unknown method gets 501 (RFC 4475 3.3.x)', async (t) => {
  t.match(await exchange(request('NEWMETHOD', uri)), /^SIP\/2\.0 501 /);
});

t.test('a known method not served here gets 405 with Allow', async (t) => {
  const reply = await exchange(request('MESSAGE', uri));
  t.match(reply, /^SIP\/2\.0 405 /);
  t.match(reply, /\r\nAllow: /);
});

t.test('SUBSCRIBE to an event package the PBX does not serve gets 489 Bad Event with Allow-Events', async (t) => {
  const reply = await exchange(request('SUBSCRIBE', uri, ['Event: conference']));
  t.match(reply, /^SIP\/2\.0 489 /);
  t.match(reply, /\r\nAllow-Events: message-summary, dialog, presence\r\n/);
});

t.test('SUBSCRIBE to a served package without credentials is challenged 401', async (t) => {
  t.match(await exchange(request('SUBSCRIBE', uri, ['Event: presence', 'Contact: <sip:probe@127.0.0.1:9>'])), /^SIP\/2\.0 401 /);
});

t.test('a BYE outside any dialog gets 481', async (t) => {
  t.match(await exchange(request('BYE', uri)), /^SIP\/2\.0 481 /);
});

t.test('a Request-URI scheme the PBX does not serve gets 416', async (t) => {
  t.match(await exchange(request('MESSAGE', 'mailto:someone@example.com')), /^SIP\/2\.0 416 /);
});

t.test('Max-Forwards 0 on a request to forward gets 483', async (t) => {
  t.match(await exchange(request('INVITE', uri).replace('Max-Forwards: 70', 'Max-Forwards: 0')), /^SIP\/2\.0 483 /);
});

t.test('after all that a call still works', async (t) => {
  const run = await callThrough(setup, { callerScenario: 'uac-nomedia.xml', calleeScenario: 'uas.xml', durationMs: 300 });
  run.probe.close();
  t.equal(run.caller.code, 0, `caller: ${run.caller.errors}`);
  t.equal(run.callee.code, 0, `callee: ${run.callee.errors}`);
});
