// Byte-level scanning shared by the datagram parser and the stream framer: where the header block
// of a message ends, and its Content-Length, read straight from the bytes.

import { CR, HT, LF, SP } from './chars.js';

/**
 * Index of the first body byte of the message starting at `from`: just after the empty line that
 * ends the headers (CRLF CRLF, bare LF tolerated). -1 when the empty line has not arrived.
 */
export function findHeaderEnd(buf: Buffer, from: number): number {
  let lf = buf.indexOf(LF, from);
  while (lf >= 0) {
    const next = lf + 1;
    if (next < buf.length) {
      const c = buf[next]!;
      if (c === LF) return next + 1;
      if (c === CR && next + 1 < buf.length && buf[next + 1] === LF) return next + 2;
    }
    lf = buf.indexOf(LF, next);
  }
  return -1;
}

/** Content-Length absent. */
export const CL_ABSENT = -1;
/** Content-Length malformed, too large, or given twice with different values (RFC 4475 3.3.9). */
export const CL_INVALID = -2;

/** Largest Content-Length accepted: no SIP message is larger than this. */
export const CL_MAX = 0x7fffffff;

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

// Whether the header line at `i` is named Content-Length (or compact `l`); index of the colon or -1.
function contentLengthColon(buf: Buffer, i: number, end: number): number {
  const NAME = 'content-length';
  let j = i;
  if (j < end && lower(buf[j]!) === 108 /* l */) {
    let k = j + 1;
    while (k < end && (buf[k] === SP || buf[k] === HT)) k++;
    if (k < end && buf[k] === 58) return k;
  }
  for (let n = 0; n < NAME.length; n++, j++) {
    if (j >= end || lower(buf[j]!) !== NAME.charCodeAt(n)) return -1;
  }
  while (j < end && (buf[j] === SP || buf[j] === HT)) j++;
  return j < end && buf[j] === 58 ? j : -1;
}

/**
 * The Content-Length of the header block buf[start, end): CL_ABSENT, CL_INVALID or the value.
 * Reads values folded onto continuation lines too.
 */
export function scanContentLength(buf: Buffer, start: number, end: number): number {
  let result = CL_ABSENT;
  let line = start;
  while (line < end) {
    let lf = buf.indexOf(LF, line);
    if (lf < 0 || lf >= end) lf = end;
    const colon = line === start ? -1 : contentLengthColon(buf, line, lf);
    if (colon >= 0) {
      let i = colon + 1;
      let value = -1;
      for (; i < end; i++) {
        const c = buf[i]!;
        if (c >= 48 && c <= 57) {
          value = value < 0 ? c - 48 : value * 10 + (c - 48);
          if (value > CL_MAX) return CL_INVALID;
        } else if (c === SP || c === HT || c === CR) {
          if (value >= 0) break;
        } else if (c === LF) {
          if (value >= 0 || i + 1 >= end || (buf[i + 1] !== SP && buf[i + 1] !== HT)) break;
        } else return CL_INVALID;
      }
      while (i < end && (buf[i] === SP || buf[i] === HT || buf[i] === CR)) i++;
      if (value < 0 || (i < end && buf[i] !== LF)) return CL_INVALID;
      if (result !== CL_ABSENT && result !== value) return CL_INVALID;
      result = value;
      lf = i;
    }
    line = lf + 1;
  }
  return result;
}
