// SDP parser (RFC 8866 section 5 and 9). Strict where the PBX depends on a line (v=, o=, m=, c=,
// the attributes it interprets), lenient elsewhere: unknown lines and attributes are kept raw.
// Bad input throws SdpError, never anything else.
import { PbxError } from '../util/errors.js';
import type {
  Attribute,
  Connection,
  Direction,
  Field,
  MediaSection,
  Origin,
  RtcpAttribute,
  RtpMap,
  Sdp,
} from './types.js';
import { bareSection, DIRECTIONS } from './types.js';

/** A session description that cannot be parsed. `line` is 1-based, 0 when not about one line. */
export class SdpError extends PbxError {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super('PBX_ERR_SDP_SYNTAX', line > 0 ? `SDP line ${line}: ${message}` : `SDP: ${message}`);
    this.name = 'SdpError';
  }
}

/** The longest body accepted; a SIP message is smaller anyway. */
const MAX_SDP_LENGTH = 64 * 1024;
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
const DIGITS = /^[0-9]+$/;

export function parseSdp(input: string | Buffer): Sdp {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  if (text.length > MAX_SDP_LENGTH) throw new SdpError(`longer than ${MAX_SDP_LENGTH} bytes`, 0);
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new SdpError('empty description', 0);

  let version = -1;
  let origin: Origin | null = null;
  let sessionName: string | null = null;
  const sdp: Sdp = {
    version: 0,
    origin: { username: '-', sessionId: '0', sessionVersion: '0', netType: 'IN', addrType: 'IP4', address: '' },
    sessionName: '',
    info: [],
    connection: null,
    timing: [],
    direction: null,
    attributes: [],
    media: [],
  };
  let m: MediaSection | null = null;

  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i]!;
    if (line.length < 2 || line.charCodeAt(1) !== 0x3d /* = */) {
      throw new SdpError(`not a "<type>=<value>" line: ${JSON.stringify(line.slice(0, 40))}`, n);
    }
    const type = line[0]!;
    const value = line.slice(2);
    if (i === 0 && type !== 'v') throw new SdpError('the first line must be v=', n);
    switch (type) {
      case 'v':
        if (i !== 0) throw new SdpError('v= only as the first line', n);
        if (value !== '0') throw new SdpError(`unsupported version ${JSON.stringify(value)}`, n);
        version = 0;
        break;
      case 'o':
        if (origin !== null || m !== null) throw new SdpError('o= only once, at the session level', n);
        origin = parseOrigin(value, n);
        break;
      case 's':
        if (sessionName !== null || m !== null) throw new SdpError('s= only once, at the session level', n);
        sessionName = value;
        break;
      case 'c': {
        const c = parseConnection(value, n);
        if (m !== null) {
          if (m.connection !== null) throw new SdpError('a second c= in one media section', n);
          m.connection = c;
        } else {
          if (sdp.connection !== null) throw new SdpError('a second session-level c=', n);
          sdp.connection = c;
        }
        break;
      }
      case 'm':
        m = parseMediaLine(value, n);
        sdp.media.push(m);
        break;
      case 'a':
        parseAttribute(value, n, sdp, m);
        break;
      case 'i':
      case 'b':
      case 'k':
        if (m !== null) m.fields.push({ type, value });
        else if (type === 'i') sdp.info.push({ type, value });
        else sdp.timing.push({ type, value });
        break;
      case 'u':
      case 'e':
      case 'p':
        if (m !== null) throw new SdpError(`${type}= only at the session level`, n);
        sdp.info.push({ type, value });
        break;
      case 't':
      case 'r':
      case 'z':
        if (m !== null) throw new SdpError(`${type}= only at the session level`, n);
        sdp.timing.push({ type, value });
        break;
      default:
        if (type < 'a' || type > 'z') throw new SdpError(`bad line type ${JSON.stringify(type)}`, n);
        // RFC 8866 5: unknown types are ignored; keep them with the section they belong to.
        if (m !== null) m.fields.push({ type, value });
        else sdp.timing.push({ type, value });
    }
  }
  if (version !== 0) throw new SdpError('missing v=0', 1);
  if (origin === null) throw new SdpError('missing o=', 0);
  if (sessionName === null) throw new SdpError('missing s=', 0);
  sdp.origin = origin;
  sdp.sessionName = sessionName;
  return sdp;
}

function parseOrigin(value: string, n: number): Origin {
  const p = value.split(' ');
  if (p.length !== 6 || p.some((x) => x === '')) throw new SdpError('o= needs 6 fields', n);
  const [username, sessionId, sessionVersion, netType, addrType, address] = p as [
    string, string, string, string, string, string,
  ];
  if (!DIGITS.test(sessionId) || !DIGITS.test(sessionVersion)) {
    throw new SdpError('o= session id and version must be numbers', n);
  }
  return { username, sessionId, sessionVersion, netType, addrType, address };
}

function parseConnection(value: string, n: number): Connection {
  const p = value.split(' ');
  if (p.length !== 3 || p.some((x) => x === '')) throw new SdpError('c= needs 3 fields', n);
  const [netType, addrType, full] = p as [string, string, string];
  if (!TOKEN.test(netType) || !TOKEN.test(addrType)) throw new SdpError('bad c= network or address type', n);
  const slash = full.indexOf('/');
  const address = slash < 0 ? full : full.slice(0, slash);
  if (address === '') throw new SdpError('empty c= address', n);
  return { netType, addrType, address, suffix: slash < 0 ? null : full.slice(slash + 1) };
}

function parsePort(text: string, n: number, what: string): number {
  if (!DIGITS.test(text) || text.length > 5) throw new SdpError(`bad ${what} ${JSON.stringify(text)}`, n);
  const port = Number(text);
  if (port > 65535) throw new SdpError(`${what} ${port} out of range`, n);
  return port;
}

function parseMediaLine(value: string, n: number): MediaSection {
  const p = value.split(' ');
  if (p.length < 3 || p.some((x) => x === '')) throw new SdpError('m= needs media, port and proto', n);
  const [media, portText, proto] = p as [string, string, string];
  if (!TOKEN.test(media)) throw new SdpError('bad m= media type', n);
  const slash = portText.indexOf('/');
  const port = parsePort(slash < 0 ? portText : portText.slice(0, slash), n, 'm= port');
  let portCount: number | null = null;
  if (slash >= 0) {
    const c = portText.slice(slash + 1);
    if (!DIGITS.test(c) || c.length > 5) throw new SdpError('bad m= number of ports', n);
    portCount = Number(c);
  }
  if (!/^[A-Za-z0-9/_.-]+$/.test(proto)) throw new SdpError('bad m= proto', n);
  return bareSection(media, port, portCount, proto, p.slice(3));
}

function parsePayloadType(text: string, n: number): number {
  if (!DIGITS.test(text) || text.length > 3 || Number(text) > 127) {
    throw new SdpError(`bad payload type ${JSON.stringify(text)}`, n);
  }
  return Number(text);
}

function parseRtpmap(value: string, n: number): RtpMap {
  const sp = value.indexOf(' ');
  if (sp < 0) throw new SdpError('a=rtpmap needs "<pt> <encoding>/<clock rate>"', n);
  const pt = parsePayloadType(value.slice(0, sp), n);
  const parts = value.slice(sp + 1).trim().split('/');
  const [encoding, rate, channels] = parts;
  if (parts.length > 3 || !encoding || !rate || !DIGITS.test(rate) || (channels !== undefined && !DIGITS.test(channels))) {
    throw new SdpError('a=rtpmap needs "<pt> <encoding>/<clock rate>[/<channels>]"', n);
  }
  return { pt, encoding, clockRate: Number(rate), channels: channels === undefined ? null : Number(channels) };
}

function parseRtcp(value: string, n: number): RtcpAttribute {
  const sp = value.indexOf(' ');
  if (sp < 0) return { port: parsePort(value.trim(), n, 'a=rtcp port'), connection: null };
  return { port: parsePort(value.slice(0, sp), n, 'a=rtcp port'), connection: parseConnection(value.slice(sp + 1), n) };
}

function parseAttribute(value: string, n: number, sdp: Sdp, m: MediaSection | null): void {
  const colon = value.indexOf(':');
  const name = colon < 0 ? value : value.slice(0, colon);
  const arg = colon < 0 ? null : value.slice(colon + 1);
  if (!TOKEN.test(name)) throw new SdpError(`bad attribute name ${JSON.stringify(name)}`, n);
  if (arg === null && (DIRECTIONS as readonly string[]).includes(name)) {
    if (m !== null) m.direction = name as Direction;
    else sdp.direction = name as Direction;
    return;
  }
  if (m !== null && arg !== null) {
    switch (name) {
      case 'rtpmap':
        m.rtpmaps.push(parseRtpmap(arg, n));
        return;
      case 'fmtp': {
        const sp = arg.indexOf(' ');
        if (sp <= 0) throw new SdpError('a=fmtp needs "<format> <parameters>"', n);
        m.fmtps.push({ format: arg.slice(0, sp), params: arg.slice(sp + 1) });
        return;
      }
      case 'ptime': {
        const t = Number(arg.trim());
        if (!Number.isFinite(t) || t <= 0) throw new SdpError(`bad a=ptime ${JSON.stringify(arg)}`, n);
        m.ptime = t;
        return;
      }
      case 'rtcp':
        m.rtcp = parseRtcp(arg, n);
        return;
    }
  }
  const attr: Attribute = { name, value: arg };
  (m !== null ? m.attributes : sdp.attributes).push(attr);
}
