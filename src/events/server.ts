// The notifier side of SIP-specific event notification (RFC 6665): digest-authenticated SUBSCRIBE
// from extensions, 200 and an immediate NOTIFY, refresh and unsubscribe in the dialog, expiry, and
// NOTIFYs sent through client transactions (retransmitted over UDP by the transaction layer).
// Subscriptions live in memory: after a restart a phone's refresh gets 481 and it subscribes again.
import { Dialog, dialogKey } from '../sip/dialog.js';
import { tagOf } from '../sip/grammar.js';
import { newTag } from '../sip/ids.js';
import { responseTo, type SipResponse, type TransportName } from '../sip/message.js';
import { parseUri } from '../sip/uri.js';
import { realClock, type Clock, type ServerTransaction, type TransactionLayer } from '../sip/transaction/types.js';
import type { Log } from '../util/log.js';
import { accepts, parseEvent, parseExpires } from './fields.js';
import type { EventPackage } from './package.js';
import { Subscription } from './subscription.js';

export interface SubscriptionLimits {
  /** Seconds; a shorter non-zero Expires gets 423 with Min-Expires (RFC 6665 4.2.1.1). */
  min_expires: number;
  /** Seconds; a longer one is granted this. */
  max_expires: number;
  /** Seconds granted when the SUBSCRIBE has no Expires. */
  default_expires: number;
}

export interface SubscriptionServerOptions {
  transactions: TransactionLayer;
  /** Digest check (registrar.authenticateRequest): the user, or null once answered or dropped. */
  authenticate(st: ServerTransaction): string | null;
  packages: readonly EventPackage[];
  limits: () => SubscriptionLimits;
  /** Our Contact URI on a transport. */
  localContact(transport: TransportName): string;
  /** Server / User-Agent value. */
  userAgent: () => string;
  log: Log;
  clock?: Clock;
}

/**
 * RFC 6665 4.1.2.2 and RFC 5057: these answers to a NOTIFY end the subscription (408 includes a
 * transaction that got no answer at all).
 */
const ENDS_SUBSCRIPTION = new Set([404, 405, 408, 410, 416, 480, 481, 482, 483, 484, 485, 489, 501, 604]);

/** Subscriptions one extension may hold (a desk phone with an expansion module holds ~100). */
const MAX_PER_USER = 500;

export class SubscriptionServer {
  readonly #o: SubscriptionServerOptions;
  readonly #clock: Clock;
  readonly #packages = new Map<string, EventPackage>();
  readonly #allowEvents: string;
  /** Dialog key -> subscription. */
  readonly #byDialog = new Map<string, Subscription>();
  /** "event\nresource" -> its subscriptions. */
  readonly #byResource = new Map<string, Set<Subscription>>();
  /** user -> subscriptions held. */
  readonly #perUser = new Map<string, number>();
  #closed = false;

  constructor(opts: SubscriptionServerOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? realClock;
    for (const p of opts.packages) this.#packages.set(p.event, p);
    this.#allowEvents = [...this.#packages.keys()].join(', ');
  }

  /** The Allow-Events value: the packages served. */
  get allowEvents(): string {
    return this.#allowEvents;
  }

  /**
   * A SUBSCRIBE that matched no transaction. Returns false for an in-dialog SUBSCRIBE of a dialog
   * that is no subscription of ours (the caller answers it: 481, or call control's own answer).
   */
  handleSubscribe(st: ServerTransaction): boolean {
    const req = st.request;
    const toTag = tagOf(req.headers.get('to'));
    if (toTag !== '') {
      const sub = this.#byDialog.get(dialogKey(req.headers.get('call-id') ?? '', toTag));
      if (sub === undefined || sub.dialog.remoteTag !== tagOf(req.headers.get('from'))) return false;
      this.#refresh(st, sub);
      return true;
    }
    if (this.#closed) {
      st.respond(this.#response(st, 503));
      return true;
    }
    this.#subscribe(st);
    return true;
  }

  /** The state of `resource` changed: every subscription to it gets a NOTIFY with the new state. */
  notify(event: string, resource: string): void {
    const subs = this.#byResource.get(resourceKey(event, resource));
    const pkg = this.#packages.get(event);
    if (subs === undefined || pkg === undefined) return;
    const body = pkg.snapshot(resource);
    for (const sub of subs) this.#queue(sub, body, null);
  }

  /** True when `user` holds a subscription to `event` for `resource`. */
  isSubscribed(event: string, resource: string, user: string): boolean {
    for (const sub of this.#byResource.get(resourceKey(event, resource)) ?? []) if (sub.user === user) return true;
    return false;
  }

  /** Subscriptions held now. */
  count(): number {
    return this.#byDialog.size;
  }

  /**
   * Ends every subscription with a final NOTIFY (terminated;reason=deactivated: RFC 6665 4.2.2,
   * the subscriber may subscribe again at once), sent best effort. Safe to call twice.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const sub of [...this.#byDialog.values()]) this.#end(sub, 'deactivated');
  }

  #subscribe(st: ServerTransaction): void {
    const req = st.request;
    const event = parseEvent(req.headers.get('event'));
    const pkg = event === null ? undefined : this.#packages.get(event.type);
    if (event === null || pkg === undefined) {
      // RFC 6665 4.2.1.2: 489 with the packages we do serve.
      const res = this.#response(st, 489);
      res.headers.add('allow-events', this.#allowEvents);
      st.respond(res);
      return;
    }
    const expires = parseExpires(req.headers.get('expires'));
    if (expires === false || req.headers.get('contact') === null || req.headers.get('call-id') === null) {
      st.respond(this.#response(st, 400));
      return;
    }
    const user = this.#o.authenticate(st);
    if (user === null || st.finished) return;
    if (!accepts(req.headers.getAll('accept'), pkg.contentType)) {
      const res = this.#response(st, 406);
      res.headers.add('accept', pkg.contentType);
      st.respond(res);
      return;
    }
    const granted = this.#grant(st, expires);
    if (granted === null) return;
    if (granted > 0 && (this.#perUser.get(user) ?? 0) >= MAX_PER_USER) {
      this.#o.log.warn({ user, limit: MAX_PER_USER }, 'SUBSCRIBE refused: too many subscriptions');
      st.respond(this.#response(st, 403, undefined, 'Too Many Subscriptions'));
      return;
    }
    const resource = pkg.resolve(user, parseUri(req.uri)?.user ?? null);
    if (typeof resource === 'number') {
      this.#o.log.info({ user, uri: req.uri, event: event.type, status: resource }, 'SUBSCRIBE refused');
      st.respond(this.#response(st, resource));
      return;
    }
    const localTag = newTag();
    let dialog: Dialog;
    try {
      dialog = Dialog.fromUas(req, localTag, 200, `<${this.#o.localContact(st.source.transport)}>`, st.source);
    } catch {
      st.respond(this.#response(st, 400));
      return;
    }
    const sub = new Subscription({ dialog, event: event.type, eventId: event.id, resource, user, expiresAt: this.#clock.now() + granted * 1000 });
    const res = this.#response(st, 200, localTag);
    res.headers.add('expires', String(granted));
    res.headers.add('contact', dialog.localContact);
    st.respond(res);
    this.#o.log.info({ user, event: event.type, resource, expires: granted, source: `${st.source.address}:${st.source.port}` }, granted === 0 ? 'state fetched' : 'subscribed');
    if (granted === 0) {
      // RFC 6665 4.4.3: Expires 0 is a fetch: one NOTIFY with the state, terminated.
      this.#queue(sub, pkg.snapshot(resource), 'timeout');
      return;
    }
    this.#add(sub);
    this.#arm(sub);
    this.#queue(sub, pkg.snapshot(resource), null);
  }

  /** RFC 6665 4.2.1.2: a SUBSCRIBE in the dialog refreshes (or with Expires 0 ends) the subscription. */
  #refresh(st: ServerTransaction, sub: Subscription): void {
    const req = st.request;
    const event = parseEvent(req.headers.get('event'));
    if (event === null || event.type !== sub.event || event.id !== sub.eventId) {
      st.respond(this.#response(st, 489));
      return;
    }
    const expires = parseExpires(req.headers.get('expires'));
    if (expires === false) {
      st.respond(this.#response(st, 400));
      return;
    }
    if (!sub.dialog.receiveRequest(req)) {
      st.respond(this.#response(st, 500));
      return;
    }
    const granted = this.#grant(st, expires);
    if (granted === null) return;
    const res = this.#response(st, 200);
    res.headers.add('expires', String(granted));
    res.headers.add('contact', sub.dialog.localContact);
    st.respond(res);
    const pkg = this.#packages.get(sub.event)!;
    if (granted === 0 || this.#closed) {
      this.#o.log.info({ user: sub.user, event: sub.event, resource: sub.resource }, 'unsubscribed');
      this.#end(sub, 'timeout');
      return;
    }
    sub.expiresAt = this.#clock.now() + granted * 1000;
    this.#arm(sub);
    this.#queue(sub, pkg.snapshot(sub.resource), null);
  }

  /** The Expires to grant, or null after answering 423 (RFC 6665 4.2.1.1). */
  #grant(st: ServerTransaction, requested: number | null): number | null {
    const limits = this.#o.limits();
    const expires = requested ?? limits.default_expires;
    if (expires !== 0 && expires < limits.min_expires) {
      const res = this.#response(st, 423);
      res.headers.add('min-expires', String(limits.min_expires));
      st.respond(res);
      return null;
    }
    return Math.min(expires, limits.max_expires);
  }

  #add(sub: Subscription): void {
    this.#byDialog.set(sub.key, sub);
    this.#perUser.set(sub.user, (this.#perUser.get(sub.user) ?? 0) + 1);
    const key = resourceKey(sub.event, sub.resource);
    let set = this.#byResource.get(key);
    if (set === undefined) this.#byResource.set(key, (set = new Set()));
    set.add(sub);
  }

  #remove(sub: Subscription): void {
    if (sub.timer !== null) this.#clock.clearTimeout(sub.timer);
    sub.timer = null;
    if (this.#byDialog.get(sub.key) === sub) {
      this.#byDialog.delete(sub.key);
      const n = (this.#perUser.get(sub.user) ?? 1) - 1;
      if (n > 0) this.#perUser.set(sub.user, n);
      else this.#perUser.delete(sub.user);
    }
    const key = resourceKey(sub.event, sub.resource);
    const set = this.#byResource.get(key);
    set?.delete(sub);
    if (set?.size === 0) this.#byResource.delete(key);
  }

  #arm(sub: Subscription): void {
    if (sub.timer !== null) this.#clock.clearTimeout(sub.timer);
    sub.timer = this.#clock.setTimeout(() => {
      sub.timer = null;
      this.#o.log.info({ user: sub.user, event: sub.event, resource: sub.resource }, 'subscription expired');
      this.#end(sub, 'timeout');
    }, Math.max(0, sub.expiresAt - this.#clock.now()));
  }

  /** Queues the final NOTIFY (terminated;reason=...) with the last state and forgets the subscription. */
  #end(sub: Subscription, reason: string): void {
    this.#remove(sub);
    this.#queue(sub, this.#packages.get(sub.event)!.snapshot(sub.resource), reason);
  }

  #queue(sub: Subscription, body: (version: number) => Buffer, terminated: string | null): void {
    sub.enqueue({ body, terminated });
    if (!sub.inFlight) this.#sendNext(sub);
  }

  #sendNext(sub: Subscription): void {
    const next = sub.queue.shift();
    if (next === undefined) return;
    const pkg = this.#packages.get(sub.event)!;
    const remaining = Math.max(0, Math.round((sub.expiresAt - this.#clock.now()) / 1000));
    const state = next.terminated === null ? `active;expires=${remaining}` : `terminated;reason=${next.terminated}`;
    const req = sub.dialog.createRequest('NOTIFY', {
      body: next.body(sub.version++),
      contentType: pkg.contentType,
      headers: [
        ['Event', sub.eventHeader],
        ['Subscription-State', state],
        ['Contact', sub.dialog.localContact],
        ['User-Agent', this.#o.userAgent()],
      ],
    });
    sub.inFlight = true;
    try {
      this.#o.transactions.request(req, sub.dialog.peer, { onFinal: (res) => this.#notified(sub, res) });
    } catch (err) {
      // The transaction layer is closed (PBX stopping): nothing more can be sent.
      sub.inFlight = false;
      sub.queue.length = 0;
      this.#remove(sub);
      this.#o.log.debug({ err, event: sub.event, resource: sub.resource }, 'NOTIFY not sent');
    }
  }

  #notified(sub: Subscription, res: SipResponse): void {
    sub.inFlight = false;
    if (res.status >= 300 && ENDS_SUBSCRIPTION.has(res.status)) {
      if (this.#byDialog.get(sub.key) === sub) {
        this.#o.log.info({ user: sub.user, event: sub.event, resource: sub.resource, status: res.status }, 'subscriber refused a NOTIFY; subscription dropped');
      }
      sub.queue.length = 0;
      sub.ended = true;
      this.#remove(sub);
      return;
    }
    if (res.status >= 300) this.#o.log.info({ user: sub.user, event: sub.event, status: res.status }, 'NOTIFY refused');
    this.#sendNext(sub);
  }

  #response(st: ServerTransaction, status: number, toTag: string = newTag(), reason?: string): SipResponse {
    const res = responseTo(st.request, status, reason, toTag);
    res.headers.add('server', this.#o.userAgent());
    return res;
  }
}

function resourceKey(event: string, resource: string): string {
  return `${event}\n${resource}`;
}
