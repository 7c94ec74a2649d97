// The client side of digest authentication (RFC 3261 22.2, RFC 7616): answering a 401/407
// challenge from a provider when the PBX registers to it or calls through it. The response is
// computed by digestResponse, the same function the PBX's own server side checks with.
import { randomBytes } from 'node:crypto';
import { parseAuthHeader, quote } from '../grammar.js';
import { algorithmOf, digestResponse } from './digest.js';

export interface DigestCredentials {
  username: string;
  password: string;
}

/** A challenge read from WWW-Authenticate / Proxy-Authenticate. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque: string | null;
  algorithm: 'MD5' | 'SHA-256';
  /** The server asked for qop=auth; without qop the RFC 2069 form is used. */
  qop: boolean;
  stale: boolean;
}

/** The first challenge among `values` this client can answer (MD5 or SHA-256, qop auth or none). */
export function parseChallenge(values: readonly string[]): DigestChallenge | null {
  for (const value of values) {
    const p = parseAuthHeader(value);
    if (p === null || p.scheme.toLowerCase() !== 'digest') continue;
    const realm = p.params.get('realm');
    const nonce = p.params.get('nonce');
    const algorithm = algorithmOf(p.params.get('algorithm'));
    const qop = p.params.get('qop');
    const qops = qop === undefined ? [] : qop.split(',').map((q) => q.trim().toLowerCase());
    if (realm === undefined || nonce === undefined || algorithm === null) continue;
    if (qop !== undefined && !qops.includes('auth')) continue;
    return { realm, nonce, opaque: p.params.get('opaque') ?? null, algorithm, qop: qops.includes('auth'), stale: p.params.get('stale')?.toLowerCase() === 'true' };
  }
  return null;
}

/**
 * The Authorization / Proxy-Authorization value answering `challenge` for a request (`nc` counts
 * the requests sent with this nonce, from 1).
 */
export function authorizationFor(challenge: DigestChallenge, creds: DigestCredentials, method: string, uri: string, nc: number): string {
  const cnonce = randomBytes(8).toString('hex');
  const ncText = nc.toString(16).padStart(8, '0');
  const qop = challenge.qop ? { nc: ncText, cnonce } : null;
  const response = digestResponse({ algorithm: challenge.algorithm, username: creds.username, realm: challenge.realm, password: creds.password, method, uri, nonce: challenge.nonce, qop });
  const parts = [`Digest username=${quote(creds.username)}`, `realm=${quote(challenge.realm)}`, `nonce=${quote(challenge.nonce)}`, `uri=${quote(uri)}`, `response=${quote(response)}`];
  if (qop !== null) parts.push('qop=auth', `nc=${ncText}`, `cnonce=${quote(cnonce)}`);
  parts.push(`algorithm=${challenge.algorithm}`);
  if (challenge.opaque !== null) parts.push(`opaque=${quote(challenge.opaque)}`);
  return parts.join(', ');
}
