// CallControl: the B2BUA's front door. It takes new INVITEs (digest, 100 Trying, routing), finds
// the call a request/ACK/response of an existing dialog belongs to, and ends calls on rtp-timeout
// and shutdown.
//
// new CallControl({
//   transactions,   TransactionLayer: client transactions to the callees, 2xx/ACK sent outside transactions
//   registrar,      { lookup(ext) -> [{contact, peer}], authenticateRequest(st, 'proxy') -> user | null }
//   media,          MediaEngine: openLeg(group), setRemote(legId, target), bridge(a, b), closeLeg(legId)
//   getRouting,     () => Routing: read once per new call; the call keeps that Routing
//   store,          { insertCdr(row) -> void | Promise }: one CdrRow per call, when it ends; a BYE that
//                   ends the call is answered once the promise settles (the row is committed)
//   log,            pino-style logger; every line of a call comes from log.child({ callId })
//   localContact,   (transport, to?) => our Contact URI for that transport as the peer at address to sees it
//   start,          (call, destination, host) => void: carries a new call to its destination
//                   (appStart(services) of src/apps/goto.ts); host.dial(call, exts) rings extensions for it
//   clock?, timers?        defaults: realClock, T1 500 ms, T2 4 s (RFC 3261 13.3.1.4 2xx retransmission)
//   wallClock?             () => ms since the epoch that schedules are read at (default clock.now); tests fix it
//   ringTimeout?           seconds a call rings before 480 (default 120)
//   settings?              do not disturb and forwards set from the phones (ExtensionSettings): an
//                          extension on DND counts as busy when rung; apps read and set them
//   userAgent?             User-Agent / Server value written on what the PBX sends (default "tspbx")
// })
// Events: 'dtmf' (CallDtmf): a digit either side pressed, whether it came by SIP INFO (read here), or
// by RFC 4733 or in-band tones (the media side reports those through mediaDtmf()).
// The PBX wires the transaction layer's callbacks to it:
//   onRequest:        if (!calls.handleRequest(st)) ... (REGISTER, out-of-dialog OPTIONS go elsewhere)
//   onAck:            calls.handleAck(ack)
//   onStrayResponse:  calls.handleStrayResponse(res)
//   media 'rtp-timeout' event: calls.rtpTimeout(legId)
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { CallInfo, RecordingResult, TransferResult } from '../api/control-types.js';
import type { Destination, DtmfMode, MediaEncryption, Routing } from '../config/types.js';
import { dialogKey } from '../sip/dialog.js';
import { quote, tagOf } from '../sip/grammar.js';
import { responseTo, type SipRequest, type SipResponse, type TransportName } from '../sip/message.js';
import { DEFAULT_TIMERS, realClock, type Clock, type ServerTransaction, type Timers, type TransactionLayer } from '../sip/transaction/index.js';
import { freeSpaceGuard, recordingPathFor, shouldRecord } from '../media/recording/policy.js';
import type { FreeSpaceGuard } from '../media/recording/retention.js';
import { Call, type CallEnv, type CallProgress, type DialResult, type DialTarget, type ForkHeaders } from './call.js';
import type { CallRecording } from './recording-control.js';
import { recordingResult } from './recording-result.js';
import type { CallMedia, CallRegistrar, CallSettings, CallStore } from './deps.js';
import type { CallDtmf } from './dtmf.js';
import type { DtmfMethod } from '../media/dtmf/digits.js';
import type { Log } from '../util/log.js';
import { callerIdOf } from './caller-id.js';
import { displayName, uriUser } from './headers.js';
import { UasLeg, type Leg, type LegContext } from './leg.js';
import { withMediaAddress } from '../sdp/address.js';
import { addressPolicy } from '../config/address-policy.js';
import { routeCall } from './route.js';
import { ParkingLot } from './parking.js';
import { blindTransfer, onRefer, parseReplaces, replaceDialog, type TransferHost } from './transfer.js';
import { consultPlan, holdMusic } from './consult.js';
import { OriginatedCall, refusedOriginateCdr, type OriginateRefusal, type OriginateRequest, type OriginateResult, type Ring, type RingResult, type SecondParty } from './originate.js';
import { dialOutside, permitOutside, type OutsideDialer, type OutsidePermit } from './outside.js';
import { PbxError } from '../util/errors.js';
import { inboundDestination } from '../trunks/inbound.js';
import { firstTrunk } from '../trunks/routes.js';
import type { TrunkService } from '../trunks/service.js';

export interface CallControlOptions {
  transactions: TransactionLayer;
  registrar: CallRegistrar;
  media: CallMedia;
  getRouting: () => Routing;
  store: CallStore;
  log: Log;
  localContact: (transport: TransportName, to?: string) => string;
  start: CallStart;
  clock?: Clock;
  timers?: Timers;
  wallClock?: () => number;
  ringTimeout?: number;
  userAgent?: string;
  settings?: CallSettings;
  /** Outside lines: INVITEs from trunks skip digest and are routed by DID (inbound:). */
  trunks?: TrunkService;
}

/** What carrying a call to its destination needs from call control (apps get it as their ChannelHost). */
export interface CallHost {
  /** The Routing the call began with. */
  readonly routing: Routing;
  readonly media: CallMedia;
  /** The instant (ms since the epoch) schedules are read at: CallControl's wallClock. */
  now(): number;
  /**
   * Rings extensions for the call (every registered contact of each, in parallel) and resolves with
   * how it went (Call.dial): the caller still waiting hears the callees' progress, one the PBX
   * answered hears ringback. Extensions at their call limit count as busy, unregistered ones are
   * skipped; when none is left to ring the result is 'busy' or 'not-registered' at once.
   * `ringTimeoutMs` defaults to CallControl's ringTimeout.
   */
  dial(call: Call, exts: string | readonly string[], options?: DialOptions): Promise<DialResult>;
  /** True while the extension is in another call (calling, ringing or talking). */
  inCall(ext: string): boolean;
  /** Do not disturb and forwards set from the phones; null when the PBX keeps none. */
  readonly settings: CallSettings | null;
  /** The PBX's outside lines (outbound calls), when it has any. */
  readonly trunks?: TrunkService;
  /** The calls ringing extensions now (Call.ringing), longest ringing first: what a pickup can take. */
  ringingCalls(): Call[];
  /** The calls parked in parking.slots. */
  readonly parking: ParkingLot;
}

export interface DialOptions {
  ringTimeoutMs?: number;
  /** The number the callees see dialled (To); default: the number the caller dialled, or the extension an app hands over to. */
  to?: string;
  /** A caller the PBX answered hears ringback while the callees ring (default); false: what plays to it goes on (music on hold). */
  ringback?: boolean;
}

/** Carries a new call to its destination. */
export type CallStart = (call: Call, dest: Destination, host: CallHost) => void;

/** Requests that only make sense inside a dialog: without a To tag they get 481. */
const DIALOG_ONLY = new Set(['BYE', 'UPDATE', 'INFO', 'PRACK', 'REFER', 'NOTIFY']);

/** How long shutdown() waits for the BYEs of the calls it ends. */
const SHUTDOWN_GRACE_MS = 5000;

export interface CallControlEvents {
  dtmf: [CallDtmf];
  /** A call's progress as each extension in it sees it (one event per extension side). */
  state: [CallStateEvent];
}

/** One extension's side of a call changed state (RFC 4235 dialog states). */
export interface CallStateEvent {
  /** Unique per call and side. */
  id: string;
  /** The caller's SIP Call-ID. */
  callId: string;
  extension: string;
  /** initiator: the extension called; recipient: it was called. */
  direction: 'initiator' | 'recipient';
  /** The other party's number and (for an extension) name. */
  remote: string;
  /** The number the caller dialled (a DID for a trunk call, a group's number). */
  dialled?: string;
  remoteName: string | null;
  state: CallProgress;
}

export class CallControl extends EventEmitter<CallControlEvents> {
  readonly #opts: CallControlOptions;
  readonly #env: CallEnv;
  readonly #calls = new Map<string, Call>();
  readonly #legs = new Map<string, { leg: Leg; call: Call }>();
  /** Calls the PBX started (originate), and their legs by dialog. */
  readonly #originated = new Map<string, OriginatedCall>();
  readonly #originatedLegs = new Map<string, { leg: Leg; call: OriginatedCall }>();
  /** The caller side of each call by Call-ID and From tag: an INVITE seen again is no new call. */
  readonly #invites = new Map<string, Call>();
  readonly #parking = new ParkingLot();
  #accepting = true;
  #closed = false;
  /** The free-space guard of recordings, rebuilt when data_dir or recording.min_free_mb change. */
  #guard: { key: string; guard: FreeSpaceGuard } | null = null;

  constructor(opts: CallControlOptions) {
    super();
    this.#opts = opts;
    const clock = opts.clock ?? realClock;
    const legs: LegContext = {
      transactions: opts.transactions,
      clock,
      timers: opts.timers ?? DEFAULT_TIMERS,
      requestHeaders: [['User-Agent', opts.userAgent ?? 'tspbx']],
      responseHeaders: [['Server', opts.userAgent ?? 'tspbx']],
      sdpFor: (body, to) => {
        const config = this.#opts.getRouting().config;
        return withMediaAddress(body, config.rtp.address, addressPolicy(config).mediaAddress(to.address));
      },
    };
    this.#env = {
      legs,
      clock,
      engine: opts.media,
      store: opts.store,
      ringTimeoutMs: (opts.ringTimeout ?? 120) * 1000,
      contactFor: (transport, to) => `<${opts.localContact(transport, to)}>`,
      attach: (leg, call) => this.#legs.set(leg.key, { leg, call }),
      detach: (leg) => {
        if (this.#legs.get(leg.key)?.leg === leg) this.#legs.delete(leg.key);
      },
      ended: (call) => {
        this.#calls.delete(call.id);
        this.#invites.delete(inviteKey(call.a.st.request));
      },
      dtmf: (event) => {
        try {
          this.emit('dtmf', event);
        } catch (err) {
          opts.log.error({ err, callId: event.callId }, 'a dtmf listener failed');
        }
      },
      progress: (call, state) => this.#progress(call, state),
      refer: (call, leg, st) => onRefer(call, leg, st, this.#transfers),
      dtmfTransfer: (call, leg, to) => {
        const number = to === 'park' ? (this.#opts.getRouting().config.parking?.number ?? null) : to;
        if (number === null) call.log.info({}, 'park code pressed but parking is not configured');
        else blindTransfer(call, leg, number, this.#transfers);
      },
      consult: (_call, number, by) => consultPlan(this.#opts.getRouting(), opts.registrar, opts.media.transcodable, this.#env.ringTimeoutMs, number, by),
      holdMusic: () => holdMusic(this.#opts.getRouting().config, opts.log),
    };
  }

  /** What transfers (transfer.ts) need: dialogs by their tags, routing, carrying a call on. */
  readonly #transfers: TransferHost = {
    dialog: (callId, localTag, remoteTag) => {
      const entry = this.#legs.get(dialogKey(callId, localTag));
      if (entry === undefined) return null;
      const peerTag = entry.leg.dialog?.remoteTag ?? (entry.leg instanceof UasLeg ? entry.leg.remoteTag : '');
      return peerTag === remoteTag ? entry : null;
    },
    resolve: (number) => this.#opts.getRouting().resolve(number),
    carry: (call, dest) => {
      const routing = this.#opts.getRouting();
      this.#opts.start(call, dest, this.#hostFor(routing, call));
    },
  };

  /** What the apps carrying `call` get (inCall counts the extension's calls other than `call`). */
  #hostFor(routing: Routing, call: Call | null = null): CallHost {
    return {
      routing,
      media: this.#opts.media,
      now: () => this.#opts.wallClock?.() ?? this.#env.clock.now(),
      dial: (c, exts, options) => this.#dial(c, typeof exts === 'string' ? [exts] : exts, routing, options ?? {}),
      inCall: (ext) => this.#activeCallsOf(ext, call) > 0,
      settings: this.#opts.settings ?? null,
      ...(this.#opts.trunks === undefined ? {} : { trunks: this.#opts.trunks }),
      ringingCalls: () => [...this.#calls.values()].filter((c) => c.ringing.length > 0),
      parking: this.#parking,
    };
  }

  /**
   * A request that matched no transaction. Returns false when it is not call control's
   * (REGISTER, out-of-dialog OPTIONS, ...), true when it was answered or taken.
   */
  handleRequest(st: ServerTransaction): boolean {
    const req = st.request;
    const toTag = tagOf(req.headers.get('to'));
    if (toTag !== '') {
      this.#inDialog(st, toTag);
      return true;
    }
    if (req.method === 'INVITE') {
      this.handleInvite(st).catch((err: unknown) => {
        this.#opts.log.error({ err, callId: req.headers.get('call-id') }, 'INVITE handling failed');
        if (!st.finished) st.respond(withLength(responseTo(req, 500)));
      });
      return true;
    }
    if (DIALOG_ONLY.has(req.method)) {
      st.respond(withLength(responseTo(req, 481)));
      return true;
    }
    return false;
  }

  /**
   * Where the call is recorded: from the answer on when an extension, the dialled number or its
   * group asks for it; on demand (control API, features.record_toggle) otherwise.
   */
  #recordingFor(routing: Routing, from: string, dialled: string, dest: Destination | null, callId: string): CallRecording {
    const to = dest?.kind === 'extension' ? dest.ext : null;
    const group = dest?.kind === 'group' ? dest.name : null;
    const queue = dest?.kind === 'queue' ? dest.name : null;
    const c = routing.config;
    const key = `${c.data_dir}\0${c.recording.min_free_mb}`;
    if (this.#guard?.key !== key) this.#guard = { key, guard: freeSpaceGuard(c.data_dir, c.recording, this.#opts.log) };
    const guard = this.#guard.guard;
    return {
      path: recordingPathFor(c.data_dir, { startedAt: new Date(this.#env.clock.now()), from, to: dialled, callId }),
      mode: c.recording.format,
      fromAnswer: shouldRecord(routing, { from, to, dialled, group, queue }),
      toggle: c.features.record_toggle,
      check: () => guard.check(),
    };
  }

  /** A new INVITE (no To tag): digest, 100 Trying, routing, then the call. */
  async handleInvite(st: ServerTransaction): Promise<void> {
    const req = st.request;
    if (!this.#accepting) {
      st.respond(withLength(responseTo(req, 503)));
      return;
    }
    const again = this.#invites.get(inviteKey(req));
    if (again !== undefined) {
      // RFC 3261 8.2.2.2: the INVITE of a call in progress arriving again by another path is a
      // merged request (retransmissions are absorbed by the transaction layer, RFC 6026).
      st.respond(withLength(responseTo(req, 482)));
      return;
    }
    // A call from a trunk (by source address or our registration contact) is not challenged; every
    // other INVITE authenticates as an extension, so an unknown source never reaches a trunk.
    const trunkCall = this.#opts.trunks?.match(this.#opts.getRouting().config, req, st.source) ?? null;
    const user = trunkCall !== null ? (callerIdOf(req).caller ?? 'anonymous') : await this.#opts.registrar.authenticateRequest(st, 'proxy');
    if (user === null || st.finished) return;
    if (!this.#accepting) {
      st.respond(withLength(responseTo(req, 503)));
      return;
    }
    const routing = this.#opts.getRouting();
    const a = new UasLeg(this.#env.legs, st, this.#env.contactFor(st.source.transport, st.source.address));
    a.trying();
    const callId = a.callId;
    const requested = trunkCall?.did ?? uriUser(req.uri) ?? '';
    const planned = trunkCall === null ? undefined : inboundDestination(routing.config, requested);
    const now = this.#opts.wallClock?.() ?? this.#env.clock.now();
    const route = requested === '' ? null : routeCall(routing, requested, { ...callerIdOf(req), now, ...(trunkCall === null ? { user } : {}) }, planned);
    // A speed-dial number is replaced by the number it stands for.
    const number = (route?.kind === 'route' ? route.number : undefined) ?? requested;
    const dest = route?.kind === 'route' ? route.dest : null;
    const outside = firstTrunk(routing.config, dest);
    const log = this.#opts.log.child({ callId });
    const call = new Call(
      this.#env,
      randomUUID(),
      a,
      { from: user, to: number, callee: dest?.kind === 'extension' ? dest.ext : null, trunk: trunkCall?.trunk.name ?? null },
      log,
      routing.config.rtp.address,
      {
        offered: outside?.codecs ?? routing.config.rtp.codecs,
        transcodable: this.#opts.media.transcodable,
        dtmf: {
          caller: trunkCall?.trunk.dtmf_mode ?? dtmfModeOf(routing, user),
          callee: dest?.kind === 'extension' ? dtmfModeOf(routing, dest.ext) : (outside?.dtmf_mode ?? 'auto'),
        },
        encryption: {
          caller: trunkCall?.trunk.media_encryption ?? encryptionOf(routing, user),
          callee: dest?.kind === 'extension' ? encryptionOf(routing, dest.ext) : (outside?.media_encryption ?? 'none'),
        },
      },
      this.#recordingFor(routing, user, number, dest, callId),
      routing.config.features,
    );
    this.#calls.set(call.id, call);
    this.#invites.set(inviteKey(req), call);
    log.info({ from: user, to: number, source: `${st.source.address}:${st.source.port}`, transport: st.source.transport, trunk: trunkCall?.trunk.name }, 'new call');
    if (trunkCall !== null) {
      const release = this.#opts.trunks!.channels.acquire(trunkCall.trunk.name, trunkCall.trunk.max_channels);
      if (release === null) {
        log.warn({ trunk: trunkCall.trunk.name, max_channels: trunkCall.trunk.max_channels }, 'trunk at its channel limit; call refused');
        call.fail(503, 'trunk-channels');
        return;
      }
      void call.whenEnded().then(release);
    }

    const maxForwards = Number.parseInt(req.headers.get('max-forwards') ?? '70', 10);
    if (!(maxForwards > 0)) {
      call.fail(483, 'too-many-hops');
      return;
    }
    if (req.headers.get('replaces') !== null) {
      const replaces = parseReplaces(req.headers.get('replaces'));
      if (replaces === null) call.fail(400, 'replaces-malformed', [['Warning', '399 tspbx "Replaces: callid;to-tag=...;from-tag=..."']]);
      else await replaceDialog(call, replaces, this.#transfers);
      return;
    }
    if (route !== null && route.steps.length > 0) log.info({ to: number, route: route.steps.join('; ') }, 'routed');
    if (route?.kind === 'reject') {
      call.fail(route.status, route.reason);
      return;
    }
    if (dest === null) {
      log.info({ to: number }, 'unknown number');
      call.fail(404, 'unknown-number');
      return;
    }
    this.#opts.start(call, dest, this.#hostFor(routing, call));
  }

  /** See CallHost.dial. */
  async #dial(call: Call, exts: readonly string[], routing: Routing, options: DialOptions): Promise<DialResult> {
    const log = call.log;
    const targets: DialTarget[] = [];
    let busy = false;
    let dnd = false;
    for (const ext of exts) {
      const config = routing.config.extensions.get(ext);
      if (this.#opts.settings?.of(ext).dnd === true) {
        log.info({ ext }, 'callee on do not disturb');
        dnd = true;
        continue;
      }
      if (config !== undefined && config.max_calls > 0 && this.#activeCallsOf(ext, call) >= config.max_calls) {
        log.info({ ext }, 'callee at its call limit');
        busy = true;
        continue;
      }
      const bindings = this.#opts.registrar.lookup(ext);
      if (bindings.length === 0) log.info({ ext }, 'callee not registered');
      for (const b of bindings) targets.push({ ...b, ext });
    }
    if (targets.length === 0) {
      if (busy || dnd) call.refuse(486, busy ? 'busy-limit' : 'dnd');
      else call.refuse(480, 'not-registered');
      return busy || dnd ? 'busy' : 'not-registered';
    }
    const one = new Set(targets.map((t) => t.ext)).size === 1 ? targets[0]!.ext : null;
    if (one !== null && one !== call.parties.callee) {
      const ext = routing.config.extensions.get(one);
      call.calleeSettings({ dtmfMode: ext?.dtmf_mode ?? 'auto', encryption: ext?.media_encryption ?? 'none', record: ext?.record === true });
    }
    const to = options.to ?? (call.answeredByPbx && exts.length === 1 ? exts[0]! : call.parties.to);
    return call.dial(targets, this.#forkHeaders(call, to, routing), options.ringTimeoutMs ?? this.#env.ringTimeoutMs, options.ringback ?? true);
  }

  /** From as the caller (its display name, else its extension's name), To as `to` at our domain. */
  #forkHeaders(call: Call, to: string, routing: Routing): ForkHeaders {
    const req = call.a.st.request;
    const user = call.parties.from;
    const domain = routing.config.sip.domain;
    const callerName = (call.callerIsOriginal ? displayName(req.headers.get('from')) : '') || routing.config.extensions.get(user)?.name || '';
    const maxForwards = Number.parseInt(req.headers.get('max-forwards') ?? '70', 10);
    return {
      from: `${callerName === '' ? '' : `${quote(callerName)} `}<sip:${user}@${domain}>`,
      to: `<sip:${to}@${domain}>`,
      maxForwards: Math.min(maxForwards - 1, 70),
    };
  }

  #progress(call: Call, state: CallProgress): void {
    const { from, to, callee } = call.parties;
    const name = (ext: string): string | null => this.#opts.getRouting().config.extensions.get(ext)?.name ?? null;
    const base = { callId: call.a.callId, state, dialled: to };
    try {
      // A caller the PBX answered (an IVR, a queue) is in a confirmed dialog while apps ring others.
      const callerSettled = call.answeredByPbx && (state === 'trying' || state === 'early');
      if (!callerSettled) this.emit('state', { ...base, id: `${call.id}-a`, extension: from, direction: 'initiator', remote: to, remoteName: callee == null ? null : name(callee) });
      if (callee != null) this.emit('state', { ...base, id: `${call.id}-b`, extension: callee, direction: 'recipient', remote: from, remoteName: name(from) });
    } catch (err) {
      call.log.error({ err }, 'a call state listener failed');
    }
  }

  /** Calls the extension is in (as caller, or as the callee rung or talking), `except` one. */
  #activeCallsOf(ext: string, except: Call | null): number {
    let n = 0;
    for (const call of this.#calls.values()) {
      if (call !== except && (call.parties.from === ext || (call.parties.callee ?? call.parties.to) === ext)) n++;
    }
    return n;
  }

  #inDialog(st: ServerTransaction, toTag: string): void {
    const req = st.request;
    const key = dialogKey(req.headers.get('call-id') ?? '', toTag);
    const originated = this.#originatedLegs.get(key);
    if (originated !== undefined) {
      originated.call.onRequest(originated.leg, st);
      return;
    }
    const entry = this.#legs.get(key);
    if (entry === undefined || (entry.leg.dialog !== null && entry.leg.dialog.remoteTag !== tagOf(req.headers.get('from')))) {
      st.respond(withLength(responseTo(req, 481)));
      return;
    }
    entry.call.onRequest(entry.leg, st);
  }

  /** An ACK outside any transaction: the ACK for a 2xx we sent. Returns false when it matched no dialog. */
  handleAck(ack: SipRequest): boolean {
    const key = dialogKey(ack.headers.get('call-id') ?? '', tagOf(ack.headers.get('to')));
    const originated = this.#originatedLegs.get(key);
    if (originated !== undefined) {
      originated.call.onAck(originated.leg, ack);
      return true;
    }
    const entry = this.#legs.get(key);
    if (entry === undefined) return false;
    entry.call.onAck(entry.leg, ack);
    return true;
  }

  /** A response no transaction matched: a retransmitted 2xx of a callee; its ACK is sent again. */
  handleStrayResponse(res: SipResponse): boolean {
    const key = dialogKey(res.headers.get('call-id') ?? '', tagOf(res.headers.get('from')));
    const entry = this.#legs.get(key) ?? this.#originatedLegs.get(key);
    if (entry === undefined) return false;
    entry.leg.receiveStrayResponse(res);
    return true;
  }

  /** The media engine saw no RTP on a leg for rtp.timeout seconds: the call is hung up. */
  rtpTimeout(legId: string): void {
    for (const call of [...this.#calls.values(), ...this.#originated.values()]) {
      if (call.ownsMedia(legId)) {
        call.log.warn({ legId }, 'no RTP received; hanging up');
        void call.hangup('rtp-timeout');
        return;
      }
    }
  }

  /**
   * A digit a media worker heard on leg `legId` (RFC 4733 event or in-band tone): emitted as 'dtmf'
   * for the call that owns the leg. Returns false when no call does.
   */
  mediaDtmf(legId: string, digit: string, method: Exclude<DtmfMethod, 'info'>, durationMs: number | null = null): boolean {
    for (const call of this.#calls.values()) if (call.ownsMedia(legId)) return call.mediaDtmf(legId, digit, method, durationMs);
    return false;
  }

  /**
   * Starts (`on`) or stops the recording of the call whose id or SIP Call-ID is `call`; a refusal
   * says why (RecordingRefusal).
   */
  setRecording(call: string, on: boolean): Promise<RecordingResult> {
    return recordingResult(this.#find(call), on);
  }

  /** The call whose id or SIP Call-ID is `call`. */
  #find(call: string): Call | null {
    const byId = this.#calls.get(call);
    if (byId !== undefined) return byId;
    for (const c of this.#calls.values()) if (c.a.callId === call) return c;
    return null;
  }

  /**
   * Hangs up the call (or PBX-started call) whose id or Call-ID is `call`, as `pbx calls` shows
   * them: BYE to answered sides, CANCEL to ringing ones. Its info before the hang-up; null when
   * there is no such call.
   */
  hangupCall(call: string): CallInfo | null {
    const found = this.#find(call) ?? [...this.#originated.values()].find((c) => c.id === call || c.info().call_id === call) ?? null;
    if (found === null) return null;
    const info = found.info();
    void found.hangup('hangup-api');
    return info;
  }

  /**
   * Blind transfer asked through the API: the party on the `keep` side of the answered call
   * `call` is carried to `to` (as a REFER from the other party would), the other party is hung up.
   */
  transfer(call: string, to: string, keep: 'caller' | 'callee'): TransferResult {
    const found = this.#find(call);
    if (found === null) return { ok: false, refusal: 'unknown-call', error: 'no call in progress has this id or Call-ID' };
    if (this.#transfers.resolve(to) === null) return { ok: false, refusal: 'unknown-number', error: `${to} leads nowhere` };
    const leaving = found.party(keep === 'caller' ? 'callee' : 'caller');
    if (found.state !== 'answered' || leaving === null) return { ok: false, refusal: 'not-answered', error: 'only an answered call with two parties is transferred' };
    blindTransfer(found, leaving, to, this.#transfers);
    return { ok: true, call: found.info() };
  }

  /** The media engine gave up on a recording (its file could not be written). */
  recordFailed(recordingId: string): void {
    for (const call of this.#calls.values()) if (call.recordFailed(recordingId)) return;
  }

  /**
   * Starts a call from the PBX: rings `first` (an extension, or `group:NAME`: its members all at
   * once), and once someone answered dials `then` and bridges the two (originate.ts). `then` is an
   * extension (or a dialplan number that leads to one) or an outside number an outbound route
   * matches: that goes out as the extension that answered first would dial it (outside.ts: its
   * permissions, limits and caller ID, the route's trunks with failover). Resolves when the second
   * party answered or the attempt ended; throws PbxError when it is refused at once.
   */
  async originate(request: OriginateRequest): Promise<{ id: string; result: OriginateResult }> {
    const started = this.originateStart(request);
    if ('refusal' in started) {
      if (started.refusal.code === 'PBX_ERR_ORIGINATE_CLOSED') return { id: '', result: 'failed' };
      throw new PbxError(started.refusal.code, started.refusal.message);
    }
    return { id: started.id, result: await started.done };
  }

  /**
   * originate() in two steps: the refusal at once (400 a bad field, 403 a refused outside call,
   * 404 no outbound route, 503 not taking calls), else the call's id and its outcome to come. An
   * outside call from an extension refused by the toll-fraud rules leaves a failed CDR row.
   */
  originateStart(request: OriginateRequest): { id: string; done: Promise<OriginateResult> } | { refusal: OriginateRefusal } {
    const routing = this.#opts.getRouting();
    const config = routing.config;
    if (!this.#accepting) return { refusal: { status: 503, code: 'PBX_ERR_ORIGINATE_CLOSED', field: null, reason: 'pbx-closed', message: 'the PBX takes no calls now' } };
    const problem = this.originateProblem(request);
    if (problem !== null) return { refusal: { status: 400, code: problem.code, field: problem.field, reason: 'bad-request', message: problem.message } };
    const thenDest = routing.resolve(request.then)!;
    const id = request.id ?? randomUUID();
    const log = this.#opts.log.child({ originate: id });
    const lines = this.#opts.trunks ?? null;
    const group = request.first.startsWith('group:') ? config.groups.get(request.first.slice(6))! : null;
    // An extension's outside call is checked (and counted by the spend guards) before its phone rings.
    let permit: OutsidePermit | null = null;
    if (thenDest.kind === 'outbound' && group === null) {
      const checked = permitOutside(config, lines, request.first, request.then);
      if (!checked.ok) {
        log.warn({ from: request.first, to: request.then, reason: checked.reason, ...checked.detail }, 'outside call refused');
        refusedOriginateCdr(this.#env, { id, from: request.first, to: request.then, reason: checked.reason }, log);
        return { refusal: { status: checked.status, code: checked.status === 404 ? 'PBX_ERR_ORIGINATE_NO_ROUTE' : 'PBX_ERR_ORIGINATE_REFUSED', field: 'to', reason: checked.reason, message: `${request.then}: ${checked.message}` } };
      }
      permit = checked;
    }
    const env = {
      ...this.#env,
      attach: (leg: Leg, call: OriginatedCall) => this.#originatedLegs.set(leg.key, { leg, call }),
      detach: (leg: Leg) => {
        if (this.#originatedLegs.get(leg.key)?.leg === leg) this.#originatedLegs.delete(leg.key);
      },
      ended: (call: OriginatedCall) => this.#originated.delete(call.id),
    };
    const outside = thenDest.kind === 'outbound' ? firstTrunk(config, thenDest) : null;
    const thenExt = thenDest.kind === 'extension' ? thenDest.ext : '';
    const call = new OriginatedCall(env, id, { from: request.first, to: request.then }, log, config.rtp.address, {
      offered: config.rtp.codecs,
      transcodable: this.#opts.media.transcodable,
      dtmf: { caller: dtmfModeOf(routing, request.first), callee: outside?.dtmf_mode ?? dtmfModeOf(routing, thenExt) },
      encryption: { caller: encryptionOf(routing, request.first), callee: encryptionOf(routing, thenExt) },
    });
    if (permit !== null) call.onEnded(permit.release);
    this.#originated.set(id, call);
    const domain = config.sip.domain;
    const name = request.callerId ?? request.then;
    const firstExts = group === null ? [request.first] : group.members;
    // The second party sees the extension that rang first, or the group by name.
    const firstUser = group === null ? request.first : group.name;
    const firstName = group === null ? config.extensions.get(request.first)!.name || request.first : group.name;
    const targets = (ext: string): DialTarget[] => this.#opts.registrar.lookup(ext).map((b) => ({ ...b, ext }));
    const second: SecondParty =
      thenDest.kind === 'outbound'
        ? (answeredBy, ring, gone) => this.#dialOutFor(call, permit, answeredBy, request.then, ring, gone)
        : (_by, ring) => ring(targets(thenExt), { from: `${quote(firstName)} <sip:${firstUser}@${domain}>`, to: `<sip:${request.then}@${domain}>`, maxForwards: 70 }, request.ringTimeoutMs ?? this.#env.ringTimeoutMs);
    log.info({ first: request.first, then: request.then }, 'originating a call');
    const done = call.run(
      firstExts.flatMap(targets),
      { from: `${quote(name)} <sip:${request.then}@${domain}>`, to: `<sip:${firstUser}@${domain}>`, maxForwards: 70 },
      second,
      request.ringTimeoutMs ?? this.#env.ringTimeoutMs,
    );
    return { id, done };
  }

  /**
   * The second party of an originated call is an outside number: dialled as `answeredBy` would
   * dial it. `permit` is the extension's, taken before its phone rang; a group's answering member
   * is checked now, and refused the call ends with the refusal as its CDR reason.
   */
  async #dialOutFor(call: OriginatedCall, permit: OutsidePermit | null, answeredBy: string, number: string, ring: Ring, gone: () => boolean): Promise<RingResult> {
    const config = this.#opts.getRouting().config;
    const lines = this.#opts.trunks ?? null;
    let held = permit;
    if (held === null) {
      const checked = permitOutside(config, lines, answeredBy, number);
      if (!checked.ok) {
        call.log.warn({ from: answeredBy, to: number, reason: checked.reason, ...checked.detail }, 'outside call refused');
        return { leg: null, best: checked.status, response: null, reason: checked.reason };
      }
      call.onEnded(checked.release);
      held = checked;
    }
    call.addPath(`outbound:${held.route.name}`);
    let answered: RingResult = { leg: null, best: 0, response: null };
    let reason: string | undefined;
    const dialer: OutsideDialer = {
      log: call.log,
      gone,
      refuse: (_status, why) => (reason = why),
      dial: async (target, fork, ringMs) => {
        const r = await ring([target], fork, ringMs);
        answered = r;
        if (gone()) return { result: 'caller-gone', status: r.best, response: r.response };
        return { result: r.leg !== null ? 'answered' : 'failed', status: r.best, response: r.response };
      },
    };
    const done = await dialOutside(config, lines!, held, number, dialer);
    if (done.result === 'answered') {
      call.onEnded(done.release);
      return answered;
    }
    return { leg: null, best: done.status, response: null, ...(reason === undefined ? {} : { reason }) };
  }

  /** True while the extension is in a call (calling, ringing or talking). */
  inCall(ext: string): boolean {
    return this.#activeCallsOf(ext, null) > 0;
  }

  /** Why originate(request) would be refused at once (the field named), or null. */
  originateProblem(request: OriginateRequest): { code: string; field: 'from' | 'to'; message: string } | null {
    const routing = this.#opts.getRouting();
    const group = request.first.startsWith('group:') ? routing.config.groups.get(request.first.slice(6)) : undefined;
    if (group === undefined && !routing.config.extensions.has(request.first)) return { code: 'PBX_ERR_ORIGINATE_FIRST', field: 'from', message: `${request.first} is not an extension or group:NAME` };
    const kind = routing.resolve(request.then)?.kind;
    if (kind !== 'extension' && kind !== 'outbound') return { code: 'PBX_ERR_ORIGINATE_THEN', field: 'to', message: `${request.then} leads to no extension and no outbound route matches it` };
    return null;
  }

  list(): CallInfo[] {
    return [...this.#calls.values(), ...this.#originated.values()].map((c) => c.info());
  }

  /** Stops taking new calls (503) and ends the calls in progress; resolves when their BYEs are done. */
  async shutdown(): Promise<void> {
    this.#accepting = false;
    const byes = [...this.#calls.values()].map((c) => c.hangup('shutdown', 503));
    for (const c of this.#originated.values()) byes.push(c.hangup('shutdown'));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SHUTDOWN_GRACE_MS);
      timer.unref();
    });
    await Promise.race([Promise.all(byes), grace]);
    clearTimeout(timer);
  }

  /** Stops taking calls and ends every call now (BYE/CANCEL sent best effort, no waiting). Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#accepting = false;
    for (const call of [...this.#calls.values()]) void call.hangup('pbx-closed', 503);
    for (const call of [...this.#originated.values()]) void call.hangup('pbx-closed');
    this.#legs.clear();
    this.#originatedLegs.clear();
    this.#invites.clear();
  }
}

function inviteKey(req: SipRequest): string {
  return `${req.headers.get('call-id') ?? ''}\n${tagOf(req.headers.get('from'))}`;
}

function withLength(res: SipResponse): SipResponse {
  res.headers.add('content-length', '0');
  return res;
}

/** The media_encryption of an extension's phone; none for a number that is no extension. */
function encryptionOf(routing: Routing, ext: string): MediaEncryption {
  return routing.config.extensions.get(ext)?.media_encryption ?? 'none';
}

/** The dtmf_mode of an extension's phone; auto for a number that is no extension. */
function dtmfModeOf(routing: Routing, ext: string): DtmfMode {
  return routing.config.extensions.get(ext)?.dtmf_mode ?? 'auto';
}
