// SIP and SIPS URIs (RFC 3261 19.1) with tel URIs (RFC 3966) kept as an opaque number plus
// parameters; comparison per RFC 3261 19.1.4. IPv6 references per RFC 5118.

import { isIPv6 } from 'node:net';
import {
  HOST,
  URI_HEADER,
  URI_PARAM,
  URI_PASSWORD,
  URI_USER,
  escapePercent,
  inTable,
  unescapePercent,
} from './chars.js';

export type UriScheme = 'sip' | 'sips' | 'tel';

export interface SipUri {
  scheme: UriScheme;
  /** User part with %-escapes decoded (for tel: the telephone number); null when absent. */
  user: string | null;
  /** Password with %-escapes decoded; null when absent. */
  password: string | null;
  /** Host as written; an IPv6 reference keeps its brackets (`[2001:db8::1]`); '' for tel. */
  host: string;
  port: number | null;
  /** uri-parameters: names lower case, values as written (escapes kept); null for a flag. */
  params: Map<string, string | null>;
  /** ?name=value&... : names and values as written. */
  headers: Map<string, string>;
}

const SEMI = 59;
const QUESTION = 63;
const COLON = 58;
const EQUAL = 61;
const AMP = 38;
const LBRACKET = 91;

// Valid %-escapes in a component: every '%' followed by two hex digits.
function escapesOk(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (s.charCodeAt(i) === 37) {
      if (i + 2 >= end) return false;
      if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return false;
    }
  }
  return true;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function scanIn(t: Uint8Array, s: string, i: number, end: number): number {
  while (i < end && inTable(t, s.charCodeAt(i))) i++;
  return i;
}

// Parses `*( ";" pname [ "=" pvalue ] )` from i; returns the index where it stopped, or -1.
function scanParams(s: string, i: number, end: number, out: Map<string, string | null>): number {
  while (i < end && s.charCodeAt(i) === SEMI) {
    const nameStart = i + 1;
    const nameEnd = scanIn(URI_PARAM, s, nameStart, end);
    if (nameEnd === nameStart || !escapesOk(s, nameStart, nameEnd)) return -1;
    const name = s.slice(nameStart, nameEnd).toLowerCase();
    i = nameEnd;
    let value: string | null = null;
    if (i < end && s.charCodeAt(i) === EQUAL) {
      const valueEnd = scanIn(URI_PARAM, s, i + 1, end);
      if (valueEnd === i + 1 || !escapesOk(s, i + 1, valueEnd)) return -1;
      value = s.slice(i + 1, valueEnd);
      i = valueEnd;
    }
    out.set(name, value);
  }
  return i;
}

function scanHeaders(s: string, i: number, out: Map<string, string>): number {
  const end = s.length;
  if (i >= end || s.charCodeAt(i) !== QUESTION) return i;
  do {
    const nameStart = i + 1;
    const nameEnd = scanIn(URI_HEADER, s, nameStart, end);
    if (nameEnd === nameStart || nameEnd >= end || s.charCodeAt(nameEnd) !== EQUAL) return -1;
    const valueEnd = scanIn(URI_HEADER, s, nameEnd + 1, end);
    if (!escapesOk(s, nameStart, valueEnd)) return -1;
    out.set(s.slice(nameStart, nameEnd), s.slice(nameEnd + 1, valueEnd));
    i = valueEnd;
  } while (i < end && s.charCodeAt(i) === AMP);
  return i;
}

function parseSip(s: string, scheme: 'sip' | 'sips', start: number): SipUri | null {
  const n = s.length;
  // '@' appears unescaped only after the userinfo; the user part may hold '?', ';', ',' (RFC 4475 3.1.1.2).
  const at = s.indexOf('@', start);
  let user: string | null = null;
  let password: string | null = null;
  let i = start;
  if (at >= start) {
    const colon = s.indexOf(':', start);
    const userEnd = colon >= 0 && colon < at ? colon : at;
    if (userEnd === start || scanIn(URI_USER, s, start, userEnd) !== userEnd || !escapesOk(s, start, userEnd)) return null;
    user = unescapePercent(s.slice(start, userEnd));
    if (user === null) return null;
    if (userEnd < at) {
      if (scanIn(URI_PASSWORD, s, userEnd + 1, at) !== at || !escapesOk(s, userEnd + 1, at)) return null;
      password = unescapePercent(s.slice(userEnd + 1, at));
      if (password === null) return null;
    }
    i = at + 1;
  }
  const hostStart = i;
  if (i < n && s.charCodeAt(i) === LBRACKET) {
    const close = s.indexOf(']', i);
    if (close < 0 || !isIPv6Reference(s.slice(i + 1, close))) return null;
    i = close + 1;
  } else {
    i = scanIn(HOST, s, i, n);
    if (i === hostStart) return null;
  }
  const host = s.slice(hostStart, i);
  let port: number | null = null;
  if (i < n && s.charCodeAt(i) === COLON) {
    let p = 0;
    const portStart = ++i;
    while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57 && i - portStart < 5) p = p * 10 + s.charCodeAt(i++) - 48;
    if (i === portStart || p > 65535) return null;
    port = p;
  }
  const params = new Map<string, string | null>();
  i = scanParams(s, i, n, params);
  if (i < 0) return null;
  const headers = new Map<string, string>();
  i = scanHeaders(s, i, headers);
  if (i !== n) return null;
  return { scheme, user, password, host, port, params, headers };
}

// RFC 3966: telephone-subscriber *( ";" par ); kept opaque: the number and its parameters.
function parseTel(s: string, start: number): SipUri | null {
  const n = s.length;
  let semi = s.indexOf(';', start);
  if (semi < 0) semi = n;
  if (semi === start || scanIn(URI_PARAM, s, start, semi) !== semi) return null;
  const params = new Map<string, string | null>();
  if (scanParams(s, semi, n, params) !== n) return null;
  return { scheme: 'tel', user: s.slice(start, semi), password: null, host: '', port: null, params, headers: new Map() };
}

/**
 * Whether the text between the brackets of an IPv6 reference is an IPv6 address. RFC 5118 4.10:
 * RFC 3261's ABNF also admits three colons before an embedded IPv4 address, and both must be tolerated.
 */
export function isIPv6Reference(s: string): boolean {
  if (isIPv6(s)) return true;
  const triple = s.indexOf(':::');
  return triple >= 0 && s.indexOf('.', triple) > triple && isIPv6(s.slice(0, triple) + s.slice(triple + 1));
}

/** Parses a sip:, sips: or tel: URI; null for other schemes or malformed text. */
export function parseUri(s: string): SipUri | null {
  const colon = s.indexOf(':');
  if (colon < 3 || colon > 4) return null;
  const scheme = s.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSip(s, scheme, colon + 1);
  if (scheme === 'tel') return parseTel(s, colon + 1);
  return null;
}

/** The scheme of any absolute URI, lower case (`sip`, `sips`, `tel`, `mailto`, ...), or null. */
export function uriScheme(s: string): string | null {
  const colon = s.indexOf(':');
  if (colon < 1) return null;
  for (let i = 0; i < colon; i++) {
    const c = s.charCodeAt(i) | 0x20;
    const ok = (c >= 97 && c <= 122) || (i > 0 && ((c >= 48 && c <= 57) || c === 0x2b || c === 0x2d || c === 0x2e));
    if (!ok) return null;
  }
  return s.slice(0, colon).toLowerCase();
}

function formatParams(params: Map<string, string | null>): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}

/** Writes a URI; user and password are %-escaped where RFC 3261 25.1 requires it. */
export function formatUri(u: SipUri): string {
  if (u.scheme === 'tel') return `tel:${u.user ?? ''}${formatParams(u.params)}`;
  let out = `${u.scheme}:`;
  if (u.user !== null) {
    out += escapePercent(u.user, URI_USER);
    if (u.password !== null) out += ':' + escapePercent(u.password, URI_PASSWORD);
    out += '@';
  }
  out += u.host;
  if (u.port !== null) out += `:${u.port}`;
  out += formatParams(u.params);
  let first = true;
  for (const [name, value] of u.headers) {
    out += `${first ? '?' : '&'}${name}=${value}`;
    first = false;
  }
  return out;
}

function decodedEqualCi(a: string | null, b: string | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  const da = unescapePercent(a);
  const db = unescapePercent(b);
  return da !== null && db !== null && da.toLowerCase() === db.toLowerCase();
}

// RFC 3261 19.1.4: these parameters, present in one URI, must be present in the other.
const MUST_MATCH = ['user', 'ttl', 'method', 'maddr', 'transport'];

// RFC 3966 5: visual separators are not significant when comparing telephone numbers.
function telNumber(s: string | null): string {
  return (s ?? '').replace(/[-.()]/g, '').toLowerCase();
}

/** URI equality of RFC 3261 19.1.4 (and RFC 3966 for tel). */
export function uriEquals(a: SipUri, b: SipUri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (a.scheme === 'tel') {
    if (telNumber(a.user) !== telNumber(b.user) || a.params.size !== b.params.size) return false;
    for (const [name, value] of a.params) if (!b.params.has(name) || !decodedEqualCi(value, b.params.get(name)!)) return false;
    return true;
  }
  if (a.user !== b.user || a.password !== b.password) return false;
  if (a.host.toLowerCase() !== b.host.toLowerCase() || a.port !== b.port) return false;
  for (const name of MUST_MATCH) if (a.params.has(name) !== b.params.has(name)) return false;
  for (const [name, value] of a.params) {
    if (b.params.has(name) && !decodedEqualCi(value, b.params.get(name)!)) return false;
  }
  if (a.headers.size !== b.headers.size) return false;
  for (const [name, value] of a.headers) {
    let found = false;
    for (const [otherName, otherValue] of b.headers) {
      if (otherName.toLowerCase() === name.toLowerCase()) {
        found = unescapePercent(value) === unescapePercent(otherValue);
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}
