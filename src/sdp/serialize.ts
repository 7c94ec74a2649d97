// SDP serializer (RFC 8866 5: lines in the grammar's order, CRLF after each).
import type { Attribute, Connection, Field, MediaSection, Sdp } from './types.js';

export function serializeSdp(sdp: Sdp): string {
  const o = sdp.origin;
  let out = `v=${sdp.version}\r\n`;
  out += `o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}\r\n`;
  out += `s=${sdp.sessionName}\r\n`;
  out += fields(sdp.info);
  if (sdp.connection !== null) out += `c=${connection(sdp.connection)}\r\n`;
  const timing = sdp.timing.some((f) => f.type === 't') ? sdp.timing : [...sdp.timing, { type: 't', value: '0 0' }];
  out += fields(timing);
  out += attributes(sdp.attributes);
  if (sdp.direction !== null) out += `a=${sdp.direction}\r\n`;
  for (const m of sdp.media) out += mediaSection(m);
  return out;
}

function connection(c: Connection): string {
  return `${c.netType} ${c.addrType} ${c.address}${c.suffix === null ? '' : `/${c.suffix}`}`;
}

function fields(list: Field[]): string {
  let out = '';
  for (const f of list) out += `${f.type}=${f.value}\r\n`;
  return out;
}

function attributes(list: Attribute[]): string {
  let out = '';
  for (const a of list) out += a.value === null ? `a=${a.name}\r\n` : `a=${a.name}:${a.value}\r\n`;
  return out;
}

function mediaSection(m: MediaSection): string {
  const port = m.portCount === null ? `${m.port}` : `${m.port}/${m.portCount}`;
  let out = `m=${m.media} ${port} ${m.proto}${m.formats.length > 0 ? ' ' + m.formats.join(' ') : ''}\r\n`;
  // RFC 8866 5: i=, c=, b=, k= then attributes.
  out += fields(m.fields.filter((f) => f.type === 'i'));
  if (m.connection !== null) out += `c=${connection(m.connection)}\r\n`;
  out += fields(m.fields.filter((f) => f.type !== 'i'));
  const written = new Set<string>();
  for (const r of m.rtpmaps) {
    out += `a=rtpmap:${r.pt} ${r.encoding}/${r.clockRate}${r.channels === null ? '' : `/${r.channels}`}\r\n`;
    for (const f of m.fmtps) {
      if (f.format === String(r.pt)) out += `a=fmtp:${f.format} ${f.params}\r\n`;
    }
    written.add(String(r.pt));
  }
  for (const f of m.fmtps) if (!written.has(f.format)) out += `a=fmtp:${f.format} ${f.params}\r\n`;
  if (m.ptime !== null) out += `a=ptime:${m.ptime}\r\n`;
  if (m.rtcp !== null) {
    out += `a=rtcp:${m.rtcp.port}${m.rtcp.connection === null ? '' : ' ' + connection(m.rtcp.connection)}\r\n`;
  }
  out += attributes(m.attributes);
  if (m.direction !== null) out += `a=${m.direction}\r\n`;
  return out;
}
