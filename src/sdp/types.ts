// The SDP model (RFC 8866, formerly RFC 4566). The lines the PBX acts on are parsed into fields;
// every other line is kept raw so that a description passes through unchanged.

/** RFC 8866 5.2: o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>. */
export interface Origin {
  username: string;
  /** Kept as text: it is an identifier and may exceed 2^53. */
  sessionId: string;
  /** Kept as text; compare for equality (RFC 3264 8: unchanged version, unchanged description). */
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

/** RFC 8866 5.7: c=<nettype> <addrtype> <connection-address>. */
export interface Connection {
  netType: string;
  addrType: string;
  address: string;
  /** The multicast "/ttl/count" suffix, raw without the first slash; null for unicast. */
  suffix: string | null;
}

/** RFC 8866 6.7: the media direction attributes. */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** RFC 8866 6.6: a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]. */
export interface RtpMap {
  pt: number;
  encoding: string;
  clockRate: number;
  channels: number | null;
}

/** RFC 8866 6.15: a=fmtp:<format> <format specific parameters>. */
export interface Fmtp {
  format: string;
  params: string;
}

/** RFC 3605: a=rtcp:<port> [<nettype> <addrtype> <connection-address>]. */
export interface RtcpAttribute {
  port: number;
  connection: Connection | null;
}

/** An attribute the PBX does not interpret: a=<name>[:<value>]. */
export interface Attribute {
  name: string;
  value: string | null;
}

/** A line kept as it is, e.g. i=, u=, e=, p=, t=, r=, z=, k=, b=. */
export interface Field {
  type: string;
  value: string;
}

/** RFC 8866 5.14: one m= section with its lines. */
export interface MediaSection {
  media: string;
  port: number;
  /** The "/<number of ports>" of m=, null when absent. */
  portCount: number | null;
  proto: string;
  formats: string[];
  /** i=, b= and k= lines of this section, in order. */
  fields: Field[];
  connection: Connection | null;
  rtpmaps: RtpMap[];
  fmtps: Fmtp[];
  ptime: number | null;
  rtcp: RtcpAttribute | null;
  /** The direction attribute written in this section, null when none is. */
  direction: Direction | null;
  attributes: Attribute[];
}

/** A whole session description. */
export interface Sdp {
  version: number;
  origin: Origin;
  sessionName: string;
  /** Session-level lines between s= and c= (i=, u=, e=, p=). */
  info: Field[];
  connection: Connection | null;
  /** Session-level b=, t=, r=, z=, k= lines, in order. */
  timing: Field[];
  /** The session-level direction attribute, null when none is written. */
  direction: Direction | null;
  attributes: Attribute[];
  media: MediaSection[];
}

export const DIRECTIONS: readonly Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

/** RFC 3264 5.1: the direction of a stream, from the media level, then the session level. */
export function effectiveDirection(sdp: Sdp, m: MediaSection): Direction {
  return m.direction ?? sdp.direction ?? 'sendrecv';
}

/** The connection a stream uses: its own c=, else the session's. */
export function effectiveConnection(sdp: Sdp, m: MediaSection): Connection | null {
  return m.connection ?? sdp.connection;
}

/** An m= section holding its m= line alone: no c=, attributes or other lines yet. */
export function bareSection(media: string, port: number, portCount: number | null, proto: string, formats: string[]): MediaSection {
  return {
    media,
    port,
    portCount,
    proto,
    formats,
    fields: [],
    connection: null,
    rtpmaps: [],
    fmtps: [],
    ptime: null,
    rtcp: null,
    direction: null,
    attributes: [],
  };
}
