import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadConfig, parseConfigText } from '../../src/config/load.js';
import { compileRouting } from '../../src/config/routing.js';
import { configErrors, configOf } from '../helpers/config-text.js';

const BASE = `http:
  token: t
extensions:
  "1001": { password: a }
  "1002": { password: b, voicemail: { pin: "1234" } }
`;

t.test('a YAML syntax error names its line and column', async (t) => {
  t.same(configErrors('http:\n  token: t\n\tdomain: x\n'), ['pbx.yaml:3:1: Tabs are not allowed as indentation']);
  const unclosed = configErrors('sip:\n  listen: ["udp:127.0.0.1:5060"\nhttp: { token: t }\n');
  t.equal(unclosed.length, 1);
  t.match(unclosed[0], /^pbx\.yaml:3:1: /);
});

t.test('an unknown key is pointed at, with the closest known key suggested', async (t) => {
  t.same(configErrors(BASE + 'sip:\n  lisen: ["udp:127.0.0.1:5060"]\n'), ['pbx.yaml:7:3: sip: unknown key "lisen"; did you mean "listen"?']);
  t.same(configErrors(BASE + 'dialplna: {}\n'), ['pbx.yaml:6:1: unknown key "dialplna"; did you mean "dialplan"?']);
  t.same(configErrors(BASE + 'zzzzzz: 1\n'), ['pbx.yaml:6:1: unknown key "zzzzzz"']);
});

t.test('a missing required key points at the mapping that lacks it', async (t) => {
  t.same(configErrors('http:\n  listen: "127.0.0.1:8088"\nextensions:\n  "1001": { name: A }\n'), [
    'pbx.yaml:2:3: http: missing key "token"',
    'pbx.yaml:4:11: extensions.1001: missing key "password"',
  ]);
});

t.test('rtp.codecs: unknown names are errors at their position, known ones take their SDP spelling', async (t) => {
  t.same(configErrors(BASE + 'rtp:\n  codecs: [PCMA, g729, OPUS, speex]\n'), [
    'pbx.yaml:7:18: rtp.codecs[1]: unknown codec "g729"; known codecs: PCMU, PCMA, G722, opus, L16, telephone-event',
    'pbx.yaml:7:30: rtp.codecs[3]: unknown codec "speex"; known codecs: PCMU, PCMA, G722, opus, L16, telephone-event',
  ]);
  t.same(configOf(BASE + 'rtp:\n  codecs: [g722, OPUS, Telephone-Event]\n').rtp.codecs, ['G722', 'opus', 'telephone-event']);
  t.same(configErrors(BASE + 'rtp:\n  codecs: []\n'), ['pbx.yaml:7:11: rtp.codecs: needs at least one codec']);
});

t.test('wrong types and out-of-range values are reported, all of them', async (t) => {
  t.same(configErrors(BASE + 'rtp:\n  timeout: 0\n  workers: many\nsecurity:\n  drop_scanners: 3\nlog: { level: loud }\n'), [
    'pbx.yaml:7:12: rtp.timeout: must be at least 1 (got 0)',
    'pbx.yaml:8:12: rtp.workers: expected a number, got "many"',
    'pbx.yaml:10:18: security.drop_scanners: expected true or false, got 3',
    'pbx.yaml:11:15: log.level: must be one of trace, debug, info, warn, error (got "loud")',
  ]);
  t.same(configErrors(BASE + 'rtp: { address: pbx.example.com }\n'), ['pbx.yaml:6:17: rtp.address: must be an IPv4 or IPv6 address (it is written into SDP), not "pbx.example.com"']);
  t.same(configErrors(BASE + 'sip: [1, 2]\n'), ['pbx.yaml:6:6: sip: expected a mapping, got a list']);
});

t.test('NAT keys: local_networks must be CIDR networks, rtp.external_address an IP, nat_max_expires a whole number', async (t) => {
  t.same(configErrors(BASE + 'sip:\n  local_networks: ["10.0.0.0/8", "192.168.1.0/33", office]\n'), [
    'pbx.yaml:7:34: sip.local_networks[1]: bad network "192.168.1.0/33"; expected an address with a prefix length, e.g. "192.168.1.0/24" or "fd00::/8"',
    'pbx.yaml:7:52: sip.local_networks[2]: bad network "office"; expected an address with a prefix length, e.g. "192.168.1.0/24" or "fd00::/8"',
  ]);
  t.same(configErrors(BASE + 'rtp: { external_address: pbx.example.com }\n'), ['pbx.yaml:6:26: rtp.external_address: must be an IPv4 or IPv6 address (it is written into SDP), not "pbx.example.com"']);
  t.same(configErrors(BASE + 'registration: { nat_max_expires: -1 }\n'), ['pbx.yaml:6:34: registration.nat_max_expires: must be at least 0 (got -1)']);
  const c = configOf(BASE + 'sip: { external_address: 203.0.113.7, local_networks: [10.1.0.0/16] }\nrtp: { external_address: 203.0.113.8 }\n');
  t.same(c.sip.local_networks, ['10.1.0.0/16']);
  t.equal(c.sip.external_address, '203.0.113.7');
  t.equal(c.rtp.external_address, '203.0.113.8');
});

t.test('a key written twice in one mapping is an error, quoted or not', async (t) => {
  t.same(configErrors('http:\n  token: t\n  token: u\n'), ['pbx.yaml:3:3: "token" is defined twice (first at line 2)']);
  t.same(configErrors(BASE + '  1001: { password: c }\n'), ['pbx.yaml:6:3: "1001" is defined twice (first at line 4)']);
});

t.test('a number defined as an extension and in the dialplan is an error', async (t) => {
  t.same(configErrors(BASE + 'dialplan:\n  "1001": "1002"\n'), ['pbx.yaml:7:3: dialplan.1001: number 1001 is defined twice: as an extension and in the dialplan']);
});

t.test('destinations that point nowhere are errors', async (t) => {
  const text = BASE + `  "1003": { password: c, voicemail: false, forward: { busy: "9999", no_answer: { to: "queue:q" } } }
ivr:
  main: { prompt: welcome, options: { "1": "ivr:mian", "2": "voicemail:1003" }, default: "voicemail:1007" }
dialplan:
  "500": "group:nobody"
  "501": "bogus:x"
  "502": "sales"
groups:
  g: { members: ["1001", "1009"], default: "conference:any" }
`;
  t.same(configErrors(text), [
    'pbx.yaml:6:61: extensions.1003.forward.busy: destination "9999" points nowhere: no extension or dialplan number 9999',
    'pbx.yaml:6:86: extensions.1003.forward.no_answer.to: destination "queue:q" points nowhere: no queue named "q"',
    'pbx.yaml:8:44: ivr.main.options.1: destination "ivr:mian" points nowhere: no ivr named "mian"; did you mean "main"?',
    'pbx.yaml:8:61: ivr.main.options.2: destination "voicemail:1003" points nowhere: extension 1003 has voicemail turned off',
    'pbx.yaml:8:90: ivr.main.default: destination "voicemail:1007" points nowhere: no extension 1007',
    'pbx.yaml:10:10: dialplan.500: destination "group:nobody" points nowhere: no group named "nobody"',
    'pbx.yaml:11:10: dialplan.501: unknown destination kind "bogus" in "bogus:x"; expected one of ivr, group, queue, conference, schedule, voicemail',
    'pbx.yaml:12:10: dialplan.502: bad destination "sales"; expected a number, ivr:NAME, group:NAME, queue:NAME, conference:NAME, schedule:NAME, voicemail:EXT, voicemail-main or hangup',
    'pbx.yaml:14:26: groups.g.members[1]: member "1009" is not an extension',
  ]);
});

t.test('a dialplan loop is refused at load time', async (t) => {
  t.same(configErrors(BASE + 'dialplan:\n  "600": "601"\n  "601": "600"\n  "602": "600"\n'), [
    'pbx.yaml:7:10: dialplan.600: dialplan loop: 600 -> 601 -> 600',
    'pbx.yaml:8:10: dialplan.601: dialplan loop: 601 -> 600 -> 601',
    'pbx.yaml:9:10: dialplan.602: dialplan loop: 602 -> 600 -> 601 -> 600',
  ]);
});

t.test('bad listen specs, addresses and port ranges', async (t) => {
  t.same(
    configErrors(BASE + 'sip:\n  listen: ["udp:127.0.0.1", "sctp:1.2.3.4:5060", "udp:[::1:5060", "tls:[::1]:5061", "udp:1.2.3.4:70000"]\nrtp: { ports: "2000-1000" }\nhttp2: 1\n'),
    [
      'pbx.yaml:7:12: sip.listen[0]: bad listen spec "udp:127.0.0.1"; expected transport:host:port with transport udp, tcp, tls, ws or wss, e.g. "udp:127.0.0.1:5060" or "tls:[::1]:5061"',
      'pbx.yaml:7:29: sip.listen[1]: bad listen spec "sctp:1.2.3.4:5060"; expected transport:host:port with transport udp, tcp, tls, ws or wss, e.g. "udp:127.0.0.1:5060" or "tls:[::1]:5061"',
      'pbx.yaml:7:50: sip.listen[2]: bad listen spec "udp:[::1:5060"; expected transport:host:port with transport udp, tcp, tls, ws or wss, e.g. "udp:127.0.0.1:5060" or "tls:[::1]:5061"',
      'pbx.yaml:7:67: sip.listen[3]: "tls:[::1]:5061" needs sip.tls with cert and key',
      'pbx.yaml:7:85: sip.listen[4]: bad listen spec "udp:1.2.3.4:70000"; expected transport:host:port with transport udp, tcp, tls, ws or wss, e.g. "udp:127.0.0.1:5060" or "tls:[::1]:5061"',
      'pbx.yaml:8:15: rtp.ports: bad port range "2000-1000"; expected "MIN-MAX" with 1 <= MIN < MAX <= 65535, e.g. "20000-20999"',
      'pbx.yaml:9:1: unknown key "http2"; did you mean "http"?',
    ],
  );
  t.same(configErrors('http: { token: t, listen: "localhost" }\n'), [
    'pbx.yaml:1:27: http.listen: bad address "localhost"; expected host:port, e.g. "127.0.0.1:8088" or "[::1]:8088"',
  ]);
});

t.test('registration expiry bounds must be ordered', async (t) => {
  t.same(configErrors(BASE + 'registration: { min_expires: 600, default_expires: 300 }\n'), [
    'pbx.yaml:6:52: registration.default_expires: default_expires (300) must lie between min_expires (600) and max_expires (3600)',
  ]);
});

t.test('defaults fill every key the file leaves out', async (t) => {
  const c = configOf('http: { token: secret }\n');
  t.equal(c.file, '/etc/pbx/pbx.yaml');
  t.equal(c.data_dir, '/etc/pbx/data');
  t.same(c.sip.listen, [{ transport: 'udp', host: '127.0.0.1', port: 5060 }]);
  t.same(c.sip.tls, null);
  t.equal(c.sip.max_message_size, 65535);
  t.equal(c.sip.tcp_idle_timeout, 600);
  t.equal(c.sip.max_connections_per_source, 32);
  t.same(c.registration, { min_expires: 60, max_expires: 3600, default_expires: 3600, keepalive_interval: 25, nat_max_expires: 60 });
  t.same(c.rtp, { address: '127.0.0.1', external_address: null, port_min: 20000, port_max: 20999, timeout: 30, workers: 0, codecs: ['PCMU', 'PCMA', 'G722', 'opus', 'telephone-event'] });
  t.same(c.http, { listen: { host: '127.0.0.1', port: 8088 }, token: 'secret', callback: null });
  t.same(c.security, { nonce_ttl: 300, slow_after: 5, ban_after: 20, window: 60, ban_time: 600, drop_scanners: true, digest_algorithms: ['MD5'] });
  t.same(c.log, { level: 'info' });
  t.equal(c.extensions.size, 0);
});

t.test('values are converted: ports, IPv6 listen, TLS paths, numbers read as text', async (t) => {
  const c = configOf(`data_dir: /var/lib/pbx
sip:
  listen: ["tls:[::1]:5061", "UDP:0.0.0.0:5060"]
  tls: { cert: certs/pbx.crt, key: /k.pem }
rtp: { ports: "10000-10099" }
http: { token: t, listen: "[::1]:9000" }
extensions:
  1001: { password: 1234, voicemail: { pin: 4321 }, forward: { no_answer: { to: 1001 } } }
`);
  t.equal(c.data_dir, '/var/lib/pbx');
  t.same(c.sip.listen, [{ transport: 'tls', host: '::1', port: 5061 }, { transport: 'udp', host: '0.0.0.0', port: 5060 }]);
  t.same(c.sip.tls, { cert: '/etc/pbx/certs/pbx.crt', key: '/k.pem', ca: null });
  t.equal(c.rtp.port_min, 10000);
  t.equal(c.rtp.port_max, 10099);
  t.same(c.http.listen, { host: '::1', port: 9000 });
  const e = c.extensions.get('1001')!;
  t.equal(e.name, '1001');
  t.equal(e.password, '1234');
  t.same(e.voicemail, { pin: '4321', email: null });
  t.same(e.forward.no_answer, { after: 20, to: '1001' });
});

t.test('odd documents get positioned errors, never an exception', async (t) => {
  t.same(configErrors('- 1\n- 2\n'), ['pbx.yaml:1:1: expected a mapping, got a list']);
  t.same(configErrors('http: {token: t}\n---\nfoo: 1\n'), ['pbx.yaml:2:1: a config is a single YAML document; remove the "---" separator']);
  t.same(configErrors('http: {token: t}\nextensions: { ? [a] : 1 }\n'), ['pbx.yaml:2:17: a key must be a plain value, not a list or mapping']);
  t.same(configErrors(''), ['pbx.yaml:1:1: missing key "http"']);
  const bomb = ['a: &a [1,1,1,1,1,1,1,1,1,1]', ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill('*' + 'abcdefg'[i]).join(',')}]`)].join('\n');
  t.match(configErrors(bomb), [/^pbx\.yaml:1:1: the config cannot be expanded: /]);
});

t.test('random mutations of a valid config never throw and always answer with positions', async (t) => {
  const valid = readFileSync(new URL('../../config.example.yaml', import.meta.url), 'utf8');
  const alphabet = ' :-"\'{}[],#&*!|>\n\t0123456789abcxyz';
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  let refused = 0;
  for (let i = 0; i < 400; i++) {
    const chars = valid.split('');
    for (let m = 1 + random(4); m > 0; m--) {
      const at = random(chars.length);
      const op = random(3);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, alphabet[random(alphabet.length)]!);
      else chars[at] = alphabet[random(alphabet.length)]!;
    }
    const r = parseConfigText(chars.join(''), 'm.yaml');
    if (r.ok) continue;
    refused++;
    for (const e of r.errors) if (!/^m\.yaml:\d+:\d+: \S/.test(e)) t.fail(`unpositioned error: ${e}`);
  }
  t.ok(refused > 0, `${refused} of 400 mutations refused`);
});

t.test('ivr.NAME.direct_dial: on by default, a boolean, anything else pointed at', async (t) => {
  const menus = 'ivr:\n  main: { prompt: welcome, options: { "1": "1001" } }\n  quiet: { prompt: welcome, direct_dial: false }\n';
  const config = configOf(BASE + menus);
  t.equal(config.ivr.get('main')?.direct_dial, true);
  t.equal(config.ivr.get('quiet')?.direct_dial, false);
  t.same(configErrors(BASE + 'ivr:\n  main: { prompt: welcome, direct_dial: sometimes }\n'), ['pbx.yaml:7:41: ivr.main.direct_dial: expected true or false, got "sometimes"']);
});

t.test('every config under examples/ is valid and routes its IVR number', async (t) => {
  const dir = new URL('../../examples/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  t.ok(files.includes('ivr.yaml'));
  for (const f of files) {
    const r = loadConfig(fileURLToPath(new URL(f, dir)));
    t.same(r.ok ? [] : r.errors, [], f);
  }
  const ivr = loadConfig(fileURLToPath(new URL('ivr.yaml', dir)));
  t.ok(ivr.ok && compileRouting(ivr.config).resolve('500')?.kind === 'ivr');
});
