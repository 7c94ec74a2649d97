// The relay specs; media-relay-dgram.test.ts runs them again with TSPBX_NATIVE_RELAY=0.
import t from 'tap';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { MediaEngine, type NoRtpInfo } from '../../src/media/engine.js';
import { compiledMediaWorker } from '../helpers/compiled.js';

type Engine = MediaEngine;
// The workers run the compiled relay (`npm test` builds first); the engine runs from source.
const workerUrl = compiledMediaWorker();

/** A phone: one bound UDP socket on 127.0.0.1 and the packets it receives. */
interface Phone {
  socket: Socket;
  port: number;
  received: Buffer[];
  sources: string[];
  close(): void;
}

async function phone(): Promise<Phone> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const p: Phone = {
    socket,
    port: socket.address().port,
    received: [],
    sources: [],
    close: () => socket.close(),
  };
  socket.on('message', (m, r) => {
    p.received.push(Buffer.from(m));
    p.sources.push(`${r.address}:${r.port}`);
  });
  return p;
}

function rtp(pt: number, seq: number, ssrc: number, payload = 'abc', marker = false): Buffer {
  const b = Buffer.alloc(12 + payload.length);
  b[0] = 0x80;
  b[1] = (marker ? 0x80 : 0) | pt;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(ssrc, 8);
  b.write(payload, 12);
  return b;
}

function send(s: Socket, b: Buffer, port: number): Promise<void> {
  return new Promise((resolve, reject) => s.send(b, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
}

/** Waits until `p` has received `n` packets (bounded: 3 s). */
async function receive(p: Phone, n: number): Promise<void> {
  const deadline = Date.now() + 3000;
  while (p.received.length < n) {
    if (Date.now() > deadline) throw new Error(`got ${p.received.length} packets, wanted ${n}`);
    await once(p.socket, 'message');
  }
}

/** A range per test file run, away from the SIP tests' ports. */
const base = 30000 + (process.pid % 200) * 100;

// One engine for the relay tests (a worker started from TypeScript sources takes seconds);
// every test uses its own group. Bridged legs with no RTP warn after 0.4 s and time out after 1 s.
const shared = MediaEngine.start({
  address: '127.0.0.1',
  portMin: base,
  portMax: base + 79,
  workers: 2,
  rtpTimeoutS: 1,
  noRtpWarningS: 0.4,
  workerUrl,
});
t.teardown(async () => (await shared).close());
const engine = (): Promise<Engine> => shared;
let groups = 0;

/** Two phones, two legs bridged; each phone has sent one packet so the PBX latched onto it. */
async function call(e: Engine, ptMapToB: Record<number, number> = {}, ptMapToA: Record<number, number> = {}) {
  const a = await phone();
  const b = await phone();
  t.teardown(() => {
    a.close();
    b.close();
  });
  const group = `call-${++groups}`;
  const legA = await e.openLeg(group);
  const legB = await e.openLeg(group);
  await e.setRemote(legA.legId, { address: '127.0.0.1', port: a.port, ptMap: ptMapToA });
  await e.setRemote(legB.legId, { address: '127.0.0.1', port: b.port, ptMap: ptMapToB });
  await e.bridge(legA.legId, legB.legId);
  return { a, b, legA, legB };
}

t.test('the workers relay natively when the addon is built, with node:dgram under TSPBX_NATIVE_RELAY=0', async (t) => {
  const e = await engine();
  if (process.env.TSPBX_NATIVE_RELAY === '0') {
    t.match(e.relay, /^dgram \(native relay disabled/);
  } else {
    t.ok(existsSync(new URL('../../native/build/relay.node', import.meta.url)), 'npm install built native/build/relay.node (needs cc)');
    t.equal(e.relay, 'native');
  }
});

t.test('RTP goes both ways through the PBX ports, intact', async (t) => {
  const e = await engine();
  const { a, b, legA, legB } = await call(e);
  t.equal(legA.port % 2, 0, 'RTP port is even');
  t.not(legA.port, legB.port);
  const fromA = rtp(0, 1, 0xaaaa, 'hello from a', true);
  await send(a.socket, fromA, legA.port);
  await receive(b, 1);
  t.same(b.received[0], fromA, 'B got A packet byte for byte');
  t.equal(b.sources[0], `127.0.0.1:${legB.port}`, 'B got it from its own PBX port');
  const fromB = rtp(0, 7, 0xbbbb, 'hello from b');
  await send(b.socket, fromB, legB.port);
  await receive(a, 1);
  t.same(a.received[0], fromB);
  t.equal(a.sources[0], `127.0.0.1:${legA.port}`);
  const s = await e.stats(legA.legId);
  t.equal(s.rtpReceived, 1);
  t.equal(s.rtpSent, 1);
  t.equal(s.ssrc, 0xaaaa);
});

t.test('payload types are rewritten where the legs number them differently', async (t) => {
  const e = await engine();
  // telephone-event is 101 on A's leg and 96 on B's.
  const { a, b, legA, legB } = await call(e, { 101: 96 }, { 96: 101 });
  await send(a.socket, rtp(101, 1, 1, 'ev', true), legA.port);
  await send(a.socket, rtp(0, 2, 1, 'audio'), legA.port);
  await receive(b, 2);
  t.equal(b.received[0]![1], 0x80 | 96, 'PT 101 → 96 with the marker kept');
  t.equal(b.received[1]![1], 0, 'PCMU unchanged');
  t.equal(b.received[0]!.subarray(12).toString(), 'ev');
  await send(b.socket, rtp(96, 1, 2, 'ev'), legB.port);
  await receive(a, 1);
  t.equal(a.received[0]![1], 101, 'PT 96 → 101');
});

t.test('the PBX sends to the address packets come from, not the one in SDP (latching)', async (t) => {
  const e = await engine();
  const a = await phone();
  const b = await phone();
  const natted = await phone();
  t.teardown(() => [a, b, natted].forEach((p) => p.close()));
  const legA = await e.openLeg('nat');
  const legB = await e.openLeg('nat');
  // A's SDP names a port where nobody listens; its packets come from `natted`.
  await e.setRemote(legA.legId, { address: '127.0.0.1', port: 9 });
  await e.setRemote(legB.legId, { address: '127.0.0.1', port: b.port });
  await e.bridge(legA.legId, legB.legId);
  await send(natted.socket, rtp(8, 1, 5), legA.port);
  await receive(b, 1);
  await send(b.socket, rtp(8, 1, 6), legB.port);
  await receive(natted, 1);
  t.equal(natted.received[0]![1], 8, 'the NATed source got B packet');
  t.same((await e.stats(legA.legId)).remote, { address: '127.0.0.1', port: natted.port });
});

t.test('a spoofed packet from another port does not steal the stream', async (t) => {
  const e = await engine();
  const { a, b, legA, legB } = await call(e);
  const attacker = await phone();
  t.teardown(() => attacker.close());
  await send(a.socket, rtp(0, 1, 0xaaaa), legA.port);
  await receive(b, 1);
  // Same SSRC and a new one, one packet each: both dropped, nothing reaches B from them.
  await send(attacker.socket, rtp(0, 2, 0xaaaa, 'evil'), legA.port);
  await send(attacker.socket, rtp(0, 50, 0xdead, 'evil'), legA.port);
  await send(a.socket, rtp(0, 2, 0xaaaa, 'real'), legA.port);
  await receive(b, 2);
  t.equal(b.received[1]!.subarray(12).toString(), 'real');
  await send(b.socket, rtp(0, 1, 0xbbbb), legB.port);
  await receive(a, 1);
  t.equal(attacker.received.length, 0, 'the attacker got nothing');
  const s = await e.stats(legA.legId);
  t.equal(s.rtpDropped, 2);
  t.same(s.remote, { address: '127.0.0.1', port: a.port });
});

t.test('a new source with a new SSRC in sequence takes the stream over (phone moved)', async (t) => {
  const e = await engine();
  const { a, b, legA, legB } = await call(e);
  const moved = await phone();
  t.teardown(() => moved.close());
  await send(a.socket, rtp(0, 1, 1), legA.port);
  await receive(b, 1);
  for (let seq = 100; seq < 103; seq++) await send(moved.socket, rtp(0, seq, 2), legA.port);
  await receive(b, 2);
  await send(b.socket, rtp(0, 1, 3), legB.port);
  await receive(moved, 1);
  t.equal(a.received.length, 0, 'the old source gets nothing now');
});

t.test('a copy of the live stream (same SSRC, in sequence) from another port does not take it over', async (t) => {
  const e = await engine();
  const { a, b, legA } = await call(e);
  const attacker = await phone();
  t.teardown(() => attacker.close());
  for (let seq = 1; seq <= 5; seq++) {
    await send(a.socket, rtp(0, seq, 0xaaaa, 'real'), legA.port);
    await send(attacker.socket, rtp(0, seq + 100, 0xaaaa, 'evil'), legA.port);
  }
  await receive(b, 5);
  const s = await e.stats(legA.legId);
  t.equal(s.rtpDropped, 5, 'every copy dropped');
  t.same(s.remote, { address: '127.0.0.1', port: a.port });
  t.ok(b.received.every((p) => p.subarray(12).toString() === 'real'));
});

t.test('after the latched source went quiet, the same SSRC from a new port takes over (NAT rebinding)', async (t) => {
  const e = await engine();
  const { a, b, legA } = await call(e);
  const rebound = await phone();
  t.teardown(() => rebound.close());
  await send(a.socket, rtp(0, 1, 0xaaaa), legA.port);
  await receive(b, 1);
  // The new port sends in sequence every 50 ms; once A has been quiet long enough it is accepted.
  const deadline = Date.now() + 3000;
  let seq = 2;
  while (b.received.length < 2 && Date.now() < deadline) {
    await send(rebound.socket, rtp(0, seq++, 0xaaaa), legA.port);
    await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(b.received.length, 2, 'the rebound source got through');
  t.same((await e.stats(legA.legId)).remote, { address: '127.0.0.1', port: rebound.port });
  t.ok(seq - 2 >= 3, 'not before a few packets in sequence');
});

t.test('leg stats count packets lost (RFC 3550 A.3) and interarrival jitter (A.8)', async (t) => {
  const e = await engine();
  const { a, b, legA, legB } = await call(e);
  // Closed at the end: the last test counts on the workers holding equal numbers of legs.
  t.teardown(async () => {
    await e.closeLeg(legA.legId);
    await e.closeLeg(legB.legId);
  });
  const fresh = await e.stats(legA.legId);
  t.same([fresh.packetsLost, fresh.jitterMs], [0, 0], 'nothing before the first packet');
  // Sequence 1-10 without 5 and 6, sent back to back though the timestamps are 20 ms apart.
  const seqs = [1, 2, 3, 4, 7, 8, 9, 10];
  for (const seq of seqs) await send(a.socket, rtp(0, seq, 0xaaaa), legA.port);
  await receive(b, seqs.length);
  const s = await e.stats(legA.legId);
  t.equal(s.packetsLost, 2);
  // Each gap is ~20 ms off its timestamp: J moves 1/16 of the way to 20 ms per packet.
  t.ok(s.jitterMs > 3 && s.jitterMs < 20, `jitter ${s.jitterMs} ms`);
  await send(a.socket, rtp(0, 5, 0xaaaa), legA.port);
  await receive(b, seqs.length + 1);
  t.equal((await e.stats(legA.legId)).packetsLost, 1, 'a late packet is no longer lost');
});

t.test('RTCP is relayed both ways on port + 1', async (t) => {
  const e = await engine();
  const { a, b, legA, legB } = await call(e);
  const aRtcp = await phone();
  const bRtcp = await phone();
  t.teardown(() => [aRtcp, bRtcp].forEach((p) => p.close()));
  await e.setRemote(legB.legId, { address: '127.0.0.1', port: b.port, rtcpPort: bRtcp.port });
  const sr = Buffer.from([0x80, 200, 0, 6, 0, 0, 0xaa, 0xaa, ...new Array(20).fill(1)]);
  await send(aRtcp.socket, sr, legA.port + 1);
  await receive(bRtcp, 1);
  t.same(bRtcp.received[0], sr);
  t.equal(bRtcp.sources[0], `127.0.0.1:${legB.port + 1}`);
  await send(bRtcp.socket, sr, legB.port + 1);
  await receive(aRtcp, 1);
  t.same(aRtcp.received[0], sr);
  t.equal(b.received.length + a.received.length, 0, 'RTCP did not leak into RTP');
});

t.test('each leg measures the loss and jitter of its phone RTP, and the RTT from the RR answering a relayed SR', async (t) => {
  const e = await engine();
  const { a, b, legA, legB } = await call(e);
  const aRtcp = await phone();
  const bRtcp = await phone();
  t.teardown(() => [aRtcp, bRtcp].forEach((p) => p.close()));
  await e.setRemote(legA.legId, { address: '127.0.0.1', port: a.port, rtcpPort: aRtcp.port });
  await e.setRemote(legB.legId, { address: '127.0.0.1', port: b.port, rtcpPort: bRtcp.port });
  // 60 packets of 20 ms sent in one burst, two of them dropped by the phone: loss 2, jitter ~20 ms.
  const sent = [];
  for (let seq = 1; seq <= 60; seq++) if (seq !== 10 && seq !== 30) sent.push(send(a.socket, rtp(0, seq, 0xaaaa), legA.port));
  await Promise.all(sent);
  await receive(b, 58);
  const sa = await e.stats(legA.legId);
  t.equal(sa.packetsLost, 2, 'the two packets A never sent count as lost on A leg');
  t.ok(sa.jitterMs > 10 && sa.jitterMs < 25, `a burst of 20 ms packets is jitter (${sa.jitterMs} ms)`);
  t.equal(sa.rttMs, null, 'no RTCP yet');
  const sb = await e.stats(legB.legId);
  t.equal(sb.packetsLost, 0);
  t.equal(sb.jitterMs, 0);

  // A's SR is relayed to B; B's RR answers it at once (DLSR 0): the RTT of the PBX–B path.
  const sr = Buffer.alloc(28);
  sr.set([0x80, 200, 0, 6, 0, 0, 0xaa, 0xaa, 0xee, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]);
  await send(aRtcp.socket, sr, legA.port + 1);
  await receive(bRtcp, 1);
  const rr = Buffer.alloc(32);
  rr.set([0x81, 201, 0, 7, 0, 0, 0xbb, 0xbb, 0, 0, 0xaa, 0xaa]);
  rr.writeUInt32BE(0x22334455, 24);
  await send(bRtcp.socket, rr, legB.port + 1);
  await receive(aRtcp, 1);
  const rtt = (await e.stats(legB.legId)).rttMs;
  t.ok(rtt !== null && rtt >= 0 && rtt < 100, `RTT measured on B leg (${rtt} ms)`);
  t.equal((await e.stats(legA.legId)).rttMs, null, 'A sent no report: no RTT on A leg');
  // Leave the workers as balanced as before: a later test checks how groups spread.
  await Promise.all([e.closeLeg(legA.legId), e.closeLeg(legB.legId)]);
});

t.test('a bridged leg with no RTP gets a warning naming its SDP, local and latched addresses, then rtp-timeout', async (t) => {
  const e = await engine();
  const { a, legA, legB } = await call(e);
  const warned: string[] = [];
  const onWarning = (info: NoRtpInfo): void => {
    if (info.legId === legA.legId) {
      warned.push(info.local, info.remote ?? '');
      t.match(info, { sdp: `127.0.0.1:${a.port}`, latched: null, received: 0 }, 'nothing ever arrived: the one-way-audio case');
    }
  };
  e.on('no-rtp-warning', onWarning);
  t.teardown(() => e.off('no-rtp-warning', onWarning));
  const timedOut = new Set<string>();
  while (!(timedOut.has(legA.legId) && timedOut.has(legB.legId))) {
    const [legId] = await once(e, 'rtp-timeout');
    timedOut.add(legId);
  }
  t.same(warned, [`127.0.0.1:${legA.port}`, `127.0.0.1:${a.port}`], 'the warning came first and named both ends');
});

t.test('a held leg (sends: false) does not time out', async (t) => {
  const e = await engine();
  const { a, legA, legB } = await call(e);
  await e.setRemote(legA.legId, { address: '127.0.0.1', port: a.port, sends: false });
  const timedOut: string[] = [];
  while (!timedOut.includes(legB.legId)) timedOut.push((await once(e, 'rtp-timeout'))[0]);
  t.notOk(timedOut.includes(legA.legId), 'the held leg did not time out with the other');
});

t.test('an exhausted port range is a PbxError; close() is idempotent and rejects requests', async (t) => {
  const e = await MediaEngine.start({ address: '127.0.0.1', portMin: base + 80, portMax: base + 85, workers: 1, rtpTimeoutS: 0, workerUrl });
  t.teardown(() => e.close());
  // Another program holds base+82: that pair is skipped.
  const squatter = createSocket('udp4');
  await new Promise<void>((resolve) => squatter.bind(base + 82, '127.0.0.1', resolve));
  t.teardown(() => squatter.close());
  const { legId, port } = await e.openLeg('g');
  const second = await e.openLeg('g');
  t.same([port, second.port], [base + 80, base + 84]);
  await t.rejects(e.openLeg('g'), { code: 'PBX_ERR_MEDIA_PORTS_EXHAUSTED' });
  t.equal(e.usage.portsUsed, 2);
  await e.closeLeg(legId);
  t.equal(e.usage.portsUsed, 1, 'closing a leg frees its ports');
  const pending = t.rejects(e.stats((await e.openLeg('g')).legId), { code: 'PBX_ERR_MEDIA_CLOSED' });
  await e.close();
  await e.close();
  await pending;
  await t.rejects(e.openLeg('g'), { code: 'PBX_ERR_MEDIA_CLOSED' });
});

t.test('legs of one group share a worker so they can be bridged; others spread', async (t) => {
  const e = await engine();
  const a = await e.openLeg('x');
  const b = await e.openLeg('y');
  const c = await e.openLeg('x');
  await e.bridge(a.legId, c.legId);
  await t.rejects(e.bridge(a.legId, b.legId), { code: 'PBX_ERR_MEDIA_BRIDGE' });
  const [p, q] = await Promise.all([e.openLeg('z'), e.openLeg('z')]);
  await e.bridge(p.legId, q.legId);
  t.pass('legs opened at the same time for one group can be bridged');
});
