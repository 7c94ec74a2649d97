// SRTP in the media worker: a leg given SDES keys decrypts what its phone sends and encrypts what
// it sends, bridged to a plain leg (the native relay hands such legs to the JavaScript relay);
// a replayed or tampered packet from the SRTP phone is dropped and counted in the leg's stats.
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { SrtpContext } from '../../src/media/srtp/context.js';
import { srtpSuite } from '../../src/media/srtp/suites.js';
import { Conditions } from '../helpers/conditions.js';
import { startTestEngine } from '../helpers/media-engine.js';

const SUITE = srtpSuite('AES_CM_128_HMAC_SHA1_80')!;

interface Phone {
  socket: Socket;
  port: number;
  received: Buffer[];
  waits: Conditions<number>;
}

async function phone(t: { teardown(fn: () => unknown): void }): Promise<Phone> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.teardown(() => socket.close());
  const p: Phone = { socket, port: socket.address().port, received: [], waits: new Conditions<number>() };
  socket.on('message', (m) => {
    p.received.push(Buffer.from(m));
    p.waits.check(p.received.length);
  });
  return p;
}

function rtp(seq: number, ssrc: number, fill: number): Buffer {
  const b = Buffer.alloc(12 + 160, fill);
  b[0] = 0x80;
  b[1] = 8;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

t.test('an SRTP leg bridged to a plain leg: both ways intact; a replayed or tampered packet is dropped and counted', async (t) => {
  const engine = await startTestEngine(t, 20);
  const a = await engine.openLeg('srtp-call');
  const b = await engine.openLeg('srtp-call');
  const phoneA = await phone(t);
  const phoneB = await phone(t);
  const phoneKey = randomBytes(30);
  const pbxKey = randomBytes(30);
  const keys = { suite: SUITE.name, send: pbxKey.toString('base64'), receive: phoneKey.toString('base64') };
  await engine.setRemote(a.legId, { address: '127.0.0.1', port: phoneA.port, srtp: keys });
  await engine.setRemote(b.legId, { address: '127.0.0.1', port: phoneB.port });
  await engine.bridge(a.legId, b.legId);

  const phoneTx = new SrtpContext(SUITE, phoneKey);
  const phoneRx = new SrtpContext(SUITE, pbxKey);
  const out = Buffer.alloc(1500);
  const protect = (p: Buffer): Buffer => Buffer.from(out.subarray(0, phoneTx.protectRtp(p, p.length, out)));

  const sent: Buffer[] = [];
  for (let seq = 1; seq <= 5; seq++) {
    const p = rtp(seq, 0x1111, seq);
    sent.push(p);
    phoneA.socket.send(protect(p), a.port, '127.0.0.1');
  }
  await phoneB.waits.wait((n) => n >= 5, 5000, () => `phone B got ${phoneB.received.length} packets`);
  t.same(phoneB.received.map((p) => p.subarray(12)), sent.map((p) => p.subarray(12)), 'phone B got the plain audio');

  for (let seq = 1; seq <= 5; seq++) phoneB.socket.send(rtp(seq, 0x2222, 0x40 + seq), b.port, '127.0.0.1');
  await phoneA.waits.wait((n) => n >= 5, 5000, () => `phone A got ${phoneA.received.length} packets`);
  t.notSame(phoneA.received[0]!.subarray(12, 172), Buffer.alloc(160, 0x41), 'encrypted on the wire');
  const plain = phoneA.received.map((p) => {
    const n = phoneRx.unprotectRtp(p, p.length);
    return n < 0 ? null : p.subarray(12, n);
  });
  t.same(plain, [1, 2, 3, 4, 5].map((seq) => Buffer.alloc(160, 0x40 + seq)), 'phone A got SRTP it can authenticate and decrypt');

  const replay = protect(rtp(3, 0x1111, 3));
  const tampered = protect(rtp(6, 0x1111, 6));
  tampered[30]! ^= 0x01;
  phoneA.socket.send(replay, a.port, '127.0.0.1');
  phoneA.socket.send(tampered, a.port, '127.0.0.1');
  phoneA.socket.send(protect(rtp(7, 0x1111, 7)), a.port, '127.0.0.1');
  await phoneB.waits.wait((n) => n >= 6, 5000, () => `phone B got ${phoneB.received.length} packets`);
  t.equal(phoneB.received.length, 6, 'only the good packet went through');
  t.same(phoneB.received[5]!.subarray(12), Buffer.alloc(160, 7));
  const stats = await engine.stats(a.legId);
  t.equal(stats.srtpRefused, 2, 'the replay and the tampered packet are counted');
  t.equal(stats.relay, 'dgram', 'the SRTP leg runs on the JavaScript relay');
});
