// RFC 4475 and RFC 5118: every torture message gets the outcome its RFC gives it, and every valid
// one survives serialize -> parse with the same start line, headers and body.
import t, { type Test } from 'tap';
import { parseMessage } from '../../src/sip/parser.js';
import { serialize } from '../../src/sip/serializer.js';
import { SipRequest, SipResponse, responseTo, type SipMessage } from '../../src/sip/message.js';
import { getTag, parseCSeq, parseNameAddr, parseVia, splitList } from '../../src/sip/grammar.js';
import { parseUri, uriScheme } from '../../src/sip/uri.js';
import { RFC4475, RFC5118, type TortureCase } from '../fixtures/sip-torture.js';

function withoutLength(m: SipMessage): [string, string][] {
  return [...m.headers.entries()].filter(([k]) => k !== 'content-length');
}

function outcome(c: TortureCase): string {
  if (c.expect === 'ok') return c.tu ? `parses (the TU: ${c.tu})` : 'parses and round-trips';
  if (c.expect === 'drop') return 'is a malformed response: dropped';
  return `gets ${c.expect} with enough of the request to answer`;
}

function check(t: Test, c: TortureCase): void {
  const r = parseMessage(c.bytes);
  if (c.expect === 'ok') {
    if (!r.ok) {
      t.fail(`${c.name}: ${r.status} ${r.reason}`);
      return;
    }
    const again = parseMessage(serialize(r.message));
    if (!again.ok) {
      t.fail(`${c.name} after serialize: ${again.status} ${again.reason}`);
      return;
    }
    const a = r.message;
    const b = again.message;
    t.equal(b.kind, a.kind);
    if (a instanceof SipRequest && b instanceof SipRequest) {
      t.equal(b.method, a.method);
      t.equal(b.uri, a.uri);
    }
    if (a instanceof SipResponse && b instanceof SipResponse) {
      t.equal(b.status, a.status);
      t.equal(b.reason, a.reason);
    }
    t.same(withoutLength(b), withoutLength(a), 'same headers');
    t.equal(b.headers.get('content-length'), String(a.body.length), 'Content-Length written from the body');
    t.ok(b.body.equals(a.body), 'same body');
    return;
  }
  t.equal(r.ok, false, `${c.name} is refused`);
  if (r.ok) return;
  if (c.expect === 'drop') {
    t.equal(r.request, null, 'no request to answer: the response is dropped');
    return;
  }
  t.equal(r.status, c.expect, r.reason);
  t.ok(r.request, 'a partial request comes back');
  const answer = responseTo(r.request!, r.status, r.reason);
  t.equal(answer.status, c.expect);
  t.ok(serialize(answer).toString('latin1').startsWith(`SIP/2.0 ${c.expect} `), 'the answer serializes');
}

for (const c of RFC4475) {
  t.test(`RFC 4475 ${c.section} ${c.name} ${outcome(c)}`, async (t) => check(t, c));
}
for (const c of RFC5118) {
  t.test(`RFC 5118 ${c.section} ${c.name} ${outcome(c)}`, async (t) => check(t, c));
}

function parsed(name: string): SipMessage {
  const c = [...RFC4475, ...RFC5118].find((x) => x.name === name)!;
  const r = parseMessage(c.bytes);
  if (!r.ok) throw new Error(`${name}: ${r.reason}`);
  return r.message;
}

t.test('wsinv: folded, spaced and compact headers read as their values', async (t) => {
  const m = parsed('wsinv') as SipRequest;
  t.equal(getTag(m.headers.get('to')!), '1918181833n');
  const from = parseNameAddr(m.headers.get('from')!)!;
  t.equal(from.display, 'J Rosenberg \\"');
  t.equal(from.params.get('tag'), '98asjd8');
  t.same(parseCSeq(m.headers.get('cseq')!), { seq: 9, method: 'INVITE' });
  t.equal(m.headers.get('max-forwards'), '0068');
  const vias = m.headers.getAll('via').flatMap(splitList).map((v) => parseVia(v)!);
  t.same(
    vias.map((v) => [v.transport, v.host, v.params.get('branch')]),
    [
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ],
  );
  t.equal(m.headers.get('subject'), '');
  t.equal(m.headers.get('newfangledheader'), 'newfangled value continued newfangled value');
  t.equal(m.headers.get('UnknownHeaderWithUnusualValue'), ';;,,;;,;');
  const contact = parseNameAddr(m.headers.get('contact')!)!;
  t.equal(contact.display, 'Quoted string ""');
  t.same([...contact.params], [['newparam', 'newvalue'], ['secondparam', null], ['q', '0.33']]);
  t.equal(m.body.length, 150);
});

t.test('intmeth: an unknown method with every token character parses; its URI keeps user and password', async (t) => {
  const m = parsed('intmeth') as SipRequest;
  t.equal(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
  const uri = parseUri(m.uri)!;
  t.equal(uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  t.equal(uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  t.equal(uri.host, 'example.com');
  t.equal(parseNameAddr(m.headers.get('to')!)!.display, 'BEL:\x07 NUL:\x00 DEL:\x7f');
  t.equal(m.headers.get("extensionHeader-!.%*+_`'~"), '\ufeff\u5927\u505c\u96fb');
});

t.test('esc01: escapes decode in the user part and compare equal to their plain form', async (t) => {
  const m = parsed('esc01') as SipRequest;
  t.equal(parseUri(m.uri)!.user, 'sips:user@example.com');
  t.equal(parseUri(parseNameAddr(m.headers.get('to')!)!.uri)!.user, 'user');
  t.equal(parseUri(parseNameAddr(m.headers.get('from')!)!.uri)!.user, 'I have spaces');
  const contact = parseUri(parseNameAddr(m.headers.get('contact')!)!.uri)!;
  t.equal(contact.user, 'caller');
  t.ok(contact.params.has('%6c%72'));
});

t.test('escnull: %00 is a character of the user part', async (t) => {
  const m = parsed('escnull');
  t.equal(parseUri(parseNameAddr(m.headers.get('to')!)!.uri)!.user, 'null-\x00-null');
  t.same(
    m.headers.getAll('contact').map((c) => parseUri(parseNameAddr(c)!.uri)!.user),
    ['\x00', '\x00\x00'],
  );
});

t.test('esc02: % is literal in a method and a header name', async (t) => {
  const m = parsed('esc02') as SipRequest;
  t.equal(m.method, 'RE%47IST%45R');
  t.equal(m.headers.getAll('contact').length, 2, 'C%6Fntact is another header');
  t.equal(m.headers.get('C%6Fntact'), '<sip:alias2@host2.example.com>');
});

t.test('dblreq: a UDP datagram holds one message; octets after Content-Length are ignored', async (t) => {
  const m = parsed('dblreq') as SipRequest;
  t.equal(m.method, 'REGISTER');
  t.equal(m.body.length, 0);
});

t.test('semiuri: a semicolon before @ belongs to the user part', async (t) => {
  const uri = parseUri((parsed('semiuri') as SipRequest).uri)!;
  t.equal(uri.user, 'user;par=u@example.net');
  t.equal(uri.host, 'example.com');
  t.equal(uri.params.size, 0);
});

t.test('transports: unknown transports in Via parse', async (t) => {
  const m = parsed('transports');
  t.same(m.headers.getAll('via').map((v) => parseVia(v)!.transport), ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
});

t.test('mpart01: a binary body is carried octet for octet', async (t) => {
  const c = RFC4475.find((x) => x.name === 'mpart01')!;
  const m = parsed('mpart01');
  t.ok(m.body.equals(c.bytes.subarray(c.bytes.length - m.body.length)));
  t.ok(serialize(m).subarray(-m.body.length).equals(m.body));
});

t.test('unreason and noreason: a UTF-8 and an empty reason phrase', async (t) => {
  t.match((parsed('unreason') as SipResponse).reason, /^= 2\*\*3 \* 5\*\*2 \u043d\u043e/);
  const noreason = parsed('noreason') as SipResponse;
  t.equal(noreason.status, 100);
  t.equal(noreason.reason, '');
});

t.test('unkscm and novelsc: other Request-URI schemes parse and are left for the TU to answer 416', async (t) => {
  for (const name of ['unkscm', 'novelsc']) {
    const m = parsed(name) as SipRequest;
    t.equal(parseUri(m.uri), null, `${name}: not a sip/sips/tel URI`);
    t.not(uriScheme(m.uri), null);
  }
  t.equal(uriScheme((parsed('novelsc') as SipRequest).uri), 'soap.beep');
});

t.test('cparam01 and cparam02: a parameter after an addr-spec belongs to the header, inside <> to the URI', async (t) => {
  const p1 = parseNameAddr(parsed('cparam01').headers.get('contact')!)!;
  t.ok(p1.params.has('unknownparam'));
  t.equal(parseUri(p1.uri)!.params.size, 0);
  const p2 = parseNameAddr(parsed('cparam02').headers.get('contact')!)!;
  t.equal(p2.params.size, 0);
  t.ok(parseUri(p2.uri)!.params.has('unknownparam'));
});

t.test('regescrt: escaped headers inside <> in a Contact are URI headers', async (t) => {
  const uri = parseUri(parseNameAddr(parsed('regescrt').headers.get('contact')!)!.uri)!;
  t.equal(uri.headers.get('Route'), '%3Csip:sip.example.com%3E');
});

t.test('inv2543: without Content-Length the body is the rest of the datagram', async (t) => {
  const m = parsed('inv2543');
  t.match(m.body.toString(), /^v=0\r\n[^]*m=audio 49217 RTP\/AVP 0\r\n$/);
});

t.test('badvers: the 505 carries the headers to answer with', async (t) => {
  const c = RFC4475.find((x) => x.name === 'badvers')!;
  const r = parseMessage(c.bytes);
  if (r.ok) throw new Error('badvers parsed');
  const answer = responseTo(r.request!, r.status);
  t.equal(answer.headers.get('call-id'), 'badvers.31417@c.example.com');
  t.equal(answer.headers.get('cseq'), '1 OPTIONS');
});

t.test('RFC 5118: IPv6 references in Request-URI, Via, Contact and received', async (t) => {
  t.equal(parseUri((parsed('ipv6-good') as SipRequest).uri)!.host, '[2001:db8::10]');
  const ambiguous = parseUri((parsed('port-ambiguous') as SipRequest).uri)!;
  t.equal(ambiguous.host, '[2001:db8::10:5070]');
  t.equal(ambiguous.port, null);
  const unambiguous = parseUri((parsed('port-unambiguous') as SipRequest).uri)!;
  t.equal(unambiguous.host, '[2001:db8::10]');
  t.equal(unambiguous.port, 5070);
  t.equal(parseVia(parsed('via-received-param-with-delim').headers.get('via')!)!.params.get('received'), '[2001:db8::9:255]');
  t.equal(parseVia(parsed('via-received-param-no-delim').headers.get('via')!)!.params.get('received'), '2001:db8::9:255');
  const vias = parsed('mult-ip-in-header').headers.getAll('via').map((v) => parseVia(v)!);
  t.same(vias.map((v) => [v.host, v.port]), [['[2001:db8::9:1]', 6050], ['192.0.2.1', null], ['[2001:db8::9:255]', null]]);
  t.equal(parseVia(parsed('ipv4-mapped-ipv6').headers.get('via')!)!.host, '[::ffff:192.0.2.10]');
  t.equal(parseUri((parsed('ipv6-bug-abnf-3-colons') as SipRequest).uri)!.host, '[2001:db8:::192.0.2.1]');
});
