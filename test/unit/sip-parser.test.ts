import t from 'tap';
import { parseMessage } from '../../src/sip/parser.js';
import { serialize } from '../../src/sip/serializer.js';
import { SipRequest, SipResponse, responseTo } from '../../src/sip/message.js';
import { PbxError } from '../../src/util/errors.js';

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

t.test('CRLFs before the start line are ignored and bare LF line ends are accepted', async (t) => {
  const r = parseMessage(Buffer.from('\r\n\r\n' + invite().replace(/\r\n/g, '\n').replace(sdp.replace(/\r\n/g, '\n'), sdp)));
  t.equal(r.ok, true, r.ok ? '' : r.reason);
});

t.test('the body is a view of the datagram, not a copy', async (t) => {
  const buf = Buffer.from(invite());
  const r = parseMessage(buf);
  if (!r.ok) throw new Error(r.reason);
  t.equal(r.message.body.buffer, buf.buffer);
});

t.test('a UDP request without Content-Length takes the rest of the datagram; on a stream it gets 400', async (t) => {
  const text = invite().replace(/Content-Length: \d+\r\n/, '');
  const udp = parseMessage(Buffer.from(text));
  t.equal(udp.ok && udp.message.body.toString(), sdp);
  const tcp = parseMessage(Buffer.from(text), { stream: true });
  t.same(tcp.ok ? null : [tcp.status, tcp.reason], [400, 'Content-Length required on a stream']);
});

t.test('a message over the size limit gets 513', async (t) => {
  const r = parseMessage(Buffer.from(invite()), { maxSize: 100 });
  t.same(r.ok ? null : [r.status, r.request], [513, null]);
});

t.test('header lines without a colon give 400, and the headers around them are kept for the answer', async (t) => {
  const junk = 'no colon here\r\n'.repeat(1000);
  const r = parseMessage(Buffer.from(invite().replace('Max-Forwards: 70\r\n', `Max-Forwards: 70\r\n${junk}`)));
  if (r.ok) throw new Error('parsed');
  t.equal(r.status, 400);
  t.equal(r.request!.headers.get('cseq'), '1 INVITE');
  t.equal(r.request!.headers.get('call-id'), 'x1@h');
});

t.test('a malformed response is dropped: no request comes back', async (t) => {
  const text = 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';
  const r = parseMessage(Buffer.from(text));
  t.same(r.ok ? null : [r.status, r.request], [400, null]);
  const ok = parseMessage(Buffer.from(text.replace('<sip:c@d', '<sip:c@d>')));
  t.ok(ok.ok && ok.message instanceof SipResponse && ok.message.status === 200);
});

t.test('serialize keeps Content-Length where it was, with the body length', async (t) => {
  const r = parseMessage(Buffer.from(invite('X-After: 1\r\n').replace(/Content-Length: \d+\r\n/, 'l: 3\r\n') ));
  if (!r.ok) throw new Error(r.reason);
  r.message.body = Buffer.from('abc');
  const out = serialize(r.message).toString();
  t.match(out, /X-After: 1\r\nContent-Length: 3\r\n\r\nabc$/);
});

t.test('serialize writes a built response with canonical header names', async (t) => {
  const req = parseMessage(Buffer.from(invite()));
  if (!req.ok) throw new Error(req.reason);
  const res = responseTo(req.message as SipRequest, 180, undefined, 'totag');
  t.equal(
    serialize(res).toString(),
    'SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1;rport\r\nFrom: "Alice" <sip:1001@pbx.test>;tag=abc\r\n' +
      'To: <sip:1002@pbx.test>;tag=totag\r\nCall-ID: x1@h\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  );
});

t.test('a header value with a line break cannot be serialized (header injection)', async (t) => {
  const m = new SipRequest('OPTIONS', 'sip:a@b');
  m.headers.add('subject', 'hi\r\nVia: forged');
  let code = '';
  try {
    serialize(m);
  } catch (e) {
    if (e instanceof PbxError) code = e.code;
  }
  t.equal(code, 'PBX_ERR_SIP_HEADER_INJECTION');
});
