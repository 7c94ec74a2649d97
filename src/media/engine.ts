// MediaEngine: the main thread's handle on the media workers. It allocates ports, places every
// leg of a group (a call) on one worker, spreads groups over workers, and sends each worker small
// control requests with a deadline. Packets never reach the main thread.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { PbxError } from '../util/errors.js';
import type { Log } from '../util/log.js';
import { opusBindingSummary, TRANSCODABLE } from './codec/index.js';
import { PortPool } from './ports.js';
import type { SrtpLegKeys } from './srtp/leg-keys.js';
import type {
  DtmfMethod,
  LegCodecSpec,
  LegStats,
  NoRtpInfo,
  PlayEnd,
  RemoteTarget,
  PlaySource,
  WorkerConfig,
  WorkerEvent,
  WorkerReply,
  WorkerRequest,
} from './protocol.js';

export type { DtmfMethod, LegCodecSpec, LegStats, NoRtpInfo, PlayEnd, PlaySource, RemoteTarget } from './protocol.js';

export interface MediaEngineOptions {
  /** The address written into SDP (rtp.address). */
  address: string;
  /** The address the sockets bind to; defaults to `address`. */
  bindAddress?: string;
  portMin: number;
  portMax: number;
  /** Number of worker threads; at least 1. */
  workers: number;
  /** Seconds without RTP on a bridged leg before 'rtp-timeout'; 0 disables it. */
  rtpTimeoutS: number;
  /** Seconds without RTP before 'no-rtp-warning'; defaults to min(5, rtpTimeoutS); 0 disables it. */
  noRtpWarningS?: number;
  /**
   * Relay pure legs with the native addon (native/relay.c) when it was built; default true unless
   * the environment says TSPBX_NATIVE_RELAY=0. false forces the node:dgram relay.
   */
  nativeRelay?: boolean;
  /** Country of the tone set tone() plays (ringback, busy, congestion...); default 'us'. */
  toneCountry?: string;
  /**
   * The minimum interval of the RTCP reports decoded legs send, ms; default RFC 3550 6.2's 5000.
   * Not a config key: tests shorten it to see reports quickly.
   */
  rtcpIntervalMs?: number;
  /** Deadline of every request to a worker, in ms; default 2000. */
  requestTimeoutMs?: number;
  log?: Log;
  /**
   * The worker module; defaults to worker.js (worker.ts when running from sources). Tests that
   * import the engine from src/ can point it at dist/media/worker.js to skip a TypeScript loader
   * per worker (see test/helpers/compiled.ts).
   */
  workerUrl?: URL;
}

/** Where a leg's phone is, from its SDP (see remoteMedia() in src/sdp/offer-answer.ts). */
export interface RemoteEndpoint {
  /** null while unknown or on hold (c=0.0.0.0): nothing is sent until a packet comes in. */
  address: string | null;
  port: number;
  /** Defaults to `address`. */
  rtcpAddress?: string | null;
  /** Defaults to port + 1. */
  rtcpPort?: number;
  /**
   * Payload type numbers of the bridged leg → this leg's (payloadTypeMap(otherCodecs, theseCodecs)).
   * Types not listed pass unchanged.
   */
  ptMap?: Record<number, number>;
  /** false when the phone said it will not send (it is held, or inactive): no RTP timeout then. */
  sends?: boolean;
  /** RTP clock rate of what the phone sends, for the jitter in LegStats; default 8000. */
  clockRate?: number;
  /**
   * SRTP keys (SDES) when the phone's leg is encrypted: the worker decrypts what it receives and
   * encrypts what it sends, relaying such a leg in JavaScript (the native relay is plain only).
   */
  srtp?: SrtpLegKeys | null;
}

export interface MediaEngineEvents {
  /** A bridged leg received no RTP for rtpTimeoutS: hang the call up. */
  'rtp-timeout': [legId: string, info: NoRtpInfo];
  /** A bridged leg received no RTP for a few seconds. */
  'no-rtp-warning': [info: NoRtpInfo];
  /** A worker stopped unexpectedly; its legs are gone. */
  'worker-exit': [index: number, error: PbxError];
  /** A digit from the leg's phone, once per key press, however it was sent. */
  dtmf: [legId: string, digit: string, method: DtmfMethod];
  /** A play() on the leg ended (its promise resolves with the same reason). */
  'play-done': [legId: string, reason: PlayEnd];
  /** A conference party started or stopped talking. */
  talking: [room: string, legId: string, talking: boolean];
  /** A recording stopped by itself (its file could not be written). */
  'record-failed': [recordingId: string, error: PbxError];
  /** The first leg of a recording with silenceMs has been quiet that long (voicemail's max silence). */
  'record-silence': [recordingId: string];
}

export interface PlayOptions {
  /** Start again after the last item until stopPlay() (music on hold). */
  loop?: boolean;
}

export interface RecordOptions {
  /** stereo: the first leg left, the second right; mono: both mixed. Default stereo. */
  mode?: 'stereo' | 'mono';
  /** > 0: 'record-silence' once the first leg has been quiet this long (it goes on recording). */
  silenceMs?: number;
}

export interface PartyOptions {
  /** The others do not hear this party. */
  muted?: boolean;
  /** This party hears nobody. */
  deaf?: boolean;
}

const DIGITS = /^[0-9*#A-Da-d]$/;

interface Pending {
  slot: WorkerSlot;
  resolve: (value: LegStats | null) => void;
  reject: (error: PbxError) => void;
  timer: NodeJS.Timeout;
}

interface WorkerSlot {
  index: number;
  worker: Worker;
  legs: number;
  alive: boolean;
}

interface LegEntry {
  slot: WorkerSlot;
  group: string;
  port: number;
  /** The last setRemote and setCodec, to set the leg up again on another worker (join). */
  remote: RemoteTarget | null;
  codec: LegCodecSpec | null;
  /** The leg it is bridged to. */
  peer: string | null;
}

interface PlayEntry {
  slot: WorkerSlot;
  legId: string;
  resolve: (reason: PlayEnd) => void;
}

const DEFAULT_WORKER_URL = new URL(`./worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url);

/**
 * A compiled (.js) worker needs none of the parent's module loader hooks (--import, --loader,
 * --require): a TypeScript loader inherited by every worker would cost seconds at start-up.
 */
function newWorker(url: URL, config: WorkerConfig, name: string): Worker {
  const execArgv = url.pathname.endsWith('.ts') ? undefined : withoutLoaders(process.execArgv);
  if (execArgv === undefined) return new Worker(url, { workerData: config, name });
  try {
    return new Worker(url, { workerData: config, name, execArgv });
  } catch (e) {
    // Process-wide flags (V8 options, --title...) cannot be given to a worker explicitly.
    if ((e as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw e;
    return new Worker(url, { workerData: config, name, execArgv: [] });
  }
}

/** The arguments without loader flags; undefined (inherit them all) when there are none. */
function withoutLoaders(argv: readonly string[]): string[] | undefined {
  const out: string[] = [];
  const takesValue = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (takesValue.has(a)) {
      i++;
      continue;
    }
    if ([...takesValue].some((flag) => a.startsWith(`${flag}=`))) continue;
    out.push(a);
  }
  return out.length === argv.length ? undefined : out;
}
const MAX_BIND_ATTEMPTS = 16;
/** Start-up may load a TypeScript loader per worker (tests run from source), hence the long deadline. */
const WORKER_START_MS = 30_000;

export class MediaEngine extends EventEmitter<MediaEngineEvents> {
  readonly address: string;
  readonly #ports: PortPool;
  readonly #slots: WorkerSlot[] = [];
  readonly #groups = new Map<string, { slot: WorkerSlot; legs: number }>();
  readonly #legs = new Map<string, LegEntry>();
  readonly #pending = new Map<number, Pending>();
  readonly #plays = new Map<number, PlayEntry>();
  readonly #recordings = new Map<string, WorkerSlot>();
  readonly #rooms = new Map<string, { slot: WorkerSlot; legs: Set<string> }>();
  /** SDP encoding names the workers decode and encode: the PBX can transcode between any two. */
  readonly transcodable: readonly string[] = TRANSCODABLE;
  #nextPlay = 1;
  #nextRecording = 1;
  readonly #timeoutMs: number;
  readonly #log: Log | undefined;
  #nextId = 1;
  #nextLeg = 1;
  #closed = false;
  #relay = '';

  private constructor(options: MediaEngineOptions) {
    super();
    this.address = options.address;
    this.#ports = new PortPool(options.portMin, options.portMax);
    this.#timeoutMs = options.requestTimeoutMs ?? 2000;
    this.#log = options.log;
  }

  static async start(options: MediaEngineOptions): Promise<MediaEngine> {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new PbxError('PBX_ERR_MEDIA_WORKERS', `media workers must be a positive integer, got ${options.workers}`);
    }
    if (!(options.rtpTimeoutS >= 0)) {
      throw new PbxError('PBX_ERR_MEDIA_TIMEOUT_CONFIG', `rtpTimeoutS must be >= 0, got ${options.rtpTimeoutS}`);
    }
    const engine = new MediaEngine(options);
    const config: WorkerConfig = {
      address: options.address,
      bindAddress: options.bindAddress ?? options.address,
      rtpTimeoutS: options.rtpTimeoutS,
      noRtpWarningS: options.noRtpWarningS ?? Math.min(5, options.rtpTimeoutS),
      nativeRelay: options.nativeRelay ?? process.env.TSPBX_NATIVE_RELAY !== '0',
      toneCountry: options.toneCountry ?? 'us',
    };
    if (options.rtcpIntervalMs !== undefined) {
      if (!(options.rtcpIntervalMs > 0)) throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `rtcpIntervalMs must be > 0, got ${options.rtcpIntervalMs}`);
      config.rtcpIntervalMs = options.rtcpIntervalMs;
    }
    try {
      const url = options.workerUrl ?? DEFAULT_WORKER_URL;
      await Promise.all(Array.from({ length: options.workers }, (_, i) => engine.#spawn(i, url, config)));
    } catch (e) {
      await engine.close();
      throw e;
    }
    engine.#log?.info({ relay: engine.#relay }, `media relay: ${engine.#relay}`);
    const opus = opusBindingSummary();
    engine.#log?.info({ opus }, `opus: ${opus}`);
    return engine;
  }

  /** Which relay the workers use: 'native' or 'dgram (why)'. */
  get relay(): string {
    return this.#relay;
  }

  #spawn(index: number, url: URL, config: WorkerConfig): Promise<void> {
    const worker = newWorker(url, config, `media-${index}`);
    const slot: WorkerSlot = { index, worker, legs: 0, alive: true };
    this.#slots.push(slot);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new PbxError('PBX_ERR_MEDIA_TIMEOUT', `media worker ${index} did not start in ${WORKER_START_MS} ms`));
      }, WORKER_START_MS);
      worker.on('message', (msg: WorkerReply | WorkerEvent) => {
        if ('event' in msg && msg.event === 'ready') {
          this.#relay = msg.relay;
          clearTimeout(timer);
          resolve();
          return;
        }
        this.#onMessage(msg, index);
      });
      worker.on('error', (e) => {
        clearTimeout(timer);
        reject(new PbxError('PBX_ERR_MEDIA_WORKER', `media worker ${index} failed: ${e.message}`));
        this.#onWorkerGone(slot, e.message);
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        reject(new PbxError('PBX_ERR_MEDIA_WORKER', `media worker ${index} exited with ${code}`));
        this.#onWorkerGone(slot, `exit code ${code}`);
      });
    });
  }

  #onWorkerGone(slot: WorkerSlot, why: string): void {
    if (!slot.alive) return;
    slot.alive = false;
    if (this.#closed) return;
    const error = new PbxError('PBX_ERR_MEDIA_WORKER', `media worker ${slot.index} stopped: ${why}`);
    this.#log?.warn({ worker: slot.index, err: why }, 'media worker stopped');
    for (const [legId, entry] of this.#legs) {
      if (entry.slot === slot) this.#forget(legId, entry);
    }
    for (const [id, p] of this.#pending) {
      if (p.slot !== slot) continue;
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(error);
    }
    for (const [id, p] of this.#plays) if (p.slot === slot) this.#playEnded(id, 'stopped');
    for (const [id, s] of this.#recordings) if (s === slot) this.#recordings.delete(id);
    for (const [room, r] of this.#rooms) if (r.slot === slot) this.#rooms.delete(room);
    this.emit('worker-exit', slot.index, error);
  }

  #onMessage(msg: WorkerReply | WorkerEvent, worker: number): void {
    if ('event' in msg) {
      if (msg.event === 'rtp-timeout') {
        this.#log?.warn({ ...msg.info }, 'no RTP received: timeout');
        this.emit('rtp-timeout', msg.info.legId, msg.info);
      } else if (msg.event === 'no-rtp-warning') {
        // Nothing ever arrived: the phone sends somewhere else or its packets cannot get in (NAT).
        this.#log?.warn(
          { ...msg.info },
          msg.info.received === 0
            ? `no RTP received from the phone since the call was answered (one-way audio): its SDP says ${msg.info.sdp ?? 'nothing'}, the PBX listens on ${msg.info.local}, latched ${msg.info.latched ?? 'nothing'}`
            : 'no RTP received',
        );
        this.emit('no-rtp-warning', msg.info);
      } else if (msg.event === 'dtmf') {
        this.emit('dtmf', msg.legId, msg.digit, msg.method);
      } else if (msg.event === 'play-done') {
        if (msg.error !== null) this.#log?.warn({ legId: msg.legId, err: msg.error }, 'play failed');
        this.#playEnded(msg.playId, msg.reason);
      } else if (msg.event === 'talking') {
        this.emit('talking', msg.room, msg.legId, msg.talking);
      } else if (msg.event === 'record-failed') {
        this.#recordings.delete(msg.recordingId);
        this.#log?.warn({ recordingId: msg.recordingId, err: msg.error }, 'recording stopped');
        this.emit('record-failed', msg.recordingId, new PbxError('PBX_ERR_MEDIA_RECORD', msg.error));
      } else if (msg.event === 'record-silence') {
        this.emit('record-silence', msg.recordingId);
      } else if (msg.event === 'opus-complexity') {
        this.#log?.info({ worker, complexity: msg.complexity, tickMs: Number(msg.tickMs.toFixed(1)) }, 'media worker load: Opus encoder complexity changed');
      }
      return;
    }
    const p = this.#pending.get(msg.id);
    if (p === undefined) return;
    this.#pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new PbxError(msg.code, msg.message));
  }

  #request(slot: WorkerSlot, req: WorkerRequest): Promise<LegStats | null> {
    if (this.#closed) return Promise.reject(closedError());
    if (!slot.alive) return Promise.reject(new PbxError('PBX_ERR_MEDIA_WORKER', `media worker ${slot.index} is gone`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(req.id);
        reject(new PbxError('PBX_ERR_MEDIA_TIMEOUT', `media worker ${slot.index} did not answer ${req.op} in ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(req.id, { slot, resolve, reject, timer });
      slot.worker.postMessage(req);
    });
  }

  #entry(legId: string): LegEntry {
    if (this.#closed) throw closedError();
    const e = this.#legs.get(legId);
    if (e === undefined) throw new PbxError('PBX_ERR_MEDIA_NO_LEG', `no media leg ${legId}`);
    return e;
  }

  #slotFor(group: string): WorkerSlot {
    const g = this.#groups.get(group);
    if (g !== undefined && g.slot.alive) return g.slot;
    let best: WorkerSlot | null = null;
    for (const s of this.#slots) if (s.alive && (best === null || s.legs < best.legs)) best = s;
    if (best === null) throw new PbxError('PBX_ERR_MEDIA_WORKER', 'no media worker is running');
    return best;
  }

  /**
   * A new leg in `group` (one call): RTP on an even port of the range, RTCP on the next. Rejects
   * with PBX_ERR_MEDIA_PORTS_EXHAUSTED when the range is used up (answer 503).
   */
  async openLeg(group: string): Promise<{ legId: string; port: number }> {
    if (this.#closed) throw closedError();
    // The group is placed before the first await so that concurrent opens of one call share a worker.
    const slot = this.#slotFor(group);
    const existing = this.#groups.get(group);
    const g = existing !== undefined && existing.slot === slot ? existing : { slot, legs: 0 };
    this.#groups.set(group, g);
    g.legs++;
    slot.legs++;
    try {
      for (let attempt = 0; attempt < MAX_BIND_ATTEMPTS; attempt++) {
        const port = this.#ports.acquire();
        if (port < 0) {
          throw new PbxError('PBX_ERR_MEDIA_PORTS_EXHAUSTED', `all ${this.#ports.size} RTP port pairs are in use`);
        }
        const legId = `L${this.#nextLeg++}`;
        try {
          await this.#request(slot, { id: this.#nextId++, op: 'open', legId, port });
        } catch (e) {
          this.#ports.release(port);
          // Another program holds this port: try the next pair.
          if (e instanceof PbxError && e.code === 'PBX_ERR_MEDIA_PORT_IN_USE') continue;
          throw e;
        }
        if (this.#closed) throw closedError();
        if (!slot.alive) {
          this.#ports.release(port);
          throw new PbxError('PBX_ERR_MEDIA_WORKER', `media worker ${slot.index} stopped while opening a leg`);
        }
        this.#legs.set(legId, { slot, group, port, remote: null, codec: null, peer: null });
        return { legId, port };
      }
      throw new PbxError('PBX_ERR_MEDIA_PORTS_EXHAUSTED', `no free RTP port pair after ${MAX_BIND_ATTEMPTS} attempts`);
    } catch (e) {
      slot.legs--;
      if (--g.legs <= 0 && this.#groups.get(group) === g) this.#groups.delete(group);
      throw e;
    }
  }

  /** Where the leg's phone is, per its SDP. A changed address makes the leg learn its source again. */
  async setRemote(legId: string, remote: RemoteEndpoint): Promise<void> {
    const e = this.#entry(legId);
    if (remote.address !== null && typeof remote.address !== 'string') {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', 'remote address must be a string or null');
    }
    if (!Number.isInteger(remote.port) || remote.port < 0 || remote.port > 65535) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `bad remote port ${remote.port}`);
    }
    const rtcpPort = remote.rtcpPort ?? Math.min(remote.port + 1, 65535);
    if (!Number.isInteger(rtcpPort) || rtcpPort < 0 || rtcpPort > 65535) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `bad remote RTCP port ${rtcpPort}`);
    }
    const clockRate = remote.clockRate ?? 8000;
    if (!Number.isInteger(clockRate) || clockRate < 1000 || clockRate > 192000) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `bad clock rate ${clockRate}`);
    }
    const target: RemoteTarget = {
      address: remote.address,
      port: remote.port,
      rtcpAddress: remote.rtcpAddress === undefined ? remote.address : remote.rtcpAddress,
      rtcpPort,
      ptMap: remote.ptMap ?? {},
      sends: remote.sends ?? true,
      clockRate,
      srtp: remote.srtp ?? null,
    };
    e.remote = target;
    await this.#request(e.slot, { id: this.#nextId++, op: 'remote', legId, ...target });
  }

  /** Relays RTP and RTCP between two legs of one group, both ways. */
  async bridge(legA: string, legB: string): Promise<void> {
    const a = this.#entry(legA);
    const b = this.#entry(legB);
    if (a.slot !== b.slot) {
      throw new PbxError('PBX_ERR_MEDIA_BRIDGE', `legs ${legA} and ${legB} are on different media workers (open them in one group)`);
    }
    this.#unpair(a);
    this.#unpair(b);
    a.peer = legB;
    b.peer = legA;
    await this.#request(a.slot, { id: this.#nextId++, op: 'bridge', a: legA, b: legB });
  }

  async unbridge(legId: string): Promise<void> {
    const e = this.#entry(legId);
    this.#unpair(e);
    await this.#request(e.slot, { id: this.#nextId++, op: 'unbridge', legId });
  }

  #unpair(e: LegEntry): void {
    if (e.peer === null) return;
    const peer = this.#legs.get(e.peer);
    if (peer !== undefined) peer.peer = null;
    e.peer = null;
  }

  /**
   * Moves an unbridged leg to another worker (a conference room lives on one): its sockets close
   * on one worker and bind the same ports on the other, which gets its remote and codec again.
   * Packets that arrive in between are lost; what played to the leg ends ('stopped').
   */
  async #migrate(legId: string, e: LegEntry, to: WorkerSlot): Promise<void> {
    await this.#op(e.slot, { op: 'close-leg', legId });
    const g = this.#groups.get(e.group);
    if (g !== undefined && g.slot === e.slot && --g.legs <= 0) this.#groups.delete(e.group);
    e.slot.legs--;
    e.slot = to;
    to.legs++;
    try {
      await this.#op(to, { op: 'open', legId, port: e.port });
      if (e.remote !== null) await this.#op(to, { op: 'remote', legId, ...e.remote });
      if (e.codec !== null) await this.#op(to, { op: 'codec', legId, codec: e.codec });
    } catch (err) {
      if (this.#legs.get(legId) === e) this.#forget(legId, e);
      throw err;
    }
  }

  /** Closes the leg's sockets and frees its ports. Closing an unknown or closed leg does nothing. */
  async closeLeg(legId: string): Promise<void> {
    if (this.#closed) return;
    const e = this.#legs.get(legId);
    if (e === undefined) return;
    this.#forget(legId, e);
    await this.#request(e.slot, { id: this.#nextId++, op: 'close-leg', legId });
  }

  #forget(legId: string, e: LegEntry): void {
    this.#legs.delete(legId);
    this.#leftRoom(legId);
    this.#unpair(e);
    this.#ports.release(e.port);
    e.slot.legs--;
    const g = this.#groups.get(e.group);
    if (g !== undefined && g.slot === e.slot && --g.legs <= 0) this.#groups.delete(e.group);
  }

  #playEnded(playId: number, reason: PlayEnd): void {
    const p = this.#plays.get(playId);
    if (p === undefined) return;
    this.#plays.delete(playId);
    this.emit('play-done', p.legId, reason);
    p.resolve(reason);
  }

  #op(slot: WorkerSlot, req: DistributiveOmit<WorkerRequest, 'id'>): Promise<LegStats | null> {
    return this.#request(slot, { ...req, id: this.#nextId++ } as WorkerRequest);
  }

  /**
   * The codec the leg's phone speaks (from SDP). Two bridged legs with the same codec are a pure
   * relay; with different ones the worker decodes each and encodes for the other (transcoding).
   */
  async setCodec(legId: string, codec: LegCodecSpec): Promise<void> {
    const e = this.#entry(legId);
    const pt = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 0 && (n as number) < 128;
    if (typeof codec.name !== 'string' || !pt(codec.payloadType) || !(codec.clockRate > 0)) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `bad codec ${JSON.stringify(codec)}`);
    }
    if (codec.dtmfPayloadType !== null && !pt(codec.dtmfPayloadType)) {
      throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `bad telephone-event payload type ${codec.dtmfPayloadType}`);
    }
    e.codec = { ...codec, channels: codec.channels ?? null, digitsByInfo: codec.digitsByInfo === true };
    await this.#op(e.slot, { op: 'codec', legId, codec: e.codec });
  }

  /**
   * Plays WAV files, tones and silences to the leg in turn (instead of what it hears otherwise),
   * resolving when the last one ends ('done'), stopPlay() or a new play() ends it ('stopped'), or
   * a file cannot be read ('error'). The leg's codec must be set.
   */
  async play(legId: string, items: readonly PlaySource[], options: PlayOptions = {}): Promise<PlayEnd> {
    const e = this.#entry(legId);
    if (!Array.isArray(items) || items.length === 0) throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', 'play needs at least one item');
    for (const item of items) {
      const ok =
        ('file' in item && typeof item.file === 'string') ||
        ('tone' in item && typeof item.tone === 'string') ||
        ('silenceMs' in item && Number.isFinite(item.silenceMs) && item.silenceMs >= 0);
      if (!ok) throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `bad play item ${JSON.stringify(item)}`);
    }
    const playId = this.#nextPlay++;
    const done = new Promise<PlayEnd>((resolve) => this.#plays.set(playId, { slot: e.slot, legId, resolve }));
    try {
      await this.#op(e.slot, { op: 'play', legId, playId, items: [...items], loop: options.loop === true });
    } catch (err) {
      this.#plays.delete(playId);
      throw err;
    }
    return done;
  }

  /** Plays a tone of the engine's country set (ringback, busy, congestion, dial, call-waiting, beep) until stopPlay(). */
  tone(legId: string, name: string): Promise<PlayEnd> {
    return this.play(legId, [{ tone: name }], { loop: true });
  }

  /** Ends what is playing to the leg; its play() resolves 'stopped'. Nothing playing: nothing happens. */
  async stopPlay(legId: string): Promise<void> {
    const e = this.#entry(legId);
    await this.#op(e.slot, { op: 'stop-play', legId });
  }

  /** Sends a digit to the leg's phone as it negotiated: RFC 4733 events, else in-band tones. */
  async sendDigit(legId: string, digit: string): Promise<void> {
    const e = this.#entry(legId);
    if (typeof digit !== 'string' || !DIGITS.test(digit)) throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `bad digit ${JSON.stringify(digit)}`);
    await this.#op(e.slot, { op: 'send-digit', legId, digit: digit.toUpperCase() });
  }

  /**
   * Reports the leg's in-band digits as 'dtmf' events even while it is a pure relay (the worker
   * decodes it then). RFC 4733 digits are reported without it, from the relay itself; legs that are
   * decoded anyway (transcoded, playing, recorded, in a conference) report in-band digits too.
   */
  async detectDigits(legId: string, on: boolean): Promise<void> {
    const e = this.#entry(legId);
    await this.#op(e.slot, { op: 'detect-digits', legId, on });
  }

  /**
   * Records what the legs' phones send to a WAV file at 16 kHz: `legs` is a group (the legs of a
   * call in the order they were opened: caller, callee) or leg ids. Resolves with the recording's id
   * once the file is open.
   */
  async record(groupOrLegs: string | readonly string[], path: string, options: RecordOptions = {}): Promise<string> {
    if (this.#closed) throw closedError();
    const legs = typeof groupOrLegs === 'string' ? this.#legsOf(groupOrLegs) : [...groupOrLegs];
    if (legs.length < 1 || legs.length > 2) throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `a recording takes one or two legs, got ${legs.length}`);
    const entries = legs.map((l) => this.#entry(l));
    if (entries.some((en) => en.slot !== entries[0]!.slot)) throw new PbxError('PBX_ERR_MEDIA_RECORD', 'the legs are on different media workers');
    const mode = options.mode ?? 'stereo';
    if (mode !== 'stereo' && mode !== 'mono') throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `bad recording mode ${String(mode)}`);
    if (typeof path !== 'string' || path.length === 0) throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', 'a recording needs a path');
    const silenceMs = options.silenceMs ?? 0;
    if (!(Number.isFinite(silenceMs) && silenceMs >= 0)) throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', `bad silenceMs ${String(silenceMs)}`);
    const recordingId = `R${this.#nextRecording++}`;
    const slot = entries[0]!.slot;
    await this.#op(slot, { op: 'record', recordingId, legs, path, mode, silenceMs });
    this.#recordings.set(recordingId, slot);
    return recordingId;
  }

  /** Stops a recording; resolves once its file is complete. An unknown id does nothing. */
  async stopRecord(recordingId: string): Promise<void> {
    const slot = this.#recordings.get(recordingId);
    if (slot === undefined || this.#closed) return;
    this.#recordings.delete(recordingId);
    await this.#op(slot, { op: 'stop-record', recordingId });
  }

  /**
   * Pauses a recording (nothing is written until it resumes; the file stays open and valid) or
   * resumes it. Rejects with PBX_ERR_MEDIA_NO_RECORDING for an id that is not recording (stopped,
   * failed or unknown).
   */
  async pauseRecord(recordingId: string, paused: boolean): Promise<void> {
    const slot = this.#recordings.get(recordingId);
    if (this.#closed) throw closedError();
    if (slot === undefined) throw new PbxError('PBX_ERR_MEDIA_NO_RECORDING', `no recording ${recordingId}`);
    await this.#op(slot, { op: 'pause-record', recordingId, paused: paused === true });
  }

  #legsOf(group: string): string[] {
    const out: string[] = [];
    for (const [id, e] of this.#legs) if (e.group === group) out.push(id);
    if (out.length === 0) throw new PbxError('PBX_ERR_MEDIA_NO_LEG', `no media legs in group ${group}`);
    return out;
  }

  /**
   * Puts the leg into a conference room: it hears every other party, never itself. The room
   * mixes at 48 kHz while every party's leg speaks Opus (each then codes at 48 kHz, so what is
   * above 8 kHz reaches the others), else at 16 kHz; the rate is decided again at every join and
   * leave, and a change loses no frame (see pipeline/room.ts). A room lives on the worker of its
   * first party; an unbridged leg on another worker is moved there first (a bridged one cannot
   * be: PBX_ERR_MEDIA_CONFERENCE).
   */
  async join(room: string, legId: string, options: PartyOptions = {}): Promise<void> {
    const e = this.#entry(legId);
    if (typeof room !== 'string' || room.length === 0) throw new PbxError('PBX_ERR_MEDIA_ARGUMENT', 'a room needs a name');
    const r = this.#rooms.get(room) ?? { slot: e.slot, legs: new Set<string>() };
    if (r.slot !== e.slot) {
      if (e.peer !== null) {
        throw new PbxError('PBX_ERR_MEDIA_CONFERENCE', `leg ${legId} is bridged on media worker ${e.slot.index}, room ${room} is on ${r.slot.index}: unbridge it first`);
      }
      await this.#migrate(legId, e, r.slot);
    }
    this.#rooms.set(room, r);
    r.legs.add(legId);
    try {
      await this.#op(e.slot, { op: 'join', room, legId, muted: options.muted === true, deaf: options.deaf === true });
    } catch (err) {
      this.#leftRoom(legId);
      throw err;
    }
  }

  /** Takes the leg out of its room. Not in a room: nothing happens. */
  async leave(legId: string): Promise<void> {
    const e = this.#entry(legId);
    this.#leftRoom(legId);
    await this.#op(e.slot, { op: 'leave', legId });
  }

  async setMuted(legId: string, muted: boolean): Promise<void> {
    const e = this.#entry(legId);
    await this.#op(e.slot, { op: 'party', legId, muted: muted === true, deaf: null });
  }

  async setDeaf(legId: string, deaf: boolean): Promise<void> {
    const e = this.#entry(legId);
    await this.#op(e.slot, { op: 'party', legId, muted: null, deaf: deaf === true });
  }

  #leftRoom(legId: string): void {
    for (const [room, r] of this.#rooms) {
      if (!r.legs.delete(legId)) continue;
      if (r.legs.size === 0) this.#rooms.delete(room);
    }
  }

  async stats(legId: string): Promise<LegStats> {
    const e = this.#entry(legId);
    const s = await this.#request(e.slot, { id: this.#nextId++, op: 'stats', legId });
    return s!;
  }

  /** Legs open, port pairs in use and in the range. */
  get usage(): { legs: number; portsUsed: number; portsTotal: number; workers: number } {
    return {
      legs: this.#legs.size,
      portsUsed: this.#ports.used,
      portsTotal: this.#ports.size,
      workers: this.#slots.filter((s) => s.alive).length,
    };
  }

  /** Stops the workers (closing every socket). Pending requests reject. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(closedError());
      this.#pending.delete(id);
    }
    for (const id of [...this.#plays.keys()]) this.#playEnded(id, 'stopped');
    this.#recordings.clear();
    this.#rooms.clear();
    this.#legs.clear();
    this.#groups.clear();
    await Promise.all(this.#slots.map((s) => s.worker.terminate().catch(() => 0)));
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function closedError(): PbxError {
  return new PbxError('PBX_ERR_MEDIA_CLOSED', 'the media engine is closed');
}
