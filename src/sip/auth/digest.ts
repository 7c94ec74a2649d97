// HTTP Digest authentication as SIP uses it (RFC 3261 22.4, RFC 2617, RFC 7616, RFC 8760):
// MD5 and SHA-256, qop=auth only. Nonces carry their own issue time and an HMAC under a
// per-process secret, so the server keeps no table of issued nonces; a nonce past its lifetime
// whose digest is otherwise right is answered with stale=true (RFC 7616 3.3).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { PbxError } from '../../util/errors.js';
import { parseAuthHeader } from '../grammar.js';

export type DigestAlgorithm = 'SHA-256' | 'MD5';

/**
 * RFC 8760 2.4: the server sends one challenge per algorithm, most preferred first. The default
 * offers MD5 alone: common clients fail on a SHA-256 challenge instead of skipping it (SIPp 3.6
 * and sipsak 0.9 read only the first challenge; baresip 1.0 gives up when any challenge has an
 * algorithm it lacks). Deployments whose phones speak RFC 8760 pass ['SHA-256', 'MD5'].
 */
const DEFAULT_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5'];
const HASH_NAME: Readonly<Record<DigestAlgorithm, string>> = { 'SHA-256': 'sha256', MD5: 'md5' };
/** The password hashed for a user that does not exist, so both paths do the same work. */
const DUMMY_PASSWORD = 'no-such-user\u0000dummy-password';
/** Nonces whose last nc we remember, for replay detection; the oldest are forgotten first. */
const NC_TABLE_CAP = 50_000;
/**
 * 8-byte issue time (ms) + 8-byte per-process counter (unique, no entropy needed: the HMAC makes
 * the nonce unforgeable and unpredictable), then a 16-byte truncated HMAC-SHA-256.
 */
const NONCE_PAYLOAD = 16;
const NONCE_MAC = 16;

export interface DigestOptions {
  realm: string;
  /** Key for nonce HMACs; random per process when absent (nonces then die with the process). */
  secret?: string | Buffer;
  /** Seconds a nonce stays valid. */
  nonceTtlS: number;
  /** Algorithms offered and accepted, in order of preference; default DEFAULT_ALGORITHMS. */
  algorithms?: readonly DigestAlgorithm[];
  clock?: { now(): number };
}

export type DigestResult = { ok: true; user: string } | { ok: false; stale: boolean };

/** Looks up a user's password; null for an unknown user. */
export type PasswordLookup = (user: string) => string | null;

export class DigestAuthenticator {
  readonly realm: string;
  readonly #secret: Buffer;
  readonly #ttlMs: number;
  readonly #clock: { now(): number };
  readonly #opaque: string;
  readonly #algorithms: readonly DigestAlgorithm[];
  /** nonce -> highest nc accepted with it (RFC 7616 3.4: nc lets the server detect replays). */
  readonly #lastNc = new Map<string, number>();
  #issued = 0n;

  constructor(opts: DigestOptions) {
    if (!opts.realm) throw new PbxError('PBX_ERR_AUTH_REALM', 'digest realm must not be empty');
    if (!(opts.nonceTtlS > 0)) throw new PbxError('PBX_ERR_AUTH_NONCE_TTL', 'nonce lifetime must be a positive number of seconds');
    const algorithms = opts.algorithms ?? DEFAULT_ALGORITHMS;
    if (algorithms.length === 0 || algorithms.some((a) => !Object.hasOwn(HASH_NAME, a)) || new Set(algorithms).size !== algorithms.length) {
      throw new PbxError('PBX_ERR_AUTH_ALGORITHMS', `digest algorithms must be distinct names from ${Object.keys(HASH_NAME).join(', ')}`);
    }
    this.#algorithms = [...algorithms];
    this.realm = opts.realm;
    this.#secret = opts.secret === undefined ? randomBytes(32) : Buffer.from(opts.secret);
    this.#ttlMs = opts.nonceTtlS * 1000;
    this.#clock = opts.clock ?? Date;
    this.#opaque = createHmac('sha256', this.#secret).update(`opaque:${this.realm}`).digest('hex').slice(0, 32);
  }

  /**
   * WWW-Authenticate / Proxy-Authenticate values for a new challenge: one per algorithm in order
   * of preference (RFC 8760 2.4), sharing one fresh nonce.
   */
  challengeHeaders(stale: boolean): string[] {
    const nonce = this.#newNonce();
    const tail = stale ? ', stale=true' : '';
    return this.#algorithms.map(
      (alg) => `Digest realm="${this.realm}", nonce="${nonce}", opaque="${this.#opaque}", algorithm=${alg}, qop="auth"${tail}`,
    );
  }

  /**
   * Checks an Authorization / Proxy-Authorization value for `method`. Unknown users and wrong
   * passwords take the same work and give the same answer. `stale` is true only when the digest
   * was right but the nonce was expired, forged by an older process, or its nc was replayed.
   */
  verify(method: string, authHeaderValue: string, lookupPassword: PasswordLookup): DigestResult {
    const p = parseAuthHeader(authHeaderValue);
    if (p === null || p.scheme.toLowerCase() !== 'digest') return FAIL;
    const username = p.params.get('username');
    const realm = p.params.get('realm');
    const nonce = p.params.get('nonce');
    const uri = p.params.get('uri');
    const response = p.params.get('response');
    const qop = p.params.get('qop');
    const ncText = p.params.get('nc');
    const cnonce = p.params.get('cnonce');
    const opaque = p.params.get('opaque');
    const algorithm = algorithmOf(p.params.get('algorithm'));
    if (
      username === undefined || realm !== this.realm || nonce === undefined || uri === undefined ||
      response === undefined || qop?.toLowerCase() !== 'auth' || ncText === undefined ||
      cnonce === undefined || algorithm === null || !this.#algorithms.includes(algorithm) || (opaque !== undefined && opaque !== this.#opaque)
    ) return FAIL;
    if (!/^[0-9a-fA-F]{8}$/.test(ncText)) return FAIL;
    const nc = parseInt(ncText, 16);

    const password = lookupPassword(username);
    const expected = digestResponse({ algorithm, username, realm: this.realm, password: password ?? DUMMY_PASSWORD, method, uri, nonce, qop: { nc: ncText, cnonce } });
    const match = constantTimeEqual(expected, response.toLowerCase());
    if (!match || password === null) return FAIL;

    // RFC 7616 3.3: a right digest with a nonce we no longer accept gets stale=true.
    if (!this.#nonceFresh(nonce)) return STALE;
    const last = this.#lastNc.get(nonce);
    if (last !== undefined && nc <= last) return STALE;
    this.#rememberNc(nonce, nc);
    return { ok: true, user: username };
  }

  #newNonce(): string {
    const payload = Buffer.allocUnsafe(NONCE_PAYLOAD);
    payload.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(this.#clock.now()))), 0);
    payload.writeBigUInt64BE(this.#issued++, 8);
    const mac = createHmac('sha256', this.#secret).update(payload).digest().subarray(0, NONCE_MAC);
    return Buffer.concat([payload, mac]).toString('base64url');
  }

  /** True when the nonce is one of ours (HMAC checks) and not past its lifetime. */
  #nonceFresh(nonce: string): boolean {
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== NONCE_PAYLOAD + NONCE_MAC) return false;
    const payload = raw.subarray(0, NONCE_PAYLOAD);
    const mac = createHmac('sha256', this.#secret).update(payload).digest().subarray(0, NONCE_MAC);
    if (!timingSafeEqual(mac, raw.subarray(NONCE_PAYLOAD))) return false;
    const issued = Number(payload.readBigUInt64BE(0));
    const age = this.#clock.now() - issued;
    return age >= 0 && age <= this.#ttlMs;
  }

  #rememberNc(nonce: string, nc: number): void {
    this.#lastNc.delete(nonce);
    this.#lastNc.set(nonce, nc);
    if (this.#lastNc.size > NC_TABLE_CAP) {
      const oldest = this.#lastNc.keys().next().value as string;
      this.#lastNc.delete(oldest);
    }
  }
}

/** What a digest response is computed from (qop=auth; RFC 7616 3.4.1). */
export interface DigestInput {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  /** qop=auth: nc (8 hex digits) and cnonce; null for a challenge without qop (RFC 2069 form). */
  qop: { nc: string; cnonce: string } | null;
}

/** RFC 7616 3.4.1: the `response` value, in lower-case hex. Servers and clients share it. */
export function digestResponse(d: DigestInput): string {
  const hash = HASH_NAME[d.algorithm];
  const ha1 = h(hash, `${d.username}:${d.realm}:${d.password}`);
  const ha2 = h(hash, `${d.method}:${d.uri}`);
  return d.qop === null ? h(hash, `${ha1}:${d.nonce}:${ha2}`) : h(hash, `${ha1}:${d.nonce}:${d.qop.nc}:${d.qop.cnonce}:auth:${ha2}`);
}

const FAIL: DigestResult = Object.freeze({ ok: false, stale: false });
const STALE: DigestResult = Object.freeze({ ok: false, stale: true });

/** RFC 7616 3.4: no algorithm parameter means MD5. The -sess variants are not offered. */
export function algorithmOf(value: string | undefined): DigestAlgorithm | null {
  if (value === undefined) return 'MD5';
  const v = value.toUpperCase();
  return v === 'MD5' || v === 'SHA-256' ? v : null;
}

function h(hash: string, text: string): string {
  return createHash(hash).update(text, 'utf8').digest('hex');
}

/** Compares two hex strings without an early exit; a length mismatch still does a full compare. */
function constantTimeEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'latin1');
  const b = Buffer.from(given, 'latin1');
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}
