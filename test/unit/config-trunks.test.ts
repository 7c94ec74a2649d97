import t from 'tap';
import { compileRouting } from '../../src/config/routing.js';
import { inboundDestination } from '../../src/trunks/inbound.js';
import { outsideIdentity } from '../../src/calls/outside.js';
import { callerIdGroup, findRoute, trunkNumber } from '../../src/trunks/routes.js';
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
  t.same(c.extensions.get('1002')!.outbound, { allow: ['internal', 'local', 'national'], caller_id: null, caller_id_group: null, anonymous: false, max_calls_per_hour: 0, max_concurrent: 0 }, 'international is off by default');
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

const GROUPS = `${BASE.replace('"1002": { password: b }', '"1002": { password: b }\n  "1003": { name: Carol, password: c, outbound: { caller_id_group: support } }\n  "1004": { name: Dave, password: d }')}groups:
  sales: { members: ["1001", "1002", "1003"], caller_id: "+74951110100", caller_id_name: "Acme Sales" }
  support: { members: ["1003", "1004"], caller_id: "+74951110200" }
  empty: { members: ["1004"] }
outbound_limits: { max_calls_per_hour: 100, max_concurrent: 10 }
`;

t.test('outbound_limits, ring_timeout and group caller IDs are read with their defaults', async (t) => {
  const base = configOf(BASE);
  t.same(base.outbound_limits, { max_calls_per_hour: 0, max_concurrent: 0 }, 'no PBX-wide limit unless set');
  t.equal(base.outbound[0]!.ring_timeout, 120, 'outside calls ring 120 s by default');
  t.equal(configOf(BASE.replace('class: emergency }', 'class: emergency, ring_timeout: 45 }')).outbound[0]!.ring_timeout, 45);
  const c = configOf(GROUPS);
  t.same(c.outbound_limits, { max_calls_per_hour: 100, max_concurrent: 10 });
  t.match(c.groups.get('sales'), { caller_id: '+74951110100', caller_id_name: 'Acme Sales' });
  t.match(c.groups.get('empty'), { caller_id: null, caller_id_name: null });
  t.equal(c.extensions.get('1003')!.outbound.caller_id_group, 'support');
});

t.test('the caller ID of a call out: the extension’s own, its group’s, the route’s, the trunk’s, the extension number', async (t) => {
  const c = configOf(GROUPS);
  const ext = (n: string) => c.extensions.get(n)!;
  const city = findRoute(c, '94951234')!;
  const acme = c.trunks.get('acme')!;
  const backup = c.trunks.get('backup')!;
  const shown = (n: string, route = city, trunk = acme) => {
    const id = outsideIdentity(trunk, route, ext(n), callerIdGroup(c, ext(n)), '+74954951234');
    return [id.from, id.extraHeaders?.find(([h]) => h === 'P-Asserted-Identity')?.[1]];
  };
  t.same(shown('1001'), ['"1001" <sip:+74951110001@sip.acme.test>', '"1001" <sip:+74951110001@sip.acme.test>'], 'its own caller_id first, though in a group');
  t.same(shown('1002'), ['"Acme Sales" <sip:+74951110100@sip.acme.test>', '"Acme Sales" <sip:+74951110100@sip.acme.test>'], 'else the first group listing it, with the group’s name');
  t.same(shown('1003'), ['"Carol" <sip:+74951110200@sip.acme.test>', '"Carol" <sip:+74951110200@sip.acme.test>'], 'caller_id_group picks the group; no caller_id_name: the extension’s name');
  t.equal(callerIdGroup(c, ext('1004'))?.name, 'support', 'a group without caller_id is passed over');
  const noGroups = configOf(BASE.replace('"1002": { password: b }', '"1002": { name: Bob, password: b }'));
  const bob = noGroups.extensions.get('1002')!;
  t.equal(callerIdGroup(noGroups, bob), null);
  const routeCid = { ...city, caller_id: '+74951119999' };
  t.match(outsideIdentity(acme, routeCid, bob, null, '+7').from, '<sip:+74951119999@', 'then the route’s');
  t.match(outsideIdentity(backup, city, bob, null, '+7').from, '"Bob" <sip:+74951234500@203.0.113.5>', 'then the trunk’s');
  t.match(outsideIdentity(acme, city, bob, null, '+7').from, '<sip:1002@sip.acme.test>', 'else the extension number');
  const hidden = outsideIdentity(acme, city, { ...ext('1002'), outbound: { ...ext('1002').outbound, anonymous: true } }, callerIdGroup(c, ext('1002')), '+7');
  t.equal(hidden.from, '"Anonymous" <sip:anonymous@anonymous.invalid>');
  t.match(hidden.extraHeaders, [['P-Asserted-Identity', '"Acme Sales" <sip:+74951110100@sip.acme.test>'], ['Privacy', 'id']], 'anonymous: the group number only in P-Asserted-Identity');
});

t.test('bad outbound_limits, ring_timeout and group caller ID values are errors at their FILE:LINE:COL', async (t) => {
  t.same(configErrors(GROUPS.replace('max_concurrent: 10 }', 'max_concurent: 10 }')), ['pbx.yaml:24:45: outbound_limits: unknown key "max_concurent"; did you mean "max_concurrent"?']);
  t.same(configErrors(GROUPS.replace('max_calls_per_hour: 100', 'max_calls_per_hour: -1')), ['pbx.yaml:24:40: outbound_limits.max_calls_per_hour: must be at least 0 (got -1)']);
  t.same(configErrors(BASE.replace('class: emergency }', 'class: emergency, ring_timeout: 0 }')), ['pbx.yaml:15:96: outbound[0].ring_timeout: must be at least 1 (got 0)']);
  t.same(configErrors(GROUPS.replace('caller_id: "+74951110200"', 'caller_id: +74951110200')), [
    'pbx.yaml:22:52: groups.support.caller_id: write numbers in quotes ("+74951234567"): YAML reads 74951110200 as a number and drops a leading + or 0',
  ]);
  t.same(configErrors(GROUPS.replace('caller_id_group: support', 'caller_id_group: suport')), ['pbx.yaml:5:68: extensions.1003.outbound.caller_id_group: no group named "suport"; did you mean "support"?']);
  t.same(configErrors(GROUPS.replace('caller_id_group: support', 'caller_id_group: empty')), ['pbx.yaml:5:68: extensions.1003.outbound.caller_id_group: extension 1003 is not a member of group empty']);
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

t.test('a forward or follow-me number an outbound route matches is an outside number; one no route matches points nowhere', async (t) => {
  const mobile = BASE.replace('"1002": { password: b }', '"1002": { password: b, forward: { always: "94951234" }, follow_me: { numbers: ["1001", "81044207123"] } }');
  t.equal(configOf(mobile).extensions.get('1002')!.forward.always, '94951234');
  t.same(configErrors(BASE.replace('"1002": { password: b }', '"1002": { password: b, forward: { always: "9495" } }')), [
    'pbx.yaml:4:45: extensions.1002.forward.always: destination "9495" points nowhere: no extension or dialplan number 9495',
  ]);
});
