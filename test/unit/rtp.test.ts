import t from 'tap';
import {
  isRtcp,
  rtpCsrcCount,
  rtpExtension,
  rtpHeaderLength,
  rtpMarker,
  rtpPadding,
  rtpPayloadType,
  rtpSequence,
  rtpSsrc,
  rtpTimestamp,
  rtpVersion,
  setRtpPayloadType,
} from '../../src/media/rtp.js';
import { PortPool } from '../../src/media/ports.js';

// RTP version 2, marker, PT 101, seq 0xfffe, ts 0xdeadbeef, SSRC 0x89abcdef, then a payload.
const packet = (): Buffer =>
  Buffer.from([0x80, 0xe5, 0xff, 0xfe, 0xde, 0xad, 0xbe, 0xef, 0x89, 0xab, 0xcd, 0xef, 1, 2, 3, 4]);

t.test('RTP fixed header fields are read straight from the packet', async (t) => {
  const p = packet();
  t.equal(rtpVersion(p), 2);
  t.equal(rtpPadding(p), false);
  t.equal(rtpExtension(p), false);
  t.equal(rtpCsrcCount(p), 0);
  t.equal(rtpMarker(p), true);
  t.equal(rtpPayloadType(p), 101);
  t.equal(rtpSequence(p), 0xfffe);
  t.equal(rtpTimestamp(p), 0xdeadbeef, 'timestamps above 2^31 stay positive');
  t.equal(rtpSsrc(p), 0x89abcdef);
  t.equal(rtpHeaderLength(p, p.length), 12);
});

t.test('rewriting the payload type keeps the marker bit and the rest', async (t) => {
  const p = packet();
  setRtpPayloadType(p, 96);
  t.equal(rtpPayloadType(p), 96);
  t.equal(rtpMarker(p), true);
  t.same(p.subarray(2), packet().subarray(2));
});

t.test('header length counts CSRCs and the extension (RFC 3550 5.3.1)', async (t) => {
  const p = Buffer.alloc(12 + 8 + 4 + 8 + 2);
  p[0] = 0x80 | 0x10 | 2; // X=1, CC=2
  p.writeUInt16BE(0xbede, 20);
  p.writeUInt16BE(2, 22); // two 32-bit words of extension
  t.equal(rtpCsrcCount(p), 2);
  t.equal(rtpExtension(p), true);
  t.equal(rtpHeaderLength(p, p.length), 12 + 8 + 4 + 8);
  t.equal(rtpHeaderLength(p, 12 + 8 + 4 + 7), -1, 'truncated extension');
  t.equal(rtpHeaderLength(p, 12 + 8 + 2), -1, 'truncated extension header');
});

t.test('not RTP: wrong version or too short', async (t) => {
  const p = packet();
  t.equal(rtpHeaderLength(p, 11), -1);
  p[0] = 0x40;
  t.equal(rtpHeaderLength(p, p.length), -1);
});

t.test('RTCP is recognised by version and packet type 192-223', async (t) => {
  t.ok(isRtcp(Buffer.from([0x80, 200, 0, 6, 0, 0, 0, 1]), 8));
  t.notOk(isRtcp(packet(), 16), 'an RTP packet is not RTCP');
  t.notOk(isRtcp(Buffer.from([0x80, 200, 0, 6]), 4));
});

t.test('the port pool hands out even ports with a free odd neighbour, then runs out', async (t) => {
  const pool = new PortPool(20001, 20006);
  t.equal(pool.size, 2, '20002/20003 and 20004/20005; 20006 has no RTCP partner');
  const a = pool.acquire();
  const b = pool.acquire();
  t.same([a, b], [20002, 20004]);
  t.equal(pool.acquire(), -1);
  pool.release(a);
  pool.release(a);
  t.equal(pool.used, 1, 'releasing twice is harmless');
  t.equal(pool.acquire(), 20002);
  t.throws(() => new PortPool(20000, 20000), { code: 'PBX_ERR_MEDIA_PORT_RANGE' });
  t.throws(() => new PortPool(0, 70000), { code: 'PBX_ERR_MEDIA_PORT_RANGE' });
});

t.test('a freed port is reused last', async (t) => {
  const pool = new PortPool(20000, 20005);
  const a = pool.acquire();
  pool.release(a);
  t.equal(pool.acquire(), 20002);
  t.equal(pool.acquire(), 20004);
  t.equal(pool.acquire(), 20000);
});
