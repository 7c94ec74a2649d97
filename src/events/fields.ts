// Header fields of the SIP event framework (RFC 6665 8.2): Event with its id parameter, Expires,
// and the Accept check of a SUBSCRIBE against a package's body type.
import { parseParams, splitList } from '../sip/grammar.js';

export interface EventHeader {
  /** The event-type token, e.g. "message-summary" (compared case-sensitively, RFC 6665 8.2.1). */
  type: string;
  /** The id parameter, or null. */
  id: string | null;
}

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/** The Event header (or its compact form o), or null when absent or malformed. */
export function parseEvent(value: string | null): EventHeader | null {
  if (value === null) return null;
  const v = value.trim();
  const semi = v.indexOf(';');
  const type = (semi < 0 ? v : v.slice(0, semi)).trim();
  if (!TOKEN.test(type)) return null;
  if (semi < 0) return { type, id: null };
  const params = parseParams(v, semi);
  if (params === null) return null;
  return { type, id: params.get('id') ?? null };
}

/** An Expires value: delta-seconds, null when absent, false when malformed (RFC 3261 20.19). */
export function parseExpires(value: string | null): number | null | false {
  if (value === null) return null;
  const v = value.trim();
  if (!/^\d{1,10}$/.test(v)) return false;
  return Number(v);
}

/**
 * RFC 6665 4.2.1: a SUBSCRIBE whose Accept (when present) names none of the package's body type,
 * its type/* or * / * cannot be served (406).
 */
export function accepts(acceptLines: readonly string[], contentType: string): boolean {
  if (acceptLines.length === 0) return true;
  const [major] = contentType.split('/');
  for (const line of acceptLines) {
    for (const item of splitList(line)) {
      const range = item.split(';')[0]!.trim().toLowerCase();
      if (range === '' || range === '*/*' || range === contentType || range === `${major}/*`) return true;
    }
  }
  return false;
}
