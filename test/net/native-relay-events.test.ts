// native/relay.c's telephone-event path on this thread's event loop: packets of the leg's
// telephone-event payload type (RFC 4733) are reported to JavaScript, and relayed only to a leg
// that negotiated telephone-event too; a callback that throws or releases legs breaks nothing.
import t from 'tap';
import { createSocket, type Socket } from 'node:dgram';
import { loadNativeRelay, type NativeRelayAddon } from '../../src/media/native-relay.js';
import { Conditions } from '../helpers/conditions.js';

const loaded = loadNativeRelay(true);
if (loaded.addon === null) throw new Error(`the native relay did not load (${loaded.relay}): run npm install (needs cc)`);
const addon: NativeRelayAddon = loaded.addon;

/** A range per test file run, away from native-relay.test.ts's and media-relay.test.ts's. */
const base = 58000 + (process.pid % 300) * 20;
const identity = Uint8Array.from({ length: 128 }, (_, i) => i);

async function phone(): Promise<{ socket: Socket; port: number; got: Buffer[]; wait: Conditions<void> }> {
  const socket = createSocket('udp4');
  const got: Buffer[] = [];
  const wait = new Conditions<void>();
  socket.on('message', (m) => {
    got.push(m);
    wait.check();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return { socket, port: socket.address().port, got, wait };
}

/** Resolves once pred() holds: now, or after a later check() of `c` (rejects after 5 s). */
function until(c: Conditions<void>, pred: () => boolean, what: string): Promise<void> {
  return pred() ? Promise.resolve() : c.wait(pred, 5000, () => `${what} did not come`);
}

function rtp(pt: number, seq: number, payload: number[]): Buffer {
  const p = Buffer.alloc(12 + payload.length);
  p[0] = 0x80;
  p[1] = pt;
  p.writeUInt16BE(seq, 2);
  p.writeUInt32BE(8000, 4);
  p.writeUInt32BE(0xabcdef, 8);
  Buffer.from(payload).copy(p, 12);
  return p;
}

t.test('setEventPayloadType and onTelephoneEvent refuse bad arguments', async (t) => {
  const h = addon.openLeg('127.0.0.1', base, new Float64Array(16));
  t.teardown(() => addon.release(h));
  t.throws(() => addon.setEventPayloadType(h, 128), { name: 'RangeError', code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'payload type 128');
  t.throws(() => addon.setEventPayloadType(h, -2), { name: 'RangeError', code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'payload type -2');
  t.throws(() => addon.setEventPayloadType(h, '101' as never), { name: 'TypeError', code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'a string');
  t.throws(() => addon.setEventPayloadType(99999, 101), { code: 'PBX_ERR_MEDIA_NO_LEG' }, 'an unknown handle');
  t.throws(() => addon.onTelephoneEvent('f' as never, new Uint8Array(64)), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'no function');
  t.throws(() => addon.onTelephoneEvent(() => {}, new Uint8Array(8)), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'a buffer too short');
  t.throws(() => addon.onTelephoneEvent(() => {}, new Float64Array(64) as never), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, 'not bytes');
});

t.test('telephone-event packets are reported, and relayed only to a leg with telephone-event', async (t) => {
  const a = await phone();
  const b = await phone();
  t.teardown(() => {
    a.socket.close();
    b.socket.close();
  });
  const packet = new Uint8Array(2048);
  const reports: Array<{ handle: number; bytes: number[] }> = [];
  const reported = new Conditions<void>();
  addon.onTelephoneEvent((handle, length) => {
    reports.push({ handle, bytes: [...packet.subarray(0, length)] });
    reported.check();
  }, packet);
  const ca = new Float64Array(16);
  const cb = new Float64Array(16);
  const la = addon.openLeg('127.0.0.1', base + 2, ca);
  const lb = addon.openLeg('127.0.0.1', base + 4, cb);
  t.teardown(() => {
    addon.release(la);
    addon.release(lb);
  });
  addon.setRemote(la, '127.0.0.1', a.port, '127.0.0.1', a.port + 1, identity, 8000);
  addon.setRemote(lb, '127.0.0.1', b.port, '127.0.0.1', b.port + 1, identity, 8000);
  addon.bridge(la, lb);
  addon.setEventPayloadType(la, 101);

  const event = rtp(101, 1, [5, 10, 0, 160]);
  a.socket.send(event, base + 2, '127.0.0.1');
  a.socket.send(rtp(0, 2, new Array(160).fill(0xff)), base + 2, '127.0.0.1');
  await until(b.wait, () => b.got.length >= 1, 'the audio packet');
  await until(reported, () => reports.length >= 1, 'the report');
  t.same(reports, [{ handle: la, bytes: [...event] }], 'the event packet is reported whole, with its leg');
  t.same(b.got.map((p) => p[1]! & 0x7f), [0], 'B, without telephone-event, got the audio only');

  addon.setEventPayloadType(lb, 96);
  a.socket.send(rtp(101, 3, [5, 0x8a, 0, 320]), base + 2, '127.0.0.1');
  await until(b.wait, () => b.got.length >= 2, 'the event packet');
  t.equal(b.got[1]![1]! & 0x7f, 101, 'once B has telephone-event, the events go to it');
  t.equal(reports.length, 2);
  t.equal(ca[0], 3, 'every packet counted as received');
});

t.test('a callback that throws or releases the leg breaks nothing', async (t) => {
  const a = await phone();
  t.teardown(() => a.socket.close());
  const packet = new Uint8Array(64);
  const ca = new Float64Array(16);
  const la = addon.openLeg('127.0.0.1', base + 6, ca);
  t.teardown(() => addon.release(la));
  addon.setEventPayloadType(la, 101);
  let calls = 0;
  const seen = new Conditions<void>();
  addon.onTelephoneEvent(() => {
    calls++;
    seen.check();
    throw new Error('a listener that fails');
  }, packet);
  a.socket.send(rtp(101, 1, [1, 10, 0, 160]), base + 6, '127.0.0.1');
  await until(seen, () => calls === 1, 'the first report');
  addon.onTelephoneEvent(() => {
    calls++;
    addon.release(la);
    seen.check();
  }, packet);
  for (let seq = 2; seq < 6; seq++) a.socket.send(rtp(101, seq, [1, 10, 0, 160]), base + 6, '127.0.0.1');
  await until(seen, () => calls >= 2, 'the second report');
  t.equal(addon.release(la), false, 'the leg was released from inside the callback');
  t.throws(() => addon.setEventPayloadType(la, 101), { code: 'PBX_ERR_MEDIA_NO_LEG' });
  const again = addon.openLeg('127.0.0.1', base + 6, new Float64Array(16));
  t.ok(addon.release(again), 'and its port is free again');
  addon.onTelephoneEvent(() => {}, packet);
});
