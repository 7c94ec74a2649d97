// The event packages the PBX serves, composed: message-summary (MWI, with unsolicited NOTIFYs),
// dialog (BLF) and presence, behind one subscription server. The PBX feeds it what changes:
// mailboxes (the voicemail store), registrations (the registrar) and calls (call control).
import type { Config } from '../config/types.js';
import type { TransportName } from '../sip/message.js';
import type { Clock, ServerTransaction, TransactionLayer } from '../sip/transaction/types.js';
import type { Log } from '../util/log.js';
import type { Bindings, EventDirectory, Mailboxes } from './deps.js';
import { DIALOG, DialogPackage, type DialogEvent } from './dialog-package.js';
import { MESSAGE_SUMMARY, MessageSummaryPackage } from './message-summary.js';
import { PRESENCE, PresencePackage } from './presence.js';
import { SubscriptionServer } from './server.js';
import { UnsolicitedMwi } from './unsolicited-mwi.js';

export interface EventServicesOptions {
  transactions: TransactionLayer;
  /** The registrar: live bindings, and the digest check (401) of SUBSCRIBE. */
  registrar: Bindings & { authenticateRequest(st: ServerTransaction, kind: 'www'): string | null };
  mailboxes: Mailboxes;
  getConfig: () => Config;
  localContact(transport: TransportName): string;
  log: Log;
  clock?: Clock;
}

export class EventServices {
  readonly server: SubscriptionServer;
  readonly #dialogs: DialogPackage;
  readonly #unsolicited: UnsolicitedMwi;
  readonly #registrar: Bindings;
  /** Extensions last reported open (registered) to presence watchers. */
  readonly #open = new Set<string>();
  #closed = false;

  constructor(opts: EventServicesOptions) {
    const config = opts.getConfig;
    this.#registrar = opts.registrar;
    const directory: EventDirectory = {
      domain: () => config().sip.domain,
      extensionName: (ext) => {
        const e = config().extensions.get(ext);
        return e === undefined ? null : e.name;
      },
    };
    const summary = new MessageSummaryPackage(opts.mailboxes, directory);
    this.#dialogs = new DialogPackage(directory);
    const presence = new PresencePackage(opts.registrar, (ext) => this.#dialogs.busy(ext), directory);
    const userAgent = (): string => config().sip.user_agent;
    this.server = new SubscriptionServer({
      transactions: opts.transactions,
      authenticate: (st) => opts.registrar.authenticateRequest(st, 'www'),
      packages: [summary, this.#dialogs, presence],
      limits: () => config().subscriptions,
      localContact: opts.localContact,
      userAgent,
      log: opts.log,
      ...(opts.clock === undefined ? {} : { clock: opts.clock }),
    });
    this.#unsolicited = new UnsolicitedMwi({
      transactions: opts.transactions,
      bindings: opts.registrar,
      enabled: (ext) => {
        const c = config();
        const e = c.extensions.get(ext);
        return e !== undefined && (e.unsolicited_mwi ?? c.subscriptions.unsolicited_mwi);
      },
      subscribed: (ext) => this.server.isSubscribed(MESSAGE_SUMMARY, ext, ext),
      body: (mailbox) => summary.body(mailbox),
      waiting: (mailbox) => opts.mailboxes.counts(mailbox).new > 0,
      domain: directory.domain,
      localContact: opts.localContact,
      userAgent,
      log: opts.log,
    });
  }

  /** A SUBSCRIBE; false when it is an in-dialog SUBSCRIBE of no subscription (see SubscriptionServer). */
  handleSubscribe(st: ServerTransaction): boolean {
    return this.server.handleSubscribe(st);
  }

  /** A mailbox's messages changed (after the voicemail store has them on disk). */
  mailboxChanged(mailbox: string): void {
    if (this.#closed) return;
    this.server.notify(MESSAGE_SUMMARY, mailbox);
    this.#unsolicited.mailboxChanged(mailbox);
  }

  /**
   * An extension's registrations changed (or were refreshed): presence watchers when it came or
   * went, and the lamps of phones that never subscribe.
   */
  registrationChanged(extension: string): void {
    if (this.#closed) return;
    const open = this.#registrar.lookup(extension).length > 0;
    if (open !== this.#open.has(extension)) {
      if (open) this.#open.add(extension);
      else this.#open.delete(extension);
      this.server.notify(PRESENCE, extension);
    }
    this.#unsolicited.registered(extension);
  }

  /** A call of an extension rang, was answered or ended: BLF (dialog) and presence watchers are told. */
  callState(e: DialogEvent): void {
    if (this.#closed) return;
    const wasBusy = this.#dialogs.busy(e.extension);
    if (!this.#dialogs.update(e)) return;
    this.server.notify(DIALOG, e.extension);
    this.#dialogs.forgetEnded(e.extension);
    if (wasBusy !== this.#dialogs.busy(e.extension)) this.server.notify(PRESENCE, e.extension);
  }

  /** Final NOTIFYs to every subscriber, best effort. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.server.close();
    this.#unsolicited.close();
  }
}
