// The native relay (native/relay.c, built into native/build/relay.node by `npm install`): legs
// whose packets are moved by C on the worker's own event loop, recvmmsg in and sendmmsg out, with
// no JavaScript per packet. Latching, payload-type rewrite and RTCP as in relay.ts; the counters
// are a Float64Array that C writes and the stats and the RTP-timeout tick read. Telephone-event
// packets (RFC 4733) come back to JavaScript one by one (listenTelephoneEvents), so that digits of
// relayed legs are heard without decoding them.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { LegStats, RemoteTarget } from './protocol.js';
import type { RelayLeg } from './relay-leg.js';
import { clock } from './relay.js';

/** native/relay.c's exports. Every function checks its arguments and throws, never crashes. */
export interface NativeRelayAddon {
  /** How many counters a leg's Float64Array holds at least. */
  readonly COUNTERS: number;
  /** Binds rtpPort and rtpPort + 1; throws PBX_ERR_MEDIA_PORT_IN_USE / PBX_ERR_MEDIA_BIND. */
  openLeg(bindAddress: string, rtpPort: number, counters: Float64Array): number;
  setRemote(
    handle: number,
    address: string | null,
    port: number,
    rtcpAddress: string | null,
    rtcpPort: number,
    ptMap: Uint8Array,
    clockRate: number,
  ): void;
  /** The leg's telephone-event payload type (-1: none): its packets are reported, and relayed only to a leg that has one. */
  setEventPayloadType(handle: number, payloadType: number): void;
  /** Each telephone-event packet is copied whole into `packet` and reported as (handle, length). */
  onTelephoneEvent(callback: (handle: number, length: number) => void, packet: Uint8Array): void;
  bridge(a: number, b: number): void;
  unbridge(handle: number): void;
  sendAddress(handle: number): string | null;
  /** Closes the leg's sockets now; false when it was released already. */
  release(handle: number): boolean;
}

// Indices into the counters; the same order as the C_* enum in native/relay.c.
const RTP_RECEIVED = 0;
const RTP_BYTES_RECEIVED = 1;
const RTP_SENT = 2;
const RTP_BYTES_SENT = 3;
const RTP_DROPPED = 4;
const RTCP_RECEIVED = 5;
const RTCP_SENT = 6;
const LATCHED = 7;
const SSRC = 8;
const SEND_PORT = 9;
const PACKETS_LOST = 10;
const JITTER_MS = 11;
const RTT_MS = 12;
/** Room for the counters above; 16 doubles keep the array off the V8 heap. */
const COUNTER_SLOTS = 16;

/** native/relay.c SLOT: the longest datagram the relay takes. */
const PACKET_BYTES = 2048;

const ADDON_URL = new URL('../../native/build/relay.node', import.meta.url);

/**
 * The addon, or why the node:dgram relay is used instead: it was not built (no compiler at
 * `npm install`), it does not load, or `enabled` is false (TSPBX_NATIVE_RELAY=0).
 */
export function loadNativeRelay(enabled: boolean): { addon: NativeRelayAddon; relay: 'native' } | { addon: null; relay: string } {
  if (!enabled) return { addon: null, relay: 'dgram (native relay disabled: TSPBX_NATIVE_RELAY=0)' };
  try {
    const addon = createRequire(import.meta.url)(fileURLToPath(ADDON_URL)) as NativeRelayAddon;
    if (addon.COUNTERS > COUNTER_SLOTS || typeof addon.onTelephoneEvent !== 'function') return { addon: null, relay: 'dgram (native relay does not match this version)' };
    return { addon, relay: 'native' };
  } catch (e) {
    const why = (e as { code?: unknown }).code === 'MODULE_NOT_FOUND' ? 'not built' : (e as Error).message;
    return { addon: null, relay: `dgram (native relay ${why})` };
  }
}

/** The legs of this thread's addon by handle, for the telephone-event callback. */
const byHandle = new Map<number, NativeLeg>();

/**
 * Hands every telephone-event packet a native leg receives to `sink` (a view valid only during the
 * call). One sink per thread; a sink that throws loses that packet only.
 */
export function listenTelephoneEvents(addon: NativeRelayAddon, sink: (leg: NativeLeg, packet: Uint8Array) => void): void {
  const packet = new Uint8Array(PACKET_BYTES);
  addon.onTelephoneEvent((handle, length) => {
    const leg = byHandle.get(handle);
    if (leg === undefined) return;
    try {
      sink(leg, packet.subarray(0, length));
    } catch {
      // A digit is lost; the relay goes on.
    }
  }, packet);
}

export class NativeLeg implements RelayLeg {
  readonly id: string;
  readonly port: number;
  peer: NativeLeg | null = null;
  readonly #addon: NativeRelayAddon;
  readonly #handle: number;
  readonly #c = new Float64Array(COUNTER_SLOTS);
  readonly #ptMap = new Uint8Array(128);
  #released = false;
  #sends = true;
  /** The last setRemote(), so that the leg can be moved to node:dgram sockets as it is. */
  remote: RemoteTarget | null = null;

  lastTickReceived = 0;
  lastRxAt = clock.now;
  warned = false;
  timedOut = false;

  /** Binds the ports; throws what openLeg throws. */
  constructor(addon: NativeRelayAddon, id: string, bindAddress: string, port: number) {
    this.#addon = addon;
    this.id = id;
    this.port = port;
    this.#handle = addon.openLeg(bindAddress, port, this.#c);
    byHandle.set(this.#handle, this);
  }

  get rtpReceived(): number {
    return this.#c[RTP_RECEIVED]!;
  }

  get sendAddress(): string | null {
    return this.#released ? null : this.#addon.sendAddress(this.#handle);
  }

  get sendPort(): number {
    return this.#c[SEND_PORT]!;
  }

  get sdpAddress(): string | null {
    return this.remote?.address ?? null;
  }

  get sdpPort(): number {
    return this.remote?.port ?? 0;
  }

  get latched(): boolean {
    return this.#c[LATCHED] === 1;
  }

  inRoom = false;

  get armed(): boolean {
    return (this.peer !== null || this.inRoom) && this.#sends;
  }

  restartWatch(): void {
    this.lastTickReceived = this.rtpReceived;
    this.lastRxAt = clock.now;
    this.warned = false;
    this.timedOut = false;
  }

  setRemote(r: RemoteTarget): void {
    for (let i = 0; i < 128; i++) this.#ptMap[i] = i;
    for (const [from, to] of Object.entries(r.ptMap)) {
      const f = Number(from);
      if (Number.isInteger(f) && f >= 0 && f < 128 && Number.isInteger(to) && to >= 0 && to < 128) this.#ptMap[f] = to;
    }
    this.#addon.setRemote(this.#handle, r.address, r.port, r.rtcpAddress, r.rtcpPort, this.#ptMap, r.clockRate ?? 8000);
    this.#sends = r.sends;
    this.remote = r;
    this.restartWatch();
  }

  setEventPayloadType(payloadType: number | null): void {
    if (!this.#released) this.#addon.setEventPayloadType(this.#handle, payloadType ?? -1);
  }

  bridge(other: RelayLeg): void {
    if (!(other instanceof NativeLeg)) throw new Error('a native relay leg can only be bridged to another');
    this.#addon.bridge(this.#handle, other.#handle);
    this.#unlink();
    other.#unlink();
    this.peer = other;
    other.peer = this;
  }

  unbridge(): void {
    if (this.peer === null) return;
    this.#addon.unbridge(this.#handle);
    this.peer.#unlink();
    this.#unlink();
  }

  #unlink(): void {
    if (this.peer !== null && this.peer.peer === this) this.peer.peer = null;
    this.peer = null;
  }

  release(): void {
    if (this.#released) return;
    this.#unlink();
    this.#released = true;
    byHandle.delete(this.#handle);
    this.#addon.release(this.#handle);
  }

  stats(): LegStats {
    const c = this.#c;
    const address = this.sendAddress;
    const latched = c[LATCHED] === 1;
    return {
      rtpReceived: c[RTP_RECEIVED]!,
      rtpBytesReceived: c[RTP_BYTES_RECEIVED]!,
      rtpSent: c[RTP_SENT]!,
      rtpBytesSent: c[RTP_BYTES_SENT]!,
      rtpDropped: c[RTP_DROPPED]!,
      rtcpReceived: c[RTCP_RECEIVED]!,
      rtcpSent: c[RTCP_SENT]!,
      remote: address === null ? null : { address, port: c[SEND_PORT]! },
      latched,
      ssrc: latched ? c[SSRC]! : null,
      packetsLost: c[PACKETS_LOST]!,
      jitterMs: c[JITTER_MS]!,
      rttMs: c[RTT_MS]! < 0 ? null : Math.round(c[RTT_MS]!),
      relay: 'native',
    };
  }
}
