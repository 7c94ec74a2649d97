// The dialog event package (RFC 4235) for BLF keys: who an extension is talking to and whether its
// calls ring or are answered. Call control reports each call's progress per extension; every
// NOTIFY carries the full state (state="full") with a version that grows per subscription.
// A dialog that ends is shown once as terminated, then forgotten.
import type { CallStateEvent } from '../calls/control.js';
import type { EventDirectory } from './deps.js';
import type { EventPackage, NotifyBody } from './package.js';
import { xmlEscape } from './xml.js';

export const DIALOG = 'dialog';
const CONTENT_TYPE = 'application/dialog-info+xml';

/** One dialog of an extension as call control reports it (its 'state' event). */
export type DialogEvent = CallStateEvent;

/** RFC 4235 3.7.1: the states of a dialog as the package reports them. */
export type DialogInfoState = DialogEvent['state'];

export class DialogPackage implements EventPackage {
  readonly event = DIALOG;
  readonly contentType = CONTENT_TYPE;
  readonly #directory: EventDirectory;
  /** extension -> dialog id -> its latest event. */
  readonly #dialogs = new Map<string, Map<string, DialogEvent>>();

  constructor(directory: EventDirectory) {
    this.#directory = directory;
  }

  /** Any configured extension can be watched (an office's BLF keys); others are 404. */
  resolve(_user: string, requested: string | null): string | number {
    return requested !== null && this.#directory.extensionName(requested) !== null ? requested : 404;
  }

  /** Records a dialog's new state. False when nothing changed (the caller need not notify). */
  update(e: DialogEvent): boolean {
    let dialogs = this.#dialogs.get(e.extension);
    const before = dialogs?.get(e.id);
    if (before?.state === e.state) return false;
    // A dialog never reported before that has already ended has nothing to show.
    if (before === undefined && e.state === 'terminated') return false;
    if (dialogs === undefined) this.#dialogs.set(e.extension, (dialogs = new Map()));
    dialogs.set(e.id, { ...e });
    return true;
  }

  /** Forgets the dialogs of an extension that ended (after their terminated NOTIFY was queued). */
  forgetEnded(extension: string): void {
    const dialogs = this.#dialogs.get(extension);
    if (dialogs === undefined) return;
    for (const [id, d] of dialogs) if (d.state === 'terminated') dialogs.delete(id);
    if (dialogs.size === 0) this.#dialogs.delete(extension);
  }

  /** True while the extension has a dialog that has not ended (ringing or talking). */
  busy(extension: string): boolean {
    for (const d of this.#dialogs.get(extension)?.values() ?? []) if (d.state !== 'terminated') return true;
    return false;
  }

  snapshot(extension: string): NotifyBody {
    const domain = this.#directory.domain();
    const dialogs = [...(this.#dialogs.get(extension)?.values() ?? [])];
    return (version) => dialogInfoBody(`sip:${extension}@${domain}`, version, dialogs, domain);
  }
}

/** RFC 4235 4.1: a full dialog-info document. */
export function dialogInfoBody(entity: string, version: number, dialogs: readonly DialogEvent[], domain: string): Buffer {
  let xml =
    '<?xml version="1.0" encoding="UTF-8"?>\r\n' +
    `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="${xmlEscape(entity)}">\r\n`;
  for (const d of dialogs) {
    const remote = `sip:${d.remote}@${domain}`;
    const display = d.remoteName === null || d.remoteName === '' ? '' : ` display="${xmlEscape(d.remoteName)}"`;
    xml +=
      ` <dialog id="${xmlEscape(d.id)}" call-id="${xmlEscape(d.callId)}" direction="${d.direction}">\r\n` +
      `  <state>${d.state}</state>\r\n` +
      `  <local><identity>${xmlEscape(entity)}</identity></local>\r\n` +
      `  <remote><identity${display}>${xmlEscape(remote)}</identity><target uri="${xmlEscape(remote)}"/></remote>\r\n` +
      ' </dialog>\r\n';
  }
  xml += '</dialog-info>\r\n';
  return Buffer.from(xml);
}
