// The bearer token of the REST API (RFC 6750 2.1: `Authorization: Bearer TOKEN`).
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A check of Authorization header values against `token`, in constant time (hashes of equal length whatever was sent). */
export function bearerCheck(token: string): (header: string | undefined) => boolean {
  if (token === '') throw new TypeError('the REST API needs a non-empty token');
  const expected = digest(token);
  return (header) => {
    if (header === undefined) return false;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    return m !== null && timingSafeEqual(digest(m[1]!), expected);
  };
}
