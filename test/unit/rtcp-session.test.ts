// The RTCP session of a decoded leg, driven by hand on a fake clock: which report it sends (SR or
// RR, RFC 3550 6.4), when (6.2, 6.3.1), what its blocks say, and what it learns from the phone.
import t from 'tap';
import type { Socket } from 'node:dgram';
import { RtcpSession } from '../../src/media/pipeline/rtcp-session.js';
import { RtpSender } from '../../src/media/pipeline/rtp-sender.js';
import { Leg } from '../../src/media/relay.js';
import { ntpMiddle, parseRtcp, writeReceiverReport, writeSenderReport, type RtcpPacket } from '../../src/media/rtcp.js';

const COMPENSATION = Math.E - 1.5;

/** A leg whose RTCP socket keeps what is sent on it. */
function fakeLeg(): { leg: Leg; sent: RtcpPacket[][]; closed: { value: boolean } } {
  const sent: RtcpPacket[][] = [];
  const closed = { value: false };
  const socket = {
    send(buf: Uint8Array, offset: number, length: number): void {
      if (closed.value) throw Object.assign(new Error('Not running'), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
      sent.push(parseRtcp(buf.subarray(offset, offset + length)));
    },
    close(): void {
      closed.value = true;
    },
  } as unknown as Socket;
  const leg = new Leg('L1', 20000, socket, socket);
  leg.rtcpSendAddress = '127.0.0.1';
  leg.rtcpSendPort = 9;
  return { leg, sent, closed };
}

/** The phone's RTP packet `seq` arrived at `ms`. */
function phoneRtp(leg: Leg, seq: number, ms: number): void {
  leg.rtpReceived++;
  leg.receiveSsrc = 0xabc;
  leg.receive.update(seq, seq * 160, ms, 8000);
}

/** One 20 ms tick of the leg's own stream: 160 octets of G.711. */
function ourRtp(s: RtpSender): void {
  s.stamp(0, s.timestamp, false);
  s.sent(160);
  s.advance(160);
}

t.test('the first report comes within half the 5 s minimum, randomised; the next every 5 s, randomised (RFC 3550 6.2)', async (t) => {
  const { leg, sent } = fakeLeg();
  const s = new RtpSender();
  const rtcp = new RtcpSession(leg, s, 8000, undefined, 0);
  const times: number[] = [];
  for (let now = 0; now <= 120_000; now += 20) {
    const before = sent.length;
    rtcp.poll(now);
    if (sent.length > before) times.push(now);
  }
  t.ok(times[0]! >= (2500 * 0.5) / COMPENSATION && times[0]! <= (2500 * 1.5) / COMPENSATION + 20, `first after ${times[0]} ms`);
  const gaps = times.slice(1).map((x, i) => x - times[i]!);
  t.ok(gaps.length >= 19, `${gaps.length} more reports in two minutes`);
  t.ok(gaps.every((g) => g >= (5000 * 0.5) / COMPENSATION && g <= (5000 * 1.5) / COMPENSATION + 20), `gaps ${Math.min(...gaps)}..${Math.max(...gaps)} ms`);
  t.ok(new Set(gaps).size > 5, 'randomised');
  t.equal(leg.rtcpSent, times.length, 'each report counted on the leg');
});

t.test('an RR while the PBX sends nothing, an SR once it sends, with a block only when the phone sent', async (t) => {
  const { leg, sent } = fakeLeg();
  const s = new RtpSender();
  const rtcp = new RtcpSession(leg, s, 8000, 100, 0);
  let now = 0;
  let seq = 1000;
  const until = (pred: () => boolean, step: () => void): void => {
    const n = sent.length;
    for (let i = 0; i < 1000 && sent.length === n; i++) {
      now += 20;
      step();
      rtcp.poll(now);
    }
    if (!pred()) throw new Error('no report');
  };
  until(() => sent.length === 1, () => undefined);
  t.same(
    sent[0]!.map((p) => p.type),
    ['rr', 'sdes'],
    'nothing sent, nothing received: an empty RR and the CNAME',
  );
  t.same(sent[0]![0]!.type === 'rr' ? sent[0]![0]!.reports : null, []);

  for (let i = 0; i < 5; i++) phoneRtp(leg, seq++, now);
  seq += 2; // two lost
  until(
    () => sent.length === 2,
    () => {
      phoneRtp(leg, seq++, now);
      ourRtp(s);
    },
  );
  const sr = sent[1]![0]!;
  t.equal(sr.type, 'sr', 'the PBX sent RTP since the last report: an SR');
  if (sr.type !== 'sr') return;
  t.equal(sr.ssrc, s.ssrc);
  t.same([sr.sender.packets, sr.sender.octets], [s.packets, s.octets], "the sender's own counts");
  t.equal(sr.sender.rtpTimestamp, s.timestamp, 'the timestamp of the frame sent in this tick');
  t.equal(sr.reports.length, 1);
  t.same([sr.reports[0]!.ssrc, sr.reports[0]!.cumulativeLost], [0xabc, 2], 'a block about the phone with its loss');
  t.equal(sent[1]![1]!.type, 'sdes');

  until(() => sent.length === 3, () => undefined);
  t.same(sent[2]!.map((p) => p.type), ['rr', 'sdes'], 'both quiet again: an RR without blocks');
  t.same(sent[2]![0]!.type === 'rr' ? sent[2]![0]!.reports : null, []);
});

t.test("the phone's SR and its block about the PBX stream: LSR/DLSR both ways, RTT, its view of the stream", async (t) => {
  const { leg, sent } = fakeLeg();
  const s = new RtpSender();
  const rtcp = new RtcpSession(leg, s, 8000, 100, 0);
  let now = 0;
  for (let i = 0; sent.length === 0 && i < 1000; i++) {
    now += 20;
    phoneRtp(leg, 500 + i, now);
    ourRtp(s);
    rtcp.poll(now);
  }
  const ours = sent[0]![0]!;
  if (ours.type !== 'sr') throw new Error('an SR was expected');
  const lsr = ntpMiddle(ours.sender.ntpSec, ours.sender.ntpFrac);

  // The phone answers 150 ms later, 50 ms of which it says it held the report (DLSR).
  const rr = new Uint8Array(64);
  const block = { ssrc: s.ssrc, fractionLost: 128, cumulativeLost: 7, extendedMax: 99, jitter: 160, lsr, dlsr: 50 * 65.536 };
  rtcp.receive(rr.subarray(0, writeReceiverReport(rr, 0, 0xabc, [block])), now + 150);
  t.ok(Math.abs(leg.rttMs - 100) < 0.1, `RTT ${leg.rttMs} ms`);
  t.same(leg.farEnd, { packetsLost: 7, fractionLostPct: 50, jitterMs: 20 }, "the phone's view: its loss, fraction lost and jitter");

  const stale = { ...block, lsr: (lsr + 12345) >>> 0, cumulativeLost: 8 };
  rtcp.receive(rr.subarray(0, writeReceiverReport(rr, 0, 0xabc, [stale])), now + 300);
  t.ok(Math.abs(leg.rttMs - 100) < 0.1, 'an LSR that echoes no SR of ours gives no RTT');
  t.equal(leg.farEnd!.packetsLost, 8, 'but the view of the stream is news');

  const phoneSr = new Uint8Array(64);
  const info = { ntpSec: 3_000_000_000, ntpFrac: 0x40000000, rtpTimestamp: 0, packets: 1, octets: 1 };
  const srAt = now;
  rtcp.receive(phoneSr.subarray(0, writeSenderReport(phoneSr, 0, 0xabc, info, [])), srAt);
  const n = sent.length;
  for (let i = 0; sent.length === n && i < 1000; i++) {
    now += 20;
    phoneRtp(leg, 1000 + i, now);
    rtcp.poll(now);
  }
  const next = sent[n]![0]!;
  const echo = next.type === 'sr' || next.type === 'rr' ? next.reports[0]! : null;
  t.equal(echo?.lsr, ntpMiddle(info.ntpSec, info.ntpFrac), "the next block echoes the phone's SR");
  t.ok(Math.abs((echo!.dlsr * 1000) / 65536 - (now - srAt)) < 0.1, 'DLSR: the time since it came');

  const other = new Uint8Array(64);
  const strangerSr = writeSenderReport(other, 0, 0xdef, { ...info, ntpSec: 3_000_000_001 }, []);
  rtcp.receive(other.subarray(0, strangerSr), now);
  const m = sent.length;
  for (let i = 0; sent.length === m && i < 1000; i++) {
    now += 20;
    phoneRtp(leg, 2000 + i, now);
    rtcp.poll(now);
  }
  const after = sent[m]![0]!;
  t.equal(after.type === 'sr' || after.type === 'rr' ? after.reports[0]!.lsr : -1, ntpMiddle(info.ntpSec, info.ntpFrac), 'an SR from another SSRC is not the LSR of the block about the phone');
});

t.test('close sends a last report with a BYE, once, and only when something was sent before', async (t) => {
  const quiet = fakeLeg();
  new RtcpSession(quiet.leg, new RtpSender(), 8000, 100, 0).close(10);
  t.equal(quiet.sent.length, 0, 'a participant that sent nothing sends no BYE (RFC 3550 6.6)');

  const { leg, sent } = fakeLeg();
  const s = new RtpSender();
  const rtcp = new RtcpSession(leg, s, 8000, 100, 0);
  ourRtp(s);
  rtcp.close(10);
  rtcp.close(20);
  t.equal(sent.length, 1);
  t.same(sent[0]!.map((p) => p.type), ['sr', 'sdes', 'bye']);
  const bye = sent[0]![2]!;
  t.same(bye.type === 'bye' ? bye.ssrcs : null, [s.ssrc]);
  rtcp.poll(100_000);
  t.equal(sent.length, 1, 'closed: no more reports');

  const late = fakeLeg();
  const s2 = new RtpSender();
  const r2 = new RtcpSession(late.leg, s2, 8000, 100, 0);
  ourRtp(s2);
  late.leg.rtcp.close();
  t.doesNotThrow(() => r2.close(10), 'the socket closed first: the BYE is dropped quietly');
});
