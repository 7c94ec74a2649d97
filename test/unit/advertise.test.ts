import t from 'tap';
import type { Config } from '../../src/config/types.js';
import { advertisedHost } from '../../src/pbx/advertise.js';
import { configOf } from '../helpers/config-text.js';

function config(sip: string): Config {
  return configOf(`sip:\n${sip}\nrtp: { address: 192.0.2.10, ports: "20000-20099" }\nhttp: { listen: "127.0.0.1:8088", token: t }\n`, '/tmp/x.yaml');
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
