import t, { type Test } from 'tap';
import { JitterBuffer, type JitterBufferOptions } from '../../src/media/jitter.js';
import { readPcapUdp } from '../helpers/pcap.js';

interface Pkt {
  seq: number;
  ts: number;
  pt?: number;
  marker?: boolean;
  ssrc?: number;
  /** Frame number written into the payload's first two bytes; -1 for an empty payload. */
  id: number;
  arrival: number;
}

function rtp(p: Pkt): Uint8Array {
  const payloadLength = p.id < 0 ? 0 : 160;
  const b = new Uint8Array(12 + payloadLength);
  b[0] = 0x80;
  b[1] = ((p.marker ?? false) ? 0x80 : 0) | (p.pt ?? 0);
  b[2] = (p.seq >> 8) & 0xff;
  b[3] = p.seq & 0xff;
  new DataView(b.buffer).setUint32(4, p.ts >>> 0);
  new DataView(b.buffer).setUint32(8, p.ssrc ?? 0x1234);
  if (p.id >= 0) {
    b[12] = (p.id >> 8) & 0xff;
    b[13] = p.id & 0xff;
  }
  return b;
}

/** Frames 0..n-1 of a 20 ms stream, arriving on time (plus extra delay per frame). */
function stream(n: number, o: { seq0?: number; ts0?: number; delay?: (i: number) => number; ssrc?: number; idBase?: number } = {}): Pkt[] {
  const out: Pkt[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      seq: ((o.seq0 ?? 1000) + i) & 0xffff,
      ts: ((o.ts0 ?? 5000) + i * 160) >>> 0,
      marker: i === 0,
      ssrc: o.ssrc,
      id: (o.idBase ?? 0) + i,
      arrival: i * 20 + (o.delay?.(i) ?? 0),
    });
  }
  return out;
}

interface Out {
  kind: string;
  id: number;
  next: number;
}

/** Pushes each packet at its arrival time and pops every tickMs until endMs. */
function play(jb: JitterBuffer, packets: Pkt[], endMs: number, tickMs = 20, probe?: (now: number) => void): Out[] {
  const queue = [...packets].sort((a, b) => a.arrival - b.arrival);
  const out: Out[] = [];
  let q = 0;
  for (let now = 0; now <= endMs; now += tickMs) {
    while (q < queue.length && queue[q]!.arrival <= now) {
      const b = rtp(queue[q]!);
      jb.push(b, b.length, queue[q]!.arrival);
      q++;
    }
    const f = jb.pop(now);
    const id = f.kind === 'audio' ? (f.payload[0]! << 8) | f.payload[1]! : -1;
    const next = f.next === null ? -1 : (f.next[0]! << 8) | f.next[1]!;
    out.push({ kind: f.kind, id, next });
    probe?.(now);
  }
  return out;
}

const audioIds = (out: Out[]): number[] => out.filter((f) => f.kind === 'audio').map((f) => f.id);
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const jb = (o: Partial<JitterBufferOptions> = {}): JitterBuffer => new JitterBuffer({ clockRate: 8000, timestampStep: 160, ...o });

/** A deterministic pseudo-random sequence in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

t.test('an on-time stream plays every frame once, in order, after the initial depth', async (t) => {
  const b = jb({ minDelayMs: 40 });
  const out = play(b, stream(100), 2200);
  t.same(audioIds(out), range(0, 100));
  t.same(out.slice(0, 2).map((f) => f.kind), ['none', 'none'], 'nothing until 40 ms are buffered');
  t.equal(out[2]!.kind, 'audio');
  t.equal(b.stats.lost, 0);
  t.equal(b.stats.received, 100);
});

t.test('a lost packet is one lost frame in its place, with the next packet for FEC', async (t) => {
  const b = jb();
  const out = play(b, stream(50).filter((p) => p.id !== 10), 1200);
  const i = out.findIndex((f) => f.id === 9);
  t.same(out.slice(i, i + 3), [
    { kind: 'audio', id: 9, next: -1 },
    { kind: 'lost', id: -1, next: 11 },
    { kind: 'audio', id: 11, next: -1 },
  ]);
  t.same(audioIds(out), range(0, 50).filter((x) => x !== 10));
  t.equal(b.stats.lost, 1);
});

t.test('a burst of five lost packets is five lost frames; the last carries the packet after the burst', async (t) => {
  const b = jb();
  const out = play(b, stream(50).filter((p) => p.id < 10 || p.id > 14), 1200);
  const i = out.findIndex((f) => f.id === 9);
  t.same(out.slice(i + 1, i + 7).map((f) => f.kind), ['lost', 'lost', 'lost', 'lost', 'lost', 'audio']);
  t.equal(out[i + 5]!.next, 15);
  t.equal(out[i + 6]!.id, 15);
  t.same(audioIds(out), [...range(0, 10), ...range(15, 50)]);
  t.equal(b.stats.lost, 5);
});

t.test('reordered packets within the depth play in sequence order', async (t) => {
  const b = jb({ minDelayMs: 60 });
  const packets = stream(60);
  for (const i of [10, 30, 31]) packets[i]!.arrival += 35;
  const out = play(b, packets, 1500);
  t.same(audioIds(out), range(0, 60));
  t.equal(b.stats.lost, 0);
  t.equal(b.stats.late, 0);
});

t.test('duplicates are dropped, before and after their frame played', async (t) => {
  const b = jb();
  const packets = stream(40);
  const dups = [5, 6, 20].map((i) => ({ ...packets[i]!, arrival: packets[i]!.arrival + 1 }));
  const late = { ...packets[3]!, arrival: 200 };
  const out = play(b, [...packets, ...dups, late], 1000);
  t.same(audioIds(out), range(0, 40));
  t.equal(b.stats.duplicates, 4);
  t.equal(b.stats.late, 0);
});

t.test('a packet that comes after its frame was played lost is dropped and deepens the buffer at once', async (t) => {
  const b = jb({ minDelayMs: 20 });
  const packets = stream(200);
  packets[50]!.arrival += 100;
  const out = play(b, packets, 4200);
  t.equal(b.stats.late, 1);
  t.equal(b.stats.lost, 1);
  t.same(audioIds(out), range(0, 200).filter((x) => x !== 50));
  t.ok(b.stats.stretched >= 1, 'frames were inserted to deepen the buffer');
  t.ok(b.stats.targetMs > 20, `target depth grew (${b.stats.targetMs} ms)`);
});

t.test('jitter: the depth grows with the measured jitter; after the first second no frame is lost', async (t) => {
  const b = jb({ minDelayMs: 20, maxDelayMs: 300 });
  const rnd = lcg(7);
  const out = play(b, stream(1500, { delay: () => rnd() * 80 }), 31000);
  t.same(audioIds(out), range(0, 1500), 'every frame once, in order');
  t.ok(b.stats.jitterMs > 10, `jitter measured: ${b.stats.jitterMs.toFixed(1)} ms`);
  t.ok(b.stats.targetMs >= 60, `target follows jitter: ${b.stats.targetMs.toFixed(1)} ms`);
  const lastAudio = out.findLastIndex((f) => f.kind === 'audio');
  const lostLater = out.slice(50, lastAudio).filter((f) => f.kind === 'lost').length;
  t.equal(lostLater, 0, 'the underruns of the first second deepened the buffer enough');
});

t.test('a jitter spike deepens the buffer at once; it shrinks back slowly, a frame at a time', async (t) => {
  const b = jb({ minDelayMs: 40, maxDelayMs: 300 });
  const packets = stream(1000);
  packets[20]!.arrival += 150;
  const depth: Record<number, number> = {};
  const out = play(b, packets, 20500, 20, (now) => {
    if (now % 1000 === 0) depth[now] = b.stats.depthMs;
  });
  t.ok(depth[1000]! >= 150, `grew to ${depth[1000]} ms after the spike`);
  t.ok(depth[3000]! >= 120, `still ${depth[3000]} ms two seconds later`);
  t.ok(depth[19000]! <= 80, `back to ${depth[19000]} ms`);
  t.ok(b.stats.shrunk >= 4, `frames dropped to shrink: ${b.stats.shrunk}`);
  t.equal(b.stats.late, 1);
  const lastAudio = out.findLastIndex((f) => f.kind === 'audio');
  t.equal(out.slice(0, lastAudio).filter((f) => f.kind === 'lost').length, 1 + b.stats.stretched, 'the late packet and the inserted frames');
});

t.test('sequence numbers wrap at 65535 without a hiccup', async (t) => {
  const b = jb();
  const out = play(b, stream(40, { seq0: 65520 }), 1000);
  t.same(audioIds(out), range(0, 40));
  t.equal(b.stats.lost + b.stats.resyncs, 0);
});

t.test('a timestamp jump forward or backward resyncs instead of a flood of lost frames', async (t) => {
  for (const jump of [8000 * 1000, -8000 * 60]) {
    const b = jb();
    const packets = stream(100).map((p) => (p.id >= 50 ? { ...p, ts: (p.ts + jump) >>> 0, marker: p.id === 50 } : p));
    const out = play(b, packets, 2300);
    t.same(audioIds(out), range(0, 100), `jump ${jump}: every frame played`);
    t.equal(b.stats.resyncs, 1);
    t.equal(b.stats.lost, 0);
    const gap = out.slice(out.findIndex((f) => f.id === 49) + 1, out.findIndex((f) => f.id === 50));
    t.ok(gap.length <= 2 && gap.every((f) => f.kind === 'silence'), `at most a frame or two of silence at the jump (${gap.length})`);
  }
});

t.test('a new SSRC resyncs to the new stream', async (t) => {
  const b = jb();
  const first = stream(50);
  const second = stream(50, { seq0: 7, ts0: 99999, ssrc: 0xabcdef, idBase: 50 }).map((p) => ({ ...p, arrival: p.arrival + 1000 }));
  const out = play(b, [...first, ...second], 2300);
  t.same(audioIds(out), range(0, 100));
  t.equal(b.stats.resyncs, 1);
  t.equal(b.stats.lost, 0);
  const gap = out.slice(out.findIndex((f) => f.id === 49) + 1, out.findIndex((f) => f.id === 50));
  t.ok(gap.every((f) => f.kind === 'lost' || f.kind === 'silence'), 'the gap between the streams is concealment or silence');
});

t.test('DTX: a comfort-noise packet and the gap after it are silence, not loss', async (t) => {
  const b = jb();
  const packets: Pkt[] = stream(20);
  packets.push({ seq: 1020, ts: 5000 + 20 * 160, pt: 13, id: 20, arrival: 400 });
  for (let i = 0; i < 20; i++) {
    packets.push({ seq: 1021 + i, ts: 5000 + (70 + i) * 160, marker: i === 0, id: 100 + i, arrival: 1400 + i * 20 });
  }
  const out = play(b, packets, 2000);
  t.same(audioIds(out), [...range(0, 20), ...range(100, 120)]);
  const gap = out.slice(out.findIndex((f) => f.id === 19) + 1, out.findIndex((f) => f.id === 100));
  t.ok(gap.length >= 45, `the gap lasts about as long as the sender was quiet (${gap.length} frames)`);
  t.ok(gap.every((f) => f.kind === 'silence'), 'every frame of the gap is silence');
  t.equal(b.stats.lost, 0);
});

t.test('DTX without comfort noise: a dynamic CN type and tiny Opus DTX frames are silence', async (t) => {
  const b = new JitterBuffer({ clockRate: 48000, timestampStep: 960, cnPayloadType: 118 });
  const packets: Pkt[] = [];
  for (let i = 0; i < 10; i++) packets.push({ seq: i, ts: i * 960, pt: 111, id: i, arrival: i * 20 });
  packets.push({ seq: 10, ts: 10 * 960, pt: 118, id: 10, arrival: 200 });
  packets.push({ seq: 11, ts: 30 * 960, pt: 111, id: -1, arrival: 600 });
  for (let i = 0; i < 10; i++) packets.push({ seq: 12 + i, ts: (50 + i) * 960, pt: 111, marker: i === 0, id: 50 + i, arrival: 1000 + i * 20 });
  const out = play(b, packets, 1400);
  t.same(audioIds(out), [...range(0, 10), ...range(50, 60)]);
  const gap = out.slice(out.findIndex((f) => f.id === 9) + 1, out.findIndex((f) => f.id === 50));
  t.ok(gap.every((f) => f.kind === 'silence'));
  t.equal(b.stats.lost, 0);
});

t.test('packets that are not RTP are refused without a throw', async (t) => {
  const b = jb();
  t.equal(b.push(new Uint8Array(5), 5, 0), false);
  t.equal(b.push(new Uint8Array(20).fill(0x40), 20, 0), false, 'version 1');
  const padded = rtp({ seq: 1, ts: 1, id: 1, arrival: 0 });
  padded[0] = 0xa0;
  padded[padded.length - 1] = 200;
  t.equal(b.push(padded, padded.length, 0), false, 'padding longer than the packet');
  t.equal(b.stats.invalid, 3);
  t.equal(b.pop(100).kind, 'none');
});

t.test('reset forgets the stream', async (t) => {
  const b = jb();
  play(b, stream(10), 200);
  b.reset();
  t.equal(b.pop(1000).kind, 'none');
});

t.test('bad options throw at once', async (t) => {
  t.throws(() => new JitterBuffer({ clockRate: 0, timestampStep: 160 }), { code: 'PBX_ERR_MEDIA_ARGUMENT' });
  t.throws(() => jb({ minDelayMs: 100, maxDelayMs: 50 }), { code: 'PBX_ERR_MEDIA_ARGUMENT' });
});

/** Replays a recorded stream, each packet delayed by up to maxJitterMs, and compares the output. */
function replay(t: Test, path: string, step: number, tickMs: number, maxJitterMs: number): void {
  const packets = readPcapUdp(path);
  const rnd = lcg(42);
  const arrivals = packets.map((p) => ({ data: p.data, arrival: p.timeMs + rnd() * maxJitterMs }));
  arrivals.sort((a, b) => a.arrival - b.arrival);
  // Expected: each sequence number once, in sequence order (retransmitted RFC 4733 end packets are duplicates).
  const bySeq = new Map<number, Uint8Array>();
  for (const p of packets) if (!bySeq.has((p.data[2]! << 8) | p.data[3]!)) bySeq.set((p.data[2]! << 8) | p.data[3]!, p.data);
  const expected = [...bySeq.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => Buffer.from(d.subarray(12)).toString('hex'));
  const b = new JitterBuffer({ clockRate: 8000, timestampStep: step, minDelayMs: maxJitterMs + tickMs });
  const got: string[] = [];
  let lost = 0;
  const end = packets[packets.length - 1]!.timeMs + 500;
  let q = 0;
  for (let now = 0; now <= end; now += tickMs) {
    while (q < arrivals.length && arrivals[q]!.arrival <= now) {
      b.push(arrivals[q]!.data, arrivals[q]!.data.length, arrivals[q]!.arrival);
      q++;
    }
    const f = b.pop(now);
    if (f.kind === 'audio') got.push(Buffer.from(f.payload).toString('hex'));
    if (f.kind === 'lost' && q < arrivals.length) lost++;
  }
  t.equal(lost, 0, 'no frame is lost');
  t.same(got, expected, `${path}: every frame once, in order`);
  t.equal(b.stats.duplicates, packets.length - bySeq.size);
}

t.test('a recorded G.711 stream replayed with jitter comes out whole and in order', async (t) => {
  replay(t, '/usr/share/sip-tester/g711a.pcap', 240, 30, 40);
});

t.test('a recorded RFC 4733 event replayed with jitter comes out once per packet, duplicates dropped', async (t) => {
  for (const digit of ['1', '5', 'star']) replay(t, `/usr/share/sip-tester/dtmf_2833_${digit}.pcap`, 160, 20, 30);
});
