import t from 'tap';
import { compileRouting } from '../../src/config/routing.js';
import { inboundDestination } from '../../src/trunks/inbound.js';
import { findRoute, trunkNumber } from '../../src/trunks/routes.js';
import { configErrors, configOf } from '../helpers/config-text.js';

const BASE = `http: { token: t }
extensions:
  "1001": { password: a, outbound: { allow: [internal, local, national, international], caller_id: "+74951110001", max_calls_per_hour: 20, max_concurrent: 2 } }
  "1002": { password: b }
ivr:
  main: { prompt: welcome, options: { "1": "1001" } }
trunks:
  acme: { type: register, host: sip.acme.test, username: "74951234567", password: secret, did_header: to, max_channels: 4, codecs: [PCMA] }
  backup: { type: ip, host: 203.0.113.5, match: ["203.0.113.5", "203.0.113.6:5060"], caller_id: "+74951234500" }
inbound:
  "+74951234567": "ivr:main"
  "74951234568": "1002"
  default: "1001"
outbound:
  - { name: emergency, pattern: "112", trunks: [acme, backup], class: emergency }
  - { name: city, pattern: "9XXXXXXX", strip: 1, prepend: "+7495", trunks: [acme, backup], class: local }
  - { pattern: "_810X.", strip: 3, prepend: "+", trunks: [backup], class: international }
`;

t.test('trunks, inbound and outbound are read with their defaults', async (t) => {
  const c = configOf(BASE);
  t.match(c.trunks.get('acme'), { type: 'register', host: 'sip.acme.test', port: 5060, transport: 'udp', register: true, expires: 3600, did_header: 'to', max_channels: 4, codecs: ['PCMA'], dtmf_mode: 'auto' });
  t.match(c.trunks.get('backup'), { type: 'ip', register: false, match: ['203.0.113.5', '203.0.113.6:5060'], did_header: 'request-uri', max_channels: 0, codecs: null });
  t.same(c.extensions.get('1002')!.outbound, { allow: ['internal', 'local', 'national'], caller_id: null, anonymous: false, max_calls_per_hour: 0, max_concurrent: 0 }, 'international is off by default');
  t.match(c.extensions.get('1001')!.outbound, { caller_id: '+74951110001', max_calls_per_hour: 20, max_concurrent: 2 });
  t.same(c.outbound.map((r) => r.name), ['emergency', 'city', 'route3'], 'a route without a name is named by its position');
  t.same(c.inbound.default, '1001');
});

t.test('outside numbers route to the outbound destination; extensions and the dialplan come first', async (t) => {
  const c = configOf(BASE);
  const routing = compileRouting(c);
  t.same(routing.resolve('94951234'), { kind: 'outbound', number: '94951234' });
  t.same(routing.resolve('1001'), { kind: 'extension', ext: '1001' });
  t.equal(routing.resolve('94951'), null, 'a number no route matches is unknown');
  const city = findRoute(c, '94951234')!;
  t.equal(city.name, 'city');
  t.equal(trunkNumber(city, '94951234'), '+74954951234');
  t.equal(trunkNumber(findRoute(c, '81044207123')!, '81044207123'), '+44207123');
});

t.test('a DID finds its destination as written or without/with its +, else the default', async (t) => {
  const c = configOf(BASE);
  t.same(inboundDestination(c, '+74951234567'), { kind: 'ivr', name: 'main' });
  t.same(inboundDestination(c, '74951234567'), { kind: 'ivr', name: 'main' });
  t.same(inboundDestination(c, '+74951234568'), { kind: 'extension', ext: '1002' });
  t.same(inboundDestination(c, '+70000000000'), { kind: 'extension', ext: '1001' });
  const noDefault = configOf(BASE.replace('  default: "1001"\n', ''));
  t.equal(inboundDestination(noDefault, '+70000000000'), null);
});

t.test('bad trunk, inbound and outbound values are errors at their FILE:LINE:COL', async (t) => {
  t.same(configErrors(BASE.replace('class: local', 'class: city')), ['pbx.yaml:16:99: outbound[1].class: must be one of local, national, international, emergency (got "city")']);
  t.same(configErrors(BASE.replace('trunks: [backup]', 'trunks: [bakup]')), ['pbx.yaml:17:59: outbound[2].trunks[0]: no trunk named "bakup"; did you mean "backup"?']);
  t.same(configErrors(BASE.replace('"9XXXXXXX"', '"9X.X"')), ['pbx.yaml:16:28: outbound[1].pattern: "." matches the rest of the number: it must come last in 9X.X']);
  t.same(configErrors(BASE.replace('"203.0.113.6:5060"', '"203.0.113.6:99999"')), [
    'pbx.yaml:9:65: trunks.backup.match[1]: bad address "203.0.113.6:99999"; expected an IP address, optionally with a port ("203.0.113.5", "203.0.113.5:5060", "[2001:db8::1]:5060")',
  ]);
  t.same(configErrors(BASE.replace(', password: secret', '')), ['pbx.yaml:8:3: trunks.acme: a register trunk needs username and password']);
  t.same(configErrors(BASE.replace('"74951234568": "1002"', '"74951234568": "ivr:night"')), ['pbx.yaml:12:18: inbound.74951234568: destination "ivr:night" points nowhere: no ivr named "night"']);
  t.same(configErrors(BASE.replace('international], caller_id', 'intl], caller_id')), [
    'pbx.yaml:3:73: extensions.1001.outbound.allow[3]: must be one of internal, local, national, international, emergency (got "intl")',
  ]);
  t.same(configErrors(BASE.replace('caller_id: "+74951110001"', 'caller_id: +74951110001')), [
    'pbx.yaml:3:100: extensions.1001.outbound.caller_id: write numbers in quotes ("+74951234567"): YAML reads 74951110001 as a number and drops a leading + or 0',
  ]);
});

t.test('media_encryption is none unless set (no reads as none); a TLS trunk defaults to port 5061 and needs a tls listener', async (t) => {
  const c = configOf(BASE);
  t.equal(c.extensions.get('1002')!.media_encryption, 'none');
  t.equal(c.trunks.get('acme')!.media_encryption, 'none');
  const tls = 'sip:\n  listen: ["udp:127.0.0.1:5060", "tls:127.0.0.1:5061"]\n  tls: { cert: c.pem, key: k.pem }\n';
  const secure = configOf(tls + BASE.replace('did_header: to,', 'did_header: to, transport: tls, media_encryption: sdes,').replace('"1002": { password: b }', '"1002": { password: b, media_encryption: no }'));
  t.match(secure.trunks.get('acme'), { transport: 'tls', port: 5061, media_encryption: 'sdes' });
  t.equal(secure.extensions.get('1002')!.media_encryption, 'none');
  t.same(configErrors(BASE.replace('"1002": { password: b }', '"1002": { password: b, media_encryption: srtp }')), [
    'pbx.yaml:4:44: extensions.1002.media_encryption: must be one of none, sdes, sdes_optional (got "srtp")',
  ]);
  t.same(configErrors(BASE.replace('did_header: to,', 'did_header: to, transport: tls,')), [
    'pbx.yaml:8:118: trunks.acme.transport: transport tls needs a tls entry in sip.listen (e.g. "tls:0.0.0.0:5061") and sip.tls',
  ]);
});
