// Messages between MediaEngine (main thread) and a media worker. Control only, never per packet.
import type { SrtpLegKeys } from './srtp/leg-keys.js';

export interface WorkerConfig {
  /** Tone set of this country for tone() (ringback, busy...). */
  toneCountry: string;
  /** The address written into SDP, for logs. */
  address: string;
  bindAddress: string;
  /** Seconds without RTP before 'rtp-timeout'; 0 disables it. */
  rtpTimeoutS: number;
  /** Seconds without RTP before 'no-rtp-warning'; 0 disables it. */
  noRtpWarningS: number;
  /** Use the native relay when it loads; false forces the node:dgram one. */
  nativeRelay: boolean;
  /** The minimum RTCP report interval of decoded legs, ms; absent: RFC 3550's 5 s. */
  rtcpIntervalMs?: number;
}

export interface RemoteTarget {
  address: string | null;
  port: number;
  rtcpAddress: string | null;
  rtcpPort: number;
  /** Payload type of packets from the bridged leg → payload type to send to this leg. */
  ptMap: Record<number, number>;
  /** false when the remote said it will not send (sendonly on our side, inactive): no timeout then. */
  sends: boolean;
  /** RTP clock rate of what the phone sends (its codec), for the jitter figure; default 8000. */
  clockRate?: number;
  /** SDES keys when the leg is SRTP (RFC 3711, 4568); null or absent: plain RTP. Never logged. */
  srtp?: SrtpLegKeys | null;
}

/** The codec a leg's phone speaks, from the SDP that settled it (MediaEngine.setCodec). */
export interface LegCodecSpec {
  /** SDP encoding name (PCMU, PCMA, G722, opus, L16; others can only be relayed). */
  name: string;
  payloadType: number;
  clockRate: number;
  channels: number | null;
  /** The telephone-event payload type (RFC 4733); null: digits travel in-band. */
  dtmfPayloadType: number | null;
  /**
   * The phone gets its digits by SIP INFO (dtmf_mode: info): the worker sends it neither events nor
   * tones for the digits of the leg it is bridged to (call control sends the INFO).
   */
  digitsByInfo?: boolean;
}

/** One thing to play: a WAV file, a tone of the engine's country set, or silence. */
export type PlaySource = { file: string } | { tone: string } | { silenceMs: number };

/** How a digit reached the PBX. */
export type DtmfMethod = 'rfc4733' | 'inband';

export type PlayEnd = 'done' | 'stopped' | 'error';

export type WorkerRequest =
  | { id: number; op: 'open'; legId: string; port: number }
  | { id: number; op: 'codec'; legId: string; codec: LegCodecSpec }
  | { id: number; op: 'play'; legId: string; playId: number; items: PlaySource[]; loop: boolean }
  | { id: number; op: 'stop-play'; legId: string }
  | { id: number; op: 'send-digit'; legId: string; digit: string }
  | { id: number; op: 'detect-digits'; legId: string; on: boolean }
  /** silenceMs > 0: 'record-silence' once the first leg has been quiet that long. */
  | { id: number; op: 'record'; recordingId: string; legs: string[]; path: string; mode: 'stereo' | 'mono'; silenceMs: number }
  | { id: number; op: 'stop-record'; recordingId: string }
  | { id: number; op: 'pause-record'; recordingId: string; paused: boolean }
  | { id: number; op: 'join'; room: string; legId: string; muted: boolean; deaf: boolean }
  | { id: number; op: 'leave'; legId: string }
  | { id: number; op: 'party'; legId: string; muted: boolean | null; deaf: boolean | null }
  | ({ id: number; op: 'remote'; legId: string } & RemoteTarget)
  | { id: number; op: 'bridge'; a: string; b: string }
  | { id: number; op: 'unbridge'; legId: string }
  | { id: number; op: 'close-leg'; legId: string }
  | { id: number; op: 'stats'; legId: string };

export interface LegStats {
  rtpReceived: number;
  rtpBytesReceived: number;
  rtpSent: number;
  rtpBytesSent: number;
  /** Packets dropped: not RTP, or from a source that is not the latched one. */
  rtpDropped: number;
  rtcpReceived: number;
  rtcpSent: number;
  /** Where RTP goes to (the latched source once a packet came in, the SDP address before). */
  remote: { address: string; port: number } | null;
  latched: boolean;
  ssrc: number | null;
  /** RTP packets from the phone that never arrived (RFC 3550 A.3 cumulative lost, never negative). */
  packetsLost: number;
  /** Interarrival jitter of the phone's RTP (RFC 3550 A.8), ms. */
  jitterMs: number;
  /** Round trip PBX–phone from the phone's RTCP reports (RFC 3550 6.4.1), ms; null without RTCP. */
  rttMs: number | null;
  /**
   * The phone's own view of the stream the PBX sends it: its last RTCP report block about the
   * PBX's SSRC on a decoded leg (RFC 3550 6.4.1). null or absent before one came.
   */
  farEnd?: FarEndReport | null;
  /** SRTP and SRTCP packets from the phone refused (failed authentication, replayed); absent on a plain leg. */
  srtpRefused?: number;
  /** What moves the leg's packets now: the native relay, or node:dgram sockets (JavaScript relay, decoding). */
  relay: 'native' | 'dgram';
}

export interface FarEndReport {
  /** Cumulative packets lost of the PBX's stream, as the phone counts them. */
  packetsLost: number;
  /** Fraction lost in the phone's last report interval, percent. */
  fractionLostPct: number;
  /** Interarrival jitter of the PBX's stream at the phone, ms. */
  jitterMs: number;
}

export interface NoRtpInfo {
  legId: string;
  /** The PBX end, "address:port". */
  local: string;
  /** The phone end, "address:port", null when not known. */
  remote: string | null;
  /** Where the phone's SDP said it is, "address:port" (a private address when it is behind NAT); null when not known. */
  sdp: string | null;
  /** The source RTP latched to, "address:port"; null while nothing latched. */
  latched: string | null;
  /** RTP packets received on the leg so far: 0 is the one-way-audio case (nothing ever arrived). */
  received: number;
  quietS: number;
}

export type WorkerReply =
  | { id: number; ok: true; result: LegStats | null }
  | { id: number; ok: false; code: string; message: string };

export type WorkerEvent =
  /** relay: which relay moves this worker's packets ('native' or 'dgram: <why>'). */
  | { event: 'ready'; relay: string }
  | { event: 'rtp-timeout'; info: NoRtpInfo }
  | { event: 'no-rtp-warning'; info: NoRtpInfo }
  | { event: 'dtmf'; legId: string; digit: string; method: DtmfMethod }
  | { event: 'play-done'; legId: string; playId: number; reason: PlayEnd; error: string | null }
  | { event: 'talking'; room: string; legId: string; talking: boolean }
  | { event: 'record-failed'; recordingId: string; error: string }
  | { event: 'record-silence'; recordingId: string }
  /** The worker's Opus encoders now run at `complexity` (pipeline/complexity-governor.ts); tickMs: the mean tick work that moved it. */
  | { event: 'opus-complexity'; complexity: number; tickMs: number };
