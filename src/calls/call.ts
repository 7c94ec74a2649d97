// One B2BUA call: the caller's UAS leg, a UAC leg forked to each contact of the callee, the winner
// of the forks as the callee leg, and the media session that anchors RTP between them.
// Ringing is done in rounds (dial): an app rings one extension, then another (a group's next member,
// a forward, voicemail). A call may also be answered by the PBX itself (answerLocally: an app such
// as an IVR talks to the caller) and later handed over to a callee: the caller hears ringback
// meanwhile. Either way a callee that does not answer is a result for the app, not yet a SIP error
// to the caller.
import type { CallInfo } from '../api/control-types.js';
import type { Clock, ServerTransaction } from '../sip/transaction/types.js';
import type { SipRequest, SipResponse, TransportName } from '../sip/message.js';
import type { CdrRow } from '../store/types.js';
import type { CallBinding, CallMedia, CallStore } from './deps.js';
import type { Log } from '../util/log.js';
import type { DtmfMethod } from '../media/dtmf/digits.js';
import type { PlaySource } from '../media/engine.js';
import type { DtmfMode, MediaEncryption } from '../config/types.js';
import { INFO_DURATION_MS, InfoDigitSender, infoContent, type CallDtmf } from './dtmf.js';
import { cdrTimes, writeCdr } from './cdr.js';
import { FeatureCodes } from './feature-codes.js';
import { ConsultTarget } from './consult.js';
import { Leg, UacLeg, type InviteRetry, type LegContext, type UasLeg } from './leg.js';
import { MediaSession, type CodecPolicy, type Side } from './media-session.js';
import { betterFinal, secondsBetween, unansweredStatus } from './outcome.js';
import { RECORDING_ERRORS, RecordingControl, type CallRecording } from './recording-control.js';
import { PbxError } from '../util/errors.js';

/** The feature codes the digits of an answered call are matched against. */
type InCallFeature = 'record_toggle' | 'blind_transfer' | 'attended_transfer' | 'park';

/** The transfer feature codes in force (features.blind_transfer, attended_transfer, park); null: off. */
export interface TransferCodes {
  blind_transfer: string | null;
  attended_transfer: string | null;
  park: string | null;
}

/** What ringing the target of a consultation needs (CallEnv.consult). */
export interface ConsultPlan {
  /** The extension the number leads to. */
  ext: string;
  targets: DialTarget[];
  fork: ForkHeaders;
  rtpAddress: string;
  codecs: CodecPolicy;
  ringTimeoutMs: number;
}

/**
 * An attended transfer by feature code in progress (Asterisk's atxfer): the transferer's side and
 * dialog, the number it dialled and the target rung; the other party is held meanwhile.
 */
interface Consulting {
  side: Side;
  leg: Leg;
  number: string | null;
  target: ConsultTarget | null;
  /** `*` (or the code again) pressed by the transferer goes back to the held party. */
  back: FeatureCodes<'back'>;
}

/** How long a pause ends the number typed after features.blind_transfer. */
const TRANSFER_DIGIT_TIMEOUT_MS = 3000;
const MAX_TRANSFER_DIGITS = 32;

/** How long the CDR of an answered call waits for the media legs' quality figures. */
const QUALITY_DEADLINE_MS = 250;

/** What a call needs from CallControl. */
export interface CallEnv {
  legs: LegContext;
  clock: Clock;
  engine: CallMedia;
  store: CallStore;
  ringTimeoutMs: number;
  /** Our Contact (a name-addr) for a transport, as the peer at address `to` sees it (sip.external_address outside the local networks). */
  contactFor(transport: TransportName, to?: string): string;
  /** Registers a leg so that requests, ACKs and stray responses of its dialog reach this call. */
  attach(leg: Leg, call: Call): void;
  detach(leg: Leg): void;
  /** The call is over (CDR written); CallControl forgets it. */
  ended(call: Call): void;
  /** A digit one side pressed, by any method. */
  dtmf(event: CallDtmf): void;
  /** The call rang, was answered or ended (for BLF and presence watchers). */
  progress?(call: Call, state: CallProgress): void;
  /** A REFER in one of the call's answered dialogs (transfer.ts); without it REFER gets 501. */
  refer?(call: Call, leg: Leg, st: ServerTransaction): void;
  /** `leg`'s phone asked by feature code to transfer the other party to a number, or to park it. */
  dtmfTransfer?(call: Call, leg: Leg, to: string | 'park'): void;
  /** How to ring `number` for a consultation by extension `by` (features.attended_transfer); null: it leads to no extension. */
  consult?(call: Call, number: string, by: string): ConsultPlan | null;
  /** What a held party hears (music on hold); empty: silence. */
  holdMusic?(): readonly PlaySource[];
}

/** A call's progress in the words of RFC 4235 3.7.1 (dialog states). */
export type CallProgress = 'trying' | 'early' | 'confirmed' | 'terminated';

/** Who called whom, as the CDR and `pbx calls` show it. */
export interface CallParties {
  /** The caller's extension (the authenticated user). */
  from: string;
  /** The number dialled. */
  to: string;
  /** The extension the number routed to, when it did. */
  callee?: string | null;
  /** The trunk the call came in on (then `from` is the caller's outside number, not an extension). */
  trunk?: string | null;
}

/** How a ring attempt ended (Call.dial). */
export type ConnectResult = 'answered' | 'busy' | 'no-answer' | 'failed' | 'caller-gone';

/** How ringing extensions for a call went: a ConnectResult, or 'not-registered' (no binding at all). */
export type DialResult = ConnectResult | 'not-registered';

/** One contact to ring: a binding of extension `ext`. */
export interface DialTarget extends CallBinding {
  ext: string;
}

/**
 * Why the last ring attempt got nobody: the SIP status a caller still waiting gets when the app
 * gives up (486 busy, 480 no answer, or the callee's own refusal) and the CDR reason.
 */
export interface Refusal {
  status: number;
  reason: string;
}

/**
 * One round of ringing (Call.dial): its forks, the extension each rings, the best refusal so far,
 * its ring timer. `early`: the caller is still waiting (no 200 sent), so the callees' progress
 * reaches it; otherwise the PBX answered it and it hears ringback.
 */
interface Attempt {
  early: boolean;
  /** The PBX plays ringback to the caller during the round. */
  ringback: boolean;
  forks: UacLeg[];
  exts: Map<UacLeg, string>;
  best: number;
  timer: unknown;
  /** Ends the round when no callee has answered anything, not even 100 Trying, in time. */
  silenceTimer: unknown;
  /** A fork got a response (any status). */
  heard: boolean;
  resolve(result: ConnectResult): void;
}

/** A fork INVITE's identity headers: From as the caller, To as the number dialled. */
export interface ForkHeaders {
  from: string;
  to: string;
  maxForwards: number;
  /** More header lines of each fork INVITE (P-Asserted-Identity, Privacy, credentials for a provider). */
  extraHeaders?: ReadonlyArray<[string, string]>;
  /** The INVITE answers a challenge to an earlier one (one target only): its Call-ID and From tag, CSeq + 1. */
  retryOf?: InviteRetry;
}

/** The INVITE to one contact of a callee (not started yet): From, To and headers as `fork` says. */
export function forkInvite(env: Pick<CallEnv, 'legs' | 'contactFor'>, to: CallBinding, fork: ForkHeaders, body: Buffer, deferAck: boolean): UacLeg {
  return new UacLeg(env.legs, to.peer, {
    requestUri: to.contact,
    from: fork.from,
    to: fork.to,
    localContact: env.contactFor(to.peer.transport, to.peer.address),
    maxForwards: fork.maxForwards,
    body,
    extraHeaders: [...(fork.extraHeaders ?? [])],
    deferAck,
    ...(fork.retryOf === undefined ? {} : { retryOf: fork.retryOf }),
  });
}

export class Call {
  readonly id: string;
  readonly a: UasLeg;
  readonly parties: CallParties;
  readonly startedAt: number;
  /** Who started the call (parties.from may change when a caller-side transfer swaps the sides). */
  readonly #origin: string;
  readonly log: Log;
  state: CallInfo['state'] = 'routing';
  answeredAt: number | null = null;
  readonly #env: CallEnv;
  readonly #media: MediaSession;
  readonly #forks: UacLeg[] = [];
  #b: UacLeg | null = null;
  /**
   * The leg facing the media session's caller side: the caller's own, or after a caller-side
   * transfer the callee's that stayed (the sides swap, see release()).
   */
  #caller: Leg;
  /** Legs that left the call (transferors): their BYE is answered, nothing else of theirs reaches the call. */
  readonly #released = new Set<Leg>();
  /** The call whose caller side this call's caller side talks to (link()): there is no callee leg. */
  #linkedTo: Call | null = null;
  /** The extension (or number) of the last party release() let go: who transferred or parked the call. */
  #transferor: string | null = null;
  /** What is being played to released parties before dismiss() hangs them up (announce()). */
  #announcing: Promise<void> = Promise.resolve();
  #offerInProgress = false;
  /** The caller's INVITE had no SDP: the callee's 2xx holds the offer, the caller's ACK the answer. */
  #lateOffer = false;
  #ended = false;
  readonly #recording: RecordingControl;
  /** The feature codes pressed during the answered call (features.record_toggle, blind_transfer, park). */
  readonly #features: FeatureCodes<InCallFeature> | null;
  /** The number typed after features.blind_transfer or attended_transfer, by one side: '#' or a pause ends it. */
  #typing: { side: Side; digits: string; timer: unknown; kind: 'blind' | 'attended' } | null = null;
  /** The attended transfer by feature code in progress. */
  #consult: Consulting | null = null;
  readonly #attendedCode: string | null;
  /** The PBX sent the caller its own 200 (an app answered): no person has answered yet. */
  #answeredByPbx = false;
  /** The ring attempt in progress (Call.dial), if any. */
  #attempt: Attempt | null = null;
  #refusal: Refusal | null = null;
  /** The last refusal a fork got (its challenge, when a provider asked for credentials). */
  lastRefusal: SipResponse | null = null;
  /** Wakes answerLocally() when the caller's ACK brought the answer to the PBX's own offer. */
  #localAnswerWaiter: (() => void) | null = null;
  /** Where the call went, in order ("ivr:main", "1002"), for the CDR. */
  readonly #path: string[] = [];
  /** The call reached a destination that stands for people: unanswered, it is a missed call. */
  #forPeople = false;
  /** The caller left a voicemail message: the CDR status of the call if no person answered it. */
  #voicemailLeft = false;
  /** The call is for the PBX itself (a feature code): the PBX's answer is the call's answer. */
  #forPbx = false;
  /** Gets the caller's digits while an app has the call. */
  onCallerDigit: ((digit: string) => void) | null = null;
  readonly #endWaiters: Array<() => void> = [];
  /** INFO digits on their way to each side that takes digits by INFO, made on first use. */
  readonly #infoOut: Record<Side, InfoDigitSender | null> = { caller: null, callee: null };

  /** `rtpAddress` is the address written into SDP (rtp.address of the call's config). */
  constructor(
    env: CallEnv,
    id: string,
    a: UasLeg,
    parties: CallParties,
    log: Log,
    rtpAddress: string,
    codecs: CodecPolicy,
    recording: CallRecording | null = null,
    transferCodes: TransferCodes = { blind_transfer: null, attended_transfer: null, park: null },
  ) {
    this.#env = env;
    this.id = id;
    this.a = a;
    this.#caller = a;
    this.parties = parties;
    this.#origin = parties.from;
    this.log = log;
    this.startedAt = env.clock.now();
    this.#media = new MediaSession(env.engine, rtpAddress, id, log, codecs);
    this.#recording = new RecordingControl(recording, this.#media, log);
    const codes = new Map<string, InCallFeature>();
    if (recording?.toggle != null) codes.set(recording.toggle, 'record_toggle');
    if (transferCodes.blind_transfer !== null) codes.set(transferCodes.blind_transfer, 'blind_transfer');
    if (transferCodes.park !== null) codes.set(transferCodes.park, 'park');
    if (transferCodes.attended_transfer !== null) codes.set(transferCodes.attended_transfer, 'attended_transfer');
    this.#attendedCode = transferCodes.attended_transfer;
    this.#features = codes.size === 0 ? null : new FeatureCodes(codes, () => env.clock.now());
    env.attach(a, this);
    a.st.oncancel = () => this.#onCallerCancel();
    a.onAckTimeout = () => {
      this.log.warn({}, 'caller never acknowledged the 200 OK; hanging up');
      void this.hangup('ack-timeout');
    };
  }

  /** True once the call has ended (its CDR is on its way). */
  get ended(): boolean {
    return this.#ended;
  }

  /** False once a caller-side transfer left the callee as the call's caller side (release()). */
  get callerIsOriginal(): boolean {
    return this.#caller === this.a;
  }

  /** True when the caller got a 200 from the PBX itself (answerLocally). */
  get answeredByPbx(): boolean {
    return this.#answeredByPbx;
  }

  /** Resolves when the call ends. */
  whenEnded(): Promise<void> {
    if (this.#ended) return Promise.resolve();
    return new Promise((resolve) => this.#endWaiters.push(resolve));
  }

  /** Adds a step to the path the CDR records ("ivr:main", then "1002"). */
  addPath(step: string): void {
    this.#path.push(step);
  }

  /**
   * The call reached a destination that stands for people (an extension, a group, a queue, a menu,
   * a voicemail box; goto.ts says which): if no person answers it, its CDR says missed.
   */
  markForPeople(): void {
    this.#forPeople = true;
  }

  /**
   * The call is for the PBX itself (a dialled feature code such as *97 or *72): once the PBX
   * answers it, answered_at is set and the CDR says answered, never missed (Asterisk's ANSWERED).
   */
  markForPbx(): void {
    this.#forPbx = true;
    if (this.#answeredByPbx && !this.#ended) this.answeredAt ??= this.#env.clock.now();
  }

  /** The caller left a voicemail message: the CDR says 'voicemail' rather than 'missed'. */
  markVoicemail(): void {
    this.#voicemailLeft = true;
  }

  /** The caller's media leg (for apps: play, collect digits), once open. */
  get callerMediaLeg(): string | null {
    return this.#media.legId('caller');
  }

  /** True when a media leg with this id belongs to the call. */
  ownsMedia(legId: string): boolean {
    return this.#media.owns(legId);
  }

  info(): CallInfo {
    const now = this.#env.clock.now();
    return {
      id: this.id,
      call_id: this.a.callId,
      from: this.#origin,
      to: this.parties.to,
      state: this.state,
      started_at: new Date(this.startedAt).toISOString(),
      answered_at: this.answeredAt === null ? null : new Date(this.answeredAt).toISOString(),
      duration_s: secondsBetween(this.startedAt, now),
      recording: this.#recording.active,
    };
  }

  /** Ends the call before any fork went out: a final status to the caller, then the CDR. */
  fail(status: number, reason: string, headers: Array<[string, string]> = []): void {
    if (this.#ended) return;
    this.a.reject(status, headers);
    this.#finish(unansweredStatus(status), reason);
  }

  /**
   * The extension rung next, when it is another than the call was routed to (an app hands the
   * caller over): its phone's dtmf_mode and media_encryption shape the offer, and its `record`
   * starts the recording at the answer.
   */
  calleeSettings(s: { dtmfMode: DtmfMode; encryption: MediaEncryption; record: boolean }): void {
    this.#media.setCalleeDtmfMode(s.dtmfMode);
    this.#media.setCalleeEncryption(s.encryption);
    if (s.record) this.#recording.recordFromAnswer();
  }

  /** Why the last ring attempt got nobody (null before any, and after an answer). */
  get refusal(): Refusal | null {
    return this.#refusal;
  }

  /** Records why nobody could be rung at all (an app dials, finds nothing to ring). */
  refuse(status: number, reason: string): void {
    this.#refusal = { status, reason };
  }

  /**
   * Rings `targets` (the contacts of one or several extensions) in parallel for `ringTimeoutMs`,
   * and resolves with how it went. A caller still waiting (not answered by the PBX) gets the
   * callees' progress (180, 183 with early media) and, when one answers, its 200: the plain B2BUA
   * call. A caller the PBX answered hears ringback and is bridged to the callee that answers (a
   * hand-over). Either way a round that gets nobody leaves the caller as it was, with `refusal`
   * saying why, for the app to go on (the next member, voicemail, a forward) or give up. One round
   * at a time. `ringback` false: a caller the PBX answered keeps hearing what plays to it (a
   * queue's music on hold) instead of ringback. `responseTimeoutMs` (a provider's): a round in which
   * no callee sent any response by then ends as 408 no-response, so the next trunk is tried.
   */
  async dial(targets: readonly DialTarget[], fork: ForkHeaders, ringTimeoutMs: number, ringback = true, responseTimeoutMs = 0): Promise<ConnectResult> {
    if (this.#ended) return 'caller-gone';
    if (this.#b !== null || this.#attempt !== null || targets.length === 0) return 'failed';
    this.#refusal = null;
    let offer: Buffer | null;
    const early = !this.#answeredByPbx;
    if (early) {
      offer = await this.#earlyOffer();
      if (offer === null) return this.#ended ? 'caller-gone' : 'failed';
    } else {
      offer = this.#media.handOverOffer();
      if (offer === null) return 'failed';
    }
    const exts = new Set(targets.map((t) => t.ext));
    if (exts.size === 1) this.parties.callee = targets[0]!.ext;
    return new Promise((resolve) => {
      const h: Attempt = { early, ringback: !early && ringback, forks: [], exts: new Map(), best: 0, timer: null, silenceTimer: null, heard: false, resolve };
      this.#attempt = h;
      this.state = 'ringing';
      if (early) this.#env.progress?.(this, 'trying');
      else if (h.ringback) this.#media.ringback(true);
      this.log.info({ contacts: targets.length, extensions: [...exts], to: fork.to, early }, 'forking INVITE');
      h.forks.push(...this.#fork(targets, fork, offer!, early && this.#lateOffer));
      targets.forEach((t, i) => h.exts.set(h.forks[i]!, t.ext));
      for (const leg of h.forks) {
        leg.start({ onProvisional: (l, res) => this.#onForkProvisional(h, l, res), onFinal: (l, res) => this.#onForkFinal(h, l, res) });
      }
      h.timer = this.#env.clock.setTimeout(() => {
        h.timer = null;
        this.log.info({}, 'nobody answered in time');
        this.#endAttempt(h, 'no-answer', { status: 480, reason: 'no-answer' });
      }, ringTimeoutMs);
      if (responseTimeoutMs > 0) {
        h.silenceTimer = this.#env.clock.setTimeout(() => {
          h.silenceTimer = null;
          if (h.heard) return;
          this.log.info({ after_ms: responseTimeoutMs }, 'no response to the INVITE in time');
          this.#endAttempt(h, 'no-answer', { status: 408, reason: 'no-response' });
        }, responseTimeoutMs);
      }
    });
  }

  /**
   * The offer forked to callees of a caller still waiting: its own offer rewritten to point at the
   * PBX (empty for a late offer, RFC 3264: the callee's 2xx will offer). Null when the call ended
   * instead (503 no media, 488 no common codec).
   */
  async #earlyOffer(): Promise<Buffer | null> {
    const offer = this.a.st.request.body;
    this.#lateOffer = offer.length === 0;
    try {
      // A second round (the next trunk, member, forward) keeps the media legs of the first.
      if (this.#media.legId('caller') === null) await this.#media.open();
    } catch (err) {
      this.log.error({ err }, 'media legs could not be opened');
      this.fail(503, 'media-unavailable');
      return null;
    }
    if (this.#ended) return null;
    if (this.#lateOffer) return Buffer.alloc(0);
    const calleeOffer = this.#media.forwardOffer('caller', offer);
    if (calleeOffer === null) {
      this.log.info({}, 'no common codec with the caller offer');
      this.fail(488, 'no-common-codec', [warning('no common codec: the PBX relays PCMU, PCMA, telephone-event')]);
    }
    return calleeOffer;
  }

  /** One INVITE per contact of the callee, each leg kept with the call's forks; not started yet. */
  #fork(bindings: readonly CallBinding[], fork: ForkHeaders, body: Buffer, deferAck: boolean): UacLeg[] {
    const legs: UacLeg[] = [];
    for (const binding of bindings) {
      const leg = forkInvite(this.#env, binding, fork, body, deferAck);
      legs.push(leg);
      this.#forks.push(leg);
      this.#env.attach(leg, this);
    }
    return legs;
  }

  /**
   * The PBX answers the caller itself: media legs opened, 200 with the PBX's answer (or its own
   * offer when the INVITE had none, then resolving once its ACK answered). Returns false when the
   * call ended instead (503, 488, no usable answer).
   * answered_at stays null: no person answered.
   */
  async answerLocally(): Promise<boolean> {
    if (this.#answeredByPbx) return !this.#ended;
    if (this.#ended) return false;
    try {
      await this.#media.open();
    } catch (err) {
      this.log.error({ err }, 'media legs could not be opened');
      this.fail(503, 'media-unavailable');
      return false;
    }
    if (this.#ended) return false;
    const offer = this.a.st.request.body;
    this.#lateOffer = offer.length === 0;
    const body = this.#lateOffer ? this.#media.offerLocally() : this.#media.answerLocally(offer);
    if (body === null) {
      this.log.info({}, 'no codec of the caller offer can be played to');
      this.fail(488, 'no-common-codec', [warning('no common codec: the PBX answers with PCMU, PCMA, G722, opus or L16')]);
      return false;
    }
    this.a.accept(body);
    this.#answeredByPbx = true;
    if (this.#forPbx) this.answeredAt ??= this.#env.clock.now();
    this.log.info({}, 'answered by the PBX');
    this.#env.progress?.(this, 'confirmed');
    if (this.#lateOffer) {
      // Nothing can be played before the caller's ACK says which codec it takes.
      await Promise.race([new Promise<void>((resolve) => (this.#localAnswerWaiter = resolve)), this.whenEnded()]);
      this.#localAnswerWaiter = null;
    }
    return !this.#ended;
  }

  /**
   * An app put the caller the PBX answered together with people (a conference room): answered_at
   * is now, and the CDR says answered rather than missed, as Asterisk's ConfBridge answers the
   * call. Does nothing for a call not answered by the PBX, ended, or answered already.
   */
  markAnsweredByApp(): void {
    if (!this.#answeredByPbx || this.#ended || this.answeredAt !== null) return;
    this.answeredAt = this.#env.clock.now();
    this.log.info({}, 'answered by an app');
  }

  /** A round that got nobody: forks cancelled, ringback stopped, the app gets `result`. */
  #endAttempt(h: Attempt, result: ConnectResult, refusal: Refusal | null): void {
    if (this.#attempt !== h) return;
    this.#attempt = null;
    this.#clearTimers(h);
    for (const f of h.forks) f.cancel();
    if (refusal !== null) this.#refusal = refusal;
    if (!this.#ended) {
      this.state = 'routing';
      if (h.ringback) this.#media.ringback(false);
    }
    h.resolve(result);
  }

  /** The round's ring and no-response timers, stopped. */
  #clearTimers(h: Attempt): void {
    if (h.timer !== null) this.#env.clock.clearTimeout(h.timer);
    if (h.silenceTimer !== null) this.#env.clock.clearTimeout(h.silenceTimer);
    h.timer = null;
    h.silenceTimer = null;
  }

  #onForkProvisional(h: Attempt, leg: UacLeg, res: SipResponse): void {
    h.heard = true;
    if (this.#ended || this.#attempt !== h || res.status === 100) return;
    const ext = h.exts.get(leg);
    if (ext !== undefined && this.parties.callee == null) this.parties.callee = ext;
    this.#env.progress?.(this, 'early');
    if (!h.early) return;
    let body: Buffer | undefined;
    if (res.body.length > 0 && !this.#lateOffer) body = this.#media.answerBack('callee', res.body) ?? undefined;
    this.log.debug({ status: res.status, fork: leg.callId, earlyMedia: body !== undefined }, 'callee progress');
    this.a.progress(res.status, body);
  }

  #onForkFinal(h: Attempt, leg: UacLeg, res: SipResponse): void {
    h.heard = true;
    const ok = res.status >= 200 && res.status < 300;
    if (this.#ended || this.#attempt !== h) {
      if (ok) {
        this.log.info({ fork: leg.callId }, 'a contact answered too late; hanging it up');
        void leg.request('BYE');
      }
      this.#closeLeg(leg);
      return;
    }
    if (ok) {
      this.#attempt = null;
      this.#clearTimers(h);
      for (const f of h.forks) if (f !== leg) f.cancel();
      this.parties.callee = h.exts.get(leg) ?? this.parties.callee ?? null;
      const answered = h.early ? this.#answered(leg, res) : this.#handOverAnswered(leg, res);
      h.resolve(answered ? 'answered' : this.#ended ? 'caller-gone' : 'failed');
      return;
    }
    this.#closeLeg(leg);
    this.lastRefusal = res;
    h.best = h.best === 0 ? res.status : betterFinal(h.best, res.status);
    if (h.forks.every((f) => f.final !== null)) {
      const s = h.best < 400 ? 480 : h.best;
      this.log.info({ status: s }, 'every contact refused the call');
      const result = s === 486 || s === 600 || s === 603 ? 'busy' : s === 408 || s === 480 || s === 487 ? 'no-answer' : 'failed';
      this.#endAttempt(h, result, { status: s, reason: String(s) });
    }
  }

  /** The callee of a caller still waiting answered: its answer goes to the caller in our 200. */
  #answered(leg: UacLeg, res: SipResponse): boolean {
    // With a late offer the callee's 2xx holds the offer: it goes to the caller in our 200.
    const body = this.#lateOffer ? this.#media.forwardOffer('callee', res.body) : this.#media.answerBack('callee', res.body);
    if (!this.#lateOffer) this.#media.settle();
    if (body === null) {
      this.log.warn({ lateOffer: this.#lateOffer }, 'the callee answered with SDP the caller cannot use');
      void leg.request('BYE');
      this.#closeLeg(leg);
      this.fail(488, 'callee-sdp-unusable', [warning('no common codec with the callee: the PBX relays PCMU, PCMA, telephone-event')]);
      return false;
    }
    this.#b = leg;
    this.a.accept(body);
    this.state = 'answered';
    this.answeredAt = this.#env.clock.now();
    this.#env.progress?.(this, 'confirmed');
    this.log.info({ contact: leg.invite.uri }, 'call answered');
    this.#media.bridge().then(
      () => this.#bridged(),
      (err: unknown) => this.log.error({ err }, 'media bridge failed'),
    );
    return true;
  }

  /** The callee of a hand-over answered: ringback stops and the caller is bridged to it. */
  #handOverAnswered(leg: UacLeg, res: SipResponse): boolean {
    if (!this.#media.handOverAnswer(res.body)) {
      this.log.warn({}, 'the callee answered with SDP the PBX cannot use');
      void leg.request('BYE');
      this.#closeLeg(leg);
      this.#refusal = { status: 488, reason: 'callee-sdp-unusable' };
      this.state = 'routing';
      this.#media.ringback(false);
      return false;
    }
    this.#b = leg;
    this.state = 'answered';
    // A transferred call keeps the instant a person first answered it.
    this.answeredAt ??= this.#env.clock.now();
    this.#env.progress?.(this, 'confirmed');
    this.log.info({ contact: leg.invite.uri }, 'hand-over answered');
    const callerLeg = this.#media.legId('caller');
    const stop = callerLeg === null ? Promise.resolve() : Promise.resolve(this.#env.engine.stopPlay?.(callerLeg));
    stop
      .then(() => this.#media.bridge())
      .then(
        () => this.#bridged(),
        (err: unknown) => this.log.error({ err }, 'media bridge failed'),
      );
    return true;
  }

  #onCallerCancel(): void {
    if (this.#ended || this.state === 'answered') return;
    this.log.info({}, 'caller cancelled');
    for (const f of this.#forks) f.cancel();
    this.a.reject(487);
    this.#finish('missed', 'cancel');
  }

  /** An ACK in one of the call's dialogs (the ACK for a 2xx we sent). */
  onAck(leg: Leg, ack: SipRequest): void {
    if (!leg.receiveAck(ack) || leg !== this.a || !this.#lateOffer) return;
    if (this.#b === null) {
      if (this.#answeredByPbx) this.#localLateAnswer(ack);
      return;
    }
    // RFC 3264 late offer: the caller's ACK answers the offer our 200 carried; the callee gets it in its ACK.
    this.#lateOffer = false;
    const answer = this.#media.answerBack('caller', ack.body);
    this.#media.settle();
    this.#b.acknowledge(answer ?? undefined);
    if (answer === null) {
      this.log.warn({}, 'the caller ACK carried no usable answer; hanging up');
      void this.hangup('late-answer-unusable');
    }
  }

  /** RFC 3264 late offer to a call the PBX answered: the caller's ACK answers the PBX's own offer. */
  #localLateAnswer(ack: SipRequest): void {
    this.#lateOffer = false;
    if (this.#media.acceptLocalAnswer(ack.body)) {
      this.#localAnswerWaiter?.();
      return;
    }
    this.log.warn({}, 'the caller ACK carried no usable answer; hanging up');
    void this.hangup('late-answer-unusable');
  }

  /** A request inside one of the call's dialogs (RFC 3261 12.2.2). */
  onRequest(leg: Leg, st: ServerTransaction): void {
    const req = st.request;
    if (leg.dialog === null || this.#ended) {
      leg.answer(st, 481);
      return;
    }
    if (!leg.dialog.receiveRequest(req)) {
      leg.answer(st, 500, { headers: [['Retry-After', '1']] });
      return;
    }
    const target = this.#consult?.target;
    if (target?.owns(leg) === true) {
      target.onRequest(leg, st);
      return;
    }
    if (this.#released.has(leg)) {
      // A transferor that left: its BYE is answered, anything else in its dialog is over.
      leg.answer(st, req.method === 'BYE' ? 200 : 481);
      if (req.method === 'BYE') this.#drop(leg);
      return;
    }
    switch (req.method) {
      case 'BYE': {
        // The 200 goes once the CDR is committed: a call whose BYE was answered survives kill -9.
        const written = this.#onBye(leg);
        if (written === undefined) leg.answer(st, 200);
        else void written.then(() => leg.answer(st, 200));
        return;
      }
      case 'INVITE':
      case 'UPDATE':
        this.#passOffer(leg, st).catch((err: unknown) => {
          this.log.error({ err, method: req.method }, 'offer pass-through failed');
          if (!st.finished) leg.answer(st, 500);
        });
        return;
      case 'INFO':
        this.#onInfo(leg, st);
        return;
      case 'OPTIONS':
        leg.answer(st, 200);
        return;
      case 'REFER':
        if (this.#env.refer === undefined || this.state !== 'answered' || this.#b === null) leg.answer(st, this.#env.refer === undefined ? 501 : 403);
        else this.#env.refer(this, leg, st);
        return;
      default:
        leg.answer(st, 501);
    }
  }

  /**
   * INFO with application/dtmf-relay or application/dtmf: 200 and a digit event, or 400 when the
   * body holds no digit. Any other INFO gets 200 as before.
   */
  #onInfo(leg: Leg, st: ServerTransaction): void {
    const content = infoContent(st.request);
    if (content.kind === 'malformed') {
      this.log.info({}, 'INFO with a DTMF type but no digit in its body');
      leg.answer(st, 400, { headers: [warning('malformed DTMF body: send "Signal=<0-9 * # A-D>" (application/dtmf-relay) or one digit (application/dtmf)')] });
      return;
    }
    leg.answer(st, 200);
    if (content.kind === 'other') return;
    const side: Side | null = leg === this.#caller ? 'caller' : leg === this.#b ? 'callee' : null;
    if (side !== null) this.#digit(side, content.dtmf.digit, 'info', content.dtmf.durationMs);
  }

  /** A digit the media worker heard on one of the call's legs (RFC 4733 or in-band). */
  mediaDtmf(legId: string, digit: string, method: DtmfMethod, durationMs: number | null = null): boolean {
    const side = this.#media.sideOf(legId);
    if (side === null || this.#ended) return false;
    this.#digit(side, digit, method, durationMs);
    return true;
  }

  #digit(side: Side, digit: string, method: DtmfMethod, durationMs: number | null): void {
    // The digit itself is not logged: it may be a PIN.
    this.log.debug({ side, method }, 'DTMF digit');
    this.#env.dtmf({ callId: this.id, side, digit, method, durationMs });
    if (side === 'caller') this.onCallerDigit?.(digit);
    this.#forwardDigit(side, digit, method, durationMs);
    if (this.state !== 'answered') return;
    if (this.#typing?.side === side) {
      this.#typed(digit);
      return;
    }
    const consult = this.#consult;
    if (consult !== null) {
      if (side === consult.side && consult.back.press(side, digit) !== null) this.#consultBack('transferer-back');
      return;
    }
    const feature = this.#features?.press(side, digit) ?? null;
    if (feature === 'record_toggle') this.#toggleRecording(side);
    else if (feature === 'park') this.#transferBy(side, 'park');
    else if (feature === 'attended_transfer') this.#startConsult(side);
    else if (feature === 'blind_transfer') {
      this.log.info({ side }, 'blind transfer code pressed; waiting for the number');
      this.#typing = { side, digits: '', timer: null, kind: 'blind' };
      this.#armTyping();
    }
  }

  /** A digit of the number typed after features.blind_transfer: '#' ends it, as does a pause. */
  #typed(digit: string): void {
    const typing = this.#typing!;
    if (typing.kind === 'attended' && typing.digits === '') this.#stopPlay(this.#media.legId(typing.side));
    if (digit === '#') {
      if (typing.digits !== '') this.#endTyping();
      return;
    }
    typing.digits += digit;
    if (typing.digits.length >= MAX_TRANSFER_DIGITS) this.#endTyping();
    else this.#armTyping();
  }

  #armTyping(): void {
    const typing = this.#typing!;
    if (typing.timer !== null) this.#env.clock.clearTimeout(typing.timer);
    typing.timer = this.#env.clock.setTimeout(() => this.#endTyping(), TRANSFER_DIGIT_TIMEOUT_MS);
  }

  #endTyping(): void {
    const typing = this.#typing;
    if (typing === null) return;
    this.#typing = null;
    if (typing.timer !== null) this.#env.clock.clearTimeout(typing.timer);
    if (typing.kind === 'attended') {
      if (typing.digits === '') this.#consultBack('nothing-dialled');
      else void this.#consultDial(typing.digits);
    } else if (typing.digits === '') this.log.info({ side: typing.side }, 'no number typed after the transfer code');
    else this.#transferBy(typing.side, typing.digits);
  }

  /** A feature code asked to transfer (or park) the party facing the other side of `side`. */
  #transferBy(side: Side, to: string | 'park'): void {
    const leg = side === 'caller' ? this.#caller : this.#b;
    if (this.#ended || this.state !== 'answered' || leg === null) return;
    this.#env.dtmfTransfer?.(this, leg, to);
  }

  /**
   * The digit goes on to the other side in the method that side takes. The media worker passed or
   * converted RFC 4733 and in-band digits between the legs already, except to a side that takes
   * digits by SIP INFO; a digit that came by INFO goes to the other side's media leg (RFC 4733
   * events or tones, as it negotiated) or in an INFO of its dialog.
   */
  #forwardDigit(from: Side, digit: string, method: DtmfMethod, durationMs: number | null): void {
    if (this.state !== 'answered' || this.#b === null || this.#consult !== null) return;
    const to: Side = from === 'caller' ? 'callee' : 'caller';
    if (this.#media.digitsOut(to) === 'info') {
      if (!this.#infoSender(to).add(digit, durationMs ?? INFO_DURATION_MS)) this.log.warn({ side: to }, 'too many digits waiting for their INFO; one is dropped');
    } else if (method === 'info') {
      this.#media.sendDigit(to, digit);
    }
  }

  #infoSender(side: Side): InfoDigitSender {
    const existing = this.#infoOut[side];
    if (existing !== null) return existing;
    const leg = side === 'caller' ? this.#caller : this.#b!;
    const sender = new InfoDigitSender(
      (body, contentType) => leg.request('INFO', { body, contentType }),
      (status) => this.log.info({ side, status }, 'a DTMF INFO was refused'),
    );
    this.#infoOut[side] = sender;
    return sender;
  }

  /**
   * features.attended_transfer pressed by `side`: the other party is held (music on hold), the
   * transferer hears dial tone and types the number ('#' or a pause ends it).
   */
  #startConsult(side: Side): void {
    const leg = side === 'caller' ? this.#caller : this.#b;
    const mine = this.#media.legId(side);
    const held = this.#media.legId(side === 'caller' ? 'callee' : 'caller');
    if (this.#offerInProgress || leg === null || mine === null || held === null) return;
    const back = new Map<string, 'back'>([['*', 'back']]);
    if (this.#attendedCode !== null) back.set(this.#attendedCode, 'back');
    this.#consult = { side, leg, number: null, target: null, back: new FeatureCodes(back, () => this.#env.clock.now()) };
    this.log.info({ side }, 'attended transfer code pressed; the other party is held');
    const engine = this.#env.engine;
    engine.unbridge?.(mine).catch((err: unknown) => this.log.warn({ err }, 'media leg could not be unbridged'));
    const music = this.#env.holdMusic?.() ?? [];
    if (music.length > 0) engine.play?.(held, music, { loop: true }).catch((err: unknown) => this.log.warn({ err }, 'music on hold failed'));
    engine.tone?.(mine, 'dial').catch((err: unknown) => this.log.warn({ err }, 'dial tone failed'));
    this.#typing = { side, digits: '', timer: null, kind: 'attended' };
    this.#armTyping();
  }

  /** Rings the number the transferer typed; it hears ringback, then talks to whoever answers. */
  async #consultDial(number: string): Promise<void> {
    const c = this.#consult;
    if (c === null || this.#ended) return;
    const by = c.side === 'caller' ? this.parties.from : (this.parties.callee ?? this.parties.to);
    const plan = this.#env.consult?.(this, number, by) ?? null;
    if (plan === null) {
      this.log.info({ to: number }, 'consultation number leads to no registered extension');
      this.#consultBack('unknown-number');
      return;
    }
    c.number = plan.ext;
    const target = new ConsultTarget(this.#env, this, this.id, this.log, plan.rtpAddress, plan.codecs);
    c.target = target;
    target.ongone = () => {
      if (this.#consult === c) this.#consultBack('target-bye');
    };
    const mine = this.#media.legId(c.side)!;
    this.#env.engine.tone?.(mine, 'ringback').catch((err: unknown) => this.log.warn({ err }, 'ringback tone failed'));
    this.log.info({ to: number }, 'consultation: ringing the target');
    const result = await target.ring(plan.targets, plan.fork, plan.ringTimeoutMs);
    if (this.#consult !== c || this.#ended) return;
    if (result !== 'answered') {
      this.#consultBack(`target-${result}`);
      return;
    }
    try {
      await this.#env.engine.stopPlay?.(mine);
      if (this.#consult !== c) return;
      this.#media.linkTo(target.media, c.side, 'caller');
      target.media.linkTo(this.#media, 'caller', c.side);
      await this.#env.engine.bridge(mine, target.media.legId('caller')!);
    } catch (err) {
      this.log.error({ err }, 'the transferer could not be bridged to the target');
      this.#consultBack('bridge-failed');
      return;
    }
    this.log.info({ to: plan.ext }, 'consultation answered; hanging up completes the transfer');
  }

  /** The consultation is over without a transfer: the target is hung up, the two parties talk again. */
  #consultBack(reason: string): void {
    const c = this.#consult;
    if (c === null) return;
    this.#consult = null;
    if (this.#typing?.kind === 'attended') {
      if (this.#typing.timer !== null) this.#env.clock.clearTimeout(this.#typing.timer);
      this.#typing = null;
    }
    c.target?.end();
    this.log.info({ reason }, 'consultation over; back to the held party');
    if (this.#ended) return;
    const legs = [this.#media.legId('caller'), this.#media.legId('callee')];
    const engine = this.#env.engine;
    Promise.all(legs.map((l) => (l === null ? undefined : engine.stopPlay?.(l))))
      .then(() => {
        if (this.#ended || this.#consult !== null) return;
        this.#media.repoint();
        return this.#media.bridge();
      })
      .catch((err: unknown) => this.log.error({ err }, 'media bridge failed'));
  }

  /**
   * A BYE from one of the two parties during a consultation. The transferer hanging up completes
   * the transfer (with the target talking: linked to the held party; still ringing: it rings for
   * the held party); the held party hanging up leaves the transferer with an answered target.
   * True when the BYE was taken care of (answer it 200), false when the call ends as usual.
   */
  #consultHangup(leg: Leg): boolean {
    const c = this.#consult!;
    if (leg !== this.#caller && leg !== this.#b) return false;
    const target = c.target;
    if (target?.leg != null) return this.#consultComplete(leg, target, c.number!);
    if (leg === c.leg && target !== null && c.number !== null) {
      this.#consult = null;
      target.end();
      // The transferer's media leg (its ringback stopped) faces the target rung for the held party next.
      this.#stopPlay(this.#media.legId(c.side));
      this.log.info({ to: c.number }, 'transferer hung up while the target rang; it rings for the held party');
      this.#env.dtmfTransfer?.(this, leg, c.number);
      if (!this.#released.has(leg)) return false;
      this.#drop(leg);
      return true;
    }
    this.#consultBack('hangup');
    return false;
  }

  /** `leaving` left the call: the target that answered takes its place, bridged to the party that stays. */
  #consultComplete(leaving: Leg, target: ConsultTarget, ext: string): boolean {
    this.#consult = null;
    if (!this.release(leaving)) {
      target.end();
      return false;
    }
    this.#drop(leaving);
    this.#media.adopt('callee', target.media, 'caller');
    const leg = target.release()!;
    this.#b = leg;
    this.parties.callee = ext;
    this.state = 'answered';
    this.addPath(`xfer:${ext}`);
    this.#env.progress?.(this, 'confirmed');
    this.log.info({ to: ext, left: this.transferor }, 'attended transfer completed');
    const engine = this.#env.engine;
    const legs = [this.#media.legId('caller'), this.#media.legId('callee')];
    Promise.all(legs.map((l) => (l === null ? undefined : engine.stopPlay?.(l))))
      .then(() => this.#media.bridge())
      .then(
        () => this.#bridged(),
        (err: unknown) => this.log.error({ err }, 'media bridge failed'),
      );
    return true;
  }

  #stopPlay(legId: string | null): void {
    if (legId !== null) this.#env.engine.stopPlay?.(legId)?.catch((err: unknown) => this.log.warn({ err }, 'stop play failed'));
  }

  /** Returns the CDR commit when the BYE ended the call. */
  #onBye(leg: Leg): Promise<void> | undefined {
    if (this.#consult !== null && this.#consultHangup(leg)) return undefined;
    if (leg === this.#caller) {
      if (this.state === 'answered') {
        this.log.info({}, 'caller hung up');
        void this.#b?.request('BYE');
        return this.#finish('answered', 'caller-bye');
      }
      if (this.#answeredByPbx) {
        this.log.info({}, this.answeredAt === null ? 'caller hung up before a person answered' : 'caller hung up');
        return this.#finish(this.answeredAt === null ? 'missed' : 'answered', 'caller-bye');
      }
      this.#onCallerCancel();
      return undefined;
    }
    if (leg === this.#b) {
      this.log.info({}, 'callee hung up');
      void this.#caller.request('BYE');
      return this.#finish('answered', 'callee-bye');
    }
    if (leg instanceof UacLeg) leg.cancel();
    return undefined;
  }

  /**
   * A re-INVITE or UPDATE from one side: its offer, rewritten to point at the PBX, goes to the other
   * side; that side's answer comes back rewritten the same way. Hold (sendonly/inactive) and resume
   * pass through as directions. One offer at a time per call (RFC 3261 14.1: 491 otherwise).
   */
  async #passOffer(leg: Leg, st: ServerTransaction): Promise<void> {
    const req = st.request;
    const to = leg === this.#caller ? this.#b : leg === this.#b ? this.#caller : null;
    if (to === null && leg === this.#caller && this.#linkedTo !== null && !this.#offerInProgress) {
      this.#answerLinkedOffer(leg, st);
      return;
    }
    if (to === null || this.state !== 'answered' || this.#offerInProgress || this.#consult !== null) {
      leg.answer(st, 491, { headers: [['Retry-After', '1']] });
      return;
    }
    const from: Side = leg === this.#caller ? 'caller' : 'callee';
    if (req.body.length === 0) {
      const last = this.#media.lastSent(from);
      leg.answer(st, 200, last === null ? {} : { body: last });
      return;
    }
    const offer = this.#media.forwardOffer(from, req.body);
    if (offer === null) {
      leg.answer(st, 488, { headers: [warning('no common codec: the PBX relays PCMU, PCMA, telephone-event')] });
      return;
    }
    this.#offerInProgress = true;
    this.log.info({ method: req.method, from, direction: this.#media.remoteDirection(from) }, 'offer passed through');
    try {
      const res = await to.request(req.method, { body: offer });
      if (st.finished) return;
      if (this.#ended) {
        leg.answer(st, 481);
        return;
      }
      if (res.status >= 200 && res.status < 300) {
        const answer = this.#media.answerBack(from === 'caller' ? 'callee' : 'caller', res.body);
        leg.answer(st, answer === null ? 488 : 200, answer === null ? {} : { body: answer });
        return;
      }
      leg.answer(st, res.status);
      // RFC 3261 12.2.1.2: 481 or 408 to an in-dialog request ends the dialog.
      if (res.status === 481 || res.status === 408) void this.hangup(`reinvite-${res.status}`);
    } finally {
      this.#media.settle();
      this.#offerInProgress = false;
    }
  }

  /**
   * Ends the call from the PBX side (rtp-timeout, shutdown, no ACK): BYE to each answered side,
   * CANCEL to ringing forks and a final status to a caller still waiting. Resolves when the BYEs
   * are answered (or timed out by their transactions) and the CDR is committed.
   */
  hangup(reason: string, status = 480): Promise<void> {
    if (this.#ended) return Promise.resolve();
    const byes: Array<Promise<unknown>> = [];
    if (this.state === 'answered') {
      this.log.info({ reason }, 'hanging up both sides');
      byes.push(this.#caller.request('BYE'));
      if (this.#b !== null) byes.push(this.#b.request('BYE'));
      byes.push(Promise.resolve(this.#finish('answered', reason)));
    } else if (this.#answeredByPbx) {
      this.log.info({ reason }, this.answeredAt === null ? 'hanging up a call no person answered' : 'hanging up a call an app answered');
      byes.push(this.#caller.request('BYE'));
      byes.push(Promise.resolve(this.#finish(this.answeredAt === null ? 'missed' : 'answered', reason)));
    } else {
      this.log.info({ reason, status }, 'ending a call that was not answered');
      for (const f of this.#forks) f.cancel();
      this.a.reject(status);
      byes.push(Promise.resolve(this.#finish(unansweredStatus(status), reason)));
    }
    return Promise.all(byes).then(() => undefined);
  }

  /**
   * `leg` (a transferor) leaves the answered call; it is kept only to answer its BYE (dismiss()
   * sends ours). The party that stays goes on as the caller side, the sides swapping when the
   * caller is the one leaving, with no callee: held by the PBX for a hand-over (dial(): it hears
   * ringback) or a link to another call (link()). False when the call is not answered with both
   * parties, or `leg` is not one of them.
   */
  release(leg: Leg): boolean {
    const stays = leg === this.#caller ? this.#b : leg === this.#b ? this.#caller : null;
    if (this.#ended || this.state !== 'answered' || this.#offerInProgress || stays === null) return false;
    this.#env.progress?.(this, 'terminated');
    this.#transferor = leg === this.#caller ? this.parties.from : (this.parties.callee ?? this.parties.to);
    if (leg === this.#caller) {
      this.#media.swapSides();
      this.parties.from = this.parties.callee ?? this.parties.to;
    }
    this.parties.callee = null;
    this.#caller = stays;
    this.#b = null;
    this.#released.add(leg);
    this.#infoOut.caller = null;
    this.#infoOut.callee = null;
    this.#answeredByPbx = true;
    this.#lateOffer = false;
    this.state = 'routing';
    const legId = this.#media.legId('caller');
    if (legId !== null) this.#env.engine.unbridge?.(legId).catch((err: unknown) => this.log.warn({ err }, 'media leg could not be unbridged'));
    this.log.info({ stays: this.parties.from }, 'a party left the call (transfer)');
    return true;
  }

  /** Who the last release() let go (the transferor, the parker); null when nobody left the call. */
  get transferor(): string | null {
    return this.#transferor;
  }

  /**
   * Plays to the party release() let go, whose media leg stays open until dismiss() hangs it up
   * once this ends (the parking slot is read out to the parker). Never rejects.
   */
  announce(items: readonly PlaySource[]): Promise<void> {
    const legId = this.#media.legId('callee');
    const engine = this.#env.engine;
    if (legId === null || engine.play === undefined || this.#released.size === 0) return Promise.resolve();
    const done = engine.play(legId, items).then(
      () => undefined,
      (err: unknown) => this.log.warn({ err }, 'announcement to the released party failed'),
    );
    this.#announcing = done;
    return done;
  }

  /** Hangs up a leg release() let go (BYE unless it sent its own), after any announcement to it. */
  dismiss(leg: Leg): void {
    if (!this.#released.has(leg)) return;
    void this.#announcing.then(() => leg.request('BYE')).then(() => this.#drop(leg));
  }

  #drop(leg: Leg): void {
    this.#released.delete(leg);
    leg.close();
    this.#env.detach(leg);
  }

  /** The extensions the call is ringing now (its round of dial()); empty when it rings nobody. */
  get ringing(): string[] {
    return this.#attempt === null || this.#ended ? [] : [...new Set(this.#attempt.exts.values())];
  }

  /**
   * Another phone takes the ringing call (pickup): the forks are cancelled, the PBX answers a
   * caller still waiting, and the call waits for link(). The app that rang gets 'answered' (it is
   * done). False when the call rings nobody any more or the caller is gone.
   */
  async pickUp(): Promise<boolean> {
    const h = this.#attempt;
    if (h === null || this.#ended) return false;
    this.#attempt = null;
    this.#clearTimers(h);
    for (const f of h.forks) f.cancel();
    if (!h.early) this.#media.ringback(false);
    this.log.info({ ringing: [...new Set(h.exts.values())] }, 'picked up');
    const ok = h.early ? await this.answerLocally() : !this.#ended;
    h.resolve(ok ? 'answered' : 'caller-gone');
    return ok;
  }

  /**
   * Links the caller sides of two calls that have no callee (released by a transfer, picked up,
   * answered by the PBX): their media legs are bridged across the calls (through a two-party room
   * when they sit on different media workers), both go on as answered calls, and when either
   * ends the other is hung up. False when either cannot be linked (ended, has a callee).
   */
  static async link(x: Call, y: Call): Promise<boolean> {
    const lx = x.#media.legId('caller');
    const ly = y.#media.legId('caller');
    if (x === y || x.#ended || y.#ended || x.#b !== null || y.#b !== null || x.#attempt !== null || y.#attempt !== null || lx === null || ly === null) return false;
    for (const [c, other] of [[x, y], [y, x]] as const) {
      c.#linkedTo = other;
      c.state = 'answered';
      c.answeredAt ??= c.#env.clock.now();
      c.#env.progress?.(c, 'confirmed');
      c.onCallerDigit = null;
      void other.whenEnded().then(() => c.hangup('linked-party-gone'));
    }
    const engine = x.#env.engine;
    try {
      await Promise.all([engine.stopPlay?.(lx), engine.stopPlay?.(ly)]);
      x.#media.linkTo(y.#media);
      y.#media.linkTo(x.#media);
      try {
        await engine.bridge(lx, ly);
      } catch (err) {
        if (!(err instanceof PbxError && err.code === 'PBX_ERR_MEDIA_BRIDGE') || engine.join === undefined) throw err;
        // The legs sit on different media workers: a room of two (which moves a leg over) joins them.
        await Promise.all([engine.unbridge?.(lx), engine.unbridge?.(ly)]);
        const room = `link-${x.id}`;
        await engine.join(room, lx);
        await engine.join(room, ly);
      }
    } catch (err) {
      x.log.error({ err, with: y.id }, 'linked calls could not be bridged; hanging up');
      void x.hangup('link-failed');
      return false;
    }
    x.log.info({ with: y.id }, 'linked to another call');
    y.log.info({ with: x.id }, 'linked to another call');
    return true;
  }

  /** A re-INVITE or UPDATE from a linked party: the PBX answers it itself (hold, resume, a new codec). */
  #answerLinkedOffer(leg: Leg, st: ServerTransaction): void {
    const req = st.request;
    const body = req.body.length === 0 ? this.#media.lastSent('caller') : this.#media.answerLocally(req.body);
    if (body === null) {
      leg.answer(st, 488, { headers: [warning('no common codec: the PBX answers with PCMU, PCMA, G722, opus or L16')] });
      return;
    }
    leg.answer(st, 200, { body });
    const other = this.#linkedTo;
    if (other === null) return;
    this.#media.linkTo(other.#media);
    other.#media.linkTo(this.#media);
  }

  #closeLeg(leg: UacLeg): void {
    leg.close();
    this.#env.detach(leg);
  }

  /**
   * Once the call is answered and bridged: the digits of a feature code are watched, and the
   * recording config asks for starts.
   */
  #bridged(): void {
    if (this.#ended) return;
    if (this.#features !== null) this.#media.watchInbandDigits();
    if (!this.#recording.fromAnswer) return;
    this.#recording.start().catch((err: unknown) => {
      if (!(err instanceof PbxError && err.code === RECORDING_ERRORS.ACTIVE)) this.log.warn({ err }, 'the call is not recorded');
    });
  }

  /** The leg of the party on the caller or the callee side now (transfers swap them); null when there is none. */
  party(side: 'caller' | 'callee'): Leg | null {
    return side === 'caller' ? this.#caller : this.#b;
  }

  /** True while the call's audio is being written to its recording. */
  get recording(): boolean {
    return this.#recording.active;
  }

  /** The call's recording file, once anything was recorded. */
  get recordingPath(): string | null {
    return this.#recording.path;
  }

  /**
   * Starts recording the answered call, or resumes its recording (one file per call, the path as
   * config-started recordings); both phones hear a beep. Resolves with the file's path; rejects
   * with a PbxError: PBX_ERR_CALL_NOT_ANSWERED, PBX_ERR_RECORDING_ACTIVE, _DISK_FULL, _UNAVAILABLE.
   */
  async startRecording(): Promise<string> {
    this.#needAnswered();
    const path = await this.#recording.start();
    this.#media.beep();
    return path;
  }

  /**
   * Stops writing the recording (the file stays valid, is completed at the end of the call, and
   * a later start goes on in it); both phones hear a beep. Rejects with a PbxError:
   * PBX_ERR_CALL_NOT_ANSWERED, PBX_ERR_RECORDING_NOT_ACTIVE.
   */
  async stopRecording(): Promise<void> {
    this.#needAnswered();
    await this.#recording.stop();
    this.#media.beep();
  }

  /** The media engine gave up on recording `recordingId`; false when it is not this call's. */
  recordFailed(recordingId: string): boolean {
    return this.#recording.failed(recordingId);
  }

  #needAnswered(): void {
    if (this.state !== 'answered' || this.#ended) throw new PbxError(RECORDING_ERRORS.NOT_ANSWERED, `the call is ${this.state}, not answered`);
  }

  /** The feature code (features.record_toggle) was pressed by `side`. */
  #toggleRecording(side: Side): void {
    this.#recording.toggleNow().then(
      (on) => {
        this.log.info({ side, recording: on }, 'recording toggled by feature code');
        this.#media.beep();
      },
      (err: unknown) => this.log.warn({ err, side }, 'recording toggle refused'),
    );
  }

  /**
   * Exactly once: stops timers, closes legs and media, writes the CDR; returns its commit. An
   * answered call's CDR carries the quality of its media legs, asked for before they close (at most
   * QUALITY_DEADLINE_MS; without it when the figures do not come).
   */
  #finish(status: CdrRow['status'], reason: string): Promise<void> | undefined {
    if (this.#ended) return undefined;
    this.#ended = true;
    if (status === 'missed' && this.#voicemailLeft) status = 'voicemail';
    this.state = 'ending';
    if (this.#attempt !== null) this.#endAttempt(this.#attempt, 'caller-gone', null);
    if (this.#typing?.timer != null) this.#env.clock.clearTimeout(this.#typing.timer);
    this.#typing = null;
    this.#consult?.target?.end();
    this.#consult = null;
    const endedAt = this.#env.clock.now();
    this.a.close();
    this.#env.detach(this.a);
    for (const leg of this.#released) {
      void leg.request('BYE');
      this.#drop(leg);
    }
    for (const f of this.#forks) {
      // A fork still waiting for its final response stays open: a late 2xx gets its ACK and BYE.
      if (f.final !== null || f === this.#b) this.#closeLeg(f);
    }
    const row: CdrRow = {
      id: this.id,
      call_id: this.a.callId,
      from: this.#origin,
      to: this.parties.to,
      status,
      reason,
      ...cdrTimes(this.startedAt, this.answeredAt, endedAt),
      recording: null,
      quality: null,
      path: this.#path.length === 0 ? null : this.#path.join('>'),
      missed: this.answeredAt === null && this.#forPeople,
    };
    let written: Promise<void> | undefined;
    const stopped = this.#recording.close();
    if (this.answeredAt === null) {
      this.#media.close();
      written = this.#writeCdr(row);
    } else {
      const quality = this.#media.quality(QUALITY_DEADLINE_MS);
      written = Promise.all([quality, stopped]).then(([quality]) => {
        this.#media.close();
        row.quality = quality;
        row.recording = this.#recording.path;
        if (quality !== null) this.log.info({ quality }, 'call quality');
        return this.#writeCdr(row);
      });
    }
    this.log.info({ status, reason, duration_s: row.duration_s, billsec: row.billsec }, 'call ended');
    this.#env.progress?.(this, 'terminated');
    this.#env.ended(this);
    for (const wake of this.#endWaiters.splice(0)) wake();
    return written;
  }

  #writeCdr(row: CdrRow): Promise<void> | undefined {
    return writeCdr(this.#env.store, row, this.log);
  }
}

function warning(text: string): [string, string] {
  return ['Warning', `399 tspbx "${text}"`];
}
