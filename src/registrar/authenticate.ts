// Digest authentication of one request (RFC 3261 22): the registrar uses it for REGISTER
// (401/WWW-Authenticate), the B2BUA for INVITE (407/Proxy-Authenticate). Unknown users and wrong
// passwords get the same answer; failures are counted against the source address.
import type { DigestAuthenticator } from '../sip/auth/digest.js';
import { responseTo, type SipResponse } from '../sip/message.js';
import { newTag } from '../sip/ids.js';
import type { Clock, ServerTransaction } from '../sip/transaction/types.js';
import type { Log } from '../util/log.js';
import type { Guard } from './guard.js';
import { uriUserOf } from './fields.js';

export type AuthKind = 'proxy' | 'www';

export interface AuthDeps {
  auth: DigestAuthenticator;
  guard: Guard;
  /** An extension's password, or null when there is no such extension. */
  password(user: string): string | null;
  serverName(): string;
  log: Log;
  clock: Clock;
}

const KIND = {
  www: { status: 401, challenge: 'www-authenticate', credentials: 'authorization' },
  proxy: { status: 407, challenge: 'proxy-authenticate', credentials: 'proxy-authorization' },
} as const;

/** Credentials lines tried per request; a phone sends one per realm, rarely more. */
const MAX_CREDENTIALS = 4;

/**
 * Answers refusals after the guard's delay and remembers the timers so close() can stop them.
 * One per Registrar.
 */
export class RequestAuthenticator {
  readonly #d: AuthDeps;
  readonly #pending = new Set<unknown>();
  #closed = false;

  constructor(deps: AuthDeps) {
    this.#d = deps;
  }

  /**
   * Returns the authenticated user, or null when the request was dropped (banned source, scanner)
   * or answered: a challenge (401/407) or 403 when a REGISTER's To names someone else.
   */
  authenticate(st: ServerTransaction, kind: AuthKind): string | null {
    const d = this.#d;
    const address = st.source.address;
    if (d.guard.isBanned(address) || d.guard.isScanner(st.request.headers.get('user-agent'))) return null;
    const k = KIND[kind];
    const lines = st.request.headers.getAll(k.credentials);
    if (lines.length === 0) {
      this.#answer(st, this.#challenge(st, kind, false), 0);
      return null;
    }
    let stale = false;
    for (let i = 0; i < lines.length && i < MAX_CREDENTIALS; i++) {
      const r = d.auth.verify(st.request.method, lines[i]!, d.password);
      if (r.ok) {
        if (st.request.method === 'REGISTER' && uriUserOf(st.request.headers.get('to')) !== r.user) {
          // RFC 3261 10.3 step 3: the authenticated user may not register someone else's address.
          d.guard.recordFailure(address);
          d.log.info({ address, user: r.user }, 'REGISTER for another address of record refused');
          this.#answer(st, responseTo(st.request, 403, undefined, newTag()), d.guard.delayMs(address));
          return null;
        }
        d.guard.recordSuccess(address);
        return r.user;
      }
      stale ||= r.stale;
    }
    if (stale) {
      this.#answer(st, this.#challenge(st, kind, true), 0);
      return null;
    }
    d.guard.recordFailure(address);
    d.log.info({ address, method: st.request.method }, 'authentication failed');
    if (d.guard.isBanned(address)) return null;
    this.#answer(st, this.#challenge(st, kind, false), d.guard.delayMs(address));
    return null;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const h of this.#pending) this.#d.clock.clearTimeout(h);
    this.#pending.clear();
  }

  #challenge(st: ServerTransaction, kind: AuthKind, stale: boolean): SipResponse {
    const k = KIND[kind];
    const res = responseTo(st.request, k.status, undefined, newTag());
    for (const value of this.#d.auth.challengeHeaders(stale)) res.headers.add(k.challenge, value);
    res.headers.add('server', this.#d.serverName());
    return res;
  }

  #answer(st: ServerTransaction, res: SipResponse, delayMs: number): void {
    if (delayMs <= 0) {
      st.respond(res);
      return;
    }
    const h = this.#d.clock.setTimeout(() => {
      this.#pending.delete(h);
      if (!st.finished) st.respond(res);
    }, delayMs);
    this.#pending.add(h);
  }
}
