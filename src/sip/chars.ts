// Character classes of RFC 3261 section 25.1 as 128-entry lookup tables, built once at start-up
// so the scanners test a character with one array read.

function table(chars: string, alnum: boolean): Uint8Array {
  const t = new Uint8Array(128);
  if (alnum) {
    for (let c = 48; c <= 57; c++) t[c] = 1;
    for (let c = 65; c <= 90; c++) t[c] = 1;
    for (let c = 97; c <= 122; c++) t[c] = 1;
  }
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = table("-.!%*_+`'~", true);
/** Characters of a generic-param value that is not quoted: token / host (IPv6 references and bare IPv6). */
export const PARAM_VALUE = table("-.!%*_+`'~:[]", true);
/** user = 1*( unreserved / escaped / user-unreserved ) (RFC 3261 25.1), password adds ":" to nothing, we allow both. */
export const URI_USER = table("-_.!~*'()%&=+$,;?/", true);
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
export const URI_PASSWORD = table("-_.!~*'()%&=+$,", true);
/** paramchar = param-unreserved / unreserved / escaped */
export const URI_PARAM = table("[]/:&+$-_.!~*'()%", true);
/** hname / hvalue = hnv-unreserved / unreserved / escaped */
export const URI_HEADER = table("[]/?:+$-_.!~*'()%", true);
/** hostname characters (alphanum, "-", "."), "_" accepted for robustness. */
export const HOST = table('-._', true);
/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
export const SCHEME = table('+-.', true);

export const SP = 32;
export const HT = 9;
export const CR = 13;
export const LF = 10;

export function inTable(t: Uint8Array, c: number): boolean {
  return c < 128 && t[c] === 1;
}

/** Whether every character of a non-empty string is in the table. */
export function allIn(t: Uint8Array, s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || t[c] !== 1) return false;
  }
  return true;
}

/** Linear white space after unfolding: SP, HTAB (and CR/LF for values built by hand). */
export function isLws(c: number): boolean {
  return c === SP || c === HT || c === CR || c === LF;
}

export function skipLws(s: string, i: number): number {
  while (i < s.length && isLws(s.charCodeAt(i))) i++;
  return i;
}

/** RFC 3261 19.1.2: decodes %HH escapes; null when an escape is malformed. */
export function unescapePercent(s: string): string | null {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return decodeBytes(s);
  }
}

// %-escapes that are not valid UTF-8 (RFC 4475 3.1.1.4 has %00, others may carry raw octets): keep octets as latin1.
function decodeBytes(s: string): string | null {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 37) {
      out += s[i];
      continue;
    }
    const h = hex(s.charCodeAt(i + 1));
    const l = hex(s.charCodeAt(i + 2));
    if (h < 0 || l < 0) return null;
    out += String.fromCharCode(h * 16 + l);
    i += 2;
  }
  return out;
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

const HEX = '0123456789ABCDEF';

/** %-escapes every character not in the table (UTF-8 octets for non-ASCII). */
export function escapePercent(s: string, allowed: Uint8Array): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || allowed[c] !== 1 || c === 37) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b < 128 && allowed[b] === 1 && b !== 37) out += String.fromCharCode(b);
    else out += '%' + HEX[b >> 4]! + HEX[b & 15]!;
  }
  return out;
}
