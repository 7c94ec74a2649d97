// One round of ringing for a leg the PBX offers itself (an originated call's parties, the target of
// a consultation): an INVITE to each contact, the first 2xx wins and the other forks are
// cancelled; the round ends with nobody when every fork refused or the ring time ran out. A 2xx
// that comes after the round ended gets its ACK and a BYE.
import type { SipResponse } from '../sip/message.js';
import { forkInvite, type CallEnv, type DialTarget, type ForkHeaders } from './call.js';
import type { UacLeg } from './leg.js';
import { betterFinal } from './outcome.js';

/**
 * How a round ended: the leg that answered (null: nobody) and the extension it rang ('' for
 * nobody), the best refusal (0: none came) and the last refusal's response (a provider's challenge).
 */
export interface RoundResult {
  leg: UacLeg | null;
  ext: string;
  best: number;
  response: SipResponse | null;
}

/** Where a round's legs are kept: attached for their in-dialog requests, closed when refused or late. */
export interface RoundLegs {
  attach(leg: UacLeg): void;
  close(leg: UacLeg): void;
}

export class RingRound {
  readonly forks: UacLeg[] = [];
  readonly result: Promise<RoundResult>;
  #best = 0;
  #response: SipResponse | null = null;
  /** The extension each fork rings. */
  readonly #exts = new Map<UacLeg, string>();
  #timer: unknown = null;
  #over = false;
  #resolve: (r: RoundResult) => void = () => undefined;
  readonly #env: Pick<CallEnv, 'clock'>;
  readonly #legs: RoundLegs;

  /** Starts ringing `targets` with `body` as the offer, for at most `timeoutMs`. */
  constructor(env: Pick<CallEnv, 'legs' | 'contactFor' | 'clock'>, targets: readonly DialTarget[], fork: ForkHeaders, body: Buffer, timeoutMs: number, legs: RoundLegs) {
    this.#env = env;
    this.#legs = legs;
    this.result = new Promise((resolve) => (this.#resolve = resolve));
    for (const t of targets) {
      const leg = forkInvite(env, t, fork, body, false);
      this.forks.push(leg);
      this.#exts.set(leg, t.ext);
      legs.attach(leg);
    }
    for (const leg of this.forks) leg.start({ onProvisional: () => undefined, onFinal: (l, res) => this.#onFinal(l, res) });
    this.#timer = env.clock.setTimeout(() => {
      this.#timer = null;
      this.stop(null);
    }, timeoutMs);
    if (this.forks.length === 0) this.stop(null);
  }

  /** True once the round has its result. */
  get over(): boolean {
    return this.#over;
  }

  /** Ends the round with `leg` as the winner (null: nobody); the other forks are cancelled. Once. */
  stop(leg: UacLeg | null): void {
    if (this.#over) return;
    this.#over = true;
    if (this.#timer !== null) this.#env.clock.clearTimeout(this.#timer);
    for (const f of this.forks) if (f !== leg) f.cancel();
    this.#resolve({ leg, ext: leg === null ? '' : (this.#exts.get(leg) ?? ''), best: this.#best, response: this.#response });
  }

  #onFinal(leg: UacLeg, res: SipResponse): void {
    const ok = res.status >= 200 && res.status < 300;
    if (this.#over) {
      if (ok) void leg.request('BYE');
      this.#legs.close(leg);
      return;
    }
    if (ok) {
      this.stop(leg);
      return;
    }
    this.#legs.close(leg);
    this.#best = this.#best === 0 ? res.status : betterFinal(this.#best, res.status);
    this.#response = res;
    if (this.forks.every((f) => f.final !== null)) this.stop(null);
  }
}
