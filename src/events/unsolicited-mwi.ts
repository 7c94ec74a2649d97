// Unsolicited message-summary NOTIFYs, as Asterisk sends them: many desk phones light their lamp
// from a NOTIFY outside any subscription and never SUBSCRIBE. Sent to each registered contact of a
// mailbox's extension when the mailbox changes, and when a contact registers while its lamp would
// be wrong (messages wait, or it was last told something else). Not sent to an extension that
// holds a message-summary subscription of its own, nor where config turns it off.
import { newBranch, newTag } from '../sip/ids.js';
import { Headers, SipRequest, type TransportName } from '../sip/message.js';
import type { TransactionLayer } from '../sip/transaction/types.js';
import type { Log } from '../util/log.js';
import type { Bindings, EventBinding } from './deps.js';

export interface UnsolicitedMwiOptions {
  transactions: TransactionLayer;
  bindings: Bindings;
  /** extension -> unsolicited MWI wanted (config), false for no such extension. */
  enabled(extension: string): boolean;
  /** True when the extension subscribed to its own message-summary. */
  subscribed(extension: string): boolean;
  /** The simple-message-summary body of a mailbox now. */
  body(mailbox: string): Buffer;
  /** true when messages wait in the mailbox. */
  waiting(mailbox: string): boolean;
  domain(): string;
  localContact(transport: TransportName): string;
  userAgent(): string;
  log: Log;
}

export class UnsolicitedMwi {
  readonly #o: UnsolicitedMwiOptions;
  /** extension -> contact -> the body it was last sent. */
  readonly #sent = new Map<string, Map<string, string>>();
  #closed = false;

  constructor(opts: UnsolicitedMwiOptions) {
    this.#o = opts;
  }

  /** The mailbox changed: every contact of its extension gets the new state. */
  mailboxChanged(mailbox: string): void {
    this.#send(mailbox, true);
  }

  /** The extension's registrations changed: contacts whose lamp may be wrong are told. */
  registered(extension: string): void {
    this.#send(extension, false);
  }

  close(): void {
    this.#closed = true;
    this.#sent.clear();
  }

  #send(extension: string, changed: boolean): void {
    const o = this.#o;
    if (this.#closed || !o.enabled(extension) || o.subscribed(extension)) return;
    const bindings = o.bindings.lookup(extension);
    const before = this.#sent.get(extension) ?? new Map<string, string>();
    const after = new Map<string, string>();
    const body = o.body(extension);
    const text = body.toString();
    for (const b of bindings) {
      const last = before.get(b.contact);
      after.set(b.contact, text);
      if (last === text) continue;
      if (!changed && last === undefined && !o.waiting(extension)) continue;
      this.#notify(extension, b, body);
    }
    if (after.size === 0) this.#sent.delete(extension);
    else this.#sent.set(extension, after);
  }

  #notify(extension: string, binding: EventBinding, body: Buffer): void {
    const o = this.#o;
    const uri = `sip:${extension}@${o.domain()}`;
    const h = new Headers()
      .add('max-forwards', '70')
      .add('from', `<${uri}>;tag=${newTag()}`)
      .add('to', `<${uri}>`)
      .add('call-id', `${newBranch().slice(7)}@mwi`)
      .add('cseq', '1 NOTIFY')
      .add('event', 'message-summary')
      // No subscription stands behind it; phones that take unsolicited MWI read it as active.
      .add('subscription-state', 'active')
      .add('contact', `<${o.localContact(binding.peer.transport)}>`)
      .add('user-agent', o.userAgent())
      .add('content-type', 'application/simple-message-summary');
    const req = new SipRequest('NOTIFY', binding.contact, h, body);
    try {
      o.transactions.request(req, binding.peer, {
        onFinal: (res) => {
          if (res.status >= 300) o.log.debug({ extension, contact: binding.contact, status: res.status }, 'unsolicited MWI NOTIFY refused');
        },
      });
    } catch (err) {
      o.log.debug({ err, extension }, 'unsolicited MWI NOTIFY not sent');
    }
  }
}
