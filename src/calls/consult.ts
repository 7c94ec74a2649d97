// The target of a consultation (attended transfer by feature code, Asterisk's atxfer): the PBX
// rings the number the transferer dialled with its own offer, on a media leg of its own in the
// call's media group, and keeps the dialog of whoever answers. The call bridges that leg to the
// transferer's (they talk), hands it over to the held party (the transfer completes: Call adopts
// the leg and its media), or ends it (back to the held party).
import type { ServerTransaction } from '../sip/transaction/types.js';
import type { Config, Routing } from '../config/types.js';
import type { PlaySource } from '../media/engine.js';
import { musicOnHoldFiles } from '../media/prompts.js';
import { quote } from '../sip/grammar.js';
import type { Call, CallEnv, ConsultPlan, DialTarget, ForkHeaders } from './call.js';
import type { CallRegistrar } from './deps.js';
import { answerInDialog, type Leg, type UacLeg } from './leg.js';
import { MediaSession, type CodecPolicy } from './media-session.js';
import { RingRound } from './ring-round.js';
import type { Log } from '../util/log.js';

/** How ringing the target went. */
export type ConsultResult = 'answered' | 'busy' | 'no-answer' | 'failed';

export class ConsultTarget {
  /** The target's media: its 'caller' side faces the target's phone. */
  readonly media: MediaSession;
  /** The target's dialog once it answered. */
  leg: UacLeg | null = null;
  /** The target hung up (or its dialog failed) after answering. */
  ongone: () => void = () => undefined;
  readonly #env: CallEnv;
  readonly #owner: Call;
  readonly #log: Log;
  readonly #legs = new Set<UacLeg>();
  #round: RingRound | null = null;
  #ended = false;

  /** `owner`: the call the target's legs are attached to (their requests reach it). */
  constructor(env: CallEnv, owner: Call, group: string, log: Log, rtpAddress: string, codecs: CodecPolicy) {
    this.#env = env;
    this.#owner = owner;
    this.#log = log;
    this.media = new MediaSession(env.engine, rtpAddress, group, log, codecs);
  }

  /** True when `leg` is one of the target's forks or its answered dialog. */
  owns(leg: Leg): boolean {
    return this.#legs.has(leg as UacLeg);
  }

  /** Rings `targets` for at most `timeoutMs`; 'answered' once one did and its answer was usable. */
  async ring(targets: readonly DialTarget[], fork: ForkHeaders, timeoutMs: number): Promise<ConsultResult> {
    try {
      await this.media.open(['caller']);
    } catch (err) {
      this.#log.error({ err }, 'media leg for the consultation could not be opened');
      return 'failed';
    }
    if (this.#ended) return 'failed';
    const round = new RingRound(this.#env, targets, fork, this.media.offerLocally(), timeoutMs, {
      attach: (leg) => {
        this.#legs.add(leg);
        this.#env.attach(leg, this.#owner);
      },
      close: (leg) => this.#close(leg),
    });
    this.#round = round;
    const { leg, best } = await round.result;
    if (leg === null || this.#ended) return best === 486 || best === 600 || best === 603 ? 'busy' : best === 0 || best === 408 || best === 480 || best === 487 ? 'no-answer' : 'failed';
    if (!this.media.acceptLocalAnswer(leg.final?.body ?? Buffer.alloc(0))) {
      this.#log.warn({}, 'the consultation target answered with SDP the PBX cannot use');
      void leg.request('BYE');
      this.#close(leg);
      return 'failed';
    }
    this.leg = leg;
    return 'answered';
  }

  /** A request in the target's dialog: BYE ends the consultation; an offer gets the PBX's last SDP. */
  onRequest(leg: Leg, st: ServerTransaction): void {
    const req = st.request;
    switch (req.method) {
      case 'BYE':
        leg.answer(st, 200);
        const answered = this.leg;
        if (answered === null || leg !== answered) return;
        this.#log.info({}, 'the consultation target hung up');
        this.leg = null;
        this.#close(answered);
        this.end();
        this.ongone();
        return;
      default:
        answerInDialog(leg, st, this.media.lastSent('caller'));
    }
  }

  /**
   * Gives the answered leg up to the call adopting it (the transfer completed): the target no longer
   * hangs it up or closes its media. Returns it (null when nobody answered).
   */
  release(): UacLeg | null {
    const leg = this.leg;
    if (leg !== null) this.#legs.delete(leg);
    this.#ended = true;
    this.#round?.stop(null);
    for (const f of this.#legs) this.#close(f);
    this.media.close();
    return leg;
  }

  /** Stops ringing, hangs up an answered target and closes its media. Safe to call twice. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#round?.stop(null);
    if (this.leg !== null && !this.leg.closed) {
      const leg = this.leg;
      void leg.request('BYE').finally(() => this.#close(leg));
    }
    for (const f of this.#legs) if (f !== this.leg && f.final !== null) this.#close(f);
    this.media.close();
  }

  #close(leg: UacLeg): void {
    this.#legs.delete(leg);
    leg.close();
    this.#env.detach(leg);
  }
}

/**
 * How to ring `number` for a consultation by extension `by`: the registered contacts of the
 * extension it leads to, From showing the transferer. null when it leads to no extension (or to
 * `by` itself), or the extension has no phone registered.
 */
export function consultPlan(routing: Routing, registrar: CallRegistrar, transcodable: readonly string[], ringTimeoutMs: number, number: string, by: string): ConsultPlan | null {
  const dest = routing.resolve(number);
  if (dest?.kind !== 'extension' || dest.ext === by) return null;
  const targets = registrar.lookup(dest.ext).map((b) => ({ ...b, ext: dest.ext }));
  if (targets.length === 0) return null;
  const config = routing.config;
  const domain = config.sip.domain;
  const name = config.extensions.get(by)?.name ?? '';
  return {
    ext: dest.ext,
    targets,
    fork: { from: `${name === '' ? '' : `${quote(name)} `}<sip:${by}@${domain}>`, to: `<sip:${number}@${domain}>`, maxForwards: 70 },
    rtpAddress: config.rtp.address,
    codecs: { offered: config.rtp.codecs, transcodable, dtmf: { caller: config.extensions.get(dest.ext)?.dtmf_mode ?? 'auto', callee: 'auto' } },
    ringTimeoutMs,
  };
}

/** The music a party held by a consultation hears (media.music_on_hold, else the shipped music); none when it cannot be found. */
export function holdMusic(config: Config, log: Log): PlaySource[] {
  try {
    return musicOnHoldFiles(config.media.music_on_hold, config.data_dir).map((file) => ({ file }));
  } catch (err) {
    log.warn({ err }, 'music on hold not found; the held party hears silence');
    return [];
  }
}
