import t from 'tap';
import {
  ReceiveStats,
  dlsrForLsr,
  ntpMiddle,
  ntpMiddleOfMs,
  ntpTime,
  parseRtcp,
  readCompound,
  reportIntervalMs,
  roundTripMs,
  RtcpReading,
  senderReportNtpMiddle,
  setNtpTime,
  writeBye,
  writeReceiverReport,
  writeSdesCname,
  writeSenderReport,
  type ReportBlock,
} from '../../src/media/rtcp.js';

const block = (o: Partial<ReportBlock> = {}): ReportBlock => ({
  ssrc: 0x11223344,
  fractionLost: 25,
  cumulativeLost: 1234,
  extendedMax: 0x1fffe,
  jitter: 80,
  lsr: 0xabcd1234,
  dlsr: 65536,
  ...o,
});

t.test('an SR with a report block and an SDES CNAME round-trip through parseRtcp', async (t) => {
  const out = new Uint8Array(200);
  let n = writeSenderReport(out, 0, 0xdeadbeef, { ntpSec: 3900000000, ntpFrac: 0x80000000, rtpTimestamp: 160000, packets: 500, octets: 80000 }, [block()]);
  t.equal(n, 52);
  n += writeSdesCname(out, n, 0xdeadbeef, new TextEncoder().encode('pbx@127.0.0.1'));
  t.equal(n % 4, 0, 'compound length is a multiple of 32 bits');
  t.same(parseRtcp(out, n), [
    {
      type: 'sr',
      ssrc: 0xdeadbeef,
      sender: { ntpSec: 3900000000, ntpFrac: 0x80000000, rtpTimestamp: 160000, packets: 500, octets: 80000 },
      reports: [block()],
    },
    { type: 'sdes', chunks: [{ ssrc: 0xdeadbeef, cname: 'pbx@127.0.0.1' }] },
  ]);
});

t.test('an RR keeps a negative cumulative loss (24-bit signed) and several blocks', async (t) => {
  const out = new Uint8Array(100);
  const n = writeReceiverReport(out, 0, 7, [block({ cumulativeLost: -3 }), block({ ssrc: 9, fractionLost: 0, lsr: 0, dlsr: 0 })]);
  t.equal(n, 56);
  t.same(parseRtcp(out, n), [{ type: 'rr', ssrc: 7, reports: [block({ cumulativeLost: -3 }), block({ ssrc: 9, fractionLost: 0, lsr: 0, dlsr: 0 })] }]);
});

t.test('building into a buffer that is too small throws a PbxError, never writes past it', async (t) => {
  t.throws(() => writeReceiverReport(new Uint8Array(20), 0, 1, [block()]), { code: 'PBX_ERR_MEDIA_RTCP' });
  t.throws(() => writeSdesCname(new Uint8Array(100), 0, 1, new Uint8Array(300)), { code: 'PBX_ERR_MEDIA_RTCP' });
});

t.test('BYE with a reason and unknown packet types parse; a malformed tail is cut off', async (t) => {
  const bye = Uint8Array.from([0x81, 203, 0, 3, 0, 0, 0, 5, 4, 0x62, 0x79, 0x65, 0x21, 0, 0, 0]);
  const app = Uint8Array.from([0x80, 204, 0, 2, 0, 0, 0, 5, 0x41, 0x42, 0x43, 0x44]);
  const broken = Uint8Array.from([0x80, 201, 0, 7, 0, 0, 0, 1]);
  const all = new Uint8Array([...bye, ...app, ...broken]);
  t.same(parseRtcp(all), [
    { type: 'bye', ssrcs: [5], reason: 'bye!' },
    { type: 'other', packetType: 204 },
  ]);
});

t.test('malformed RTCP never throws: truncations and random bytes', async (t) => {
  const out = new Uint8Array(300);
  let n = writeSenderReport(out, 0, 1, { ntpSec: 1, ntpFrac: 2, rtpTimestamp: 3, packets: 4, octets: 5 }, [block(), block()]);
  n += writeSdesCname(out, n, 1, new TextEncoder().encode('x'));
  for (let len = 0; len < n; len++) t.doesNotThrow(() => parseRtcp(out, len));
  let s = 1;
  const rnd = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
  let parsed = 0;
  for (let i = 0; i < 3000; i++) {
    const p = new Uint8Array(1 + (rnd() % 80));
    for (let j = 0; j < p.length; j++) p[j] = rnd();
    if (i % 2 === 0) p[0] = 0x80 | (p[0]! & 0x3f);
    if (i % 4 === 0) p[1] = 200 + (rnd() % 5);
    parsed += parseRtcp(p).length + senderReportNtpMiddle(p, p.length) + dlsrForLsr(p, p.length, 5);
  }
  t.ok(Number.isFinite(parsed), 'random input parsed without a throw');
  t.same(parseRtcp(out, 7), [], 'shorter than a header: nothing');
  t.same(parseRtcp(out, n + 100).length, 2, 'a length beyond the buffer is clamped');
});

/** Feeds packets seq0.. of a 20 ms stream to the stats, skipping those `drop` says. */
function feed(s: ReceiveStats, n: number, o: { seq0?: number; drop?: (i: number) => boolean; delay?: (i: number) => number } = {}): void {
  for (let i = 0; i < n; i++) {
    if (o.drop?.(i) === true) continue;
    s.update(((o.seq0 ?? 100) + i) & 0xffff, (i * 160) >>> 0, i * 20 + (o.delay?.(i) ?? 0), 8000);
  }
}

t.test('ReceiveStats: a clean stream has no loss and no jitter', async (t) => {
  const s = new ReceiveStats();
  feed(s, 500);
  t.equal(s.lost, 0);
  t.equal(s.expected, 499, 'the first packet is the probation packet (RFC 3550 A.1)');
  t.equal(s.receivedTotal, 499);
  t.equal(s.jitterMs, 0);
});

t.test('ReceiveStats: one packet in twenty lost is 5 % loss and the fraction lost of A.3', async (t) => {
  const s = new ReceiveStats();
  feed(s, 1001, { drop: (i) => i % 20 === 10 });
  t.equal(s.lost, 50);
  t.equal(s.lossPct, 5);
  t.equal(s.fractionLost(), Math.floor((50 * 256) / 1000));
  feed(s, 0);
  t.equal(s.fractionLost(), 0, 'nothing new in the next interval');
  const r = s.report(block(), 42, 0, 0);
  t.equal(r.cumulativeLost, 50);
  t.equal(r.extendedMax, 100 + 1000);
});

t.test('ReceiveStats: sequence numbers wrap into the cycle count', async (t) => {
  const s = new ReceiveStats();
  feed(s, 200, { seq0: 65450, drop: (i) => i === 150 });
  t.equal(s.cycles, 65536);
  t.equal(s.extendedMax, 65536 + ((65450 + 199) & 0xffff));
  t.equal(s.lost, 1);
});

t.test('ReceiveStats: a stray packet stays on probation; a restarted source carries the totals', async (t) => {
  const s = new ReceiveStats();
  t.equal(s.update(5, 0, 0, 8000), false);
  t.equal(s.update(900, 0, 20, 8000), false);
  t.equal(s.expected, 0);
  const r = new ReceiveStats();
  feed(r, 100, { drop: (i) => i === 50 });
  t.equal(r.update(30000, 0, 5000, 8000), false, 'a jump is held back once');
  t.equal(r.update(30001, 160, 5020, 8000), true, 'two in sequence: the source restarted');
  t.equal(r.lost, 1, 'the loss before the restart is kept');
  t.equal(r.expected, 99 + 1);
  r.restart();
  feed(r, 50, { seq0: 7 });
  t.equal(r.lost, 1);
  t.equal(r.expected, 100 + 49);
});

t.test('ReceiveStats: reordered and duplicate packets do not count as lost', async (t) => {
  const s = new ReceiveStats();
  const order = [0, 1, 2, 4, 3, 5, 6, 6, 7, 8];
  order.forEach((i, k) => s.update(100 + i, i * 160, k * 20, 8000));
  t.equal(s.lost, 0);
  t.equal(s.extendedMax, 108);
});

t.test('ReceiveStats: interarrival jitter per RFC 3550 A.8', async (t) => {
  const s = new ReceiveStats();
  feed(s, 1000, { delay: (i) => (i % 2) * 10 });
  t.ok(Math.abs(s.jitterMs - 10) < 0.5, `alternating 0/10 ms delay gives ~10 ms (${s.jitterMs.toFixed(2)})`);
  const w = new ReceiveStats();
  for (let i = 0; i < 1000; i++) w.update(i, (i * 960) >>> 0, i * 20 + (i % 2) * 10, 48000);
  t.ok(Math.abs(w.jitterMs - 10) < 0.5, 'the same in ms at 48 kHz');
});

t.test('NTP middle bits and round-trip time from LSR and DLSR (RFC 3550 6.4.1)', async (t) => {
  const sent = Date.UTC(2026, 10, 25, 12, 0, 0, 250);
  const { sec, frac } = ntpTime(sent);
  t.equal(sec, Math.floor(sent / 1000) + 2208988800);
  t.equal(ntpMiddle(sec, frac), ntpMiddleOfMs(sent));
  const lsr = ntpMiddleOfMs(sent);
  const arrival = ntpMiddleOfMs(sent + 180);
  const rtt = roundTripMs(arrival, lsr, Math.round((100 / 1000) * 65536));
  t.ok(rtt !== null && Math.abs(rtt - 80) < 0.1, `80 ms (${rtt})`);
  t.equal(roundTripMs(arrival, 0, 0), null, 'no SR received yet');
  t.equal(roundTripMs(lsr, arrival, 0), null, 'negative: not plausible');
});

t.test('the allocation-free scanners find the SR time and the DLSR that answers it', async (t) => {
  const out = new Uint8Array(200);
  const sr = writeSenderReport(out, 0, 1, { ntpSec: 0x12345678, ntpFrac: 0x9abcdef0, rtpTimestamp: 0, packets: 0, octets: 0 }, []);
  t.equal(senderReportNtpMiddle(out, sr), 0x56789abc);
  const rrOut = new Uint8Array(200);
  let n = writeReceiverReport(rrOut, 0, 2, [block({ lsr: 1 }), block({ lsr: 0x56789abc, dlsr: 777 })]);
  n += writeSdesCname(rrOut, n, 2, new TextEncoder().encode('phone'));
  t.equal(dlsrForLsr(rrOut, n, 0x56789abc), 777);
  t.equal(dlsrForLsr(rrOut, n, 3), -1);
  t.equal(senderReportNtpMiddle(rrOut, n), -1, 'an RR has no sender time');
});

t.test('a BYE for one SSRC (RFC 3550 6.6) parses back; the NTP time is set in place', async (t) => {
  const out = new Uint8Array(8);
  t.equal(writeBye(out, 0, 0xcafe0001), 8);
  t.same(parseRtcp(out), [{ type: 'bye', ssrcs: [0xcafe0001], reason: null }]);
  const info = { ntpSec: 0, ntpFrac: 0, rtpTimestamp: 0, packets: 0, octets: 0 };
  const ms = Date.UTC(2026, 10, 26, 3, 0, 0, 125);
  setNtpTime(info, ms);
  t.same([info.ntpSec, info.ntpFrac], [ntpTime(ms).sec, ntpTime(ms).frac]);
});

t.test('readCompound finds the first SR time and the block about our SSRC, without allocating a packet list', async (t) => {
  const out = new Uint8Array(300);
  let n = writeSenderReport(out, 0, 0x77, { ntpSec: 0x12345678, ntpFrac: 0x9abcdef0, rtpTimestamp: 0, packets: 1, octets: 1 }, [block({ ssrc: 5 }), block({ ssrc: 0x99, cumulativeLost: -2 })]);
  n += writeSdesCname(out, n, 0x77, new TextEncoder().encode('phone'));
  const r = new RtcpReading();
  t.ok(readCompound(out, n, 0x99, r));
  t.same([r.srSsrc, r.srMiddle, r.hasBlock], [0x77, 0x56789abc, true]);
  t.same(r.block, block({ ssrc: 0x99, cumulativeLost: -2 }));
  t.ok(readCompound(out, n, 0x42, r));
  t.same([r.srMiddle, r.hasBlock], [0x56789abc, false], 'no block about another SSRC');
  const rr = new Uint8Array(100);
  const m = writeReceiverReport(rr, 0, 3, [block({ ssrc: 0x99, lsr: 7 })]);
  t.ok(readCompound(rr, m, 0x99, r));
  t.same([r.srMiddle, r.hasBlock, r.block.lsr], [-1, true, 7], 'an RR: a block, no SR time');
});

t.test('readCompound refuses what RFC 3550 A.2 calls invalid, and never throws on random bytes', async (t) => {
  const out = new Uint8Array(300);
  let n = writeReceiverReport(out, 0, 3, [block({ ssrc: 0x99 })]);
  n += writeSdesCname(out, n, 3, new TextEncoder().encode('x'));
  const r = new RtcpReading();
  for (let len = 0; len < n; len++) if (len !== 32) t.notOk(readCompound(out, len, 0x99, r), `cut to ${len} of ${n} octets`);
  t.ok(readCompound(out, 32, 0x99, r), 'the RR alone, cut where the SDES begins, is valid');
  const bad = (edit: (p: Uint8Array) => void): boolean => {
    const p = out.slice(0, n);
    edit(p);
    return readCompound(p, n, 0x99, r);
  };
  t.notOk(bad((p) => (p[0] = 0x41)), 'version 1');
  t.notOk(bad((p) => (p[0] = 0x82)), 'two blocks announced, one there');
  t.notOk(bad((p) => (p[0] = 0xa1)), 'padding on a packet that is not the last');
  t.notOk(readCompound(Uint8Array.from([...out.subarray(0, n), 0x80, 0xc9, 0]), n + 3, 0x99, r), 'garbage after the last packet');
  let s = 7;
  const rnd = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
  let valid = 0;
  for (let i = 0; i < 3000; i++) {
    const p = new Uint8Array(1 + (rnd() % 80));
    for (let j = 0; j < p.length; j++) p[j] = rnd();
    if (i % 2 === 0) p[0] = 0x80 | (p[0]! & 0x3f);
    if (readCompound(p, p.length, 5, r)) valid++;
  }
  t.ok(valid < 3000, `random input read without a throw (${valid} passed as valid)`);
});

t.test('the report interval of a two-party session (RFC 3550 6.2, 6.3.1, A.7)', async (t) => {
  const base = { members: 2, senders: 2, sessionBandwidth: 10000, weSent: true, avgRtcpSize: 120, initial: false, minMs: 5000 };
  const compensation = Math.E - 1.5;
  const near = (got: number, want: number, what: string): void => {
    t.ok(Math.abs(got - want) < 1e-6, `${what}: ${got.toFixed(3)} ms`);
  };
  near(reportIntervalMs({ ...base, random: 0 }), (5000 * 0.5) / compensation, 'the 5 s minimum, times 0.5 at the low end');
  near(reportIntervalMs({ ...base, random: 0.999999 }), (5000 * 1.499999) / compensation, 'times 1.5 at the high end');
  near(reportIntervalMs({ ...base, initial: true, random: 0.5 }), 2500 / compensation, 'the first report: half the minimum');
  near(reportIntervalMs({ ...base, minMs: 100, random: 0.5 }), (120 * 2 * 1000) / 500 / compensation, 'above the minimum: members times size over 5 % of the bandwidth');
  near(reportIntervalMs({ ...base, minMs: 1, senders: 0, weSent: false, random: 0.5 }), (120 * 2 * 1000) / 375 / compensation, 'no sender: receivers share 75 % of the RTCP bandwidth');
  const many = { ...base, members: 10, senders: 1, minMs: 1, random: 0.5 };
  near(reportIntervalMs({ ...many, weSent: true }), (120 * 1 * 1000) / 125 / compensation, 'few senders share 25 % (6.3.1)');
});

t.test('ReceiveStats.resume carries totals and jitter measured elsewhere', async (t) => {
  const s = new ReceiveStats();
  s.resume(3, 97, 40);
  t.same([s.lost, s.receivedTotal, s.expected, s.jitter], [3, 97, 100, 40]);
  feed(s, 101, { drop: (i) => i === 50 });
  t.equal(s.lost, 4, 'three from before, one new');
  t.ok(s.jitter < 40 && s.jitter > 0, `jitter decays from the carried value: ${s.jitter}`);
});
