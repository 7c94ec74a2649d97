// The presence event package (RFC 3856) with a PIDF body (RFC 3863): an extension is open while
// it has a registered contact and closed otherwise; a note says when it is on the phone.
import type { Bindings, EventDirectory } from './deps.js';
import type { EventPackage, NotifyBody } from './package.js';
import { xmlEscape } from './xml.js';

export const PRESENCE = 'presence';
const CONTENT_TYPE = 'application/pidf+xml';

export class PresencePackage implements EventPackage {
  readonly event = PRESENCE;
  readonly contentType = CONTENT_TYPE;
  readonly #bindings: Bindings;
  readonly #busy: (extension: string) => boolean;
  readonly #directory: EventDirectory;

  constructor(bindings: Bindings, busy: (extension: string) => boolean, directory: EventDirectory) {
    this.#bindings = bindings;
    this.#busy = busy;
    this.#directory = directory;
  }

  resolve(_user: string, requested: string | null): string | number {
    return requested !== null && this.#directory.extensionName(requested) !== null ? requested : 404;
  }

  snapshot(extension: string): NotifyBody {
    const open = this.#bindings.lookup(extension).length > 0;
    const note = this.#busy(extension) ? 'On the phone' : open ? 'Available' : 'Offline';
    const body = pidfBody(`sip:${extension}@${this.#directory.domain()}`, `t${extension}`, open, note);
    return () => body;
  }
}

/** RFC 3863 4: one tuple with basic open/closed and a note. */
export function pidfBody(entity: string, tupleId: string, open: boolean, note: string): Buffer {
  return Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>\r\n' +
      `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${xmlEscape(entity)}">\r\n` +
      ` <tuple id="${xmlEscape(tupleId)}">\r\n` +
      `  <status><basic>${open ? 'open' : 'closed'}</basic></status>\r\n` +
      `  <contact>${xmlEscape(entity)}</contact>\r\n` +
      ' </tuple>\r\n' +
      ` <note>${xmlEscape(note)}</note>\r\n` +
      '</presence>\r\n',
  );
}
