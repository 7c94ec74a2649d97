// Reads the RTP packets of a classic pcap file (Ethernet or Linux cooked capture, IPv4, UDP): just
// enough of the format (libpcap file header, record headers) to replay recorded streams in tests.
import { readFileSync, writeFileSync } from 'node:fs';

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

/**
 * Writes UDP datagrams from 127.0.0.1 to 127.0.0.1 as a classic pcap file (Ethernet, IPv4, no
 * checksums), one every ms, so that tshark can decode what a test received.
 */
export function writePcapUdp(path: string, packets: readonly { srcPort: number; dstPort: number; data: Uint8Array }[]): void {
  const parts: Buffer[] = [];
  const file = Buffer.alloc(24);
  file.writeUInt32LE(0xa1b2c3d4, 0);
  file.writeUInt16LE(2, 4);
  file.writeUInt16LE(4, 6);
  file.writeUInt32LE(65535, 16);
  file.writeUInt32LE(LINK_ETHERNET, 20);
  parts.push(file);
  packets.forEach((p, i) => {
    const frame = Buffer.alloc(14 + 20 + 8 + p.data.length);
    frame.writeUInt16BE(0x0800, 12);
    const ip = frame.subarray(14);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 8 + p.data.length, 2);
    ip[8] = 64;
    ip[9] = 17;
    ip.set([127, 0, 0, 1, 127, 0, 0, 1], 12);
    const udp = ip.subarray(20);
    udp.writeUInt16BE(p.srcPort, 0);
    udp.writeUInt16BE(p.dstPort, 2);
    udp.writeUInt16BE(8 + p.data.length, 4);
    udp.set(p.data, 8);
    const record = Buffer.alloc(16);
    record.writeUInt32LE(Math.floor(i / 1000), 0);
    record.writeUInt32LE((i % 1000) * 1000, 4);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    parts.push(record, frame);
  });
  writeFileSync(path, Buffer.concat(parts));
}
