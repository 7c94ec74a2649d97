// A call the PBX starts itself (click-to-call, a queue's callback, a missed call called back):
// it rings an extension first with the PBX's own offer, and once someone there answers, it rings
// the second party with an offer built from the first's codec (the first hears ringback), then
// bridges the two. Both sides are UAC legs; the media session's "caller" side faces the first
// party. The second party is reached by a SecondParty: an extension's phones, or an outside
// number through the outbound routes (CallControl, outside.ts). One CDR row per call: from = the
// first party, to = the number dialled second, path "originate" (then "outbound:ROUTE" for an
// outside number); answered once the second party answered, else missed/busy/failed.
import type { CallInfo } from '../api/control-types.js';
import type { SipRequest } from '../sip/message.js';
import type { ServerTransaction } from '../sip/transaction/types.js';
import type { CdrRow } from '../store/types.js';
import type { Log } from '../util/log.js';
import type { CallEnv, DialTarget, ForkHeaders } from './call.js';
import { cdrTimes, writeCdr } from './cdr.js';
import { answerInDialog, UacLeg, type Leg } from './leg.js';
import { MediaSession, type CodecPolicy } from './media-session.js';
import { secondsBetween } from './outcome.js';
import { RingRound, type RoundResult } from './ring-round.js';

/** What originate() is asked: ring `first` (an extension or group:NAME), then dial `then` (an extension or outside number) once it answered. */
export interface OriginateRequest {
  first: string;
  then: string;
  /** How long each party rings (default: CallControl's ring timeout). */
  ringTimeoutMs?: number;
  /** The display name the first party sees (default: the number dialled second). */
  callerId?: string;
  /** The call's id (default: a new UUID). */
  id?: string;
}

/** Why originate was refused before anything rang: the HTTP-like status, error code, the field at fault, the CDR reason. */
export interface OriginateRefusal {
  status: 400 | 403 | 404 | 503;
  code: string;
  field: 'from' | 'to' | null;
  reason: string;
  message: string;
}

export type OriginateResult = 'answered' | 'first-busy' | 'first-no-answer' | 'then-failed' | 'failed';

/** How ringing the second party went (RingRound's result), and why it was not rung at all (the CDR reason), when it was not. */
export interface RingResult extends Omit<RoundResult, 'ext'> {
  reason?: string;
}

/** Rings `targets` with the offer handed over from the first party. */
export type Ring = (targets: readonly DialTarget[], fork: ForkHeaders, ringTimeoutMs: number) => Promise<RingResult>;

/**
 * Reaches the second party once `answeredBy` (the extension that answered first) took the call:
 * an extension's phones in one ring, an outside number through its route's trunks.
 */
export type SecondParty = (answeredBy: string, ring: Ring, gone: () => boolean) => Promise<RingResult>;

/** What an originated call needs from CallControl: CallEnv, plus its legs registered for in-dialog requests. */
export interface OriginateEnv extends Omit<CallEnv, 'attach' | 'ended' | 'dtmf' | 'progress'> {
  attach(leg: Leg, call: OriginatedCall): void;
  detach(leg: Leg): void;
  ended(call: OriginatedCall): void;
}

export class OriginatedCall {
  readonly id: string;
  readonly log: Log;
  readonly startedAt: number;
  readonly parties: { from: string; to: string };
  answeredAt: number | null = null;
  readonly #env: OriginateEnv;
  readonly #media: MediaSession;
  readonly #forks: UacLeg[] = [];
  #round: RingRound | null = null;
  /** The answered legs: the first party, then the second. */
  #first: UacLeg | null = null;
  #second: UacLeg | null = null;
  #ended = false;
  /** Steps of the CDR path after "originate" (the outbound route). */
  readonly #path: string[] = [];
  readonly #onEnd: Array<() => void> = [];

  constructor(env: OriginateEnv, id: string, parties: { from: string; to: string }, log: Log, rtpAddress: string, codecs: CodecPolicy) {
    this.#env = env;
    this.id = id;
    this.parties = parties;
    this.log = log;
    this.startedAt = env.clock.now();
    this.#media = new MediaSession(env.engine, rtpAddress, id, log, codecs);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** As `pbx calls` shows it: ringing until the second party answered. */
  info(): CallInfo {
    const now = this.#env.clock.now();
    return {
      id: this.id,
      call_id: this.#first?.callId ?? this.#forks[0]?.callId ?? this.id,
      from: this.parties.from,
      to: this.parties.to,
      state: this.#ended ? 'ending' : this.answeredAt === null ? 'ringing' : 'answered',
      started_at: new Date(this.startedAt).toISOString(),
      answered_at: this.answeredAt === null ? null : new Date(this.answeredAt).toISOString(),
      duration_s: secondsBetween(this.startedAt, now),
      recording: false,
    };
  }

  /** A step the CDR path records after "originate" ("outbound:city"). */
  addPath(step: string): void {
    this.#path.push(step);
  }

  /** Runs `fn` once when the call ended (at once when it already has). */
  onEnded(fn: () => void): void {
    if (this.#ended) fn();
    else this.#onEnd.push(fn);
  }

  ownsMedia(legId: string): boolean {
    return this.#media.owns(legId);
  }

  /**
   * Rings `first` (its contacts, From showing `firstFork`), then `then` once it answered; resolves
   * with how far it got. The call goes on after 'answered' until either side hangs up.
   */
  async run(first: readonly DialTarget[], firstFork: ForkHeaders, then: SecondParty, ringTimeoutMs: number): Promise<OriginateResult> {
    try {
      await this.#media.open();
    } catch (err) {
      this.log.error({ err }, 'media legs could not be opened');
      this.#finish('failed', 'media-unavailable');
      return 'failed';
    }
    if (first.length === 0) {
      this.#finish('failed', 'first-not-registered');
      return 'first-no-answer';
    }
    const firstAnswer = await this.#ring(first, firstFork, this.#media.offerLocally(), ringTimeoutMs);
    if (firstAnswer.leg === null) {
      const busy = firstAnswer.best === 486 || firstAnswer.best >= 600;
      this.#finish(busy ? 'busy' : 'missed', busy ? 'first-busy' : 'first-no-answer');
      return busy ? 'first-busy' : 'first-no-answer';
    }
    if (!this.#media.acceptLocalAnswer(firstAnswer.leg.final?.body ?? Buffer.alloc(0))) {
      this.log.warn({}, 'the first party answered with SDP the PBX cannot use');
      return this.#hangUpEarly('first-sdp-unusable');
    }
    this.#first = firstAnswer.leg;
    this.log.info({ first: this.parties.from }, 'first party answered; dialling the second');
    const offer = this.#media.handOverOffer();
    if (offer === null || this.#ended) return this.#hangUpEarly('then-unreachable');
    this.#media.ringback(true);
    const ring: Ring = (targets, fork, ms) => (targets.length === 0 || this.#ended ? Promise.resolve({ leg: null, best: 0, response: null, reason: 'then-unreachable' }) : this.#ring(targets, fork, offer, ms));
    const second = await then(firstAnswer.ext, ring, () => this.#ended);
    this.#media.ringback(false);
    if (second.leg === null || this.#ended) return this.#hangUpEarly(second.reason ?? (second.best === 0 ? 'then-no-answer' : `then-${second.best}`));
    if (!this.#media.handOverAnswer(second.leg.final?.body ?? Buffer.alloc(0))) {
      void second.leg.request('BYE');
      return this.#hangUpEarly('then-sdp-unusable');
    }
    this.#second = second.leg;
    this.answeredAt = this.#env.clock.now();
    this.log.info({ to: this.parties.to }, 'originated call answered');
    await this.#media.bridge().catch((err: unknown) => this.log.error({ err }, 'media bridge failed'));
    return 'answered';
  }

  /** The second party could not be reached: the first is hung up, the call ends unanswered. */
  #hangUpEarly(reason: string): OriginateResult {
    if (this.#first !== null) void this.#first.request('BYE');
    this.#finish('failed', reason);
    return this.#first === null ? 'failed' : 'then-failed';
  }

  #ring(targets: readonly DialTarget[], fork: ForkHeaders, body: Buffer, timeoutMs: number): Promise<RoundResult> {
    const round = new RingRound(this.#env, targets, fork, body, timeoutMs, {
      attach: (leg) => {
        this.#forks.push(leg);
        this.#env.attach(leg, this);
      },
      close: (leg) => this.#closeLeg(leg),
    });
    this.#round = round;
    return round.result;
  }

  onAck(leg: Leg, ack: SipRequest): void {
    leg.receiveAck(ack);
  }

  /** A request in one of the call's dialogs: BYE ends it; a re-INVITE gets the PBX's last SDP. */
  onRequest(leg: Leg, st: ServerTransaction): void {
    const req = st.request;
    if (leg.dialog === null || this.#ended || !leg.dialog.receiveRequest(req)) {
      leg.answer(st, 481);
      return;
    }
    switch (req.method) {
      case 'BYE': {
        leg.answer(st, 200);
        const other = leg === this.#first ? this.#second : leg === this.#second ? this.#first : null;
        if (other !== null) void other.request('BYE');
        this.log.info({ side: leg === this.#first ? 'first' : 'second' }, 'hung up');
        this.#round?.stop(null);
        this.#finish(this.answeredAt === null ? 'missed' : 'answered', leg === this.#first ? 'first-bye' : 'second-bye');
        return;
      }
      default:
        answerInDialog(leg, st, this.#media.lastSent(leg === this.#first ? 'caller' : 'callee'));
    }
  }

  /** Ends the call from the PBX side (shutdown, RTP timeout): BYE to answered legs, CANCEL to ringing ones. */
  hangup(reason: string): Promise<void> {
    if (this.#ended) return Promise.resolve();
    const byes: Array<Promise<unknown>> = [];
    for (const leg of [this.#first, this.#second]) if (leg !== null) byes.push(leg.request('BYE'));
    this.#round?.stop(null);
    this.#finish(this.answeredAt === null ? 'missed' : 'answered', reason);
    return Promise.all(byes).then(() => undefined);
  }

  #closeLeg(leg: UacLeg): void {
    leg.close();
    this.#env.detach(leg);
  }

  #finish(status: CdrRow['status'], reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const f of this.#forks) if (f.final !== null) this.#closeLeg(f);
    this.#media.close();
    const endedAt = this.#env.clock.now();
    const row: CdrRow = {
      id: this.id,
      call_id: this.#first?.callId ?? this.#forks[0]?.callId ?? this.id,
      from: this.parties.from,
      to: this.parties.to,
      status,
      reason,
      ...cdrTimes(this.startedAt, this.answeredAt, endedAt),
      recording: null,
      quality: null,
      path: ['originate', ...this.#path].join('>'),
      // A call the PBX placed is nobody's missed call; answered, it closes its number's callback entry.
      missed: false,
    };
    this.log.info({ status: row.status, reason }, 'originated call ended');
    void writeCdr(this.#env.store, row, this.log);
    for (const fn of this.#onEnd.splice(0)) fn();
    this.#env.ended(this);
  }
}

/** The CDR row of an originate refused before anything rang (an outside number the extension may not call). */
export function refusedOriginateCdr(env: Pick<CallEnv, 'clock' | 'store'>, call: { id: string; from: string; to: string; reason: string }, log: Log): void {
  const now = env.clock.now();
  const row: CdrRow = {
    id: call.id,
    call_id: call.id,
    from: call.from,
    to: call.to,
    status: 'failed',
    reason: call.reason,
    ...cdrTimes(now, null, now),
    recording: null,
    quality: null,
    path: 'originate',
    missed: false,
  };
  void writeCdr(env.store, row, log);
}
