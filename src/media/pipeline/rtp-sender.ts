// The RTP stream the PBX itself sends on a decoded leg (RFC 3550 5.1): its own SSRC, a sequence
// number and a timestamp that start at random values and advance by one packet and one 20 ms frame
// at a time. One preallocated packet buffer; the payload is written straight into its tail. It counts
// what it sent for the sender reports of the leg's RTCP (RFC 3550 6.4.1).
import { randomInt } from 'node:crypto';
import { RTP_FIXED_HEADER, RTP_VERSION } from '../rtp.js';
import { MAX_PAYLOAD_BYTES } from '../codec/types.js';

export class RtpSender {
  readonly ssrc = randomInt(1, 2 ** 32 - 1) >>> 0;
  readonly packet = Buffer.alloc(RTP_FIXED_HEADER + MAX_PAYLOAD_BYTES);
  /** Where the payload goes: encode into this, then send(). */
  readonly payload = this.packet.subarray(RTP_FIXED_HEADER);
  sequence = randomInt(0, 0x10000);
  /** The timestamp of the frame being sent now. */
  timestamp = randomInt(0, 2 ** 32 - 1) >>> 0;
  /** RFC 3550 6.4.1: the sender's packet count and octet count (payload octets only). */
  packets = 0;
  octets = 0;
  #first = true;

  constructor() {
    this.packet[0] = RTP_VERSION << 6;
    this.packet.writeUInt32BE(this.ssrc, 8);
  }

  /**
   * Writes the header of the next packet: `payloadType` at `timestamp`, the next sequence number.
   * The marker bit goes on the first packet of the stream (RFC 3551 4.1) or when `marker` is set.
   */
  stamp(payloadType: number, timestamp: number, marker: boolean): void {
    const p = this.packet;
    p[1] = (marker || this.#first ? 0x80 : 0) | (payloadType & 0x7f);
    p[2] = this.sequence >>> 8;
    p[3] = this.sequence & 0xff;
    p.writeUInt32BE(timestamp >>> 0, 4);
    this.sequence = (this.sequence + 1) & 0xffff;
    this.#first = false;
  }

  /** The packet stamped last went out with `payloadBytes` of payload. */
  sent(payloadBytes: number): void {
    this.packets = (this.packets + 1) >>> 0;
    this.octets = (this.octets + payloadBytes) >>> 0;
  }

  /** The timestamp moves on by one frame (every tick, sent or not, so that gaps show as gaps). */
  advance(step: number): void {
    this.timestamp = (this.timestamp + step) >>> 0;
  }
}
