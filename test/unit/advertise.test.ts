import t from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { advertisedHost } from '../../src/pbx/advertise.js';

function config(sip: string): Config {
  const r = parseConfigText(`sip:\n${sip}\nrtp: { address: 192.0.2.10, ports: "20000-20099" }\nhttp: { listen: "127.0.0.1:8088", token: t }\n`, '/tmp/x.yaml');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}

t.test('a listener on a concrete address advertises itself', async (t) => {
  t.equal(advertisedHost(config('  listen: ["udp:127.0.0.1:5060"]\n  domain: pbx.test')), null);
});

t.test('a wildcard listener advertises rtp.address instead of 0.0.0.0 or ::', async (t) => {
  t.equal(advertisedHost(config('  listen: ["udp:0.0.0.0:5060"]\n  domain: pbx.test')), '192.0.2.10');
  t.equal(advertisedHost(config('  listen: ["tcp:[::]:5060"]\n  domain: pbx.test')), '192.0.2.10');
});

t.test('sip.external_address wins over everything', async (t) => {
  t.equal(advertisedHost(config('  listen: ["udp:0.0.0.0:5060"]\n  domain: pbx.test\n  external_address: 198.51.100.7')), '198.51.100.7');
});
