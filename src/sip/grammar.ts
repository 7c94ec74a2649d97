// Header value grammar of RFC 3261 section 25 for the headers the stack reads: lists, name-addr,
// Via, CSeq, generic parameters, quoted strings, and the credentials/challenge form of section 25.1
// used by digest authentication. Every parser returns null on malformed input and never throws.

import { HOST, PARAM_VALUE, SCHEME, TOKEN, inTable, isLws, skipLws } from './chars.js';
import { isIPv6Reference } from './uri.js';
import type { Headers } from './message.js';

const DQUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const SEMI = 59;
const LT = 60;
const GT = 62;
const EQUAL = 61;
const SLASH = 47;
const COLON = 58;
const LBRACKET = 91;
const RBRACKET = 93;

export type Params = Map<string, string | null>;

export interface NameAddr {
  /** Display name, unquoted; null when absent. */
  display: string | null;
  /** The URI as written (between < and > in the name-addr form). */
  uri: string;
  /** Header parameters (tag, expires, q, ...): names lower case, values as written (quotes kept). */
  params: Params;
}

export interface Via {
  /** "SIP/2.0" */
  protocol: string;
  /** Upper case: "UDP", "TCP", "TLS", "WS", ... */
  transport: string;
  /** sent-by host as written; an IPv6 reference keeps its brackets. */
  host: string;
  port: number | null;
  /** branch, received, rport, ...: names lower case, values as written. */
  params: Params;
}

export interface CSeq {
  seq: number;
  method: string;
}

export interface AuthHeader {
  /** "Digest", as written. */
  scheme: string;
  /** auth-params: names lower case, values unquoted. */
  params: Map<string, string>;
}

/**
 * RFC 3261 7.3.1: splits a header value on the commas that are outside quoted strings and <...>.
 * Elements are trimmed; empty ones are dropped.
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  if (value.indexOf(',') < 0) {
    const v = value.trim();
    if (v !== '') out.push(v);
    return out;
  }
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === BACKSLASH) i++;
      else if (c === DQUOTE) inQuote = false;
    } else if (inAngle) {
      if (c === GT) inAngle = false;
    } else if (c === DQUOTE) inQuote = true;
    else if (c === LT) inAngle = true;
    else if (c === COMMA) {
      const v = value.slice(start, i).trim();
      if (v !== '') out.push(v);
      start = i + 1;
    }
  }
  const v = value.slice(start).trim();
  if (v !== '') out.push(v);
  return out;
}

/** Index just after the closing quote of the quoted-string starting at `i`, or -1 if unterminated. */
function quotedEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === BACKSLASH) j++;
    else if (c === DQUOTE) return j + 1;
  }
  return -1;
}

/** Removes the quotes and quoted-pair escapes of a quoted-string (RFC 3261 25.1); other text is returned trimmed. */
export function unquote(s: string): string {
  const t = s.trim();
  if (t.length < 2 || t.charCodeAt(0) !== DQUOTE || t.charCodeAt(t.length - 1) !== DQUOTE) return t;
  const inner = t.slice(1, -1);
  if (inner.indexOf('\\') < 0) return inner;
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    if (inner.charCodeAt(i) === BACKSLASH && i + 1 < inner.length) i++;
    out += inner[i];
  }
  return out;
}

/** Writes a string as a quoted-string, escaping `"` and `\`. */
export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === DQUOTE || c === BACKSLASH) out += '\\';
    out += s[i];
  }
  return out + '"';
}

/**
 * Parses `*( SEMI generic-param )` starting at `start` (leading LWS allowed) to the end of `s`.
 * Names are lower-cased; values stay as written (a quoted value keeps its quotes). Null if malformed.
 */
export function parseParams(s: string, start = 0): Params | null {
  const params: Params = new Map();
  let i = skipLws(s, start);
  const n = s.length;
  while (i < n) {
    if (s.charCodeAt(i) !== SEMI) return null;
    i = skipLws(s, i + 1);
    const nameStart = i;
    while (i < n && inTable(TOKEN, s.charCodeAt(i))) i++;
    if (i === nameStart) return null;
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipLws(s, i);
    let value: string | null = null;
    if (i < n && s.charCodeAt(i) === EQUAL) {
      i = skipLws(s, i + 1);
      if (i < n && s.charCodeAt(i) === DQUOTE) {
        const end = quotedEnd(s, i);
        if (end < 0) return null;
        value = s.slice(i, end);
        i = end;
      } else {
        const valueStart = i;
        while (i < n && inTable(PARAM_VALUE, s.charCodeAt(i))) i++;
        if (i === valueStart) return null;
        value = s.slice(valueStart, i);
      }
      i = skipLws(s, i);
    }
    params.set(name, value);
  }
  return params;
}

/** `;name=value;flag` for a parameter map. */
function formatParams(params: Params): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}

// absoluteURI / SIP-URI as found in a header: a scheme, a colon, then no white space or angle brackets.
function isUriText(s: string): boolean {
  const colon = s.indexOf(':');
  if (colon < 1) return false;
  const first = s.charCodeAt(0) | 0x20;
  if (first < 97 || first > 122) return false;
  for (let i = 1; i < colon; i++) if (!inTable(SCHEME, s.charCodeAt(i))) return false;
  for (let i = colon + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c === LT || c === GT || c === DQUOTE || c === 127) return false;
  }
  return colon + 1 < s.length;
}

// display-name = *(token LWS) / quoted-string; here the unquoted form.
function isTokenList(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!inTable(TOKEN, c) && !isLws(c)) return false;
  }
  return true;
}

/**
 * Parses a From/To/Contact/Route value (RFC 3261 20.10): `name-addr *(;param)` or
 * `addr-spec *(;param)`. In the addr-spec form the parameters belong to the header, and a URI
 * with `?`, `,` or `;` had to be in angle brackets. Null if malformed.
 */
export function parseNameAddr(value: string): NameAddr | null {
  const n = value.length;
  let i = skipLws(value, 0);
  let display: string | null = null;
  let angle = -1;
  if (i < n && value.charCodeAt(i) === DQUOTE) {
    const end = quotedEnd(value, i);
    if (end < 0) return null;
    display = unquote(value.slice(i, end));
    i = skipLws(value, end);
    if (i >= n || value.charCodeAt(i) !== LT) return null;
    angle = i;
  } else {
    const lt = value.indexOf('<', i);
    if (lt >= 0) {
      const d = value.slice(i, lt).trim();
      if (!isTokenList(d)) return null;
      display = d === '' ? null : d;
      angle = lt;
    }
  }
  let uri: string;
  if (angle >= 0) {
    const gt = value.indexOf('>', angle + 1);
    if (gt < 0) return null;
    uri = value.slice(angle + 1, gt);
    i = gt + 1;
  } else {
    let end = value.indexOf(';', i);
    if (end < 0) end = n;
    uri = value.slice(i, end).trim();
    if (uri.indexOf('?') >= 0 || uri.indexOf(',') >= 0) return null;
    i = end;
  }
  if (!isUriText(uri)) return null;
  const params = parseParams(value, i);
  if (params === null) return null;
  return { display, uri, params };
}

/** Writes a name-addr, always in the `<uri>` form so that any URI is safe. */
export function formatNameAddr(na: NameAddr): string {
  const display = na.display === null || na.display === '' ? '' : `${quote(na.display)} `;
  return `${display}<${na.uri}>${formatParams(na.params)}`;
}

/** The tag parameter of a From/To value, or null when it has none (or the value is malformed). */
export function getTag(value: string): string | null {
  return parseNameAddr(value)?.params.get('tag') ?? null;
}

/** The tag parameter of a From/To value, '' when there is none (or no value). */
export function tagOf(value: string | null): string {
  return value === null ? '' : (getTag(value) ?? '');
}

// Scans a port (1*DIGIT, at most 65535) at i; -1 when there is none or it is too large.
function scanPort(s: string, i: number): number {
  let port = 0;
  const start = i;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    port = port * 10 + (c - 48);
    if (port > 65535) return -1;
    i++;
  }
  return i === start ? -1 : port;
}

function scanToken(s: string, i: number): number {
  while (i < s.length && inTable(TOKEN, s.charCodeAt(i))) i++;
  return i;
}

/**
 * Parses one via-parm (RFC 3261 20.42): `SIP / 2.0 / UDP host[:port] *(;param)`, LWS allowed
 * around the slashes and the colon. IPv6 sent-by is an IPv6 reference `[...]` (RFC 5118 4.5).
 */
export function parseVia(value: string): Via | null {
  const n = value.length;
  let i = skipLws(value, 0);
  const nameStart = i;
  i = scanToken(value, i);
  if (i === nameStart) return null;
  const name = value.slice(nameStart, i);
  i = skipLws(value, i);
  if (value.charCodeAt(i) !== SLASH) return null;
  i = skipLws(value, i + 1);
  const versionStart = i;
  i = scanToken(value, i);
  if (i === versionStart) return null;
  const version = value.slice(versionStart, i);
  i = skipLws(value, i);
  if (value.charCodeAt(i) !== SLASH) return null;
  i = skipLws(value, i + 1);
  const transportStart = i;
  i = scanToken(value, i);
  if (i === transportStart) return null;
  const transport = value.slice(transportStart, i).toUpperCase();
  const afterTransport = i;
  i = skipLws(value, i);
  if (i === afterTransport) return null;
  const hostStart = i;
  if (value.charCodeAt(i) === LBRACKET) {
    const close = value.indexOf(']', i);
    if (close < 0 || !isIPv6Reference(value.slice(i + 1, close))) return null;
    i = close + 1;
  } else {
    while (i < n && inTable(HOST, value.charCodeAt(i))) i++;
    if (i === hostStart) return null;
  }
  const host = value.slice(hostStart, i);
  let port: number | null = null;
  const beforeColon = skipLws(value, i);
  if (beforeColon < n && value.charCodeAt(beforeColon) === COLON) {
    i = skipLws(value, beforeColon + 1);
    const p = scanPort(value, i);
    if (p < 0) return null;
    port = p;
    while (i < n && value.charCodeAt(i) >= 48 && value.charCodeAt(i) <= 57) i++;
  }
  const params = parseParams(value, i);
  if (params === null) return null;
  const protocol = name.toUpperCase() === 'SIP' && version === '2.0' ? 'SIP/2.0' : `${name}/${version}`;
  return { protocol, transport, host, port, params };
}

/** Writes a via-parm: `SIP/2.0/UDP host:port;branch=...`. */
export function formatVia(via: Via): string {
  const port = via.port === null ? '' : `:${via.port}`;
  return `${via.protocol}/${via.transport} ${via.host}${port}${formatParams(via.params)}`;
}

/** RFC 3261 20.16: `1*DIGIT LWS Method`, the number below 2**31. Null if malformed. */
export function parseCSeq(value: string): CSeq | null {
  const n = value.length;
  let i = skipLws(value, 0);
  let seq = 0;
  const digitsStart = i;
  while (i < n) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) break;
    seq = seq * 10 + (c - 48);
    if (seq > 0x7fffffff) return null;
    i++;
  }
  if (i === digitsStart) return null;
  const afterDigits = i;
  i = skipLws(value, i);
  if (i === afterDigits) return null;
  const methodStart = i;
  i = scanToken(value, i);
  if (i === methodStart) return null;
  const method = value.slice(methodStart, i);
  if (skipLws(value, i) !== n) return null;
  return { seq, method };
}

/**
 * Parses a challenge or credentials value (RFC 3261 25.1, RFC 7616 3.3/3.4):
 * `Digest realm="x", nonce="y", qop="auth", nc=00000001`. Values are unquoted. Null if malformed.
 */
export function parseAuthHeader(value: string): AuthHeader | null {
  const n = value.length;
  let i = skipLws(value, 0);
  const schemeStart = i;
  i = scanToken(value, i);
  if (i === schemeStart) return null;
  const scheme = value.slice(schemeStart, i);
  const params = new Map<string, string>();
  i = skipLws(value, i);
  while (i < n) {
    const nameStart = i;
    i = scanToken(value, i);
    if (i === nameStart) return null;
    const name = value.slice(nameStart, i).toLowerCase();
    i = skipLws(value, i);
    if (value.charCodeAt(i) !== EQUAL) return null;
    i = skipLws(value, i + 1);
    if (value.charCodeAt(i) === DQUOTE) {
      const end = quotedEnd(value, i);
      if (end < 0) return null;
      params.set(name, unquote(value.slice(i, end)));
      i = end;
    } else {
      const valueStart = i;
      while (i < n && inTable(PARAM_VALUE, value.charCodeAt(i))) i++;
      if (i === valueStart) return null;
      params.set(name, value.slice(valueStart, i));
    }
    i = skipLws(value, i);
    if (i < n) {
      if (value.charCodeAt(i) !== COMMA) return null;
      i = skipLws(value, i + 1);
    }
  }
  return { scheme, params };
}

/** Strips the brackets of an IPv6 reference (`[::1]` -> `::1`); other hosts unchanged. */
export function hostAddress(host: string): string {
  return host.length > 1 && host.charCodeAt(0) === LBRACKET && host.charCodeAt(host.length - 1) === RBRACKET
    ? host.slice(1, -1)
    : host;
}

/** The first via-parm of the first Via line (a line may carry several, comma-separated); null if absent or malformed. */
export function topVia(headers: Headers): Via | null {
  const line = headers.get('via');
  if (line === null) return null;
  const first = line.indexOf(',') < 0 ? line : splitList(line)[0];
  return first === undefined ? null : parseVia(first);
}

/**
 * What a server writes into the top Via of a request it received: RFC 3261 18.2.1 adds
 * received= when the sent-by host is not the source address; RFC 3581 4 fills a bare rport with
 * the source port and then always adds received. An IPv6 source goes in without brackets (RFC 5118 4.5).
 * Returns whether the Via changed.
 */
export function stampVia(via: Via, sourceAddress: string, sourcePort: number): boolean {
  const rport = via.params.has('rport') && via.params.get('rport') === null;
  if (rport) via.params.set('rport', String(sourcePort));
  if (rport || hostAddress(via.host).toLowerCase() !== sourceAddress.toLowerCase()) {
    via.params.set('received', sourceAddress);
    return true;
  }
  return false;
}
