// NAT keep-alive: an OPTIONS to every NATed UDP contact each `registration.keepalive_interval`
// seconds keeps the phone's NAT mapping open so calls can reach it. Each contact is pinged
// on its own schedule (from when it was first seen), which spreads the packets over the interval.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/types.js';
import { Headers, SipRequest } from '../sip/message.js';
import type { Clock, TransactionLayer } from '../sip/transaction/types.js';
import type { Log } from '../util/log.js';
import type { Binding } from './binding.js';

export interface KeepAliveOptions {
  transactions: TransactionLayer;
  getConfig: () => Config;
  clock: Clock;
  log: Log;
  /** The bindings to keep alive right now. */
  targets: () => Iterable<Binding>;
}

/** The schedule is checked this often (or at the interval when that is shorter). */
const TICK_MS = 1000;

export class KeepAlive {
  readonly #o: KeepAliveOptions;
  /** When each binding is next due; forgotten with the binding. */
  readonly #due = new WeakMap<Binding, number>();
  readonly #callIdPrefix = randomBytes(6).toString('hex');
  #seq = 0;
  #timer: unknown = null;
  #closed = false;

  constructor(opts: KeepAliveOptions) {
    this.#o = opts;
    this.#arm();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #intervalMs(): number {
    return this.#o.getConfig().registration.keepalive_interval * 1000;
  }

  #arm(): void {
    const interval = this.#intervalMs();
    const wait = interval > 0 ? Math.min(TICK_MS, interval) : TICK_MS;
    this.#timer = this.#o.clock.setTimeout(() => {
      if (this.#closed) return;
      try {
        this.#tick();
      } finally {
        this.#arm();
      }
    }, wait);
  }

  #tick(): void {
    const interval = this.#intervalMs();
    if (interval <= 0) return;
    const now = this.#o.clock.now();
    for (const b of this.#o.targets()) {
      const due = this.#due.get(b);
      if (due === undefined) {
        this.#due.set(b, now + interval);
      } else if (now >= due) {
        this.#due.set(b, now + interval);
        this.#ping(b);
      }
    }
  }

  #ping(b: Binding): void {
    const cfg = this.#o.getConfig();
    const seq = ++this.#seq;
    const h = new Headers();
    h.add('max-forwards', '70');
    h.add('from', `<sip:keepalive@${cfg.sip.domain}>;tag=${this.#callIdPrefix}${seq.toString(36)}`);
    h.add('to', `<${b.contact}>`);
    h.add('call-id', `ka-${this.#callIdPrefix}-${seq}`);
    h.add('cseq', '1 OPTIONS');
    h.add('user-agent', cfg.sip.user_agent);
    const req = new SipRequest('OPTIONS', b.contact, h);
    this.#o.transactions.request(req, b.peer, {
      onFinal: (res) => {
        if (res.status === 408 || res.status === 503) {
          this.#o.log.debug({ extension: b.extension, contact: b.contact, status: res.status }, 'keep-alive OPTIONS unanswered');
        }
      },
    });
  }
}
