// Writes a SIP message to bytes (RFC 3261 section 7): start line, one line per header value in
// order with canonical names, Content-Length computed from the body, empty line, body.

import { headerDisplayName, type SipMessage } from './message.js';
import { PbxError } from '../util/errors.js';

// Wire spellings by key, computed once per key. Bounded: keys may come from the network.
const DISPLAY = new Map<string, string>();
const DISPLAY_MAX = 1024;

function displayName(key: string): string {
  let name = DISPLAY.get(key);
  if (name === undefined) {
    name = headerDisplayName(key);
    if (DISPLAY.size < DISPLAY_MAX) DISPLAY.set(key, name);
  }
  return name;
}

/**
 * Serializes a message. Content-Length is set from the body, in place of the first
 * Content-Length line or at the end. A header value with CR or LF throws
 * PBX_ERR_SIP_HEADER_INJECTION: it would forge header lines.
 */
export function serialize(msg: SipMessage): Buffer {
  let head =
    msg.kind === 'request'
      ? `${msg.method} ${msg.uri} ${msg.version}\r\n`
      : `${msg.version} ${msg.status} ${msg.reason}\r\n`;
  const h = msg.headers;
  const bodyLength = msg.body.length;
  let lengthWritten = false;
  for (let i = 0; i < h.size; i++) {
    const key = h.nameAt(i);
    if (key === 'content-length') {
      if (!lengthWritten) head += `Content-Length: ${bodyLength}\r\n`;
      lengthWritten = true;
      continue;
    }
    const value = h.valueAt(i);
    if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
      throw new PbxError('PBX_ERR_SIP_HEADER_INJECTION', `header ${displayName(key)} has a line break in its value`);
    }
    head += `${displayName(key)}: ${value}\r\n`;
  }
  if (!lengthWritten) head += `Content-Length: ${bodyLength}\r\n`;
  head += '\r\n';
  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLength + bodyLength);
  out.write(head, 0, headLength, 'utf8');
  if (bodyLength > 0) msg.body.copy(out, headLength);
  return out;
}
