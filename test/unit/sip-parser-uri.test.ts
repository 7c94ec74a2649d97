// SIP URIs: RFC 3261 19.1 syntax, 19.1.4 comparison, RFC 5118 IPv6 references, tel as opaque.
import t from 'tap';
import { formatUri, parseUri, uriEquals, uriScheme } from '../../src/sip/uri.js';

function uri(s: string) {
  const u = parseUri(s);
  if (u === null) throw new Error(`did not parse: ${s}`);
  return u;
}

t.test('a full SIP URI gives user, password, host, port, parameters and headers', async (t) => {
  const u = uri('sips:alice:secret@Atlanta.COM:5061;transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent');
  t.equal(u.scheme, 'sips');
  t.equal(u.user, 'alice');
  t.equal(u.password, 'secret');
  t.equal(u.host, 'Atlanta.COM');
  t.equal(u.port, 5061);
  t.same([...u.params], [['transport', 'TCP'], ['lr', null], ['maddr', '239.255.255.1']]);
  t.same([...u.headers], [['subject', 'project%20x'], ['priority', 'urgent']]);
});

t.test('a URI without user part or port', async (t) => {
  const u = uri('sip:pbx.test');
  t.equal(u.user, null);
  t.equal(u.password, null);
  t.equal(u.host, 'pbx.test');
  t.equal(u.port, null);
});

t.test('IPv6 references keep their brackets; the port is outside them (RFC 5118)', async (t) => {
  t.same([uri('sip:1001@[::1]:5070').host, uri('sip:1001@[::1]:5070').port], ['[::1]', 5070]);
  t.equal(uri('sip:[2001:db8::10:5070]').port, null);
  t.equal(parseUri('sip:2001:db8::10'), null, 'without brackets the address reads as a bad port');
  t.equal(parseUri('sip:[2001:db8::zz]'), null);
  t.equal(parseUri('sip:[::1'), null);
  t.ok(parseUri('sip:[2001:db8:::192.0.2.1]'), 'three colons before IPv4 tolerated (RFC 5118 4.10)');
  t.equal(parseUri('sip:[2001:db8:::1]'), null, 'but not elsewhere');
});

t.test('%-escapes decode in user and password and re-escape on format', async (t) => {
  const u = uri('sip:sips%3Auser%40example.com@example.net');
  t.equal(u.user, 'sips:user@example.com');
  t.equal(formatUri(u), 'sip:sips%3Auser%40example.com@example.net');
  t.equal(formatUri({ ...uri('sip:x@h'), user: 'a b\u00e9' }), 'sip:a%20b%C3%A9@h');
  t.equal(parseUri('sip:bad%zzuser@h'), null, 'a broken escape');
  t.equal(parseUri('sip:bad%4@h'), null, 'a short escape');
});

t.test('malformed SIP URIs are null, never a throw', async (t) => {
  for (const bad of ['sip:', 'sip:@host', 'sip:user@', 'sip:host:99999', 'sip:host:', 'sip:ho st', 'sip:host;=x', 'sip:host;a=', 'sip:host?x', 'sip:host?=y', 'mailto:a@b', 'sip', '', 'tel:', 'tel:;x=1']) {
    t.equal(parseUri(bad), null, JSON.stringify(bad));
  }
});

t.test('tel URIs are kept opaque: the number and its parameters', async (t) => {
  const u = uri('tel:+1-212-555-0101;phone-context=example.com');
  t.equal(u.scheme, 'tel');
  t.equal(u.user, '+1-212-555-0101');
  t.equal(u.params.get('phone-context'), 'example.com');
  t.equal(formatUri(u), 'tel:+1-212-555-0101;phone-context=example.com');
  t.ok(uriEquals(u, uri('tel:+1(212)5550101;Phone-Context=EXAMPLE.com')), 'visual separators do not count');
});

t.test('format(parse(x)) gives x back for URIs written in canonical form', async (t) => {
  for (const s of ['sip:1001@pbx.test', 'sip:1001@10.0.0.1:5062;transport=tcp;ob', 'sips:[2001:db8::1]:5061', 'sip:a:b@h?x=1&y=2', 'sip:h;lr']) {
    t.equal(formatUri(uri(s)), s);
  }
});

t.test('uriScheme reads any scheme, parseUri only sip/sips/tel', async (t) => {
  t.equal(uriScheme('SIP:a@b'), 'sip');
  t.equal(uriScheme('soap.beep://x'), 'soap.beep');
  t.equal(uriScheme('<sip:a@b>'), null);
  t.equal(uriScheme('1x:y'), null);
  t.equal(parseUri('http://example.com'), null);
});

// RFC 3261 19.1.4, the examples given there.
const equal: [string, string][] = [
  ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
  ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
  ['sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'],
  ['sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;security=on'],
  ['sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com'],
  ['sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x'],
];
const different: [string, string][] = [
  ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'],
  ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'],
  ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'],
  ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp'],
  ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'],
  ['sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'],
  ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'],
  ['sip:alice@atlanta.com', 'sips:alice@atlanta.com'],
  ['sip:alice@atlanta.com', 'sip:alice@atlanta.com;maddr=10.0.0.1'],
  ['sip:alice:pw@atlanta.com', 'sip:alice@atlanta.com'],
];

t.test('RFC 3261 19.1.4: the URIs given as equal compare equal, both ways', async (t) => {
  for (const [a, b] of equal) {
    t.ok(uriEquals(uri(a), uri(b)), `${a} == ${b}`);
    t.ok(uriEquals(uri(b), uri(a)), `${b} == ${a}`);
  }
});

t.test('RFC 3261 19.1.4: the URIs given as different compare different, both ways', async (t) => {
  for (const [a, b] of different) {
    t.notOk(uriEquals(uri(a), uri(b)), `${a} != ${b}`);
    t.notOk(uriEquals(uri(b), uri(a)), `${b} != ${a}`);
  }
});
