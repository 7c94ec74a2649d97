// RTP and RTCP header fields (RFC 3550 5.1, 6.4) read straight from the packet, without copies.
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
// |                           timestamp                           |
// |           synchronization source (SSRC) identifier            |

export const RTP_VERSION = 2;
export const RTP_FIXED_HEADER = 12;

export function rtpVersion(p: Uint8Array): number {
  return p[0]! >>> 6;
}

export function rtpPadding(p: Uint8Array): boolean {
  return (p[0]! & 0x20) !== 0;
}

export function rtpExtension(p: Uint8Array): boolean {
  return (p[0]! & 0x10) !== 0;
}

export function rtpCsrcCount(p: Uint8Array): number {
  return p[0]! & 0x0f;
}

export function rtpMarker(p: Uint8Array): boolean {
  return (p[1]! & 0x80) !== 0;
}

export function rtpPayloadType(p: Uint8Array): number {
  return p[1]! & 0x7f;
}

export function rtpSequence(p: Uint8Array): number {
  return (p[2]! << 8) | p[3]!;
}

export function rtpTimestamp(p: Uint8Array): number {
  return ((p[4]! << 24) | (p[5]! << 16) | (p[6]! << 8) | p[7]!) >>> 0;
}

export function rtpSsrc(p: Uint8Array): number {
  return ((p[8]! << 24) | (p[9]! << 16) | (p[10]! << 8) | p[11]!) >>> 0;
}

/** Writes the payload type, keeping the marker bit. */
export function setRtpPayloadType(p: Uint8Array, pt: number): void {
  p[1] = (p[1]! & 0x80) | (pt & 0x7f);
}

/**
 * Length of the header with its CSRC list and extension (RFC 3550 5.3.1), or -1 when the packet
 * is not RTP version 2 or is shorter than its header says.
 */
export function rtpHeaderLength(p: Uint8Array, length: number): number {
  if (length < RTP_FIXED_HEADER || p[0]! >>> 6 !== RTP_VERSION) return -1;
  let n = RTP_FIXED_HEADER + 4 * (p[0]! & 0x0f);
  if ((p[0]! & 0x10) !== 0) {
    if (length < n + 4) return -1;
    n += 4 + 4 * ((p[n + 2]! << 8) | p[n + 3]!);
  }
  return n <= length ? n : -1;
}

/** RFC 3550 6.4: an RTCP compound packet starts with a version 2 header of at least 8 bytes. */
export function isRtcp(p: Uint8Array, length: number): boolean {
  return length >= 8 && p[0]! >>> 6 === RTP_VERSION && p[1]! >= 192 && p[1]! <= 223;
}
