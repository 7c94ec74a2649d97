// The message-summary event package (RFC 3842): the voicemail lamp. A phone subscribes to its own
// mailbox; the body says whether messages wait and how many are new and old (urgent apart).
import type { Mailboxes, EventDirectory, MailboxCounts } from './deps.js';
import type { EventPackage, NotifyBody } from './package.js';

export const MESSAGE_SUMMARY = 'message-summary';
const CONTENT_TYPE = 'application/simple-message-summary';

/** RFC 3842 5.2: the simple-message-summary body of a mailbox. */
export function messageSummaryBody(counts: MailboxCounts, account: string): Buffer {
  return Buffer.from(
    `Messages-Waiting: ${counts.new > 0 ? 'yes' : 'no'}\r\n` +
      `Message-Account: ${account}\r\n` +
      `Voice-Message: ${counts.new}/${counts.old} (${counts.urgentNew}/${counts.urgentOld})\r\n`,
  );
}

export class MessageSummaryPackage implements EventPackage {
  readonly event = MESSAGE_SUMMARY;
  readonly contentType = CONTENT_TYPE;
  readonly #mailboxes: Mailboxes;
  readonly #directory: EventDirectory;

  constructor(mailboxes: Mailboxes, directory: EventDirectory) {
    this.#mailboxes = mailboxes;
    this.#directory = directory;
  }

  /**
   * A phone watches its own mailbox: the Request-URI names the extension itself or (as phones
   * that subscribe to the voicemail number do) something that is no extension. Another
   * extension's mailbox is refused 403.
   */
  resolve(user: string, requested: string | null): string | number {
    if (requested === null || requested === user || this.#directory.extensionName(requested) === null) return user;
    return 403;
  }

  snapshot(mailbox: string): NotifyBody {
    const body = this.body(mailbox);
    return () => body;
  }

  /** The body for a mailbox now (also what unsolicited NOTIFYs carry). */
  body(mailbox: string): Buffer {
    return messageSummaryBody(this.#mailboxes.counts(mailbox), `sip:${mailbox}@${this.#directory.domain()}`);
  }
}
