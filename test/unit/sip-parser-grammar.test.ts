// Header value grammar: lists, name-addr, Via, CSeq, parameters, quoted strings, auth headers.
import t from 'tap';
import { Headers } from '../../src/sip/message.js';
import {
  formatNameAddr,
  formatVia,
  getTag,
  hostAddress,
  parseAuthHeader,
  parseCSeq,
  parseNameAddr,
  parseParams,
  parseVia,
  quote,
  splitList,
  stampVia,
  topVia,
  unquote,
} from '../../src/sip/grammar.js';

t.test('splitList splits on commas outside quotes and angle brackets', async (t) => {
  t.same(splitList('a, b ,c'), ['a', 'b', 'c']);
  t.same(splitList('"Doe, John" <sip:j@x>, <sip:k@y;p=a,b>'), ['"Doe, John" <sip:j@x>', '<sip:k@y;p=a,b>']);
  t.same(splitList('"a \\" , b" <sip:x>, c'), ['"a \\" , b" <sip:x>', 'c'], 'escaped quote inside a quoted string');
  t.same(splitList('single'), ['single']);
  t.same(splitList(' , ,'), [], 'empty elements dropped');
  t.same(splitList(''), []);
});

t.test('parseNameAddr reads the name-addr form with a quoted or token display name', async (t) => {
  t.same(parseNameAddr('"Alice \\"A\\" Smith" <sip:alice@pbx.test>;tag=88sja8x'), {
    display: 'Alice "A" Smith',
    uri: 'sip:alice@pbx.test',
    params: new Map([['tag', '88sja8x']]),
  });
  t.same(parseNameAddr('Alice Smith <sip:alice@pbx.test>'), { display: 'Alice Smith', uri: 'sip:alice@pbx.test', params: new Map() });
  t.same(parseNameAddr('caller<sip:caller@example.com>;tag=323')!.display, 'caller');
  t.same(parseNameAddr('<sip:a@b;lr>')!.display, null);
  t.same(parseNameAddr('"" <sip:a@b>')!.display, '');
});

t.test('parseNameAddr: in the addr-spec form the parameters belong to the header (RFC 3261 20.10)', async (t) => {
  const na = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam;tag=x')!;
  t.equal(na.uri, 'sip:+19725552222@gw1.example.net');
  t.same([...na.params], [['unknownparam', null], ['tag', 'x']]);
  t.equal(parseNameAddr('  sip:a@b ;  tag = 1 ')!.params.get('tag'), '1');
});

t.test('parseNameAddr refuses what RFC 4475 calls malformed', async (t) => {
  for (const bad of [
    '"Mr. J. User <sip:j.user@example.com>',
    '"Watson, Thomas" < sip:t.watson@example.org >',
    'Bell, Alexander <sip:a.g.bell@example.com>;tag=43',
    'sip:user@example.com?Route=%3Csip:sip.example.com%3E',
    '"Joe" <sip:joe@example.org>;;;;',
    '<sip:a@b',
    'plain text',
    '"Joe" sip:joe@example.org',
    '<sip:a@b>;tag="unterminated',
    '<sip:a@b> junk',
    '',
  ]) {
    t.equal(parseNameAddr(bad), null, JSON.stringify(bad));
  }
});

t.test('formatNameAddr writes the <uri> form with a quoted display name', async (t) => {
  const na = parseNameAddr('Alice "x" <sip:a@b>;tag=1')!;
  t.equal(na, null, 'a bare quote in a token display name is malformed');
  const ok = { display: 'Al "the" ice', uri: 'sip:a@b', params: new Map<string, string | null>([['tag', '1'], ['ob', null]]) };
  t.equal(formatNameAddr(ok), '"Al \\"the\\" ice" <sip:a@b>;tag=1;ob');
  t.same(parseNameAddr(formatNameAddr(ok)), ok);
  t.equal(formatNameAddr({ display: null, uri: 'sip:a@b', params: new Map() }), '<sip:a@b>');
});

t.test('getTag finds the tag of From and To values', async (t) => {
  t.equal(getTag('<sip:a@b>;tag=xyz'), 'xyz');
  t.equal(getTag('sip:a@b;TAG=xyz'), 'xyz', 'parameter names are case-insensitive');
  t.equal(getTag('<sip:a@b;tag=uri-param>'), null, 'a URI parameter is not the header tag');
  t.equal(getTag('<sip:a@b>'), null);
  t.equal(getTag('broken <'), null);
});

t.test('parseVia reads protocol, transport, sent-by and parameters, with LWS around slashes', async (t) => {
  const v = parseVia('SIP / 2.0 / udp 192.0.2.1 : 5060 ;branch=z9hG4bK776asdhds;rport;received=10.0.0.1')!;
  t.equal(v.protocol, 'SIP/2.0');
  t.equal(v.transport, 'UDP');
  t.equal(v.host, '192.0.2.1');
  t.equal(v.port, 5060);
  t.same([...v.params], [['branch', 'z9hG4bK776asdhds'], ['rport', null], ['received', '10.0.0.1']]);
  t.equal(formatVia(v), 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport;received=10.0.0.1');
  const v6 = parseVia('SIP/2.0/TCP [2001:db8::9:1]:6050;branch=z9hG4bKx;received=2001:db8::9:255')!;
  t.equal(v6.host, '[2001:db8::9:1]');
  t.equal(hostAddress(v6.host), '2001:db8::9:1');
  t.equal(hostAddress('pbx.test'), 'pbx.test');
  t.equal(v6.port, 6050);
  t.equal(v6.params.get('received'), '2001:db8::9:255');
});

t.test('parseVia refuses malformed via-parms', async (t) => {
  for (const bad of ['SIP/2.0/UDP', 'SIP/2.0 UDP host', 'SIP/2.0/UDPhost', 'SIP/2.0/UDP host:70000', 'SIP/2.0/UDP host:', 'SIP/2.0/UDP [::1', 'SIP/2.0/UDP [zz::1]', 'SIP/2.0/UDP 192.0.2.15;;', 'SIP/2.0/UDP h;branch=', '']) {
    t.equal(parseVia(bad), null, JSON.stringify(bad));
  }
});

t.test('parseCSeq reads number and method; the number stays below 2**31', async (t) => {
  t.same(parseCSeq('0009\r\n  INVITE'), { seq: 9, method: 'INVITE' });
  t.same(parseCSeq('2147483647 BYE'), { seq: 2147483647, method: 'BYE' });
  for (const bad of ['2147483648 BYE', '36893488147419103232 REGISTER', 'INVITE', '1', '1INVITE', '-1 INVITE', '1 INVITE x', '']) {
    t.equal(parseCSeq(bad), null, JSON.stringify(bad));
  }
});

t.test('parseParams reads generic parameters with quoted values and LWS', async (t) => {
  t.same([...parseParams(' ; a = 1 ;b; c="x;y" ;d=[::1]')!], [['a', '1'], ['b', null], ['c', '"x;y"'], ['d', '[::1]']]);
  t.same(parseParams('')!.size, 0);
  for (const bad of [';', 'a=1', ';a=', ';a="x', ';=1', ';a b']) t.equal(parseParams(bad), null, JSON.stringify(bad));
});

t.test('quote and unquote are inverses', async (t) => {
  for (const s of ['plain', 'with "quotes"', 'back\\slash', '']) t.equal(unquote(quote(s)), s);
  t.equal(unquote(' token '), 'token');
  t.equal(unquote('"a\\b"'), 'ab');
});

t.test('parseAuthHeader reads Digest credentials with quoted values and commas inside them', async (t) => {
  const a = parseAuthHeader(
    'Digest username="1001", realm="pbx.test", nonce="a,b=c", uri="sip:pbx.test", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b"',
  )!;
  t.equal(a.scheme, 'Digest');
  t.equal(a.params.get('nonce'), 'a,b=c');
  t.equal(a.params.get('qop'), 'auth');
  t.equal(a.params.get('nc'), '00000001');
  t.equal(a.params.get('username'), '1001');
  t.same(parseAuthHeader('NoOneKnowsThisScheme opaque-data=here'), { scheme: 'NoOneKnowsThisScheme', params: new Map([['opaque-data', 'here']]) });
  t.same(parseAuthHeader('Digest realm = "x" , stale = TRUE')!.params.get('stale'), 'TRUE');
  for (const bad of ['', 'Digest realm', 'Digest realm="x', 'Digest realm="x" nonce="y"', 'Digest ,realm="x"']) {
    t.equal(parseAuthHeader(bad), null, JSON.stringify(bad));
  }
});

t.test('topVia reads the first via-parm even when a line carries several', async (t) => {
  const h = new Headers().add('v', 'SIP/2.0/TCP a.example.com;branch=z9hG4bK1, SIP/2.0/UDP b.example.com').add('via', 'SIP/2.0/UDP c');
  t.equal(topVia(h)!.host, 'a.example.com');
  t.equal(topVia(new Headers()), null);
  t.equal(topVia(new Headers().add('via', 'garbage')), null);
});

t.test('stampVia adds received when sent-by differs and fills a bare rport (RFC 3261 18.2.1, RFC 3581)', async (t) => {
  const same = parseVia('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1')!;
  t.equal(stampVia(same, '192.0.2.1', 5060), false, 'nothing to add');
  t.equal(formatVia(same), 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1');

  const nat = parseVia('SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK2')!;
  t.equal(stampVia(nat, '198.51.100.7', 40123), true);
  t.equal(formatVia(nat), 'SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK2;received=198.51.100.7');

  const rport = parseVia('SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bK3')!;
  stampVia(rport, '192.0.2.1', 5099);
  t.equal(formatVia(rport), 'SIP/2.0/UDP 192.0.2.1:5060;rport=5099;branch=z9hG4bK3;received=192.0.2.1', 'rport always brings received');

  const v6 = parseVia('SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bK4')!;
  t.equal(stampVia(v6, '2001:db8::9:1', 5060), false, 'brackets do not make the hosts differ');
  stampVia(v6, '2001:db8::9:255', 5060);
  t.equal(v6.params.get('received'), '2001:db8::9:255', 'IPv6 received without brackets');
});
