// The registrar (RFC 3261 section 10.3): digest-authenticated REGISTER, several contacts per
// extension, min/max expiry, unregister, the real source kept for NATed contacts, bindings in
// SQLite that survive a restart, and keep-alive OPTIONS to NATed UDP contacts.
import { EventEmitter } from 'node:events';
import type { RegistrationInfo } from '../api/control-types.js';
import type { Config } from '../config/types.js';
import type { DigestAuthenticator } from '../sip/auth/digest.js';
import { responseTo, type Peer, type SipResponse } from '../sip/message.js';
import { parseUri, uriEquals } from '../sip/uri.js';
import { newTag } from '../sip/ids.js';
import { realClock, type Clock, type ServerTransaction, type TransactionLayer } from '../sip/transaction/types.js';
import type { Log } from '../util/log.js';
import { RequestAuthenticator, type AuthKind } from './authenticate.js';
import { bindingToRow, rowToBinding, type Binding } from './binding.js';
import { BindingWriter, type BindingStore } from './binding-writer.js';

export type { BindingStore } from './binding-writer.js';
import { contactTarget, parseContacts, parseCSeq, type ContactSpec } from './fields.js';
import type { Guard } from './guard.js';
import { KeepAlive } from './keepalive.js';

export interface RegistrarOptions {
  store: BindingStore;
  transactions: TransactionLayer;
  auth: DigestAuthenticator;
  guard: Guard;
  getConfig: () => Config;
  log: Log;
  clock?: Clock;
}

export interface RegistrarEvents {
  /** The bindings of an extension changed (added, refreshed with a new contact, removed, expired). */
  change: [extension: string];
}

/** Expired bindings are swept this often; lookups skip them in between. */
const SWEEP_MS = 5000;
/** Contacts one extension may hold; a new one beyond this replaces the oldest. */
const MAX_CONTACTS = 10;

export class Registrar extends EventEmitter<RegistrarEvents> {
  readonly #store: BindingStore;
  readonly #writer: BindingWriter;
  readonly #getConfig: () => Config;
  readonly #log: Log;
  readonly #clock: Clock;
  readonly #authenticator: RequestAuthenticator;
  readonly #keepAlive: KeepAlive;
  /** extension -> its bindings. */
  readonly #bindings = new Map<string, Binding[]>();
  #sweepTimer: unknown = null;
  #closed = false;

  constructor(opts: RegistrarOptions) {
    super();
    this.#store = opts.store;
    this.#getConfig = opts.getConfig;
    this.#log = opts.log;
    this.#clock = opts.clock ?? realClock;
    this.#writer = new BindingWriter(opts.store, this.#clock, opts.log);
    this.#authenticator = new RequestAuthenticator({
      auth: opts.auth,
      guard: opts.guard,
      password: (user) => this.#getConfig().extensions.get(user)?.password ?? null,
      serverName: () => this.#getConfig().sip.user_agent,
      log: opts.log,
      clock: this.#clock,
    });
    this.#keepAlive = new KeepAlive({
      transactions: opts.transactions,
      getConfig: opts.getConfig,
      clock: this.#clock,
      log: opts.log,
      targets: () => this.#nattedUdp(),
    });
    this.#load();
    this.#armSweep();
  }

  /** Handles a REGISTER server transaction (RFC 3261 10.3). */
  handleRegister(st: ServerTransaction): void {
    if (this.#closed) return;
    const user = this.#authenticator.authenticate(st, 'www');
    if (user === null) return;
    const req = st.request;
    const cfg = this.#getConfig().registration;
    const callId = req.headers.get('call-id');
    const cseq = parseCSeq(req.headers.get('cseq'));
    const contacts = parseContacts(req.headers.getAll('contact'));
    const expiresHeader = parseExpires(req.headers.get('expires'));
    if (callId === null || cseq === null || contacts === null || expiresHeader === false) {
      st.respond(this.#response(st, 400, [], 'Bad Request'));
      return;
    }
    const now = this.#clock.now();
    const current = this.#live(user, now);
    // Expired bindings dropped here never reach the sweep: purge their rows now.
    if (current.length !== (this.#bindings.get(user)?.length ?? 0)) this.#writer.purge(now);

    if (contacts === '*') {
      // RFC 3261 10.3 step 6: "*" only with Expires: 0 and no other Contact.
      if (expiresHeader !== 0) {
        st.respond(this.#response(st, 400, current, 'Wildcard Contact Needs Expires 0'));
        return;
      }
      const keep = current.filter((b) => b.callId === callId && cseq <= b.cseq);
      if (keep.length > 0) {
        st.respond(this.#response(st, 500, current, 'Out Of Order'));
        return;
      }
      this.#bindings.delete(user);
      this.#writer.deleteAll(user);
      this.#log.info({ extension: user, address: st.source.address }, 'all contacts unregistered');
      st.respond(this.#response(st, 200, []));
      this.emit('change', user);
      return;
    }

    // RFC 3261 10.3 step 7: work out every update first, commit only if all succeed.
    const plan: { spec: ContactSpec; expires: number; existing: Binding | undefined; target: { peer: Peer; natted: boolean } }[] = [];
    for (const spec of contacts) {
      let expires = spec.expires ?? expiresHeader ?? cfg.default_expires;
      if (expires !== 0 && expires < cfg.min_expires) {
        const res = this.#response(st, 423, current);
        res.headers.add('min-expires', String(cfg.min_expires));
        st.respond(res);
        return;
      }
      expires = Math.min(expires, cfg.max_expires);
      const target = contactTarget(spec.uri, st.source);
      // A NAT binding for UDP lasts as little as 30 s on some routers: a phone behind one refreshes
      // often (as hosted PBXs and SBCs shorten NATed registrations), besides the keep-alive OPTIONS.
      if (expires !== 0 && target.natted && st.source.transport === 'udp' && cfg.nat_max_expires > 0) {
        expires = Math.min(expires, cfg.nat_max_expires);
      }
      const existing = current.find((b) => sameContact(b, spec));
      if (existing !== undefined && existing.callId === callId && cseq <= existing.cseq) {
        st.respond(this.#response(st, 500, current, 'Out Of Order'));
        return;
      }
      plan.push({ spec, expires, existing, target });
    }

    let next = current;
    const userAgent = req.headers.get('user-agent') ?? '';
    for (const { spec, expires, existing, target } of plan) {
      if (existing !== undefined) next = next.filter((b) => b !== existing);
      if (expires === 0) {
        if (existing !== undefined) this.#writer.delete(user, existing.contact);
        continue;
      }
      const binding: Binding = {
        extension: user,
        contact: spec.uri,
        peer: target.peer,
        source: st.source,
        natted: target.natted,
        expiresAt: now + expires * 1000,
        userAgent,
        callId,
        cseq,
        instance: spec.instance,
      };
      if (existing !== undefined && existing.contact !== spec.uri) this.#writer.delete(user, existing.contact);
      next = [...next, binding];
      this.#writer.upsert(bindingToRow(binding));
    }
    while (next.length > MAX_CONTACTS) {
      this.#writer.delete(user, next[0]!.contact);
      next = next.slice(1);
    }
    if (next.length === 0) this.#bindings.delete(user);
    else this.#bindings.set(user, next);
    this.#log.info(
      { extension: user, address: st.source.address, port: st.source.port, contacts: next.length, natted: plan.some((p) => p.target.natted) },
      plan.length === 0 ? 'registration queried' : next.length === 0 ? 'unregistered' : 'registered',
    );
    st.respond(this.#response(st, 200, next));
    if (plan.length > 0) this.emit('change', user);
  }

  /**
   * Digest check of any other request (the B2BUA's INVITE): the authenticated user, or null when
   * it was dropped or already answered (401/407, 403).
   */
  authenticateRequest(st: ServerTransaction, kind: AuthKind): string | null {
    if (this.#closed) return null;
    return this.#authenticator.authenticate(st, kind);
  }

  /** The live bindings of an extension, newest last. */
  lookup(extension: string): Binding[] {
    return this.#live(extension, this.#clock.now());
  }

  /** Every live binding, for `pbx registrations`. */
  list(): RegistrationInfo[] {
    const now = this.#clock.now();
    const out: RegistrationInfo[] = [];
    for (const ext of this.#bindings.keys()) {
      for (const b of this.#live(ext, now)) {
        out.push({
          extension: b.extension,
          contact: b.contact,
          transport: b.source.transport,
          source: `${b.source.address}:${b.source.port}`,
          expires_at: new Date(b.expiresAt).toISOString(),
          user_agent: b.userAgent,
        });
      }
    }
    return out;
  }

  /** Number of live bindings. */
  count(): number {
    const now = this.#clock.now();
    let n = 0;
    for (const ext of this.#bindings.keys()) n += this.#live(ext, now).length;
    return n;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweepTimer !== null) this.#clock.clearTimeout(this.#sweepTimer);
    this.#sweepTimer = null;
    this.#keepAlive.close();
    this.#authenticator.close();
    this.#writer.close();
  }

  #live(extension: string, now: number): Binding[] {
    const all = this.#bindings.get(extension);
    if (all === undefined) return [];
    return all.every((b) => b.expiresAt > now) ? all : all.filter((b) => b.expiresAt > now);
  }

  *#nattedUdp(): Iterable<Binding> {
    const now = this.#clock.now();
    for (const ext of this.#bindings.keys()) {
      for (const b of this.#live(ext, now)) if (b.natted && b.peer.transport === 'udp') yield b;
    }
  }

  /** 200 (and the refusals that carry them) lists every current contact with its expires (RFC 3261 10.3 step 8). */
  #response(st: ServerTransaction, status: number, bindings: readonly Binding[], reason?: string): SipResponse {
    const res = responseTo(st.request, status, reason, newTag());
    const now = this.#clock.now();
    if (status === 200) {
      for (const b of bindings) {
        res.headers.add('contact', `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`);
      }
    }
    res.headers.add('date', new Date(now).toUTCString());
    res.headers.add('server', this.#getConfig().sip.user_agent);
    return res;
  }

  #load(): void {
    const now = this.#clock.now();
    let loaded = 0;
    const rows = this.#store.loadBindings().sort((a, b) => a.expires_at - b.expires_at);
    for (const row of rows) {
      if (row.expires_at <= now) continue;
      const target = contactTarget(row.contact, {
        transport: row.transport,
        address: row.source_address,
        port: row.source_port,
        connectionId: null,
      });
      const b = rowToBinding(row, target.peer, target.natted);
      const list = this.#bindings.get(b.extension);
      if (list === undefined) this.#bindings.set(b.extension, [b]);
      else list.push(b);
      loaded++;
    }
    if (loaded > 0) this.#log.info({ bindings: loaded }, 'registrations loaded from the store');
  }

  #sweep(): void {
    const now = this.#clock.now();
    const changed: string[] = [];
    for (const [ext, list] of this.#bindings) {
      const live = list.filter((b) => b.expiresAt > now);
      if (live.length === list.length) continue;
      if (live.length === 0) this.#bindings.delete(ext);
      else this.#bindings.set(ext, live);
      changed.push(ext);
    }
    if (changed.length === 0) return;
    this.#writer.purge(now);
    this.#log.debug({ extensions: changed }, 'registrations expired');
    for (const ext of changed) this.emit('change', ext);
  }

  #armSweep(): void {
    this.#sweepTimer = this.#clock.setTimeout(() => {
      if (this.#closed) return;
      try {
        this.#sweep();
      } finally {
        this.#armSweep();
      }
    }, SWEEP_MS);
  }
}

/**
 * RFC 3261 10.3 step 7: a Contact matches a binding by URI equality (19.1.4); RFC 5626 4.2: by
 * instance id when both have one.
 */
function sameContact(b: Binding, spec: ContactSpec): boolean {
  if (b.instance !== null && spec.instance !== null) return b.instance === spec.instance;
  if (b.contact === spec.uri) return true;
  const x = parseUri(b.contact);
  const y = parseUri(spec.uri);
  return x !== null && y !== null && uriEquals(x, y);
}

/** The Expires header: a delta-seconds number, null when absent, false when malformed. */
function parseExpires(value: string | null): number | null | false {
  if (value === null) return null;
  const v = value.trim();
  if (!/^\d{1,10}$/.test(v)) return false;
  return Number(v);
}
