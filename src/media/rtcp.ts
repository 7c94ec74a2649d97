// RTCP (RFC 3550 6): sender and receiver reports with SDES CNAME and BYE built into caller-given
// buffers, compound packets parsed defensively (parseRtcp) or scanned without allocating
// (readCompound), per-source reception statistics (appendix A.1, A.3, A.8), the report interval
// (6.3.1, A.7) and the round-trip time from a report's LSR and DLSR (6.4.1).
// ReceiveStats.update is on the RTP hot path: integer and float arithmetic on fields, no allocation.
import { PbxError } from '../util/errors.js';
import { RTP_VERSION } from './rtp.js';

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;
const SDES_CNAME = 1;

/** RFC 3550 A.1. */
const MIN_SEQUENTIAL = 2;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const RTP_SEQ_MOD = 1 << 16;

/** Seconds from 1900 (NTP epoch) to 1970 (Unix epoch). */
const NTP_UNIX_OFFSET = 2208988800;

/** RFC 3550 6.4.1: one reception report block. */
export interface ReportBlock {
  ssrc: number;
  /** Fraction of packets lost since the previous report, in 1/256. */
  fractionLost: number;
  /** Cumulative packets lost (24-bit signed: duplicates can make it negative). */
  cumulativeLost: number;
  /** Cycles of the sequence number in the high 16 bits, highest sequence number in the low 16. */
  extendedMax: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR from this source, 0 when none. */
  lsr: number;
  /** Delay since that SR, in 1/65536 s. */
  dlsr: number;
}

export interface SenderInfo {
  ntpSec: number;
  ntpFrac: number;
  rtpTimestamp: number;
  packets: number;
  octets: number;
}

export type RtcpPacket =
  | { type: 'sr'; ssrc: number; sender: SenderInfo; reports: ReportBlock[] }
  | { type: 'rr'; ssrc: number; reports: ReportBlock[] }
  | { type: 'sdes'; chunks: Array<{ ssrc: number; cname: string | null }> }
  | { type: 'bye'; ssrcs: number[]; reason: string | null }
  | { type: 'other'; packetType: number };

/**
 * Reception statistics of one RTP source: RFC 3550 A.1 sequence tracking (wrap, probation, restart
 * after a jump), A.3 loss and fraction lost, A.8 interarrival jitter.
 */
export class ReceiveStats {
  maxSeq = 0;
  /** Shifted count of sequence number wraps. */
  cycles = 0;
  baseSeq = 0;
  badSeq = RTP_SEQ_MOD + 1;
  probation = MIN_SEQUENTIAL;
  /** Packets received (valid ones, after probation). */
  received = 0;
  expectedPrior = 0;
  receivedPrior = 0;
  /** Interarrival jitter, timestamp units (A.8: J, not yet scaled). */
  jitter = 0;
  clockRate = 8000;
  /** A packet of the current source was seen (A.1 starts probation with max_seq = seq - 1). */
  #seen = false;
  #lastArrivalMs = 0;
  #lastTs = 0;
  /** Expected and received packets of sources before the last restart, so that totals survive it. */
  #expectedBefore = 0;
  #receivedBefore = 0;

  /**
   * One RTP packet arrived. Returns false while the source is on probation or the packet was a
   * jump the statistics do not count yet (A.1 update_seq).
   */
  update(seq: number, rtpTs: number, arrivalMs: number, clockRate: number): boolean {
    if (this.probation > 0) {
      // A.1: a new source is valid after MIN_SEQUENTIAL packets in sequence.
      if (seq === ((this.maxSeq + 1) & 0xffff) && this.#seen) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.#init(seq);
          this.received++;
          this.#timing(rtpTs, arrivalMs, clockRate, false);
          return true;
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      this.#timing(rtpTs, arrivalMs, clockRate, false);
      return false;
    }
    const udelta = (seq - this.maxSeq) & 0xffff;
    const inOrder = udelta > 0 && udelta < MAX_DROPOUT;
    if (udelta < MAX_DROPOUT) {
      // In order, with a permissible gap.
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: two sequential packets mean the source restarted.
      if (seq === this.badSeq) {
        this.#carry();
        this.#init(seq);
        this.received++;
        this.#timing(rtpTs, arrivalMs, clockRate, false);
        return true;
      }
      this.badSeq = (seq + 1) & 0xffff;
      return false;
    }
    // else: a duplicate or reordered packet.
    this.received++;
    this.#timing(rtpTs, arrivalMs, clockRate, inOrder);
    return true;
  }

  /** Forgets the source (a new SSRC): the totals so far stay in lost and expected. */
  restart(): void {
    if (this.probation === 0) this.#carry();
    this.probation = MIN_SEQUENTIAL;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.#seen = false;
    this.jitter = 0;
  }

  /**
   * Carries over what another relay measured of this phone before the leg came here (a leg moved
   * from the native relay to node:dgram sockets): its lost and received totals and its jitter in
   * timestamp units, so that the figures go on from there rather than from zero.
   */
  resume(lost: number, received: number, jitter: number): void {
    this.#expectedBefore += lost + received;
    this.#receivedBefore += received;
    this.jitter = jitter;
  }

  /** Highest sequence number received, with wraps (A.3 extended_max). */
  get extendedMax(): number {
    return this.cycles + this.maxSeq;
  }

  /** Packets expected since the first valid one, over every source so far (A.3). */
  get expected(): number {
    return this.#expectedBefore + (this.probation === 0 ? this.extendedMax - this.baseSeq + 1 : 0);
  }

  /** Packets received, over every source so far. */
  get receivedTotal(): number {
    return this.#receivedBefore + (this.probation === 0 ? this.received : 0);
  }

  /** Cumulative packets lost (A.3; never negative here: duplicates do not make up for losses). */
  get lost(): number {
    const n = this.expected - this.receivedTotal;
    return n > 0 ? n : 0;
  }

  /** Lost over expected, in percent. */
  get lossPct(): number {
    const expected = this.expected;
    return expected > 0 ? (this.lost * 100) / expected : 0;
  }

  /** Interarrival jitter in ms. */
  get jitterMs(): number {
    return (this.jitter * 1000) / this.clockRate;
  }

  /**
   * A.3: the fraction lost since the last call, in 1/256 (the report interval's). Moves the
   * interval on.
   */
  fractionLost(): number {
    if (this.probation !== 0) return 0;
    const expected = this.extendedMax - this.baseSeq + 1;
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.received - this.receivedPrior;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    return expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval) & 0xff;
  }

  /** Fills a report block about this source (RFC 3550 6.4.1) and returns it. */
  report(block: ReportBlock, ssrc: number, lsr: number, dlsr: number): ReportBlock {
    block.ssrc = ssrc >>> 0;
    block.fractionLost = this.fractionLost();
    const lost = this.probation === 0 ? this.extendedMax - this.baseSeq + 1 - this.received : 0;
    block.cumulativeLost = lost > 0x7fffff ? 0x7fffff : lost < -0x800000 ? -0x800000 : lost;
    block.extendedMax = this.extendedMax >>> 0;
    block.jitter = Math.floor(this.jitter) >>> 0;
    block.lsr = lsr >>> 0;
    block.dlsr = dlsr >>> 0;
    return block;
  }

  #init(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  #carry(): void {
    this.#expectedBefore += this.extendedMax - this.baseSeq + 1;
    this.#receivedBefore += this.received;
    this.received = 0;
  }

  /** A.8: D(i-1,i) from arrival times in timestamp units; J += (|D| - J) / 16. */
  #timing(rtpTs: number, arrivalMs: number, clockRate: number, sample: boolean): void {
    this.clockRate = clockRate;
    if (sample && this.#seen) {
      const d = ((arrivalMs - this.#lastArrivalMs) * clockRate) / 1000 - ((rtpTs - this.#lastTs) | 0);
      this.jitter += ((d < 0 ? -d : d) - this.jitter) / 16;
    }
    this.#seen = true;
    this.#lastArrivalMs = arrivalMs;
    this.#lastTs = rtpTs;
  }
}

/** NTP time (RFC 3550 4) of a Unix time in ms: seconds and fraction. */
export function ntpTime(unixMs: number): { sec: number; frac: number } {
  const sec = Math.floor(unixMs / 1000);
  return { sec: (sec + NTP_UNIX_OFFSET) >>> 0, frac: Math.floor(((unixMs - sec * 1000) / 1000) * 0x100000000) >>> 0 };
}

/** Sets the sender info's NTP timestamp (RFC 3550 4) to a Unix time in ms, without allocating. */
export function setNtpTime(sender: SenderInfo, unixMs: number): void {
  const sec = Math.floor(unixMs / 1000);
  sender.ntpSec = (sec + NTP_UNIX_OFFSET) >>> 0;
  sender.ntpFrac = Math.floor(((unixMs - sec * 1000) / 1000) * 0x100000000) >>> 0;
}

/** The middle 32 bits of an NTP timestamp (LSR, and the arrival time A of RFC 3550 6.4.1). */
export function ntpMiddle(sec: number, frac: number): number {
  return (((sec & 0xffff) << 16) | (frac >>> 16)) >>> 0;
}

/** ntpMiddle of a Unix time in ms, without allocating. */
export function ntpMiddleOfMs(unixMs: number): number {
  const sec = Math.floor(unixMs / 1000);
  const frac16 = Math.floor(((unixMs - sec * 1000) * 65536) / 1000);
  return ((((sec + NTP_UNIX_OFFSET) & 0xffff) << 16) | (frac16 & 0xffff)) >>> 0;
}

/**
 * RFC 3550 6.4.1: round-trip time in ms from a report block received at arrivalMiddle (ntpMiddle of
 * the arrival time): A - LSR - DLSR. null when the block refers to no SR (LSR 0) or the result is
 * not plausible (negative: clocks or a stale LSR).
 */
export function roundTripMs(arrivalMiddle: number, lsr: number, dlsr: number): number | null {
  if (lsr === 0) return null;
  const rtt = (arrivalMiddle - lsr - dlsr) | 0;
  return rtt < 0 ? null : (rtt * 1000) / 65536;
}

function put32(out: Uint8Array, o: number, v: number): void {
  out[o] = (v >>> 24) & 0xff;
  out[o + 1] = (v >>> 16) & 0xff;
  out[o + 2] = (v >>> 8) & 0xff;
  out[o + 3] = v & 0xff;
}

function get32(p: Uint8Array, o: number): number {
  return ((p[o]! << 24) | (p[o + 1]! << 16) | (p[o + 2]! << 8) | p[o + 3]!) >>> 0;
}

function header(out: Uint8Array, o: number, count: number, packetType: number, bytes: number): void {
  out[o] = (RTP_VERSION << 6) | count;
  out[o + 1] = packetType;
  const words = bytes / 4 - 1;
  out[o + 2] = (words >>> 8) & 0xff;
  out[o + 3] = words & 0xff;
}

function writeBlock(out: Uint8Array, o: number, b: ReportBlock): void {
  put32(out, o, b.ssrc);
  out[o + 4] = b.fractionLost & 0xff;
  const lost = b.cumulativeLost & 0xffffff;
  out[o + 5] = (lost >>> 16) & 0xff;
  out[o + 6] = (lost >>> 8) & 0xff;
  out[o + 7] = lost & 0xff;
  put32(out, o + 8, b.extendedMax);
  put32(out, o + 12, b.jitter);
  put32(out, o + 16, b.lsr);
  put32(out, o + 20, b.dlsr);
}

function checkRoom(out: Uint8Array, offset: number, bytes: number, reports: readonly ReportBlock[]): void {
  if (reports.length > 31) throw new PbxError('PBX_ERR_MEDIA_RTCP', `an RTCP report holds at most 31 blocks, got ${reports.length}`);
  if (offset + bytes > out.length) throw new PbxError('PBX_ERR_MEDIA_RTCP', `RTCP buffer too small: ${bytes} bytes needed at ${offset}`);
}

/** RFC 3550 6.4.1: writes a sender report at offset; returns its length in bytes. */
export function writeSenderReport(out: Uint8Array, offset: number, ssrc: number, sender: SenderInfo, reports: readonly ReportBlock[]): number {
  const bytes = 28 + 24 * reports.length;
  checkRoom(out, offset, bytes, reports);
  header(out, offset, reports.length, RTCP_SR, bytes);
  put32(out, offset + 4, ssrc >>> 0);
  put32(out, offset + 8, sender.ntpSec >>> 0);
  put32(out, offset + 12, sender.ntpFrac >>> 0);
  put32(out, offset + 16, sender.rtpTimestamp >>> 0);
  put32(out, offset + 20, sender.packets >>> 0);
  put32(out, offset + 24, sender.octets >>> 0);
  for (let i = 0; i < reports.length; i++) writeBlock(out, offset + 28 + 24 * i, reports[i]!);
  return bytes;
}

/** RFC 3550 6.4.2: writes a receiver report at offset; returns its length in bytes. */
export function writeReceiverReport(out: Uint8Array, offset: number, ssrc: number, reports: readonly ReportBlock[]): number {
  const bytes = 8 + 24 * reports.length;
  checkRoom(out, offset, bytes, reports);
  header(out, offset, reports.length, RTCP_RR, bytes);
  put32(out, offset + 4, ssrc >>> 0);
  for (let i = 0; i < reports.length; i++) writeBlock(out, offset + 8 + 24 * i, reports[i]!);
  return bytes;
}

/**
 * RFC 3550 6.5: writes an SDES packet with one chunk holding the CNAME item (the item list ends
 * with a null octet and is padded to 32 bits); returns its length in bytes.
 */
export function writeSdesCname(out: Uint8Array, offset: number, ssrc: number, cname: Uint8Array): number {
  if (cname.length > 255) throw new PbxError('PBX_ERR_MEDIA_RTCP', `an SDES CNAME holds at most 255 octets, got ${cname.length}`);
  const items = 2 + cname.length + 1;
  const bytes = 8 + ((items + 3) & ~3);
  checkRoom(out, offset, bytes, []);
  header(out, offset, 1, RTCP_SDES, bytes);
  put32(out, offset + 4, ssrc >>> 0);
  out[offset + 8] = SDES_CNAME;
  out[offset + 9] = cname.length;
  out.set(cname, offset + 10);
  out.fill(0, offset + 10 + cname.length, offset + bytes);
  return bytes;
}

/** RFC 3550 6.6: writes a BYE for one SSRC, without a reason; returns its length in bytes. */
export function writeBye(out: Uint8Array, offset: number, ssrc: number): number {
  checkRoom(out, offset, 8, []);
  header(out, offset, 1, RTCP_BYE, 8);
  put32(out, offset + 4, ssrc >>> 0);
  return 8;
}

/** RFC 3550 6.2: the minimum report interval, and the share of the session bandwidth RTCP gets. */
export const RTCP_MIN_INTERVAL_MS = 5000;
const RTCP_BANDWIDTH_FRACTION = 0.05;
const RTCP_SENDER_BANDWIDTH_FRACTION = 0.25;
/** A.7: e - 3/2, the compensation for timer reconsideration converging below the intended mean. */
const COMPENSATION = Math.E - 1.5;

export interface IntervalInput {
  members: number;
  senders: number;
  /** Session bandwidth in octets per second (RFC 3550 6.2: RTCP gets 5 % of it). */
  sessionBandwidth: number;
  weSent: boolean;
  /** Average compound RTCP packet size with UDP and IP headers, octets (6.3.3: avg_rtcp_size). */
  avgRtcpSize: number;
  /** Before the first report: half the minimum (6.2). */
  initial: boolean;
  /** The minimum interval, ms (5 s in RFC 3550 6.2). */
  minMs: number;
  /** A uniform random number in [0, 1). */
  random: number;
}

/**
 * RFC 3550 6.3.1 and A.7 (rtcp_interval): the time until the next compound RTCP packet, ms. The
 * deterministic interval (members times the average size over the RTCP bandwidth, senders given a
 * quarter of it when they are few), at least the minimum, randomised over 0.5 to 1.5 of itself and
 * divided by e - 3/2.
 */
export function reportIntervalMs(o: IntervalInput): number {
  let bandwidth = o.sessionBandwidth * RTCP_BANDWIDTH_FRACTION;
  let n = o.members;
  if (o.senders <= o.members * RTCP_SENDER_BANDWIDTH_FRACTION) {
    if (o.weSent) {
      bandwidth *= RTCP_SENDER_BANDWIDTH_FRACTION;
      n = o.senders;
    } else {
      bandwidth *= 1 - RTCP_SENDER_BANDWIDTH_FRACTION;
      n -= o.senders;
    }
  }
  const min = o.initial ? o.minMs / 2 : o.minMs;
  const deterministic = Math.max((o.avgRtcpSize * n * 1000) / bandwidth, min);
  return (deterministic * (o.random + 0.5)) / COMPENSATION;
}

/** What readCompound found in a compound packet; one object reused for every packet. */
export class RtcpReading {
  /** SSRC of the first SR's sender and the middle bits of its NTP timestamp (-1: no SR). */
  srSsrc = 0;
  srMiddle = -1;
  /** A report block about the SSRC asked for was found (in an SR or an RR); it is in `block`. */
  hasBlock = false;
  readonly block: ReportBlock = { ssrc: 0, fractionLost: 0, cumulativeLost: 0, extendedMax: 0, jitter: 0, lsr: 0, dlsr: 0 };
}

function readBlock(p: Uint8Array, o: number, b: ReportBlock): void {
  const lost = (p[o + 5]! << 16) | (p[o + 6]! << 8) | p[o + 7]!;
  b.ssrc = get32(p, o);
  b.fractionLost = p[o + 4]!;
  b.cumulativeLost = lost & 0x800000 ? lost - 0x1000000 : lost;
  b.extendedMax = get32(p, o + 8);
  b.jitter = get32(p, o + 12);
  b.lsr = get32(p, o + 16);
  b.dlsr = get32(p, o + 20);
}

/**
 * Scans a compound RTCP packet without allocating: the first SR's time and the report block about
 * `about` (the SSRC of a stream we send). RFC 3550 A.2 validity: every packet version 2, the
 * lengths adding up to the datagram, padding only on the last one, blocks within their packet.
 * Returns false, and `into` means nothing, when the datagram is not valid RTCP.
 */
export function readCompound(p: Uint8Array, length: number, about: number, into: RtcpReading): boolean {
  into.srMiddle = -1;
  into.hasBlock = false;
  const total = Math.min(length, p.length);
  if (total < 8) return false;
  let o = 0;
  while (o < total) {
    if (o + 4 > total || p[o]! >>> 6 !== RTP_VERSION) return false;
    const bytes = (((p[o + 2]! << 8) | p[o + 3]!) + 1) * 4;
    if (o + bytes > total) return false;
    let end = o + bytes;
    if ((p[o]! & 0x20) !== 0) {
      const pad = p[end - 1]!;
      if (end !== total || pad === 0 || pad > bytes - 4) return false;
      end -= pad;
    }
    const type = p[o + 1]!;
    if (type === RTCP_SR || type === RTCP_RR) {
      const first = o + (type === RTCP_SR ? 28 : 8);
      const count = p[o]! & 0x1f;
      if (first + 24 * count > end) return false;
      if (type === RTCP_SR && into.srMiddle === -1) {
        into.srSsrc = get32(p, o + 4);
        into.srMiddle = ntpMiddle(get32(p, o + 8), get32(p, o + 12));
      }
      for (let i = 0; i < count; i++) {
        const b = first + 24 * i;
        if (!into.hasBlock && get32(p, b) === about >>> 0) {
          readBlock(p, b, into.block);
          into.hasBlock = true;
        }
      }
    }
    o += bytes;
  }
  return true;
}

function readBlocks(p: Uint8Array, o: number, count: number): ReportBlock[] {
  const out: ReportBlock[] = [];
  for (let i = 0; i < count; i++, o += 24) {
    const b: ReportBlock = { ssrc: 0, fractionLost: 0, cumulativeLost: 0, extendedMax: 0, jitter: 0, lsr: 0, dlsr: 0 };
    readBlock(p, o, b);
    out.push(b);
  }
  return out;
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: false });

function readSdes(p: Uint8Array, o: number, end: number, count: number): RtcpPacket | null {
  const chunks: Array<{ ssrc: number; cname: string | null }> = [];
  for (let c = 0; c < count; c++) {
    if (o + 4 > end) return null;
    const ssrc = get32(p, o);
    o += 4;
    let cname: string | null = null;
    // Items until a null octet; the chunk then pads to 32 bits.
    for (;;) {
      if (o >= end) return null;
      const type = p[o]!;
      if (type === 0) break;
      if (o + 2 > end || o + 2 + p[o + 1]! > end) return null;
      const len = p[o + 1]!;
      if (type === SDES_CNAME) cname = utf8.decode(p.subarray(o + 2, o + 2 + len));
      o += 2 + len;
    }
    o = (o + 4) & ~3;
    chunks.push({ ssrc, cname });
  }
  return { type: 'sdes', chunks };
}

function readBye(p: Uint8Array, o: number, end: number, count: number): RtcpPacket | null {
  if (o + 4 * count > end) return null;
  const ssrcs: number[] = [];
  for (let i = 0; i < count; i++) ssrcs.push(get32(p, o + 4 * i));
  o += 4 * count;
  let reason: string | null = null;
  if (o < end) {
    const len = p[o]!;
    if (o + 1 + len > end) return null;
    reason = latin1.decode(p.subarray(o + 1, o + 1 + len));
  }
  return { type: 'bye', ssrcs, reason };
}

/**
 * Reads a compound RTCP packet (RFC 3550 6.1). Never throws: returns the packets read before the
 * first malformed one (an empty list when the first is already bad).
 */
export function parseRtcp(p: Uint8Array, length: number = p.length): RtcpPacket[] {
  const out: RtcpPacket[] = [];
  const total = Math.min(length, p.length);
  let o = 0;
  while (o + 4 <= total) {
    if (p[o]! >>> 6 !== RTP_VERSION) break;
    const padded = (p[o]! & 0x20) !== 0;
    const count = p[o]! & 0x1f;
    const packetType = p[o + 1]!;
    const bytes = (((p[o + 2]! << 8) | p[o + 3]!) + 1) * 4;
    if (o + bytes > total) break;
    let end = o + bytes;
    // RFC 3550 6.4.1: padding (only the last packet of a compound has it) is counted in its last octet.
    if (padded) {
      const pad = p[end - 1]!;
      if (pad === 0 || pad > bytes - 4) break;
      end -= pad;
    }
    const body = o + 4;
    let packet: RtcpPacket | null;
    switch (packetType) {
      case RTCP_SR:
        packet =
          body + 24 + 24 * count > end
            ? null
            : {
                type: 'sr',
                ssrc: get32(p, body),
                sender: {
                  ntpSec: get32(p, body + 4),
                  ntpFrac: get32(p, body + 8),
                  rtpTimestamp: get32(p, body + 12),
                  packets: get32(p, body + 16),
                  octets: get32(p, body + 20),
                },
                reports: readBlocks(p, body + 24, count),
              };
        break;
      case RTCP_RR:
        packet = body + 4 + 24 * count > end ? null : { type: 'rr', ssrc: get32(p, body), reports: readBlocks(p, body + 4, count) };
        break;
      case RTCP_SDES:
        packet = readSdes(p, body, end, count);
        break;
      case RTCP_BYE:
        packet = readBye(p, body, end, count);
        break;
      default:
        packet = { type: 'other', packetType };
    }
    if (packet === null) break;
    out.push(packet);
    o += bytes;
  }
  return out;
}

/**
 * Without allocating: the middle 32 bits of the NTP timestamp of the first SR in a compound packet,
 * or -1 when it holds none (a relay notes it to time the RR that answers it).
 */
export function senderReportNtpMiddle(p: Uint8Array, length: number): number {
  for (let o = 0; o + 20 <= length; ) {
    if (p[o]! >>> 6 !== RTP_VERSION) return -1;
    const bytes = (((p[o + 2]! << 8) | p[o + 3]!) + 1) * 4;
    if (p[o + 1] === RTCP_SR && bytes >= 28 && o + bytes <= length) return ntpMiddle(get32(p, o + 8), get32(p, o + 12));
    o += bytes;
  }
  return -1;
}

/**
 * Without allocating: the DLSR of the first report block (in an SR or RR of a compound packet)
 * whose LSR equals lsr, or -1 when there is none.
 */
export function dlsrForLsr(p: Uint8Array, length: number, lsr: number): number {
  for (let o = 0; o + 8 <= length; ) {
    if (p[o]! >>> 6 !== RTP_VERSION) return -1;
    const bytes = (((p[o + 2]! << 8) | p[o + 3]!) + 1) * 4;
    if (o + bytes > length) return -1;
    const type = p[o + 1];
    if (type === RTCP_SR || type === RTCP_RR) {
      const first = o + (type === RTCP_SR ? 28 : 8);
      const count = p[o]! & 0x1f;
      for (let i = 0; i < count && first + 24 * (i + 1) <= o + bytes; i++) {
        const b = first + 24 * i;
        if (get32(p, b + 16) === lsr) return get32(p, b + 20);
      }
    }
    o += bytes;
  }
  return -1;
}
