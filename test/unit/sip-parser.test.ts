import t from 'tap';
import { parseMessage } from '../../src/sip/parser.js';
import { serialize } from '../../src/sip/serializer.js';
import { SipRequest, responseTo } from '../../src/sip/message.js';

const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const invite = (extra = '', body = sdp) =>
  'INVITE sip:1002@pbx.test SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1;rport\r\n' +
  'Max-Forwards: 70\r\n' +
  'From: "Alice" <sip:1001@pbx.test>;tag=abc\r\n' +
  'To: <sip:1002@pbx.test>\r\n' +
  'Call-ID: x1@h\r\n' +
  'CSeq: 1 INVITE\r\n' +
  'Contact: <sip:1001@127.0.0.1:5062>\r\n' +
  'Content-Type: application/sdp\r\n' +
  extra +
  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

t.test('a typical INVITE parses into method, URI, headers and body', async (t) => {
  const r = parseMessage(Buffer.from(invite()));
  if (!r.ok) throw new Error(r.reason);
  const m = r.message as SipRequest;
  t.equal(m.kind, 'request');
  t.equal(m.method, 'INVITE');
  t.equal(m.uri, 'sip:1002@pbx.test');
  t.equal(m.headers.get('call-id'), 'x1@h');
  t.equal(m.headers.get('i'), 'x1@h', 'compact names find long ones');
  t.equal(m.body.toString(), sdp);
});

t.test('serialize then parse gives the same headers and body', async (t) => {
  const r = parseMessage(Buffer.from(invite()));
  if (!r.ok) throw new Error(r.reason);
  const again = parseMessage(serialize(r.message));
  if (!again.ok) throw new Error(again.reason);
  t.same([...again.message.headers.entries()], [...r.message.headers.entries()]);
  t.same(again.message.body, r.message.body);
});

t.test('a request with a broken To gets 400 with the headers to answer it', async (t) => {
  const r = parseMessage(Buffer.from(invite().replace('To: <sip:1002@pbx.test>', 'To: "Bob <sip:1002@pbx.test>')));
  t.equal(r.ok, false);
  if (r.ok) return;
  t.equal(r.status, 400);
  t.ok(r.request);
  const resp = responseTo(r.request!, 400);
  t.equal(resp.headers.get('call-id'), 'x1@h');
});
