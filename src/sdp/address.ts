// The PBX behind NAT: its own SDP leaves with the external media address in the origin and
// connection lines (RFC 4566 5.2, 5.7) and an a=rtcp address (RFC 3605) for peers outside the
// local networks.
import { isIP } from 'node:net';

/**
 * `body` with the address `from` in its o=, c= and a=rtcp lines replaced by `to` (the address type
 * follows `to`). The same buffer when there is nothing to replace.
 */
export function withMediaAddress(body: Buffer, from: string, to: string): Buffer {
  if (from === to || body.length === 0) return body;
  const text = body.toString('latin1');
  const fromType = isIP(from) === 6 ? 'IP6' : 'IP4';
  const toType = isIP(to) === 6 ? 'IP6' : 'IP4';
  const needle = ` IN ${fromType} ${from}`;
  let out = '';
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    end = end < 0 ? text.length : end + 1;
    const line = text.slice(start, end);
    const content = line.replace(/\r?\n$/, '');
    if (content === `c=${needle.slice(1)}`) {
      out += `c=IN ${toType} ${to}${line.slice(content.length)}`;
    } else if ((content.startsWith('o=') || content.startsWith('a=rtcp:')) && content.endsWith(needle)) {
      out += `${content.slice(0, content.length - needle.length)} IN ${toType} ${to}${line.slice(content.length)}`;
    } else {
      out += line;
    }
    start = end;
  }
  return out === text ? body : Buffer.from(out, 'latin1');
}
