// SRTP (RFC 3711) in src/media/srtp/: the Appendix B vectors, libsrtp's reference packets
// (srtp_validate), round trips of both suites, and the packets a receiver must refuse.
import t from 'tap';
import { AesCounterMode } from '../../src/media/srtp/aes-cm.js';
import { SRTP_AUTH_FAILED, SRTP_MALFORMED, SRTP_REPLAYED, SrtpContext } from '../../src/media/srtp/context.js';
import { deriveSessionKeys } from '../../src/media/srtp/kdf.js';
import { REPLAY_WINDOW } from '../../src/media/srtp/replay.js';
import { srtpSuite, type SrtpSuite } from '../../src/media/srtp/suites.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const SHA1_80 = srtpSuite('AES_CM_128_HMAC_SHA1_80')!;
const SHA1_32 = srtpSuite('AES_CM_128_HMAC_SHA1_32')!;
const MASTER = Buffer.concat([hex('E1F97A0D3E018BE0D64FA32C06DE4139'), hex('0EC675AD498AFEEBB6960B3AABE6')]);

function rtp(seq: number, ssrc = 0x11223344, payload = 160): Buffer {
  const p = Buffer.alloc(12 + payload);
  p[0] = 0x80;
  p[1] = 0;
  p.writeUInt16BE(seq & 0xffff, 2);
  p.writeUInt32BE((seq * 160) >>> 0, 4);
  p.writeUInt32BE(ssrc, 8);
  for (let i = 12; i < p.length; i++) p[i] = (i * 7 + seq) & 0xff;
  return p;
}

/** Protects with one context and hands back a copy of the protected bytes. */
function protect(ctx: SrtpContext, packet: Buffer): Buffer {
  const out = Buffer.alloc(packet.length + SrtpContext.OVERHEAD);
  const n = ctx.protectRtp(packet, packet.length, out);
  return Buffer.from(out.subarray(0, n));
}

t.test('B.2: the AES-CM keystream of session key 2B7E... and salt F0F1...FD matches the RFC', async (t) => {
  const aes = new AesCounterMode(hex('2B7E151628AED2A6ABF7158809CF4F3C'));
  const stream = aes.keystream(hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000'), 48);
  t.equal(stream.toString('hex').toUpperCase(), 'E03EAD0935C95E80E166B16DD92B4EB4' + 'D23513162B02D0F72A43A2FE4A5F97AB' + '41E95B3BB0A2E8DD477901E4FCA894C0');
});

t.test('B.3: the session keys of master key E1F9... and salt 0EC6... match the RFC', async (t) => {
  const k = deriveSessionKeys(SHA1_80, MASTER.subarray(0, 16), MASTER.subarray(16));
  t.equal(k.rtpKey.toString('hex').toUpperCase(), 'C61E7A93744F39EE10734AFE3FF7A087');
  t.equal(k.rtpSalt.toString('hex').toUpperCase(), '30CBBC08863D8C85D49DB34A9AE1');
  t.equal(k.rtpAuthKey.toString('hex').toUpperCase(), 'CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
});

t.test('AES_CM_128_HMAC_SHA1_80 protects the reference RTP and RTCP packets as libsrtp does, and reads them back', async (t) => {
  const sender = new SrtpContext(SHA1_80, MASTER);
  const plain = hex('800f1234decafbadcafebabe' + 'ab'.repeat(16));
  const expected = '800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb';
  t.equal(protect(sender, plain).toString('hex'), expected);
  const rtcp = hex('81c8000bcafebabe' + 'ab'.repeat(16));
  const out = Buffer.alloc(100);
  // RFC 3711 3.4 starts the SRTCP index at 0; libsrtp's reference packet carries index 1.
  t.equal(sender.protectRtcp(rtcp, rtcp.length, out), rtcp.length + 14);
  const n = sender.protectRtcp(rtcp, rtcp.length, out);
  t.equal(out.subarray(0, n).toString('hex'), '81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd54d6c1230798');

  const receiver = new SrtpContext(SHA1_80, MASTER);
  const packet = hex(expected);
  t.equal(receiver.unprotectRtp(packet, packet.length), plain.length);
  t.same(packet.subarray(0, plain.length), plain);
  const srtcp = Buffer.from(out.subarray(0, n));
  t.equal(receiver.unprotectRtcp(srtcp, srtcp.length), rtcp.length);
  t.same(srtcp.subarray(0, rtcp.length), rtcp);
});

for (const suite of [SHA1_80, SHA1_32] as SrtpSuite[]) {
  t.test(`${suite.name}: 70000 packets round-trip across a sequence number wrap (ROC 0 -> 1)`, async (t) => {
    const tx = new SrtpContext(suite, MASTER);
    const rx = new SrtpContext(suite, MASTER);
    let bad = 0;
    for (let i = 0; i < 70000; i++) {
      const plain = rtp(60000 + i);
      const p = protect(tx, plain);
      if (p.length !== plain.length + suite.rtpTagLength) bad++;
      if (rx.unprotectRtp(p, p.length) !== plain.length || !p.subarray(0, plain.length).equals(plain)) bad++;
    }
    t.equal(bad, 0, 'every packet came back as it was');
    t.equal(rx.authFailures + rx.replays, 0);
  });
}

t.test('a tampered packet or one under another key is refused and counted', async (t) => {
  const tx = new SrtpContext(SHA1_80, MASTER);
  const rx = new SrtpContext(SHA1_80, MASTER);
  const p = protect(tx, rtp(1));
  p[20]! ^= 1;
  t.equal(rx.unprotectRtp(p, p.length), SRTP_AUTH_FAILED);
  const other = Buffer.from(MASTER);
  other[0]! ^= 0xff;
  const q = protect(new SrtpContext(SHA1_80, other), rtp(2));
  t.equal(rx.unprotectRtp(q, q.length), SRTP_AUTH_FAILED);
  t.equal(rx.authFailures, 2);
  const plainRtp = rtp(3);
  t.equal(rx.unprotectRtp(plainRtp, plainRtp.length), SRTP_AUTH_FAILED, 'plain RTP is not SRTP');
  t.equal(rx.unprotectRtp(Buffer.alloc(8), 8), SRTP_MALFORMED);
});

t.test('a replayed packet is refused; a late packet inside the window passes once, an older one never', async (t) => {
  const tx = new SrtpContext(SHA1_80, MASTER);
  const rx = new SrtpContext(SHA1_80, MASTER);
  const count = REPLAY_WINDOW + 20;
  const lateAt = count - 10;
  const packets = Array.from({ length: count }, (_, i) => protect(tx, rtp(100 + i)));
  const copies = packets.map((p) => Buffer.from(p));
  let accepted = 0;
  for (let i = 1; i < count; i++) if (i !== lateAt && rx.unprotectRtp(packets[i]!, packets[i]!.length) === 172) accepted++;
  t.equal(accepted, count - 2, 'in-order packets are accepted');
  t.equal(rx.unprotectRtp(packets[lateAt]!, packets[lateAt]!.length), 172, 'a late packet within the window is accepted');
  t.equal(rx.unprotectRtp(copies[lateAt]!, copies[lateAt]!.length), SRTP_REPLAYED, 'the same packet again is a replay');
  t.equal(rx.unprotectRtp(copies[count - 1]!, copies[count - 1]!.length), SRTP_REPLAYED, 'so is the newest one again');
  t.equal(rx.unprotectRtp(copies[0]!, copies[0]!.length), SRTP_REPLAYED, 'a packet older than the window is refused');
  t.equal(rx.replays, 3);
});

t.test('SRTCP: round trip, index replay and tampering refused', async (t) => {
  const tx = new SrtpContext(SHA1_32, MASTER);
  const rx = new SrtpContext(SHA1_32, MASTER);
  const rtcp = hex('80c90001deadbeef');
  const out = Buffer.alloc(64);
  const n = tx.protectRtcp(rtcp, rtcp.length, out);
  t.equal(n, rtcp.length + 4 + 10, 'SRTCP carries the 80-bit tag with either suite');
  const copy = Buffer.from(out.subarray(0, n));
  t.equal(rx.unprotectRtcp(Buffer.from(copy), n), rtcp.length);
  t.equal(rx.unprotectRtcp(Buffer.from(copy), n), SRTP_REPLAYED);
  const n2 = tx.protectRtcp(rtcp, rtcp.length, out);
  out[9]! ^= 0x40;
  t.equal(rx.unprotectRtcp(out, n2), SRTP_AUTH_FAILED);
});
