// Registering the PBX to a provider (RFC 3261 10.2): REGISTER with digest (401/407 answered once
// per challenge), refreshed at half the granted expiry, tried again after a failure with an
// exponential back-off (30 s .. 10 min), removed with Expires: 0 when the PBX stops. Every
// REGISTER of one registration has the same Call-ID and From tag and a CSeq one higher than the
// last (RFC 3261 10.2). One TrunkRegistration per register trunk.
import { randomUUID } from 'node:crypto';
import type { TrunkConfig } from '../config/types.js';
import { authorizationFor, parseChallenge } from '../sip/auth/digest-client.js';
import { newTag } from '../sip/ids.js';
import { Headers, SipRequest, SipResponse, type Peer } from '../sip/message.js';
import type { Clock, TransactionLayer } from '../sip/transaction/types.js';
import { parseContacts } from '../registrar/fields.js';
import type { Log } from '../util/log.js';
import { backoffMs, refreshMs } from './backoff.js';

export interface TrunkRegistrationStatus {
  state: 'registering' | 'registered' | 'failed' | 'stopped';
  /** ISO time the registration runs out, null when not registered. */
  expires_at: string | null;
  /** ISO time of the next REGISTER (refresh or retry). */
  next_attempt_at: string | null;
  last_error: string | null;
  /** Failed attempts in a row. */
  failures: number;
}

export interface RegistrationDeps {
  transactions: TransactionLayer;
  /** Where the provider is (its host resolved). */
  peer(trunk: TrunkConfig): Promise<Peer>;
  /** Our Contact URI for the trunk's transport, with the user the provider calls us at. */
  contact(trunk: TrunkConfig): string;
  clock: Clock;
  log: Log;
  userAgent: string;
}

/** Expires asked for when the provider answers 423 without a usable Min-Expires. */
const MAX_EXPIRES = 86400;

export class TrunkRegistration {
  readonly trunk: TrunkConfig;
  readonly #d: RegistrationDeps;
  readonly #callId = `${randomUUID()}@tspbx`;
  readonly #fromTag = newTag();
  #cseq = 0;
  #expires: number;
  #timer: unknown = null;
  #closed = false;
  #status: TrunkRegistrationStatus = { state: 'registering', expires_at: null, next_attempt_at: null, last_error: null, failures: 0 };
  /** Called when the status changes (for logs and tests). */
  onChange: ((status: TrunkRegistrationStatus) => void) | null = null;

  constructor(trunk: TrunkConfig, deps: RegistrationDeps) {
    this.trunk = trunk;
    this.#d = deps;
    this.#expires = trunk.expires;
  }

  get status(): TrunkRegistrationStatus {
    return { ...this.#status };
  }

  /** Sends the first REGISTER now. */
  start(): void {
    this.#schedule(0);
  }

  /** Stops refreshing; the binding runs out at the provider. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) this.#d.clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#status = { ...this.#status, state: 'stopped', next_attempt_at: null };
  }

  /**
   * Stops refreshing and, when registered, removes the binding at the provider (RFC 3261 10.2.2:
   * REGISTER with Expires: 0, a challenge answered); resolves when the provider answered or after
   * `waitMs`, whichever is first. Safe to call twice.
   */
  async unregister(waitMs: number): Promise<void> {
    const registered = !this.#closed && this.#status.state === 'registered';
    this.close();
    if (!registered) return;
    let timer: unknown = null;
    const waited = new Promise<null>((resolve) => {
      timer = this.#d.clock.setTimeout(() => resolve(null), waitMs);
    });
    const removed = this.#d.peer(this.trunk).then((peer) => this.#exchange(peer, 0));
    const res = await Promise.race([removed.catch((err: unknown) => new SipResponse(503, (err as Error).message)), waited]);
    this.#d.clock.clearTimeout(timer);
    if (res === null) this.#d.log.warn({ trunk: this.trunk.name, wait_ms: waitMs }, 'the provider did not answer the un-REGISTER in time');
    else if (res.status >= 200 && res.status < 300) this.#d.log.info({ trunk: this.trunk.name }, 'unregistered from the provider');
    else this.#d.log.warn({ trunk: this.trunk.name, status: res.status }, 'the provider refused the un-REGISTER');
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    if (this.#timer !== null) this.#d.clock.clearTimeout(this.#timer);
    this.#status.next_attempt_at = new Date(this.#d.clock.now() + ms).toISOString();
    this.#timer = this.#d.clock.setTimeout(() => {
      this.#timer = null;
      void this.#attempt();
    }, ms);
  }

  async #attempt(): Promise<void> {
    let peer: Peer;
    try {
      peer = await this.#d.peer(this.trunk);
    } catch (err) {
      this.#failed(`cannot resolve ${this.trunk.host}: ${(err as Error).message}`);
      return;
    }
    if (this.#closed) return;
    const res = await this.#exchange(peer, this.#expires);
    if (this.#closed) return;
    if (res.status === 423) {
      const min = Number.parseInt(res.headers.get('min-expires') ?? '', 10);
      this.#expires = Number.isInteger(min) && min > this.#expires && min <= MAX_EXPIRES ? min : this.#expires;
    }
    if (res.status >= 200 && res.status < 300) this.#registered(res);
    else this.#failed(res.status === 401 || res.status === 407 ? `${res.status} authentication refused` : `${res.status} ${res.reason}`);
  }

  /** A REGISTER asking for `expires` and its answers to challenges: the last response. */
  async #exchange(peer: Peer, expires: number): Promise<SipResponse> {
    let res = await this.#send(peer, expires, null);
    let answered: string | null = null;
    // One answer per challenge; a second challenge with a new nonce (or stale=true) is answered too.
    for (let round = 0; round < 3 && (res.status === 401 || res.status === 407) && (expires === 0 || !this.#closed); round++) {
      const header = res.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
      const challenge = parseChallenge(res.headers.getAll(header));
      if (challenge === null || (challenge.nonce === answered && !challenge.stale)) break;
      answered = challenge.nonce;
      const creds = { username: this.trunk.auth_username ?? this.trunk.username ?? '', password: this.trunk.password ?? '' };
      const value = authorizationFor(challenge, creds, 'REGISTER', this.#requestUri(), 1);
      res = await this.#send(peer, expires, [res.status === 401 ? 'Authorization' : 'Proxy-Authorization', value]);
    }
    return res;
  }

  #registered(res: SipResponse): void {
    const granted = this.#granted(res);
    const now = this.#d.clock.now();
    const wasRegistered = this.#status.state === 'registered';
    this.#status = { state: 'registered', expires_at: new Date(now + granted * 1000).toISOString(), next_attempt_at: null, last_error: null, failures: 0 };
    if (!wasRegistered) this.#d.log.info({ trunk: this.trunk.name, expires: granted }, 'registered to the provider');
    else this.#d.log.debug({ trunk: this.trunk.name, expires: granted }, 'registration refreshed');
    this.#schedule(refreshMs(granted));
    this.onChange?.(this.status);
  }

  #failed(error: string): void {
    const failures = this.#status.failures + 1;
    const wait = backoffMs(failures);
    this.#status = { state: 'failed', expires_at: null, next_attempt_at: null, last_error: error, failures };
    this.#d.log.warn({ trunk: this.trunk.name, error, failures, retry_s: wait / 1000 }, 'registration to the provider failed');
    this.#schedule(wait);
    this.onChange?.(this.status);
  }

  /** RFC 3261 10.2.4: the expires of our Contact in the 2xx, else its Expires header, else what we asked. */
  #granted(res: SipResponse): number {
    const ours = this.#d.contact(this.trunk);
    const contacts = parseContacts(res.headers.getAll('contact'));
    if (Array.isArray(contacts)) {
      const mine = contacts.find((c) => c.uri === ours) ?? (contacts.length === 1 ? contacts[0] : undefined);
      if (mine?.expires != null && mine.expires > 0) return mine.expires;
    }
    const header = Number.parseInt(res.headers.get('expires') ?? '', 10);
    return Number.isInteger(header) && header > 0 ? header : this.#expires;
  }

  #requestUri(): string {
    const t = this.trunk;
    const defaultPort = t.transport === 'tls' ? 5061 : 5060;
    return t.from_domain !== null ? `sip:${t.from_domain}` : `sip:${t.host}${t.port === defaultPort ? '' : `:${t.port}`}`;
  }

  #send(peer: Peer, expires: number, auth: [string, string] | null): Promise<SipResponse> {
    const t = this.trunk;
    const aor = `<sip:${t.username ?? ''}@${t.from_domain ?? t.host}>`;
    const h = new Headers()
      .add('max-forwards', '70')
      .add('from', `${aor};tag=${this.#fromTag}`)
      .add('to', aor)
      .add('call-id', this.#callId)
      .add('cseq', `${++this.#cseq} REGISTER`)
      .add('contact', `<${this.#d.contact(t)}>`)
      .add('expires', String(expires))
      .add('user-agent', this.#d.userAgent);
    if (auth !== null) h.add(auth[0], auth[1]);
    h.add('content-length', '0');
    const req = new SipRequest('REGISTER', this.#requestUri(), h, Buffer.alloc(0));
    return new Promise((resolve) => {
      try {
        this.#d.transactions.request(req, peer, { onFinal: resolve });
      } catch (err) {
        resolve(localFailure((err as Error).message));
      }
    });
  }
}

/** The transaction layer is closed (PBX stopping): a local 503 ends the attempt. */
function localFailure(reason: string): SipResponse {
  return new SipResponse(503, reason);
}
