// native/relay.c through its N-API surface, on this thread's event loop: every bad argument is a
// clear error (never a crash, which would end the whole PBX), and release() frees the ports at once
// so that a decoding pipeline can bind them.
import t from 'tap';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { loadNativeRelay, type NativeRelayAddon } from '../../src/media/native-relay.js';

const loaded = loadNativeRelay(true);
if (loaded.addon === null) throw new Error(`the native relay did not load (${loaded.relay}): run npm install (needs cc)`);
const addon: NativeRelayAddon = loaded.addon;

/** A range per test file run, away from media-relay.test.ts's (30000 + pid % 200 * 100). */
const base = 50000 + (process.pid % 400) * 20;
const counters = (): Float64Array => new Float64Array(16);
const identity = Uint8Array.from({ length: 128 }, (_, i) => i);

async function bound(port: number): Promise<Socket> {
  const s = createSocket('udp4');
  s.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve());
  });
  return s;
}

t.test('loadNativeRelay(false) picks the dgram relay and says why', async (t) => {
  t.same(loadNativeRelay(false), { addon: null, relay: 'dgram (native relay disabled: TSPBX_NATIVE_RELAY=0)' });
});

t.test('openLeg refuses bad arguments with PBX_ERR_MEDIA_NATIVE_ARG', async (t) => {
  const bad: [string, () => unknown, string][] = [
    ['no arguments', () => (addon.openLeg as (...a: unknown[]) => number)(), 'TypeError'],
    ['a numeric address', () => addon.openLeg(1 as never, base, counters()), 'TypeError'],
    ['a host name', () => addon.openLeg('localhost', base, counters()), 'RangeError'],
    ['a very long address', () => addon.openLeg('1'.repeat(5000), base, counters()), 'RangeError'],
    ['port 0', () => addon.openLeg('127.0.0.1', 0, counters()), 'RangeError'],
    ['port 65535 (no room for RTCP)', () => addon.openLeg('127.0.0.1', 65535, counters()), 'RangeError'],
    ['a fractional port', () => addon.openLeg('127.0.0.1', 1.5, counters()), 'RangeError'],
    ['a NaN port', () => addon.openLeg('127.0.0.1', NaN, counters()), 'RangeError'],
    ['a string port', () => addon.openLeg('127.0.0.1', '5000' as never, counters()), 'TypeError'],
    ['counters of the wrong type', () => addon.openLeg('127.0.0.1', base, new Uint8Array(128) as never), 'TypeError'],
    ['too few counters', () => addon.openLeg('127.0.0.1', base, new Float64Array(4)), 'TypeError'],
    ['no counters', () => addon.openLeg('127.0.0.1', base, null as never), 'TypeError'],
  ];
  for (const [what, f, name] of bad) t.throws(f, { name, code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, what);
});

t.test('leg functions refuse bad handles and bad remote targets', async (t) => {
  const h = addon.openLeg('127.0.0.1', base, counters());
  t.teardown(() => addon.release(h));
  t.throws(() => addon.bridge(h, 12345), { code: 'PBX_ERR_MEDIA_NO_LEG' }, 'an unknown handle');
  t.throws(() => addon.unbridge(-1), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'a negative handle');
  t.throws(() => addon.sendAddress('x' as never), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'a string handle');
  t.throws(() => addon.bridge(h, h), { code: 'PBX_ERR_MEDIA_BRIDGE' }, 'a leg bridged to itself');
  const remote = (over: Partial<Record<number, unknown>>): (() => void) => {
    const args: unknown[] = [h, '127.0.0.1', 4000, '127.0.0.1', 4001, identity, 8000];
    for (const [i, v] of Object.entries(over)) args[Number(i)] = v;
    return () => (addon.setRemote as (...a: unknown[]) => void)(...args);
  };
  t.doesNotThrow(remote({}), 'a good target');
  t.doesNotThrow(remote({ 1: null, 3: null }), 'no address yet (hold)');
  t.throws(remote({ 1: 'not-an-ip' }), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'a host name');
  t.throws(remote({ 1: '::1' }), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'IPv6 on an IPv4 socket');
  t.throws(remote({ 2: 70000 }), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'a port out of range');
  t.throws(remote({ 4: -1 }), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'an RTCP port out of range');
  t.throws(remote({ 5: new Uint8Array(127) }), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'a short payload type map');
  t.throws(remote({ 5: Uint8Array.from({ length: 128 }, () => 200) }), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'payload types over 127');
  t.throws(remote({ 5: [0, 1] }), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'a plain array');
  t.throws(remote({ 6: 0 }), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'clock rate 0');
  t.throws(() => (addon.setRemote as (...a: unknown[]) => void)(h, '127.0.0.1'), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'too few arguments');
});

t.test('a port in use is PBX_ERR_MEDIA_PORT_IN_USE, for the RTCP port too', async (t) => {
  const squatter = await bound(base + 3);
  t.teardown(() => squatter.close());
  t.throws(() => addon.openLeg('127.0.0.1', base + 2, counters()), { code: 'PBX_ERR_MEDIA_PORT_IN_USE' });
  const again = await bound(base + 2);
  again.close();
  t.pass('the RTP port was let go when the RTCP port failed');
});

t.test('release() frees both ports before it returns, and a second release is a no-op', async (t) => {
  const h = addon.openLeg('127.0.0.1', base + 4, counters());
  await t.rejects(bound(base + 4), { code: 'EADDRINUSE' }, 'the leg holds its RTP port');
  t.equal(addon.release(h), true);
  const rtp = await bound(base + 4);
  const rtcp = await bound(base + 5);
  rtp.close();
  rtcp.close();
  t.equal(addon.release(h), false, 'released already');
  t.throws(() => addon.sendAddress(h), { code: 'PBX_ERR_MEDIA_NO_LEG' }, 'a released handle is stale');
});

t.test('two bridged legs relay RTP on this thread, counting into the caller-given counters', async (t) => {
  const a = await bound(0);
  const b = await bound(0);
  const ca = counters();
  const cb = counters();
  const ha = addon.openLeg('127.0.0.1', base + 6, ca);
  const hb = addon.openLeg('127.0.0.1', base + 8, cb);
  t.teardown(() => {
    addon.release(ha);
    addon.release(hb);
    a.close();
    b.close();
  });
  addon.setRemote(ha, '127.0.0.1', a.address().port, '127.0.0.1', a.address().port + 1, identity, 8000);
  addon.setRemote(hb, '127.0.0.1', b.address().port, '127.0.0.1', b.address().port + 1, identity, 8000);
  addon.bridge(ha, hb);
  const packet = Buffer.from([0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0xab, 0xcd, 1, 2, 3]);
  const got = once(b, 'message');
  a.send(Buffer.from('not rtp'), base + 6, '127.0.0.1');
  a.send(packet, base + 6, '127.0.0.1');
  const [msg, rinfo] = (await got) as [Buffer, { port: number }];
  t.same(msg, packet, 'byte for byte');
  t.equal(rinfo.port, base + 8, 'from the other leg\'s port');
  t.same([ca[0], ca[1], ca[4], cb[2], cb[3]], [1, 15, 1, 1, 15], 'received, bytes, dropped; sent, bytes');
  t.equal(ca[8], 0xabcd, 'the latched SSRC');
  t.equal(addon.sendAddress(ha), '127.0.0.1');
});

t.test('IPv6 legs relay on ::1 and report the source they latched to', async (t) => {
  const a = createSocket('udp6');
  const b = createSocket('udp6');
  await Promise.all([a, b].map((s) => new Promise<void>((resolve) => s.bind(0, '::1', resolve))));
  const ha = addon.openLeg('::1', base + 10, counters());
  const hb = addon.openLeg('::1', base + 12, counters());
  t.teardown(() => {
    addon.release(ha);
    addon.release(hb);
    a.close();
    b.close();
  });
  addon.setRemote(ha, null, 0, null, 0, identity, 8000);
  addon.setRemote(hb, '::1', b.address().port, '::1', b.address().port + 1, identity, 8000);
  addon.bridge(ha, hb);
  t.equal(addon.sendAddress(ha), null, 'nothing known about A before it sends');
  const packet = Buffer.from([0x80, 8, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7, 9]);
  const got = once(b, 'message');
  a.send(packet, base + 10, '::1');
  const [msg] = (await got) as [Buffer];
  t.same(msg, packet);
  t.equal(addon.sendAddress(ha), '::1', 'A latched');
});
