// What a media worker needs of a leg, whichever relay moves its packets: the node:dgram one
// (relay.ts) or the native one (native-relay.ts). One worker uses one kind for all its legs.
import type { LegStats, RemoteTarget } from './protocol.js';

export interface RelayLeg {
  readonly id: string;
  /** The RTP port; RTCP is port + 1. */
  readonly port: number;
  readonly peer: RelayLeg | null;
  /** Where RTP goes (the latched source, else the SDP address); null when not known. */
  readonly sendAddress: string | null;
  readonly sendPort: number;
  /** Where the phone's SDP said it is (setRemote); null before. */
  readonly sdpAddress: string | null;
  readonly sdpPort: number;
  /** RTP has latched to a source (symmetric RTP): sendAddress is where the phone's packets come from. */
  readonly latched: boolean;
  /** RTP packets accepted so far; the worker's tick watches it for the RTP timeout. */
  readonly rtpReceived: number;
  /** Watched for missing RTP only while bridged or in a room, and while the remote says it sends. */
  readonly armed: boolean;
  /** In a conference room (the pipeline sets it): watched for missing RTP as a bridged leg is. */
  inRoom: boolean;

  /** Timeout bookkeeping, walked by the worker's tick. */
  lastTickReceived: number;
  lastRxAt: number;
  warned: boolean;
  timedOut: boolean;
  restartWatch(): void;

  setRemote(r: RemoteTarget): void;
  /**
   * The telephone-event payload type of the leg's phone (RFC 4733), null for none: its packets are
   * handed to the worker's digit receiver, and relayed to the bridged leg only when that leg has one.
   */
  setEventPayloadType(payloadType: number | null): void;
  /** Relays between this leg and `other`, both ways, ending any bridge either was in. */
  bridge(other: RelayLeg): void;
  unbridge(): void;
  stats(): LegStats;
  /**
   * Takes the leg out of the relay: unbridged, both sockets closed before this returns, so that
   * other code of the worker (a decoding pipeline) can bind the same ports at once. Safe twice.
   */
  release(): void;
}
