// The SIP message parser (RFC 3261 sections 7, 20 and 25): start line, headers unfolded and kept
// raw, the headers every element needs checked (To, From, Call-ID, CSeq, Via, Content-Length),
// the body as a view of the input. Outcomes follow RFC 4475: a malformed request gives 400 (505 for
// another SIP version) with what could be read, so the transport can answer; a malformed response
// is dropped.

import { Headers, SipRequest, SipResponse, headerKey, type SipMessage } from './message.js';
import { HT, SP, TOKEN, allIn } from './chars.js';
import { parseCSeq, parseNameAddr, parseVia, splitList } from './grammar.js';
import { parseUri, uriScheme } from './uri.js';
import { CL_MAX, findHeaderEnd } from './wire.js';

export type ParseResult =
  | { ok: true; message: SipMessage }
  | {
      ok: false;
      /** The status to answer a request with: 400, 505, 513. */
      status: number;
      reason: string;
      /** What could be read of a request (start line and headers), to answer it; null for responses and hopeless input. */
      request: SipRequest | null;
    };

export interface ParseOptions {
  /** The message came from a stream (TCP, TLS): Content-Length is mandatory (RFC 3261 18.3). */
  stream?: boolean;
  /** Largest message accepted, in bytes (default 65535); larger ones give 513. */
  maxSize?: number;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 65535;

const CR = 13;
const LF = 10;

// Header keys by wire spelling, so that a known name costs one map lookup. Bounded: names come from the network.
const KEY_CACHE = new Map<string, string>();
const KEY_CACHE_MAX = 1024;

function keyOf(name: string): string | null {
  const cached = KEY_CACHE.get(name);
  if (cached !== undefined) return cached;
  if (!allIn(TOKEN, name)) return null;
  const key = headerKey(name);
  if (KEY_CACHE.size < KEY_CACHE_MAX) KEY_CACHE.set(name, key);
  return key;
}

function failure(status: number, reason: string, request: SipRequest | null): ParseResult {
  return { ok: false, status, reason, request };
}

function trimEndWs(s: string, start: number, end: number): number {
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c !== SP && c !== HT && c !== CR) break;
    end--;
  }
  return end;
}

function skipWs(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== SP && c !== HT) break;
    i++;
  }
  return i;
}

// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, case-insensitive (RFC 3261 7.1).
const VERSION_OK = 0;
const VERSION_OTHER = 1;
const VERSION_BAD = 2;
function checkVersion(v: string): number {
  if (v.length < 7 || v.slice(0, 4).toUpperCase() !== 'SIP/') return VERSION_BAD;
  const dot = v.indexOf('.', 4);
  if (dot < 5 || dot === v.length - 1) return VERSION_BAD;
  for (let i = 4; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (i !== dot && (c < 48 || c > 57)) return VERSION_BAD;
  }
  return v === 'SIP/2.0' || v.toUpperCase() === 'SIP/2.0' ? VERSION_OK : VERSION_OTHER;
}

// Counts of the headers that must appear exactly once (RFC 3261 8.1.1, RFC 4475 3.3.8).
class Seen {
  to = 0;
  from = 0;
  callId = 0;
  cseq = 0;
  via = 0;
  contentLength = 0;
}

/**
 * Parses one message: a UDP datagram, or one message cut from a stream by StreamFramer
 * (`stream: true`). Never throws.
 */
export function parseMessage(buf: Buffer, opts?: ParseOptions): ParseResult {
  const stream = opts?.stream === true;
  const maxSize = opts?.maxSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  if (buf.length > maxSize) return failure(513, 'Message Too Large', null);
  let start = 0;
  // RFC 3261 7.5: CRLFs before the start line are ignored.
  while (start < buf.length && (buf[start] === CR || buf[start] === LF)) start++;
  const bodyStart = findHeaderEnd(buf, start);
  const headEnd = bodyStart < 0 ? buf.length : bodyStart;
  const text = buf.toString('utf8', start, headEnd);

  // RFC 3261 7.3.1: CR only as part of CRLF; a bare CR would let a value forge a line when written out.
  for (let cr = text.indexOf('\r'); cr >= 0; cr = text.indexOf('\r', cr + 2)) {
    if (text.charCodeAt(cr + 1) !== LF) return failure(400, 'Bare CR in the headers', null);
  }
  let lineEnd = text.indexOf('\n');
  if (lineEnd < 0) lineEnd = text.length;
  const firstLine = text.slice(0, trimEndCr(text, lineEnd));

  let request: SipRequest | null = null;
  let response: SipResponse | null = null;
  let status = 0;
  let reason = '';
  if (firstLine.length > 4 && firstLine.slice(0, 4).toUpperCase() === 'SIP/') {
    response = parseStatusLine(firstLine);
    if (response === null) return failure(400, 'Malformed Status-Line', null);
  } else {
    const sp1 = firstLine.indexOf(' ');
    const method = sp1 < 0 ? '' : firstLine.slice(0, sp1);
    if (!allIn(TOKEN, method)) return failure(400, 'Malformed Request-Line', null);
    const sp2 = firstLine.indexOf(' ', sp1 + 1);
    const uri = sp2 < 0 ? firstLine.slice(sp1 + 1) : firstLine.slice(sp1 + 1, sp2);
    const version = sp2 < 0 ? '' : firstLine.slice(sp2 + 1);
    request = new SipRequest(method, uri);
    const v = checkVersion(version);
    if (v === VERSION_BAD || !requestUriOk(uri)) {
      status = 400;
      reason = 'Malformed Request-Line';
    } else if (v === VERSION_OTHER) {
      status = 505;
      reason = 'Version Not Supported';
    } else request.version = 'SIP/2.0';
  }
  const message: SipMessage = request ?? response!;
  const headers = message.headers;
  const seen = new Seen();

  // Header lines; a line starting with SP or HT continues the previous one (RFC 3261 7.3.1).
  let p = lineEnd + 1;
  const n = text.length;
  // The next ':' at or after p, found once and reused by the lines before it, so that lines
  // without a colon cost no rescanning.
  let colon = -1;
  while (p < n) {
    let nl = text.indexOf('\n', p);
    if (nl < 0) nl = n;
    const end = trimEndCr(text, nl);
    if (end === p) break;
    if (colon < p) {
      colon = text.indexOf(':', p);
      if (colon < 0) colon = n;
    }
    let next = nl + 1;
    if (colon > end) {
      if (status === 0) {
        status = 400;
        reason = 'Malformed header line';
      }
      p = next;
      continue;
    }
    const key = keyOf(text.slice(p, trimEndWs(text, p, colon)));
    let value = text.slice(skipWs(text, colon + 1, end), trimEndWs(text, colon + 1, end));
    while (next < n && (text.charCodeAt(next) === SP || text.charCodeAt(next) === HT)) {
      let nl2 = text.indexOf('\n', next);
      if (nl2 < 0) nl2 = n;
      const part = text.slice(skipWs(text, next, nl2), trimEndWs(text, next, nl2));
      if (part !== '') value = value === '' ? part : `${value} ${part}`;
      next = nl2 + 1;
    }
    p = next;
    if (key === null) {
      if (status === 0) {
        status = 400;
        reason = 'Malformed header name';
      }
      continue;
    }
    switch (key) {
      case 'to':
        seen.to++;
        break;
      case 'from':
        seen.from++;
        break;
      case 'call-id':
        seen.callId++;
        break;
      case 'cseq':
        seen.cseq++;
        break;
      case 'via':
        seen.via++;
        break;
      case 'content-length':
        seen.contentLength++;
        break;
    }
    headers.add(key, value);
  }
  if (status === 0 && bodyStart < 0) {
    status = 400;
    reason = 'No empty line after the headers';
  }
  if (status === 0) {
    reason = checkHeaders(message, seen);
    if (reason !== '') status = 400;
  }
  let contentLength = -1;
  if (status === 0 && seen.contentLength > 0) {
    contentLength = contentLengthOf(headers);
    if (contentLength < 0) {
      status = 400;
      reason = contentLength === CL_CONFLICT ? 'Conflicting Content-Length values' : 'Malformed Content-Length';
    } else if (bodyStart + contentLength > buf.length) {
      status = 400;
      reason = 'Content-Length larger than the message';
    }
  } else if (status === 0 && stream) {
    status = 400;
    reason = 'Content-Length required on a stream';
  }
  if (status !== 0) return failure(status, reason, request);
  message.body = contentLength < 0 ? buf.subarray(bodyStart) : buf.subarray(bodyStart, bodyStart + contentLength);
  return { ok: true, message };
}

function trimEndCr(s: string, end: number): number {
  return end > 0 && s.charCodeAt(end - 1) === CR ? end - 1 : end;
}

// Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 7.2); the reason may be empty.
function parseStatusLine(line: string): SipResponse | null {
  const sp1 = line.indexOf(' ');
  if (sp1 < 0 || checkVersion(line.slice(0, sp1)) !== VERSION_OK) return null;
  const codeEnd = sp1 + 4;
  if (line.length < codeEnd || (line.length > codeEnd && line.charCodeAt(codeEnd) !== SP)) return null;
  let code = 0;
  for (let i = sp1 + 1; i < codeEnd; i++) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) return null;
    code = code * 10 + (c - 48);
  }
  if (code < 100 || code > 699) return null;
  return new SipResponse(code, line.slice(Math.min(codeEnd + 1, line.length)));
}

// Request-URI (RFC 3261 7.1, 19.1.1): an absolute URI without white space or brackets; a sip/sips
// URI must parse and carry no headers (RFC 4475 3.1.2.11). Other schemes pass: the TU answers 416.
function requestUriOk(uri: string): boolean {
  const scheme = uriScheme(uri);
  if (scheme === null || uri.length === scheme.length + 1) return false;
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c <= 32 || c === 60 || c === 62 || c === 34 || c === 127) return false;
  }
  if (scheme !== 'sip' && scheme !== 'sips') return true;
  const u = parseUri(uri);
  return u !== null && u.headers.size === 0;
}

// The checks of RFC 3261 8.1.1 and 8.2 that an element needs before it can route or answer.
// Returns '' when the message is fine, else the reason for the 400.
function checkHeaders(message: SipMessage, seen: Seen): string {
  if (seen.to !== 1) return seen.to === 0 ? 'Missing To' : 'More than one To';
  if (seen.from !== 1) return seen.from === 0 ? 'Missing From' : 'More than one From';
  if (seen.callId !== 1) return seen.callId === 0 ? 'Missing Call-ID' : 'More than one Call-ID';
  if (seen.cseq !== 1) return seen.cseq === 0 ? 'Missing CSeq' : 'More than one CSeq';
  if (seen.via === 0) return 'Missing Via';
  const h = message.headers;
  if (parseNameAddr(h.get('to')!) === null) return 'Malformed To';
  if (parseNameAddr(h.get('from')!) === null) return 'Malformed From';
  const callId = h.get('call-id')!;
  if (callId === '' || callId.indexOf(' ') >= 0) return 'Malformed Call-ID';
  const cseq = parseCSeq(h.get('cseq')!);
  if (cseq === null) return 'Malformed CSeq';
  if (message.kind === 'request' && cseq.method !== message.method) return 'CSeq method does not match the Request-Line';
  for (let i = 0; i < h.size; i++) {
    const key = h.nameAt(i);
    if (key === 'via') {
      const vias = splitList(h.valueAt(i));
      if (vias.length === 0) return 'Malformed Via';
      for (const via of vias) if (parseVia(via) === null) return 'Malformed Via';
    } else if (key === 'contact') {
      const value = h.valueAt(i);
      if (value === '*') continue;
      const contacts = splitList(value);
      if (contacts.length === 0) return 'Malformed Contact';
      for (const contact of contacts) if (parseNameAddr(contact) === null) return 'Malformed Contact';
    }
  }
  return '';
}

const CL_CONFLICT = -2;

// The one Content-Length value (all lines must agree, RFC 4475 3.3.9), -1 if malformed, CL_CONFLICT.
function contentLengthOf(h: Headers): number {
  let result = -1;
  for (let i = 0; i < h.size; i++) {
    if (h.nameAt(i) !== 'content-length') continue;
    const v = h.valueAt(i);
    if (v.length === 0 || v.length > 10) return -1;
    let n = 0;
    for (let j = 0; j < v.length; j++) {
      const c = v.charCodeAt(j);
      if (c < 48 || c > 57) return -1;
      n = n * 10 + (c - 48);
    }
    if (n > CL_MAX) return -1;
    if (result >= 0 && result !== n) return CL_CONFLICT;
    result = n;
  }
  return result;
}
