// StreamFramer: TCP/TLS bytes to messages by Content-Length, RFC 5626 keep-alives, size limit.
import t from 'tap';
import { StreamFramer, type FramerHandler } from '../../src/sip/framer.js';
import { parseMessage } from '../../src/sip/parser.js';

class Recorder implements FramerHandler {
  events: string[] = [];
  messages: Buffer[] = [];
  onMessage(message: Buffer): void {
    this.messages.push(Buffer.from(message));
    this.events.push(`msg:${message.length}`);
  }
  onPing(): void {
    this.events.push('ping');
  }
  onError(status: number, reason: string): void {
    this.events.push(`error:${status}:${reason}`);
  }
}

const body = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n';
const invite = Buffer.from(
  'INVITE sip:1002@pbx.test SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5062;branch=z9hG4bK1\r\n' +
    'From: <sip:1001@pbx.test>;tag=a\r\nTo: <sip:1002@pbx.test>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n' +
    `Content-Type: application/sdp\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
);
const options = Buffer.from(
  'OPTIONS sip:1002@pbx.test SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5062;branch=z9hG4bK2\r\n' +
    'From: <sip:1001@pbx.test>;tag=a\r\nTo: <sip:1002@pbx.test>\r\nCall-ID: c2\r\nCSeq: 2 OPTIONS\r\nl: 0\r\n\r\n',
);
const ping = Buffer.from('\r\n\r\n');
const stream = Buffer.concat([invite, ping, options, Buffer.from('\r\n'), invite]);
const expected = [`msg:${invite.length}`, 'ping', `msg:${options.length}`, `msg:${invite.length}`];

t.test('two messages and a ping split at every offset come out whole and in order', async (t) => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const r = new Recorder();
    const f = new StreamFramer(r);
    f.push(stream.subarray(0, cut));
    f.push(stream.subarray(cut));
    if (JSON.stringify(r.events) !== JSON.stringify(expected)) {
      t.same(r.events, expected, `cut at ${cut}`);
      return;
    }
    t.equal(f.buffered, 0);
  }
  t.pass('every cut');
});

t.test('one byte at a time gives the same messages, each parseable as a stream message', async (t) => {
  const r = new Recorder();
  const f = new StreamFramer(r);
  for (let i = 0; i < stream.length; i++) f.push(stream.subarray(i, i + 1));
  t.same(r.events, expected);
  t.ok(r.messages[0]!.equals(invite));
  for (const m of r.messages) t.ok(parseMessage(m, { stream: true }).ok);
});

t.test('a ping split into two CRLFs is still one ping', async (t) => {
  const r = new Recorder();
  const f = new StreamFramer(r);
  f.push(Buffer.from('\r\n'));
  t.same(r.events, []);
  f.push(Buffer.from('\r\n'));
  t.same(r.events, ['ping']);
  f.push(Buffer.from('\r\n\r\n\r\n\r\n'));
  t.same(r.events, ['ping', 'ping', 'ping']);
});

t.test('a lone CRLF before a message is skipped (RFC 3261 7.5)', async (t) => {
  const r = new Recorder();
  const f = new StreamFramer(r);
  f.push(Buffer.concat([Buffer.from('\r\n'), options]));
  t.same(r.events, [`msg:${options.length}`]);
});

t.test('a message without Content-Length on a stream is an error and stops the framer', async (t) => {
  const r = new Recorder();
  const f = new StreamFramer(r);
  const noLength = Buffer.from(options.toString().replace('l: 0\r\n', ''));
  f.push(Buffer.concat([noLength, options]));
  t.same(r.events, ['error:400:Content-Length required on a stream']);
  t.equal(f.stopped, true);
  f.push(options);
  t.equal(r.events.length, 1, 'nothing after the error');
});

t.test('conflicting or malformed Content-Length is an error', async (t) => {
  for (const bad of ['l: 0\r\nContent-Length: 3\r\n', 'l: -1\r\n', 'l: 99999999999\r\n', 'l: 1 2\r\n']) {
    const r = new Recorder();
    new StreamFramer(r).push(Buffer.from(options.toString().replace('l: 0\r\n', bad)));
    t.same(r.events, ['error:400:Malformed Content-Length'], JSON.stringify(bad));
  }
});

t.test('Content-Length folded onto a continuation line is read', async (t) => {
  const r = new Recorder();
  const folded = Buffer.from(options.toString().replace('l: 0\r\n', 'Content-Length:\r\n 0\r\n'));
  new StreamFramer(r).push(folded);
  t.same(r.events, [`msg:${folded.length}`]);
});

t.test('headers that never end are cut off at the size limit with 513', async (t) => {
  const r = new Recorder();
  const f = new StreamFramer(r, 1024);
  const line = Buffer.from('X-Junk: ' + 'a'.repeat(100) + '\r\n');
  f.push(Buffer.from('INVITE sip:a@b SIP/2.0\r\n'));
  for (let i = 0; i < 20 && !f.stopped; i++) f.push(line);
  t.same(r.events, ['error:513:Message Too Large']);
  t.equal(f.buffered, 0, 'the buffer is released');
});

t.test('a Content-Length that would exceed the limit is refused before the body arrives', async (t) => {
  const r = new Recorder();
  const f = new StreamFramer(r, 1024);
  f.push(Buffer.from(options.toString().replace('l: 0', 'l: 5000')));
  t.same(r.events, ['error:513:Message Too Large']);
});

t.test('close() drops the buffer and is safe twice', async (t) => {
  const r = new Recorder();
  const f = new StreamFramer(r);
  f.push(invite.subarray(0, 40));
  t.equal(f.buffered, 40);
  f.close();
  f.close();
  t.equal(f.buffered, 0);
  f.push(invite);
  t.same(r.events, []);
});

t.test('a handler that closes the framer inside onMessage stops further delivery', async (t) => {
  const events: string[] = [];
  const f: StreamFramer = new StreamFramer({
    onMessage: () => {
      events.push('msg');
      f.close();
    },
    onPing: () => events.push('ping'),
    onError: () => events.push('error'),
  });
  f.push(Buffer.concat([options, options]));
  t.same(events, ['msg']);
});

t.test('messages handed out stay intact while later bytes arrive (views are never overwritten)', async (t) => {
  const views: Buffer[] = [];
  const f = new StreamFramer({ onMessage: (m) => views.push(m), onPing: () => undefined, onError: () => undefined });
  const twice = Buffer.concat([options, invite, options]);
  for (let i = 0; i < twice.length; i += 7) f.push(twice.subarray(i, i + 7));
  t.equal(views.length, 3);
  t.ok(views[0]!.equals(options));
  t.ok(views[1]!.equals(invite));
  t.ok(views[2]!.equals(options));
});

t.test('a body trickled one byte at a time arrives whole', async (t) => {
  const big = 'x'.repeat(20000);
  const msg = Buffer.from(options.toString().replace('l: 0', `l: ${big.length}`) + big);
  const r = new Recorder();
  const f = new StreamFramer(r);
  for (let i = 0; i < msg.length; i++) f.push(msg.subarray(i, i + 1));
  t.same(r.events, [`msg:${msg.length}`]);
  t.ok(r.messages[0]!.equals(msg));
});
