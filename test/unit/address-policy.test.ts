import t from 'tap';
import type { Config } from '../../src/config/types.js';
import { addressPolicy, advertisedHost } from '../../src/config/address-policy.js';
import { NetworkList, parseCidr } from '../../src/util/cidr.js';
import { withMediaAddress } from '../../src/sdp/address.js';
import { configOf } from '../helpers/config-text.js';

function config(sip: string, rtp = 'address: 192.0.2.10, ports: "20000-20099"'): Config {
  return configOf(`sip:\n${sip}\nrtp: { ${rtp} }\nhttp: { listen: "127.0.0.1:8088", token: t }\n`, '/tmp/x.yaml');
}

t.test('a listener on a concrete address advertises itself', async (t) => {
  t.equal(advertisedHost(config('  listen: ["udp:127.0.0.1:5060"]\n  domain: pbx.test')), null);
});

t.test('a wildcard listener advertises rtp.address instead of 0.0.0.0 or ::', async (t) => {
  t.equal(advertisedHost(config('  listen: ["udp:0.0.0.0:5060"]\n  domain: pbx.test')), '192.0.2.10');
  t.equal(advertisedHost(config('  listen: ["tcp:[::]:5060"]\n  domain: pbx.test')), '192.0.2.10');
});

t.test('sip.external_address wins when no peer is named', async (t) => {
  t.equal(advertisedHost(config('  listen: ["udp:0.0.0.0:5060"]\n  domain: pbx.test\n  external_address: 198.51.100.7')), '198.51.100.7');
});

t.test('behind NAT: peers outside local_networks see the external addresses, local peers the local ones', async (t) => {
  const p = addressPolicy(
    config('  listen: ["udp:10.0.0.2:5060"]\n  external_address: 198.51.100.7\n  local_networks: [10.0.0.0/8, "fd00::/8"]', 'address: 10.0.0.2, external_address: 198.51.100.8'),
  );
  t.equal(p.sipHost('10.20.30.40'), null, 'an office phone sees the socket address');
  t.equal(p.sipHost('203.0.113.50'), '198.51.100.7', 'a trunk sees the external signalling address');
  t.equal(p.sipHost('sip.provider.example'), '198.51.100.7', 'a peer known by name is outside');
  t.equal(p.mediaAddress('10.20.30.40'), '10.0.0.2');
  t.equal(p.mediaAddress('203.0.113.50'), '198.51.100.8');
  t.equal(p.mediaAddress(null), '10.0.0.2', 'no peer: the local address');
  t.ok(p.isLocal('[fd00::5]'));
  t.notOk(p.isLocal('2001:db8::5'));
});

t.test('the default local networks are the private, loopback and link-local ranges', async (t) => {
  const p = addressPolicy(config('  external_address: 198.51.100.7', 'address: 192.168.1.2'));
  for (const a of ['10.1.2.3', '172.16.0.9', '172.31.255.1', '192.168.5.5', '127.0.0.1', '169.254.1.1', '::1', 'fd12::1', 'fe80::1']) t.ok(p.isLocal(a), a);
  for (const a of ['172.32.0.1', '8.8.8.8', '100.64.0.1', '2001:db8::1']) t.notOk(p.isLocal(a), a);
  t.equal(p.mediaAddress('8.8.8.8'), '198.51.100.7', 'rtp.external_address defaults to sip.external_address when it is an IP');
});

t.test('without external addresses every peer sees rtp.address', async (t) => {
  const p = addressPolicy(config('  domain: pbx.test', 'address: 192.168.1.2'));
  t.equal(p.mediaAddress('8.8.8.8'), '192.168.1.2');
  t.equal(p.sipHost('8.8.8.8'), null);
});

t.test('parseCidr reads networks and single hosts and refuses the rest', async (t) => {
  t.same(parseCidr('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
  t.same(parseCidr('2001:db8::1'), { address: '2001:db8::1', prefix: 128, family: 'ipv6' });
  for (const bad of ['10.0.0.0/33', 'fd00::/129', '10.0.0/8', 'office', '10.0.0.0/', '10.0.0.0/-1']) t.equal(parseCidr(bad), null, bad);
  t.ok(new NetworkList(['192.0.2.7']).contains('192.0.2.7'));
  t.notOk(new NetworkList(['192.0.2.7']).contains('192.0.2.8'));
});

t.test('our SDP gets the external address in o=, c= and a=rtcp and nothing else changes', async (t) => {
  const sdp = Buffer.from('v=0\r\no=tspbx 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\na=rtcp:20001 IN IP4 10.0.0.2\r\n');
  const out = withMediaAddress(sdp, '10.0.0.2', '198.51.100.8').toString();
  t.equal(out, 'v=0\r\no=tspbx 1 1 IN IP4 198.51.100.8\r\ns=-\r\nc=IN IP4 198.51.100.8\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\na=rtcp:20001 IN IP4 198.51.100.8\r\n');
  t.equal(withMediaAddress(sdp, '10.0.0.2', '10.0.0.2'), sdp, 'same address: the same buffer');
  t.equal(withMediaAddress(sdp, '10.0.0.9', '198.51.100.8'), sdp, 'another address is left alone');
  t.match(withMediaAddress(sdp, '10.0.0.2', '2001:db8::8').toString(), /c=IN IP6 2001:db8::8\r\n/);
});
