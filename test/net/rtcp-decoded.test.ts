// RTCP of decoded legs (RFC 3550 6) over real UDP on 127.0.0.1: a leg whose media the PBX makes
// (transcoding, a tone) sends compound reports about its own stream and about the phone's, and
// reads the phone's reports for the round trip. Node endpoints stand for the phones: RtpEndpoint
// for RTP and RtcpEndpoint for RTCP. The report interval is shortened to 200 ms (an engine option).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { legQuality } from '../../src/calls/quality.js';
import type { LegStats } from '../../src/media/engine.js';
import { ntpMiddle, setNtpTime, writeReceiverReport, writeSdesCname, writeSenderReport, type ReportBlock, type RtcpPacket, type SenderInfo } from '../../src/media/rtcp.js';
import { hasTool, speechLike } from '../helpers/audio.js';
import { startTestEngine } from '../helpers/media-engine.js';
import { writePcapUdp } from '../helpers/pcap.js';
import { RtcpEndpoint, type RtcpArrival } from '../helpers/rtcp-endpoint.js';
import { codecSpec, RtpEndpoint, type EndpointCodec } from '../helpers/rtp-endpoint.js';
import { tempDir } from '../interop/harness.js';

const engine = await startTestEngine(t, 40, { rtcpIntervalMs: 200 });

const PCMU: EndpointCodec = { name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: 101 };
const PCMA: EndpointCodec = { name: 'PCMA', payloadType: 8, clockRate: 8000, dtmfPayloadType: 101 };
const CNAME = new TextEncoder().encode('phone@127.0.0.1');


interface Phone {
  ep: RtpEndpoint;
  rtcp: RtcpEndpoint;
  legId: string;
  port: number;
}

/** Resolves with the leg's stats once pred holds of them, asking the worker every 10 ms; rejects after limitMs. */
async function statsWhen(legId: string, pred: (s: LegStats) => boolean, what: string, limitMs = 5000): Promise<LegStats> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    const s = await engine.stats(legId);
    if (pred(s)) return s;
    if (performance.now() > deadline) throw new Error(`leg ${legId}: ${what} not seen within ${limitMs} ms: ${JSON.stringify(s)}`);
    await delay(10);
  }
}

/** An RR (with blocks) and an SDES CNAME from the phone, as one compound packet. */
function phoneRr(ssrc: number, blocks: ReportBlock[]): Uint8Array {
  const out = new Uint8Array(256);
  let n = writeReceiverReport(out, 0, ssrc, blocks);
  n += writeSdesCname(out, n, ssrc, CNAME);
  return out.subarray(0, n);
}

let groups = 0;

/** A phone on a PBX leg: RTP and RTCP from two sockets of its own. */
async function phoneOn(group: string, codec: EndpointCodec): Promise<Phone> {
  const ep = await RtpEndpoint.open(codec);
  const rtcp = await RtcpEndpoint.open();
  t.teardown(() => {
    ep.close();
    rtcp.close();
  });
  const { legId, port } = await engine.openLeg(group);
  await engine.setRemote(legId, { address: '127.0.0.1', port: ep.port, rtcpPort: rtcp.port });
  await engine.setCodec(legId, codecSpec(codec));
  return { ep, rtcp, legId, port };
}

/**
 * The phone's RTCP packet latches the leg's RTCP to the phone's RTCP socket (else the PBX reports to
 * RTP port + 1). A leg moved from the native relay to the pipeline learns it again.
 */
async function latchRtcp(p: Phone): Promise<void> {
  const before = (await engine.stats(p.legId)).rtcpReceived;
  p.rtcp.send(phoneRr(p.ep.ssrc, []), p.port + 1);
  await statsWhen(p.legId, (s) => s.rtcpReceived === before + 1, "the phone's RTCP packet");
}

async function call(ca: EndpointCodec, cb: EndpointCodec): Promise<{ a: Phone; b: Phone }> {
  const group = `g${++groups}`;
  const a = await phoneOn(group, ca);
  const b = await phoneOn(group, cb);
  await engine.bridge(a.legId, b.legId);
  await latchRtcp(a);
  await latchRtcp(b);
  return { a, b };
}

function sr(a: RtcpArrival): Extract<RtcpPacket, { type: 'sr' }> | null {
  const p = a.packets[0];
  return p !== undefined && p.type === 'sr' ? p : null;
}

/** The report block about `ssrc` in the first packet (SR or RR) of a compound packet. */
function blockAbout(a: RtcpArrival, ssrc: number): ReportBlock | null {
  const p = a.packets[0];
  if (p === undefined || (p.type !== 'sr' && p.type !== 'rr')) return null;
  return p.reports.find((b) => b.ssrc === ssrc) ?? null;
}

/** The PBX's SSRC towards this phone: the one SSRC of the RTP it received. */
function pbxSsrc(p: Phone): number {
  return p.ep.arrivals[p.ep.arrivals.length - 1]!.ssrc;
}

t.test('a transcoded leg sends SRs with the SSRC and counts of the RTP its phone got, and an RR block with the packets the phone left out', async (t) => {
  const { a, b } = await call(PCMU, PCMA);
  const dropped = new Set([10, 11, 12, 13, 14]);
  const talking = Promise.all([a.ep.send(speechLike(8000, 2), a.port, '127.0.0.1', (i) => dropped.has(i)), b.ep.send(new Int16Array(16000), b.port)]);
  const lossy = await a.rtcp.waitFor((r) => sr(r) !== null && blockAbout(r, a.ep.ssrc)?.cumulativeLost === 5, 5000, 'an SR counting 5 lost');
  await talking;
  const report = sr(lossy)!;
  t.same([...a.ep.ssrcs], [report.ssrc], "the SR's SSRC is the one of the RTP the PBX sends the phone");
  const sdes = lossy.packets[1];
  t.ok(sdes?.type === 'sdes' && sdes.chunks[0]!.ssrc === report.ssrc && (sdes.chunks[0]!.cname ?? '').length > 0, 'an SDES CNAME follows (RFC 3550 6.1)');
  const block = blockAbout(lossy, a.ep.ssrc)!;
  t.ok(block.fractionLost > 0, `fraction lost in the interval of the loss: ${block.fractionLost}/256`);
  t.equal(block.lsr, 0, 'the phone sent no SR: LSR 0');

  // The SR's RTP timestamp is the frame sent in the same tick: its packet count is what came before.
  const last = [...a.rtcp.received].reverse().find((r) => sr(r) !== null)!;
  const info = sr(last)!.sender;
  await a.ep.waitFor(() => a.ep.arrivals.some((p) => p.timestamp === info.rtpTimestamp), 2000, 'the frame of the last SR');
  const before = a.ep.arrivals.slice(0, a.ep.arrivals.findIndex((p) => p.timestamp === info.rtpTimestamp));
  t.equal(info.packets, before.length, `SR packet count ${info.packets} = packets the phone received before`);
  t.equal(info.octets, before.reduce((n, p) => n + p.payloadBytes, 0), 'SR octet count = their payload octets');
  t.equal(info.octets, info.packets * 160, 'G.711: 160 octets a packet');

  const stats = await engine.stats(a.legId);
  t.equal(stats.packetsLost, 5, 'the leg stats count the same loss');
  t.ok(stats.rtcpSent >= 2, `reports counted as sent: ${stats.rtcpSent}`);
  t.ok(b.rtcp.received.some((r) => sr(r)?.ssrc === pbxSsrc(b)), 'the other leg reports too, with its own SSRC');
});

t.test("the phone's reports give the leg its RTT (LSR/DLSR) and the phone's view of the stream; the PBX echoes the phone's SR", async (t) => {
  const { a, b } = await call(PCMU, PCMA);
  const talking = Promise.all([a.ep.send(speechLike(8000, 3), a.port), b.ep.send(new Int16Array(24000), b.port)]);
  t.teardown(() => talking);
  const first = await a.rtcp.waitFor((r) => sr(r) !== null, 5000, 'an SR from the PBX');
  const ours = sr(first)!;
  // The phone holds its answer (network and processing delay) but owns up to 100 ms of it in DLSR.
  await delay(200);
  const dlsrMs = 100;
  const lsr = ntpMiddle(ours.sender.ntpSec, ours.sender.ntpFrac);
  const farBlock: ReportBlock = { ssrc: ours.ssrc, fractionLost: 64, cumulativeLost: 3, extendedMax: 1000, jitter: 80, lsr, dlsr: Math.round((dlsrMs * 65536) / 1000) };
  const held = performance.now() - first.at;
  a.rtcp.send(phoneRr(a.ep.ssrc, [farBlock]), a.port + 1);
  const s = await statsWhen(a.legId, (x) => x.rttMs !== null, 'an RTT');
  const expected = held - dlsrMs;
  t.ok(s.rttMs! >= expected - 2 && s.rttMs! < expected + 40, `RTT ${s.rttMs} ms for ${expected.toFixed(1)} ms held beyond DLSR`);
  t.same(s.farEnd, { packetsLost: 3, fractionLostPct: 25, jitterMs: 10 }, "the phone's view of the PBX's stream");
  const q = legQuality(s, 'PCMU')!;
  t.equal(q.rtt_ms, s.rttMs, 'the CDR quality carries the RTT of a decoded leg');
  t.ok(q.mos > 1 && q.mos <= 4.5, `MOS ${q.mos}`);
  t.equal((await engine.stats(b.legId)).rttMs, null, 'B answered no SR: no RTT on its leg');

  // The phone's own SR: the PBX's next block about the phone echoes its time as LSR, DLSR the hold.
  const phoneSr = new Uint8Array(128);
  const info: SenderInfo = { ntpSec: 0, ntpFrac: 0, rtpTimestamp: 1234, packets: 10, octets: 1600 };
  setNtpTime(info, Date.now());
  const n = writeSenderReport(phoneSr, 0, a.ep.ssrc, info, []);
  const sentAt = performance.now();
  a.rtcp.send(phoneSr.subarray(0, n), a.port + 1);
  const echo = await a.rtcp.next((r) => blockAbout(r, a.ep.ssrc)?.lsr === ntpMiddle(info.ntpSec, info.ntpFrac), 5000, "a block echoing the phone's SR");
  const dlsr = (blockAbout(echo, a.ep.ssrc)!.dlsr * 1000) / 65536;
  t.ok(dlsr >= 0 && dlsr <= echo.at - sentAt + 1, `DLSR ${dlsr.toFixed(1)} ms within the ${(echo.at - sentAt).toFixed(1)} ms since the phone's SR`);
});

t.test('malformed RTCP from a phone is ignored: reports go on and the figures stay', async (t) => {
  const { a, b } = await call(PCMU, PCMA);
  const talking = Promise.all([a.ep.send(speechLike(8000, 2.5), a.port), b.ep.send(new Int16Array(20000), b.port)]);
  t.teardown(() => talking);
  const first = await a.rtcp.waitFor((r) => sr(r) !== null, 5000, 'an SR from the PBX');
  const ours = sr(first)!;
  const lsr = ntpMiddle(ours.sender.ntpSec, ours.sender.ntpFrac);
  const good = phoneRr(a.ep.ssrc, [{ ssrc: ours.ssrc, fractionLost: 0, cumulativeLost: 1, extendedMax: 1, jitter: 8, lsr, dlsr: 0 }]);
  const truncated = good.slice(0, 20);
  const overlong = Uint8Array.from(good);
  overlong[3] = 60;
  const tooManyBlocks = Uint8Array.from(good);
  tooManyBlocks[0] = 0x80 | 2;
  const badVersion = Uint8Array.from(good);
  badVersion[0] = 0x41;
  const badPadding = Uint8Array.from(good.subarray(0, 32));
  badPadding[0] = 0xa1;
  badPadding[31] = 200;
  const junk = [truncated, overlong, tooManyBlocks, badVersion, badPadding, Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff), new Uint8Array(8)];
  const before = await engine.stats(a.legId);
  for (const p of junk) a.rtcp.send(p, a.port + 1);
  const after = await statsWhen(a.legId, (s) => s.rtcpReceived >= before.rtcpReceived + 2, 'the RTCP-looking packets counted');
  t.equal(after.rttMs, null, 'no RTT from a malformed report');
  t.equal(after.farEnd ?? null, null, 'no far-end view from a malformed report');
  const next = await a.rtcp.next((r) => sr(r) !== null, 5000, 'the next SR');
  t.equal(sr(next)!.ssrc, ours.ssrc, 'the leg reports on, with the same SSRC');
  a.rtcp.send(good, a.port + 1);
  const fine = await statsWhen(a.legId, (s) => s.farEnd !== null && s.farEnd !== undefined, 'the well-formed report read');
  t.equal(fine.farEnd!.packetsLost, 1, 'a well-formed report after the junk is read');
});

t.test('closing a decoded leg ends its stream with an RTCP BYE', async (t) => {
  const { a, b } = await call(PCMU, PCMA);
  await Promise.all([a.ep.send(speechLike(8000, 0.5), a.port), b.ep.send(new Int16Array(4000), b.port)]);
  await a.ep.waitFor(() => a.ep.arrivals.length > 5, 2000, 'RTP from the PBX');
  const ssrc = pbxSsrc(a);
  await engine.closeLeg(a.legId);
  const bye = await a.rtcp.waitFor((r) => r.packets.some((p) => p.type === 'bye'), 2000, 'a BYE');
  const p = bye.packets.find((x) => x.type === 'bye')!;
  t.same(p.type === 'bye' ? p.ssrcs : [], [ssrc], "the BYE names the PBX's SSRC");
  t.ok(['sr', 'rr'].includes(bye.packets[0]!.type), 'in a compound packet that starts with a report (RFC 3550 6.1)');
});

t.test('a relayed leg moved to the pipeline for a tone and back keeps its counts: nothing goes backwards or counts twice', async (t) => {
  const { a, b } = await call(PCMA, PCMA);
  const lossy = (i: number): boolean => i === 10 || i === 20;
  await a.ep.send(speechLike(8000, 1), a.port, '127.0.0.1', lossy);
  await b.ep.waitFor(() => b.ep.arrivals.length >= 48, 3000, "A's 48 packets at B");
  const relayed = await engine.stats(a.legId);
  t.same([relayed.rtpReceived, relayed.packetsLost], [48, 2], 'relayed: 48 packets, 2 lost');

  const tone = engine.tone(a.legId, 'ringback');
  await a.ep.waitFor(() => a.ep.arrivals.some((p) => p.ssrc !== b.ep.ssrc), 3000, 'the PBX stream at A');
  await latchRtcp(a);
  const moved = await engine.stats(a.legId);
  t.ok(moved.rtpReceived >= relayed.rtpReceived && moved.rtpSent >= relayed.rtpSent && moved.rtcpReceived >= relayed.rtcpReceived, 'no counter went backwards');
  t.equal(moved.packetsLost, 2, 'the loss measured by the relay is kept');

  await a.ep.send(speechLike(8000, 1), a.port, '127.0.0.1', lossy);
  const decoded = await statsWhen(a.legId, (s) => s.rtpReceived === 96, '96 packets');
  t.equal(decoded.packetsLost, 4, '2 lost while relayed and 2 while decoded');
  const report = await a.rtcp.waitFor((r) => blockAbout(r, a.ep.ssrc)?.cumulativeLost === 2, 5000, 'a PBX report about the decoded stretch');
  t.ok(report.packets.length >= 2, 'a compound report from the decoded leg');

  await engine.stopPlay(a.legId);
  t.equal(await tone, 'stopped', 'the tone ends: the legs are relayed again');
  const byed = await a.rtcp.waitFor((r) => r.packets.some((p) => p.type === 'bye'), 2000, 'a BYE as the PBX stream ends');
  t.ok(byed !== undefined, 'the PBX stream ends with a BYE');
  await a.ep.send(speechLike(8000, 0.2), a.port);
  const back = await statsWhen(a.legId, (s) => s.rtpReceived === 106, '106 packets');
  t.equal(back.packetsLost, 4, 'relayed again: still 4 lost, none counted twice');
  t.ok(back.rtpSent >= decoded.rtpSent && back.rtcpSent >= decoded.rtcpSent, 'sent counters only grow');
});

t.test('tshark decodes what the PBX sent as well-formed RTCP: SR and SDES, then the BYE, with the same counts', { skip: hasTool('tshark') ? false : 'tshark is not installed' }, async (t) => {
  const { a, b } = await call(PCMU, PCMA);
  await Promise.all([a.ep.send(speechLike(8000, 1), a.port), b.ep.send(new Int16Array(8000), b.port)]);
  await a.rtcp.waitFor((r) => sr(r) !== null, 5000, 'an SR');
  await engine.closeLeg(a.legId);
  await a.rtcp.waitFor((r) => r.packets.some((p) => p.type === 'bye'), 2000, 'the BYE');
  const fromPbx = a.rtcp.received.filter((r) => r.fromPort === a.port + 1);
  const tmp = tempDir('rtcp-tshark');
  t.teardown(() => tmp.cleanup());
  const file = join(tmp.path, 'rtcp.pcap');
  writePcapUdp(
    file,
    fromPbx.map((r) => ({ srcPort: a.port + 1, dstPort: a.rtcp.port, data: r.raw })),
  );
  const fields = ['frame.number', 'rtcp.pt', 'rtcp.senderssrc', 'rtcp.sender.packetcount', 'rtcp.sender.octetcount', 'rtcp.sdes.text', 'rtcp.length_check.bad', '_ws.malformed'];
  const run = spawnSync('tshark', ['-r', file, '-d', `udp.port==${a.port + 1},rtcp`, '-T', 'fields', '-E', 'separator=;', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', timeout: 30000 });
  t.equal(run.status, 0, `tshark ran: ${run.stderr}`);
  const rows = run.stdout.trim().split('\n').map((l) => l.split(';'));
  t.equal(rows.length, fromPbx.length, 'one frame a compound packet');
  t.ok(rows.every((r) => r[6] === '' && r[7] === ''), 'no frame is malformed or fails the length check');
  const mine = fromPbx.map((r) => sr(r)).find((p) => p !== null)!;
  const row = rows.find((r) => r[1]!.startsWith('200'))!;
  t.same([row[1], Number(row[2]), Number(row[3]), Number(row[4])], ['200,202', mine.ssrc, mine.sender.packets, mine.sender.octets], 'SR then SDES, with the counts parseRtcp read');
  t.ok(row[5]!.length > 0, `a CNAME: ${row[5]}`);
  t.ok(rows[rows.length - 1]![1]!.endsWith(',203'), `the last compound ends with a BYE: ${rows[rows.length - 1]![1]}`);
});
