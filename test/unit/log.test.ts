import { Writable } from 'node:stream';
import t from 'tap';
import { CENSORED, createLogger, scrubSipText } from '../../src/log.js';

function capture(): { lines: () => Record<string, unknown>[]; text: () => string; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

t.test('log lines are JSON with level, time and message', async (t) => {
  const out = capture();
  const log = createLogger({ level: 'info', destination: out.stream });
  log.debug('hidden');
  log.info({ ext: '1001' }, 'registered');
  const [line, ...rest] = out.lines();
  t.same(rest, []);
  t.match(line, { level: 30, msg: 'registered', ext: '1001', time: /^\d{4}-\d\d-\d\dT/ });
});

t.test('passwords, PINs and digest credentials never appear in a log line', async (t) => {
  const out = capture();
  const log = createLogger({ level: 'trace', destination: out.stream });
  const auth = 'Digest username="1001", realm="pbx.test", nonce="abc", uri="sip:pbx.test", response="6629fae49393a05397450978507c4ef1", cnonce="0a4f113b", qop=auth, nc=00000001';
  log.info({ password: 'alice-pass', ext: { pin: '4321', voicemail: { pin: '9876' } } }, 'config');
  log.info({ headers: { authorization: auth, 'proxy-authorization': auth } }, 'challenge answered');
  log.info({ raw: `REGISTER sip:pbx.test SIP/2.0\r\nAuthorization: ${auth}\r\nCall-ID: x\r\n\r\n` }, 'received');
  log.warn(`bad credentials: ${auth}`);
  log.info({ response: { status: 200 } }, 'a SIP response object stays readable');
  const text = out.text();
  for (const secret of ['alice-pass', '4321', '9876', '6629fae49393a05397450978507c4ef1', '0a4f113b']) {
    t.notOk(text.includes(secret), `${secret} is not logged`);
  }
  const lines = out.lines();
  t.equal(lines[0]!.password, CENSORED);
  t.match(lines[2]!.raw, /Call-ID: x/, 'the rest of the message is kept');
  t.same(lines[4]!.response, { status: 200 });
});

t.test('scrubSipText blanks Authorization headers and digest responses only', async (t) => {
  t.equal(scrubSipText('Via: SIP/2.0/UDP h\r\nProxy-Authorization: Digest response="ff"\r\nTo: <sip:a@b>'), `Via: SIP/2.0/UDP h\r\nProxy-Authorization: ${CENSORED}\r\nTo: <sip:a@b>`);
  t.equal(scrubSipText('username="1001", response=ab12, qop=auth'), `username="1001", response=${CENSORED}, qop=auth`);
  t.equal(scrubSipText('INVITE sip:1002@pbx.test SIP/2.0'), 'INVITE sip:1002@pbx.test SIP/2.0');
});

t.test('a call logger puts the Call-ID on every line', async (t) => {
  const out = capture();
  const log = createLogger({ level: 'info', destination: out.stream }).child({ callId: 'a84b4c76e66710@pc33' });
  log.info('ringing');
  log.child({ leg: 'b' }).info('answered');
  t.same(out.lines().map((l) => l.callId), ['a84b4c76e66710@pc33', 'a84b4c76e66710@pc33']);
});
