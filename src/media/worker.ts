// A media worker: owns the UDP sockets of its legs and relays between bridged legs. The main
// thread (MediaEngine) sends control requests; packets never cross threads.
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { NativeLeg, listenTelephoneEvents, loadNativeRelay } from './native-relay.js';
import { Leg, clock, onRtcp, onRtp } from './relay.js';
import { Pipeline, isPipelineRequest } from './pipeline/pipeline.js';
import type { RelayLeg } from './relay-leg.js';
import type { NoRtpInfo, WorkerConfig, WorkerEvent, WorkerReply, WorkerRequest } from './protocol.js';

const TICK_MS = 200;
const config = workerData as WorkerConfig;
const legs = new Map<string, RelayLeg>();
const port = parentPort!;
// Pure legs go through the native relay when it loads, else through node:dgram (relay.ts).
const { addon, relay } = loadNativeRelay(config.nativeRelay);
const pipeline = new Pipeline(legs, (e) => port.postMessage(e), config.toneCountry, () => void settleDecoding(), {
  rtcpIntervalMs: config.rtcpIntervalMs,
});
// RFC 4733 digits of every leg reach the pipeline from the relay, without decoding the leg.
if (addon !== null) listenTelephoneEvents(addon, telephoneEvent);

function telephoneEvent(l: RelayLeg, packet: Uint8Array): void {
  pipeline.telephoneEvent(l, packet);
}

type LookupCallback = (e: Error | null, address: string, family: number) => void;

/** Addresses are IP literals already: skip dns.lookup and its extra tick on every send. */
function literalLookup4(address: string, _family: unknown, callback: LookupCallback): void {
  callback(null, address, 4);
}

function literalLookup6(address: string, _family: unknown, callback: LookupCallback): void {
  callback(null, address, 6);
}

function bind(socket: Socket, p: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    socket.once('error', onError);
    socket.bind({ port: p, address: config.bindAddress, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

function newSocket(): Socket {
  const v6 = isIPv6(config.bindAddress);
  return createSocket({ type: v6 ? 'udp6' : 'udp4', lookup: (v6 ? literalLookup6 : literalLookup4) as never });
}

async function open(legId: string, rtpPort: number): Promise<void> {
  if (legs.has(legId)) throw Object.assign(new Error(`leg ${legId} exists`), { code: 'PBX_ERR_MEDIA_LEG_EXISTS' });
  if (addon !== null) {
    legs.set(legId, new NativeLeg(addon, legId, config.bindAddress, rtpPort));
    return;
  }
  legs.set(legId, await openDgram(legId, rtpPort));
}

/** A leg relayed (and decodable) in JavaScript, on node:dgram sockets. */
async function openDgram(legId: string, rtpPort: number): Promise<Leg> {
  const rtp = newSocket();
  const rtcp = newSocket();
  try {
    await bind(rtp, rtpPort);
    await bind(rtcp, rtpPort + 1);
  } catch (e) {
    rtp.close();
    rtcp.close();
    const inUse = (e as { code?: unknown }).code === 'EADDRINUSE';
    throw Object.assign(new Error(`cannot bind ${config.bindAddress}:${rtpPort}/${rtpPort + 1}: ${(e as Error).message}`), {
      code: inUse ? 'PBX_ERR_MEDIA_PORT_IN_USE' : 'PBX_ERR_MEDIA_BIND',
    });
  }
  const leg = new Leg(legId, rtpPort, rtp, rtcp);
  leg.onTelephoneEvent = telephoneEvent;
  rtp.on('message', (msg, rinfo) => onRtp(leg, msg, rinfo));
  rtcp.on('message', (msg, rinfo) => onRtcp(leg, msg, rinfo));
  // A send to an unreachable port surfaces as an error on some systems; it must not end the worker.
  rtp.on('error', () => {});
  rtcp.on('error', () => {});
  return leg;
}

/**
 * Decoding (transcoding, playing, recording, mixing, digit detection) runs on node:dgram legs:
 * legs the pipeline wants decoded that the native relay holds move, with their bridged peers, to
 * node:dgram sockets on the same ports (the native sockets close first; packets that arrive in the
 * millisecond between are lost), keeping their remote and their bridge.
 */
let settling: Promise<void> = Promise.resolve();
function settleDecoding(): Promise<void> {
  settling = settling.then(
    () => moveToDgram([]),
    () => moveToDgram([]),
  );
  return settling;
}

/**
 * SRTP is done in JavaScript (src/media/srtp/): native/relay.c relays plain RTP only, so a leg that
 * gets SRTP keys moves to node:dgram, with its bridged peer, as a decoded leg does.
 */
function settleEncrypted(l: NativeLeg): Promise<void> {
  settling = settling.then(
    () => moveToDgram([l]),
    () => moveToDgram([l]),
  );
  return settling;
}

async function moveToDgram(encrypted: readonly NativeLeg[]): Promise<void> {
  const wanted = [...pipeline.nativeWanted(), ...encrypted];
  if (wanted.length === 0) return;
  const move = new Set<NativeLeg>();
  for (const l of wanted) {
    if (!(l instanceof NativeLeg) || legs.get(l.id) !== l) continue;
    move.add(l);
    if (l.peer !== null) move.add(l.peer);
  }
  const pairs: [string, string][] = [];
  for (const n of move) if (n.peer !== null && n.id < n.peer.id) pairs.push([n.id, n.peer.id]);
  for (const n of move) await moveLeg(n);
  for (const [a, b] of pairs) {
    const la = legs.get(a);
    const lb = legs.get(b);
    if (la instanceof Leg && lb instanceof Leg) la.bridge(lb);
  }
  pipeline.refresh();
}

/** One native leg onto node:dgram sockets on the same port, with its remote (not its bridge). */
async function moveLeg(n: NativeLeg): Promise<void> {
  const lastRxAt = n.lastRxAt;
  const before = n.stats();
  n.release();
  let js: Leg;
  try {
    js = await openDgram(n.id, n.port);
  } catch {
    // Another program took the port in the instant it was free: the leg cannot carry media any
    // more, so its call ends as if its RTP had stopped.
    legs.delete(n.id);
    pipeline.legClosed(n);
    port.postMessage({ event: 'rtp-timeout', info: { legId: n.id, local: `${config.address}:${n.port}`, remote: null, sdp: null, latched: null, received: 0, quietS: 0 } } satisfies WorkerEvent);
    return;
  }
  if (legs.get(n.id) !== n) {
    // Closed while its sockets were being bound.
    js.release();
    return;
  }
  if (n.remote !== null) js.setRemote(n.remote);
  js.carry(before);
  js.lastRxAt = lastRxAt;
  legs.set(n.id, js);
  pipeline.replaceLeg(n, js);
}

/**
 * A bridge joins two legs of one kind: a native leg bridged to a node:dgram one (a leg decoded
 * for a prompt or digits before, e.g. a caller an IVR answered) moves to node:dgram first.
 */
async function sameRelay(aId: string, bId: string): Promise<void> {
  await settling;
  const a = leg(aId);
  const b = leg(bId);
  if (a instanceof NativeLeg === b instanceof NativeLeg) return;
  const native = a instanceof NativeLeg ? a : (b as NativeLeg);
  settling = settling.then(
    () => moveLeg(native),
    () => moveLeg(native),
  );
  await settling;
}

function leg(legId: string): RelayLeg {
  const l = legs.get(legId);
  if (l === undefined) throw Object.assign(new Error(`no leg ${legId}`), { code: 'PBX_ERR_MEDIA_NO_LEG' });
  return l;
}

function closeLeg(l: RelayLeg): void {
  legs.delete(l.id);
  l.release();
}

async function handle(req: WorkerRequest): Promise<WorkerReply> {
  if (isPipelineRequest(req)) {
    await pipeline.handle(req);
    await settleDecoding();
    return { id: req.id, ok: true, result: null };
  }
  switch (req.op) {
    case 'open':
      await open(req.legId, req.port);
      return { id: req.id, ok: true, result: null };
    case 'remote': {
      const l = leg(req.legId);
      if (req.srtp != null && l instanceof NativeLeg) await settleEncrypted(l);
      leg(req.legId).setRemote(req);
      return { id: req.id, ok: true, result: null };
    }
    case 'bridge': {
      if (leg(req.a) === leg(req.b)) throw Object.assign(new Error('a leg cannot be bridged to itself'), { code: 'PBX_ERR_MEDIA_BRIDGE' });
      await sameRelay(req.a, req.b);
      const a = leg(req.a);
      const b = leg(req.b);
      a.bridge(b);
      a.restartWatch();
      b.restartWatch();
      pipeline.refresh();
      await settling;
      return { id: req.id, ok: true, result: null };
    }
    case 'unbridge':
      leg(req.legId).unbridge();
      pipeline.refresh();
      return { id: req.id, ok: true, result: null };
    case 'close-leg': {
      const l = legs.get(req.legId);
      if (l !== undefined) {
        pipeline.legClosed(l);
        closeLeg(l);
      }
      return { id: req.id, ok: true, result: null };
    }
    case 'stats':
      return { id: req.id, ok: true, result: leg(req.legId).stats() };
  }
}

port.on('message', (req: WorkerRequest) => {
  handle(req).then(
    (reply) => port.postMessage(reply),
    (e: unknown) => {
      const err = e as { code?: unknown; message?: unknown };
      const code = typeof err.code === 'string' ? err.code : 'PBX_ERR_MEDIA_WORKER';
      port.postMessage({ id: req.id, ok: false, code, message: String(err.message ?? e) } satisfies WorkerReply);
    },
  );
});

function noRtp(l: RelayLeg, quietMs: number): NoRtpInfo {
  return {
    legId: l.id,
    local: `${config.address}:${l.port}`,
    remote: l.sendAddress === null ? null : `${l.sendAddress}:${l.sendPort}`,
    sdp: l.sdpAddress === null ? null : `${l.sdpAddress}:${l.sdpPort}`,
    latched: l.latched && l.sendAddress !== null ? `${l.sendAddress}:${l.sendPort}` : null,
    received: l.rtpReceived,
    quietS: Math.round(quietMs / 100) / 10,
  };
}

// RFC 3550 gives no timeout; the PBX hangs up a leg that sent nothing for rtpTimeoutS while bridged.
const tick = setInterval(() => {
  const now = Date.now();
  clock.now = now;
  const warnMs = config.noRtpWarningS * 1000;
  const timeoutMs = config.rtpTimeoutS * 1000;
  for (const l of legs.values()) {
    if (!l.armed) continue;
    if (l.rtpReceived !== l.lastTickReceived) {
      l.restartWatch();
      continue;
    }
    const quiet = now - l.lastRxAt;
    if (warnMs > 0 && !l.warned && quiet >= warnMs) {
      l.warned = true;
      port.postMessage({ event: 'no-rtp-warning', info: noRtp(l, quiet) } satisfies WorkerEvent);
    }
    if (timeoutMs > 0 && !l.timedOut && quiet >= timeoutMs) {
      l.timedOut = true;
      port.postMessage({ event: 'rtp-timeout', info: noRtp(l, quiet) } satisfies WorkerEvent);
    }
  }
}, TICK_MS);
tick.unref();

port.postMessage({ event: 'ready', relay } satisfies WorkerEvent);
