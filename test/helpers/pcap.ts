// Reads the RTP packets of a classic pcap file (Ethernet or Linux cooked capture, IPv4, UDP): just
// enough of the format (libpcap file header, record headers) to replay recorded streams in tests.
import { readFileSync } from 'node:fs';

export interface PcapPacket {
  /** Capture time relative to the first packet, ms. */
  timeMs: number;
  srcPort: number;
  dstPort: number;
  /** The UDP payload. */
  data: Uint8Array;
}

const LINK_ETHERNET = 1;
const LINK_LINUX_SLL = 113;

export function readPcapUdp(path: string): PcapPacket[] {
  const buf = readFileSync(path);
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${path}: not a pcap file`);
  const nano = (le ? magic : buf.readUInt32BE(0)) === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const link = u32(20);
  const linkHeader = link === LINK_ETHERNET ? 14 : link === LINK_LINUX_SLL ? 16 : -1;
  if (linkHeader < 0) throw new Error(`${path}: link type ${link} not supported`);
  const out: PcapPacket[] = [];
  let first = -1;
  for (let o = 24; o + 16 <= buf.length; ) {
    const sec = u32(o);
    const frac = u32(o + 4);
    const incl = u32(o + 8);
    const frame = buf.subarray(o + 16, o + 16 + incl);
    o += 16 + incl;
    const ip = frame.subarray(linkHeader);
    if (ip.length < 20 || ip[0]! >>> 4 !== 4 || ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0]! & 0x0f) * 4);
    const udpLength = udp.readUInt16BE(4);
    const t = sec * 1000 + frac / (nano ? 1e6 : 1e3);
    if (first < 0) first = t;
    out.push({ timeMs: t - first, srcPort: udp.readUInt16BE(0), dstPort: udp.readUInt16BE(2), data: new Uint8Array(udp.subarray(8, udpLength)) });
  }
  return out;
}
