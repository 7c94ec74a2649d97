// The relay of one media worker: legs, each with an RTP and an RTCP socket, bridged in pairs.
// Symmetric RTP (RFC 4961, latching as Asterisk's strictrtp and rtpengine do it): a leg sends to
// the address its packets really come from. The first packet latches; a new source takes over
// only after RELATCH_PACKETS packets in sequence with one SSRC, and only if that SSRC is new or
// the latched source has gone quiet, so one spoofed packet cannot steal the stream.
// Hot path (onRtp/onRtcp): no allocation, no closure, fields read straight from the packet.
// Call quality: each leg keeps RFC 3550 reception statistics of the phone's RTP (loss, jitter), and
// times the RTCP receiver report that answers the last sender report relayed to the phone (RTT).
// A decoded leg's phone reports on the PBX's own stream: its RTCP goes to the leg's RtcpSession.
// An SRTP leg (SDES keys in its remote) checks and decrypts what its phone sends before anything
// else looks at it, so an unauthenticated packet never latches, and encrypts what it sends
// (sendRtp/sendRtcp); its bridged peer may be plain: the relay is where the two meet.
import type { RemoteInfo, Socket } from 'node:dgram';
import type { FarEndReport, LegStats, RemoteTarget } from './protocol.js';
import type { DecodedLeg } from './pipeline/decoded-leg.js';
import type { RelayLeg } from './relay-leg.js';
import { SrtpLegCrypto } from './srtp/leg-keys.js';
import { ReceiveStats, dlsrForLsr, senderReportNtpMiddle } from './rtcp.js';
import { RTP_FIXED_HEADER, RTP_VERSION, isRtcp, rtpSequence, rtpSsrc, rtpTimestamp, rtpVersion, setRtpPayloadType } from './rtp.js';

export const RELATCH_PACKETS = 3;
export const RELATCH_QUIET_MS = 500;

/** A coarse clock, advanced by the worker's tick, read on the hot path. */
export const clock = { now: Date.now() };

export class Leg implements RelayLeg {
  readonly id: string;
  readonly port: number;
  readonly rtp: Socket;
  readonly rtcp: Socket;
  peer: Leg | null = null;
  /** Set while the worker decodes this leg (src/media/pipeline/): its packets go there, not to the peer. */
  decoded: DecodedLeg | null = null;

  /** From SDP (setRemote). */
  sdpAddress: string | null = null;
  sdpPort = 0;
  /** Where RTP and RTCP go: the latched source, else the SDP address. */
  sendAddress: string | null = null;
  sendPort = 0;
  rtcpSendAddress: string | null = null;
  rtcpSendPort = 0;

  latched = false;
  latchedSsrc = 0;
  latchedLastRx = 0;
  rtcpLatched = false;
  candidateAddress: string | null = null;
  candidatePort = 0;
  candidateSsrc = 0;
  candidateSeq = 0;
  candidateCount = 0;

  /** ptMap[pt of the bridged leg] = pt for this leg; identity when no rewrite is needed. */
  readonly ptMap = new Uint8Array(128);
  ptRewrite = false;
  sends = true;
  /** Set while the leg is SRTP (RFC 3711): decrypts the phone's packets, encrypts ours. */
  srtp: SrtpLegCrypto | null = null;
  /** The telephone-event payload type of the phone (RFC 4733); -1: none. */
  dtmfPt = -1;
  /** Gets every telephone-event packet of the phone (the worker's digit receiver). */
  onTelephoneEvent: ((leg: Leg, msg: Buffer) => void) | null = null;

  rtpReceived = 0;
  rtpBytesReceived = 0;
  rtpSent = 0;
  rtpBytesSent = 0;
  rtpDropped = 0;
  rtcpReceived = 0;
  rtcpSent = 0;

  /** Reception statistics of the phone's RTP, restarted when its SSRC changes (-1: none yet). */
  readonly receive = new ReceiveStats();
  receiveSsrc = -1;
  clockRate = 8000;
  /** The last SR relayed to this phone: NTP middle bits (-1: none) and when it went, ms. */
  srSentMiddle = -1;
  srSentAt = 0;
  rttMs = -1;
  /** The phone's last report about the PBX's own stream (decoded legs, pipeline/rtcp-session.ts). */
  farEnd: FarEndReport | null = null;

  /** Timeout bookkeeping, walked by the tick. */
  lastTickReceived = 0;
  lastRxAt = 0;
  warned = false;
  timedOut = false;

  constructor(id: string, port: number, rtp: Socket, rtcp: Socket) {
    this.id = id;
    this.port = port;
    this.rtp = rtp;
    this.rtcp = rtcp;
    for (let i = 0; i < 128; i++) this.ptMap[i] = i;
    this.lastRxAt = clock.now;
  }

  inRoom = false;

  /** Watched for missing RTP only while bridged or in a room, and while the remote says it sends. */
  get armed(): boolean {
    return (this.peer !== null || this.inRoom) && this.sends;
  }

  setRemote(r: RemoteTarget): void {
    const moved = r.address !== this.sdpAddress || r.port !== this.sdpPort;
    this.sdpAddress = r.address;
    this.sdpPort = r.port;
    if (moved || !this.latched) {
      // A new address in SDP (re-INVITE to elsewhere): learn the source again.
      this.latched = false;
      this.rtcpLatched = false;
      this.candidateCount = 0;
      this.sendAddress = r.address;
      this.sendPort = r.port;
      this.rtcpSendAddress = r.rtcpAddress;
      this.rtcpSendPort = r.rtcpPort;
    }
    for (let i = 0; i < 128; i++) this.ptMap[i] = i;
    this.ptRewrite = false;
    for (const [from, to] of Object.entries(r.ptMap)) {
      const f = Number(from);
      if (f >= 0 && f < 128 && to >= 0 && to < 128 && f !== to) {
        this.ptMap[f] = to;
        this.ptRewrite = true;
      }
    }
    this.sends = r.sends;
    this.clockRate = r.clockRate ?? 8000;
    // New keys start new SRTP streams; the same keys again (a re-INVITE) keep ROC and replay state.
    const keys = r.srtp ?? null;
    if (keys === null) this.srtp = null;
    else if (this.srtp === null || !this.srtp.sameKeys(keys)) this.srtp = new SrtpLegCrypto(keys);
    this.restartWatch();
  }

  /** Sends an RTP packet to the phone, SRTP-protected on an SRTP leg. */
  sendRtp(packet: Buffer, length: number, port: number, address: string): void {
    const srtp = this.srtp;
    if (srtp === null) {
      this.rtp.send(packet, 0, length, port, address);
      return;
    }
    const n = srtp.protectRtp(packet, length);
    if (n > 0) this.rtp.send(srtp.output, 0, n, port, address);
  }

  /** Sends an RTCP packet to the phone, as SRTCP on an SRTP leg. */
  sendRtcp(packet: Buffer, length: number, port: number, address: string): void {
    const srtp = this.srtp;
    if (srtp === null) {
      this.rtcp.send(packet, 0, length, port, address);
      return;
    }
    const n = srtp.protectRtcp(packet, length);
    if (n > 0) this.rtcp.send(srtp.output, 0, n, port, address);
  }

  setEventPayloadType(payloadType: number | null): void {
    this.dtmfPt = payloadType ?? -1;
  }

  bridge(other: RelayLeg): void {
    if (!(other instanceof Leg)) throw new Error('a dgram relay leg can only be bridged to another');
    this.unbridge();
    other.unbridge();
    this.peer = other;
    other.peer = this;
  }

  unbridge(): void {
    if (this.peer !== null) this.peer.peer = null;
    this.peer = null;
  }

  release(): void {
    this.unbridge();
    this.rtp.close();
    this.rtcp.close();
  }

  restartWatch(): void {
    this.lastTickReceived = this.rtpReceived;
    this.lastRxAt = clock.now;
    this.warned = false;
    this.timedOut = false;
  }

  latch(address: string, port: number, ssrc: number): void {
    this.latched = true;
    this.latchedSsrc = ssrc;
    this.latchedLastRx = clock.now;
    this.candidateCount = 0;
    if (!this.rtcpLatched || this.rtcpSendAddress !== address) {
      this.rtcpLatched = false;
      this.rtcpSendAddress = address;
      this.rtcpSendPort = port + 1;
    }
    this.sendAddress = address;
    this.sendPort = port;
  }

  /**
   * The leg takes over from a leg of another relay on the same ports (worker.ts moves native legs
   * here to decode them): its counters and reception statistics go on from where that one was.
   */
  carry(before: LegStats): void {
    this.rtpReceived += before.rtpReceived;
    this.rtpBytesReceived += before.rtpBytesReceived;
    this.rtpSent += before.rtpSent;
    this.rtpBytesSent += before.rtpBytesSent;
    this.rtpDropped += before.rtpDropped;
    this.rtcpReceived += before.rtcpReceived;
    this.rtcpSent += before.rtcpSent;
    this.receive.resume(before.packetsLost, before.rtpReceived, (before.jitterMs * this.clockRate) / 1000);
    if (before.rttMs !== null) this.rttMs = before.rttMs;
  }

  stats(): LegStats {
    return {
      rtpReceived: this.rtpReceived,
      rtpBytesReceived: this.rtpBytesReceived,
      rtpSent: this.rtpSent,
      rtpBytesSent: this.rtpBytesSent,
      rtpDropped: this.rtpDropped,
      rtcpReceived: this.rtcpReceived,
      rtcpSent: this.rtcpSent,
      remote: this.sendAddress === null ? null : { address: this.sendAddress, port: this.sendPort },
      latched: this.latched,
      ssrc: this.latched ? this.latchedSsrc : null,
      packetsLost: this.receive.lost,
      jitterMs: Math.round(this.receive.jitterMs * 10) / 10,
      rttMs: this.rttMs < 0 ? null : Math.round(this.rttMs),
      farEnd: this.farEnd === null ? null : { ...this.farEnd },
      ...(this.srtp === null ? {} : { srtpRefused: this.srtp.refused }),
      relay: 'dgram',
    };
  }
}

/** Whether a packet from a source other than the latched one takes the stream over. */
function relatch(leg: Leg, address: string, port: number, ssrc: number, seq: number): boolean {
  if (
    leg.candidateCount > 0 &&
    leg.candidatePort === port &&
    leg.candidateSsrc === ssrc &&
    leg.candidateAddress === address &&
    ((leg.candidateSeq + 1) & 0xffff) === seq
  ) {
    leg.candidateCount++;
  } else {
    leg.candidateAddress = address;
    leg.candidatePort = port;
    leg.candidateSsrc = ssrc;
    leg.candidateCount = 1;
  }
  leg.candidateSeq = seq;
  if (leg.candidateCount < RELATCH_PACKETS) return false;
  if (ssrc === leg.latchedSsrc && clock.now - leg.latchedLastRx < RELATCH_QUIET_MS) return false;
  leg.latch(address, port, ssrc);
  return true;
}

export function onRtp(leg: Leg, msg: Buffer, rinfo: RemoteInfo): void {
  let length = msg.length;
  if (length < RTP_FIXED_HEADER || rtpVersion(msg) !== RTP_VERSION) {
    leg.rtpDropped++;
    return;
  }
  if (leg.srtp !== null) {
    // RFC 3711 3.3: authenticated and not replayed, or dropped (and counted) here.
    length = leg.srtp.inbound.unprotectRtp(msg, length);
    if (length < RTP_FIXED_HEADER) {
      leg.rtpDropped++;
      return;
    }
    msg = msg.subarray(0, length);
  }
  const ssrc = rtpSsrc(msg);
  if (!leg.latched) {
    leg.latch(rinfo.address, rinfo.port, ssrc);
  } else if (rinfo.port === leg.sendPort && rinfo.address === leg.sendAddress) {
    leg.latchedLastRx = clock.now;
  } else if (!relatch(leg, rinfo.address, rinfo.port, ssrc, rtpSequence(msg))) {
    leg.rtpDropped++;
    return;
  }
  leg.rtpReceived++;
  leg.rtpBytesReceived += length;
  if (ssrc !== leg.receiveSsrc) {
    if (leg.receiveSsrc !== -1) leg.receive.restart();
    leg.receiveSsrc = ssrc;
  }
  leg.receive.update(rtpSequence(msg), rtpTimestamp(msg), performance.now(), leg.clockRate);
  if ((msg[1]! & 0x7f) === leg.dtmfPt) {
    if (leg.onTelephoneEvent !== null) leg.onTelephoneEvent(leg, msg);
    // RFC 3264: only to a receiver that negotiated telephone-event; a decoded peer gets the digit
    // from the worker in its own stream.
    if (leg.decoded !== null || leg.peer === null || leg.peer.dtmfPt < 0) return;
  } else if (leg.decoded !== null) {
    leg.decoded.receive(msg);
    return;
  }
  const peer = leg.peer;
  // A decoded peer sends its own stream: raw packets must not cross into it.
  if (peer === null || peer.sendAddress === null || peer.decoded !== null) return;
  if (peer.ptRewrite) setRtpPayloadType(msg, peer.ptMap[msg[1]! & 0x7f]!);
  peer.sendRtp(msg, length, peer.sendPort, peer.sendAddress);
  peer.rtpSent++;
  peer.rtpBytesSent += length;
}

export function onRtcp(leg: Leg, msg: Buffer, rinfo: RemoteInfo): void {
  if (leg.srtp !== null) {
    const plain = msg.length >= 8 && isRtcp(msg, 8) ? leg.srtp.inbound.unprotectRtcp(msg, msg.length) : -1;
    if (plain < 8) return;
    msg = msg.subarray(0, plain);
  }
  if (!isRtcp(msg, msg.length)) return;
  if (!leg.rtcpLatched || rinfo.port !== leg.rtcpSendPort || rinfo.address !== leg.rtcpSendAddress) {
    // RTCP latches to a source on the latched RTP address (to any source before RTP latched).
    if (leg.latched && rinfo.address !== leg.sendAddress) return;
    leg.rtcpLatched = true;
    leg.rtcpSendAddress = rinfo.address;
    leg.rtcpSendPort = rinfo.port;
  }
  leg.rtcpReceived++;
  if (leg.decoded !== null) {
    // The phone reports on the PBX's own stream: the decoded leg's RTCP session reads it.
    leg.decoded.rtcp.receive(msg, performance.now());
    return;
  }
  const length = msg.length;
  if (leg.srSentMiddle !== -1) {
    // RFC 3550 6.4.1: the phone's report on the SR we relayed to it: RTT = now - sent - DLSR.
    const dlsr = dlsrForLsr(msg, length, leg.srSentMiddle);
    if (dlsr !== -1) {
      const rtt = Date.now() - leg.srSentAt - (dlsr * 1000) / 65536;
      if (rtt >= 0) leg.rttMs = rtt;
    }
  }
  const peer = leg.peer;
  // Reports about a stream the PBX re-encodes describe another stream than the peer receives.
  if (peer === null || peer.rtcpSendAddress === null || peer.decoded !== null) return;
  peer.sendRtcp(msg, length, peer.rtcpSendPort, peer.rtcpSendAddress);
  peer.rtcpSent++;
  const srMiddle = senderReportNtpMiddle(msg, length);
  if (srMiddle > 0) {
    peer.srSentMiddle = srMiddle;
    peer.srSentAt = Date.now();
  }
}
