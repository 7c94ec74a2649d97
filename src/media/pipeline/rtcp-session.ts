// The RTCP of a decoded leg (RFC 3550 6): the PBX is the second participant of the phone's
// two-party session, with the stream its RtpSender sends. At the report interval (6.2, 6.3.1) it
// sends a compound packet on the leg's RTCP socket (6.1): an SR when it sent RTP since the last
// report, else an RR, with a report block about the phone's source from the leg's ReceiveStats,
// then an SDES CNAME; a BYE ends it when the leg stops being decoded (6.6). It reads the phone's
// reports: the phone's SR is the LSR of the next block, and a block about the PBX's SSRC gives the
// round trip (6.4.1) and the phone's view of the PBX's stream, both kept on the leg for its stats.
// One preallocated buffer and preallocated blocks: nothing is allocated per report.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Leg } from '../relay.js';
import {
  RTCP_MIN_INTERVAL_MS,
  RtcpReading,
  ntpMiddle,
  ntpMiddleOfMs,
  readCompound,
  reportIntervalMs,
  roundTripMs,
  setNtpTime,
  writeBye,
  writeReceiverReport,
  writeSdesCname,
  writeSenderReport,
  type IntervalInput,
  type ReportBlock,
  type SenderInfo,
} from '../rtcp.js';
import type { RtpSender } from './rtp-sender.js';

/**
 * RFC 3550 6.2: the session bandwidth RTCP takes its 5 % of, octets/s. SDP gives none (no b=), so
 * it is one G.711 stream with RTP, UDP and IPv4 headers at 50 packets/s: 80 kbit/s.
 */
const SESSION_BANDWIDTH = 10_000;
/** RFC 3550 6.3.3: avg_rtcp_size counts the UDP and IP headers. */
const UDP_IP_OVERHEAD = 28;
/** The phone and the PBX. */
const MEMBERS = 2;
/** Our last SRs remembered, to accept only an LSR that echoes one of them. */
const RECENT_SRS = 4;
/** SR with one block (52), SDES with a 16-octet CNAME (28), BYE (8), with room to spare. */
const BUFFER_BYTES = 160;
/** RFC 7022 5: a random CNAME of 96 bits, base64 (16 characters). */
const CNAME_BYTES = 12;

export class RtcpSession {
  readonly #leg: Leg;
  readonly #sender: RtpSender;
  /** The RTP clock rate of the PBX's stream (report blocks about it count jitter in it). */
  readonly #clockRate: number;
  readonly #cname = Buffer.from(randomBytes(CNAME_BYTES).toString('base64'), 'latin1');
  readonly #out = Buffer.alloc(BUFFER_BYTES);
  readonly #info: SenderInfo = { ntpSec: 0, ntpFrac: 0, rtpTimestamp: 0, packets: 0, octets: 0 };
  readonly #block: ReportBlock = { ssrc: 0, fractionLost: 0, cumulativeLost: 0, extendedMax: 0, jitter: 0, lsr: 0, dlsr: 0 };
  readonly #oneBlock: readonly ReportBlock[] = [this.#block];
  readonly #noBlocks: readonly ReportBlock[] = [];
  readonly #reading = new RtcpReading();
  readonly #intervalInput: IntervalInput;
  readonly #srSent = new Uint32Array(RECENT_SRS);
  #srNext = 0;
  /** When the next report is due, on performance.now(). */
  #nextAt: number;
  #avgSize: number;
  /** Our packet count and the leg's received count at the last report: who sent since. */
  #packetsAtReport: number;
  #receivedAtReport: number;
  #weSent = false;
  #phoneSent = false;
  /** The phone's last SR: the middle bits of its NTP time, its SSRC, when it came (performance.now()). */
  #lsr = 0;
  #lsrSsrc = -1;
  #lsrAt = 0;
  /** An RTCP packet went out: a BYE may follow (6.6: never from a participant that sent nothing). */
  #sentAny = false;
  #closed = false;

  /** `minIntervalMs`: the RFC 3550 6.2 minimum, 5 s; tests shorten it. */
  constructor(leg: Leg, sender: RtpSender, clockRate: number, minIntervalMs = RTCP_MIN_INTERVAL_MS, nowMs = performance.now()) {
    this.#leg = leg;
    this.#sender = sender;
    this.#clockRate = clockRate;
    this.#intervalInput = {
      members: MEMBERS,
      senders: 0,
      sessionBandwidth: SESSION_BANDWIDTH,
      weSent: false,
      avgRtcpSize: 0,
      initial: true,
      minMs: minIntervalMs,
      random: 0,
    };
    this.#packetsAtReport = sender.packets;
    this.#receivedAtReport = leg.rtpReceived;
    // 6.3.2: avg_rtcp_size starts as the probable size of the first packet (an RR with one block).
    this.#avgSize = 32 + 8 + 2 + this.#cname.length + 2 + UDP_IP_OVERHEAD;
    this.#nextAt = nowMs + this.#interval(true);
  }

  /** Told the loss (percent, last interval) that each of the phone's reports gives about our stream. */
  onFarEndLoss: ((percent: number) => void) | null = null;

  /** Once per media tick: sends the compound report when it is due and plans the next. */
  poll(nowMs: number): void {
    if (nowMs < this.#nextAt || this.#closed) return;
    this.#report(nowMs, false);
    this.#nextAt = nowMs + this.#interval(false);
  }

  /** An RTCP packet from the phone (already latched and counted by the relay). Bad ones are ignored. */
  receive(msg: Uint8Array, nowMs: number): void {
    const r = this.#reading;
    if (this.#closed || !readCompound(msg, msg.length, this.#sender.ssrc, r)) return;
    this.#avgSize = (msg.length + UDP_IP_OVERHEAD) / 16 + (this.#avgSize * 15) / 16;
    const leg = this.#leg;
    if (r.srMiddle !== -1 && (leg.receiveSsrc === -1 || r.srSsrc === leg.receiveSsrc)) {
      this.#lsr = r.srMiddle;
      this.#lsrSsrc = r.srSsrc;
      this.#lsrAt = nowMs;
    }
    if (!r.hasBlock) return;
    const b = r.block;
    const far = leg.farEnd ?? (leg.farEnd = { packetsLost: 0, fractionLostPct: 0, jitterMs: 0 });
    far.packetsLost = b.cumulativeLost;
    far.fractionLostPct = (b.fractionLost * 100) / 256;
    far.jitterMs = (b.jitter * 1000) / this.#clockRate;
    this.onFarEndLoss?.(far.fractionLostPct);
    if (b.lsr !== 0 && this.#srSent.includes(b.lsr)) {
      const rtt = roundTripMs(ntpMiddleOfMs(performance.timeOrigin + nowMs), b.lsr, b.dlsr);
      if (rtt !== null) leg.rttMs = rtt;
    }
  }

  /** The leg stops being decoded: a last report with a BYE for our SSRC (best effort). Safe twice. */
  close(nowMs = performance.now()): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sentAny || this.#sender.packets !== 0) this.#report(nowMs, true);
  }

  #interval(initial: boolean): number {
    const o = this.#intervalInput;
    o.senders = (this.#weSent ? 1 : 0) + (this.#phoneSent ? 1 : 0);
    o.weSent = this.#weSent;
    o.avgRtcpSize = this.#avgSize;
    o.initial = initial;
    o.random = Math.random();
    return reportIntervalMs(o);
  }

  #report(nowMs: number, bye: boolean): void {
    const leg = this.#leg;
    const s = this.#sender;
    const out = this.#out;
    this.#weSent = s.packets !== this.#packetsAtReport;
    this.#phoneSent = leg.rtpReceived !== this.#receivedAtReport;
    this.#packetsAtReport = s.packets;
    this.#receivedAtReport = leg.rtpReceived;
    const address = leg.rtcpSendAddress;
    if (address === null) return;
    const blocks = this.#phoneSent && leg.receiveSsrc !== -1 && leg.receive.probation === 0 ? this.#blockAbout(nowMs) : this.#noBlocks;
    let n: number;
    if (this.#weSent) {
      const info = this.#info;
      setNtpTime(info, performance.timeOrigin + nowMs);
      // The frame sent this tick is sampled now: its timestamp goes with the NTP time.
      info.rtpTimestamp = s.timestamp;
      info.packets = s.packets;
      info.octets = s.octets;
      n = writeSenderReport(out, 0, s.ssrc, info, blocks);
      this.#srSent[this.#srNext] = ntpMiddle(info.ntpSec, info.ntpFrac);
      this.#srNext = (this.#srNext + 1) % RECENT_SRS;
    } else {
      n = writeReceiverReport(out, 0, s.ssrc, blocks);
    }
    n += writeSdesCname(out, n, s.ssrc, this.#cname);
    if (bye) n += writeBye(out, n, s.ssrc);
    this.#avgSize = (n + UDP_IP_OVERHEAD) / 16 + (this.#avgSize * 15) / 16;
    try {
      leg.sendRtcp(out, n, leg.rtcpSendPort, address);
    } catch {
      // The leg's sockets closed first (the leg is going away): the BYE is best effort.
      return;
    }
    leg.rtcpSent++;
    this.#sentAny = true;
  }

  /** RFC 3550 6.4.1: the block about the phone's source, with the LSR and DLSR of its last SR. */
  #blockAbout(nowMs: number): readonly ReportBlock[] {
    const leg = this.#leg;
    const echo = this.#lsrSsrc === leg.receiveSsrc && this.#lsr !== 0;
    const dlsr = echo ? Math.round(((nowMs - this.#lsrAt) * 65536) / 1000) : 0;
    leg.receive.report(this.#block, leg.receiveSsrc, echo ? this.#lsr : 0, dlsr);
    return this.#oneBlock;
  }
}
