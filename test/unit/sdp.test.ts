import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseSdp, SdpError } from '../../src/sdp/parse.js';
import { serializeSdp } from '../../src/sdp/serialize.js';
import { effectiveDirection } from '../../src/sdp/types.js';
import { PbxError } from '../../src/util/errors.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/sdp/${name}`, import.meta.url), 'utf8');

t.test("SIPp's default SDP parses and serializes back byte for byte", async (t) => {
  const text = fixture('sipp-uac.sdp');
  const sdp = parseSdp(text);
  t.same(sdp.origin, {
    username: 'user1',
    sessionId: '53655765',
    sessionVersion: '2353687637',
    netType: 'IN',
    addrType: 'IP4',
    address: '127.0.0.1',
  });
  t.equal(sdp.sessionName, '-');
  t.same(sdp.connection, { netType: 'IN', addrType: 'IP4', address: '127.0.0.1', suffix: null });
  t.equal(sdp.media.length, 1);
  const m = sdp.media[0]!;
  t.equal(m.media, 'audio');
  t.equal(m.port, 6000);
  t.equal(m.proto, 'RTP/AVP');
  t.same(m.formats, ['0']);
  t.same(m.rtpmaps, [{ pt: 0, encoding: 'PCMU', clockRate: 8000, channels: null }]);
  t.equal(serializeSdp(sdp), text);
});

t.test('a baresip offer keeps every line, parsed or raw', async (t) => {
  const text = fixture('baresip.sdp');
  const sdp = parseSdp(text);
  const m = sdp.media[0]!;
  t.same(m.formats, ['96', '9', '0', '8', '101']);
  t.same(m.rtpmaps[0], { pt: 96, encoding: 'opus', clockRate: 48000, channels: 2 });
  t.same(m.fmtps, [
    { format: '96', params: 'stereo=1;sprop-stereo=1' },
    { format: '101', params: '0-15' },
  ]);
  t.equal(m.ptime, 20);
  t.equal(m.direction, 'sendrecv');
  t.same(m.fields, [{ type: 'b', value: 'AS:128' }]);
  t.same(
    m.attributes.map((a) => a.name),
    ['rtcp-rsize', 'ssrc', 'label'],
  );
  t.equal(serializeSdp(sdp), text.replace('a=sendrecv\r\na=label:1\r\n', 'a=label:1\r\na=sendrecv\r\n'));
});

t.test('a Linphone offer: session attributes, a=rtcp, fmtp without rtpmap, a video stream', async (t) => {
  const sdp = parseSdp(fixture('linphone.sdp'));
  t.same(sdp.attributes.map((a) => a.name), ['rtcp-xr', 'record']);
  t.equal(sdp.media.length, 2);
  const audio = sdp.media[0]!;
  t.same(audio.rtcp, { port: 7079, connection: null });
  t.ok(audio.fmtps.some((f) => f.format === '18' && f.params === 'annexb=yes'));
  t.equal(audio.direction, null);
  t.equal(effectiveDirection(sdp, audio), 'sendrecv');
  t.equal(sdp.media[1]!.media, 'video');
  const again = parseSdp(serializeSdp(sdp));
  t.same(again, sdp, 'serialize then parse gives the same description');
});

t.test('LF line ends, multicast c=, a=rtcp with an address, session-level direction', async (t) => {
  const sdp = parseSdp(
    'v=0\no=- 1 1 IN IP6 ::1\ns=x\nc=IN IP4 224.2.1.1/127/3\nt=0 0\na=sendonly\n' +
      'm=audio 5004/2 RTP/AVP 8\na=rtcp:53020 IN IP6 2001:db8::1\na=inactive\n',
  );
  t.same(sdp.connection, { netType: 'IN', addrType: 'IP4', address: '224.2.1.1', suffix: '127/3' });
  t.equal(sdp.direction, 'sendonly');
  t.equal(sdp.media[0]!.portCount, 2);
  t.same(sdp.media[0]!.rtcp, {
    port: 53020,
    connection: { netType: 'IN', addrType: 'IP6', address: '2001:db8::1', suffix: null },
  });
  t.equal(effectiveDirection(sdp, sdp.media[0]!), 'inactive', 'the media level wins');
  t.same(parseSdp(serializeSdp(sdp)), sdp);
});

const bad: [string, string | Buffer][] = [
  ['an empty body', ''],
  ['no v= first', 'o=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n'],
  ['version 1', 'v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n'],
  ['no o=', 'v=0\r\ns=-\r\nt=0 0\r\n'],
  ['no s=', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nt=0 0\r\n'],
  ['an o= with 5 fields', 'v=0\r\no=- 1 IN IP4 1.2.3.4\r\ns=-\r\n'],
  ['a session id that is not a number', 'v=0\r\no=- abc 1 IN IP4 1.2.3.4\r\ns=-\r\n'],
  ['a line without =', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nhello\r\n'],
  ['a c= with 2 fields', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4\r\n'],
  ['an m= port over 65535', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 70000 RTP/AVP 0\r\n'],
  ['an m= port that is not a number', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio x RTP/AVP 0\r\n'],
  ['an m= without proto', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 4000\r\n'],
  ['an rtpmap PT over 127', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:300 X/8000\r\n'],
  ['an rtpmap without a clock rate', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n'],
  ['a ptime that is not a number', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\na=ptime:abc\r\n'],
  ['two c= in one section', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 1.1.1.1\r\nc=IN IP4 2.2.2.2\r\n'],
  ['a t= inside a media section', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\nt=0 0\r\n'],
  ['binary garbage', Buffer.from([0xff, 0x00, 0x13, 0x37, 0x0d, 0x0a])],
  ['an oversized body', 'v=0\r\n' + 'a=x\r\n'.repeat(20000)],
];
for (const [what, body] of bad) {
  t.test(`SDP with ${what} is an SdpError`, async (t) => {
    t.throws(() => parseSdp(body), SdpError);
    try {
      parseSdp(body);
    } catch (e) {
      t.ok(e instanceof PbxError);
      t.equal((e as PbxError).code, 'PBX_ERR_SDP_SYNTAX');
    }
  });
}

t.test('random mutations of real SDPs never throw anything but SdpError', async (t) => {
  const corpus = ['sipp-uac.sdp', 'baresip.sdp', 'linphone.sdp'].map(fixture);
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let parsed = 0;
  for (let i = 0; i < 3000; i++) {
    const chars = [...corpus[i % corpus.length]!];
    for (let k = 1 + rand(4); k > 0; k--) {
      const at = rand(chars.length);
      const op = rand(3);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, String.fromCharCode(rand(128)));
      else chars[at] = String.fromCharCode(rand(128));
    }
    try {
      serializeSdp(parseSdp(chars.join('')));
      parsed++;
    } catch (e) {
      if (!(e instanceof SdpError)) t.fail(`unexpected ${String(e)}`);
    }
  }
  t.ok(parsed > 0, 'some mutations still parse');
});
