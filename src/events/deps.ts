// What the event packages need from the layers beside them, as narrow structural types: the real
// VoicemailStore, Registrar and config fit them, and tests can pass small fakes.
import type { Peer } from '../sip/message.js';

/** RFC 3842 Voice-Message counts of one mailbox. */
export interface MailboxCounts {
  new: number;
  old: number;
  urgentNew: number;
  urgentOld: number;
}

export interface Mailboxes {
  counts(mailbox: string): MailboxCounts;
}

/** One registered contact of an extension. */
export interface EventBinding {
  contact: string;
  peer: Peer;
}

export interface Bindings {
  lookup(extension: string): readonly EventBinding[];
}

/** The config the packages read: the SIP domain and who the extensions are. */
export interface EventDirectory {
  domain(): string;
  /** The display name of an extension, or null when there is no such extension. */
  extensionName(extension: string): string | null;
}
