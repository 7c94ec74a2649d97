import t from 'tap';
import { parseSdp } from '../../src/sdp/parse.js';
import { serializeSdp } from '../../src/sdp/serialize.js';
import { answerBack, legCodec, offerForward, remoteMedia, sameCodec } from '../../src/sdp/offer-answer.js';

const OFFERED = ['PCMU', 'PCMA', 'G722', 'opus', 'telephone-event'];
const TRANSCODABLE = ['PCMU', 'PCMA', 'G722', 'opus', 'L16'];
const toB = { address: '203.0.113.5', port: 20002 };
const toA = { address: '203.0.113.5', port: 20000 };

function sdp(body: string, address = '192.0.2.1'): ReturnType<typeof parseSdp> {
  return parseSdp(`v=0\r\no=a 1 1 IN IP4 ${address}\r\ns=-\r\nc=IN IP4 ${address}\r\nt=0 0\r\n${body}`);
}

const PCMA_ONLY = 'm=audio 4000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n';

t.test('the callee is offered what the caller offered, then what the PBX can transcode, in rtp.codecs order', async (t) => {
  const r = offerForward(sdp(PCMA_ONLY), toB, OFFERED, TRANSCODABLE)!;
  t.same(
    r.codecs.map((c) => `${c.pt} ${c.encoding}/${c.clockRate}${c.channels === null ? '' : `/${c.channels}`}`),
    ['8 PCMA/8000', '101 telephone-event/8000', '0 PCMU/8000', '9 G722/8000', '96 opus/48000/2'],
  );
  const text = serializeSdp(r.sdp);
  t.match(text, /^m=audio 20002 RTP\/AVP 8 101 0 9 96\r$/m);
  t.match(text, /^a=rtpmap:96 opus\/48000\/2\r$/m, 'RFC 7587: opus is always 48000/2');
  t.match(text, /^a=fmtp:101 0-15\r$/m, "the caller's telephone-event is kept as it is");
});

t.test('added codecs take static payload types, or dynamic ones the caller does not use', async (t) => {
  const caller = sdp('m=audio 4000 RTP/AVP 0 96 97\r\na=rtpmap:96 L16/8000\r\na=rtpmap:97 telephone-event/8000\r\n');
  const r = offerForward(caller, toB, ['PCMU', 'L16', 'opus', 'telephone-event'], TRANSCODABLE)!;
  t.same(r.codecs.map((c) => [c.pt, c.encoding, c.clockRate]), [
    [0, 'PCMU', 8000],
    [96, 'L16', 8000],
    [97, 'telephone-event', 8000],
    [98, 'opus', 48000],
  ], 'L16 was offered by the caller already (not added again); opus gets 98');
});

t.test('nothing is added when the caller has no codec the PBX can transcode (it can only be relayed)', async (t) => {
  const caller = sdp('m=audio 4000 RTP/AVP 0 18\r\n');
  const r = offerForward(caller, toB, ['PCMU', 'PCMA', 'G722'], ['PCMA', 'G722'])!;
  t.same(r.codecs.map((c) => c.encoding), ['PCMU'], 'PCMU is offered but not transcodable here: no additions');
  t.equal(offerForward(sdp('m=audio 4000 RTP/AVP 18\r\n'), toB, OFFERED, TRANSCODABLE), null, 'G.729 alone: 488');
});

t.test('without transcoding the offer is the caller codecs the PBX supports, as before', async (t) => {
  const r = offerForward(sdp(PCMA_ONLY), toB, OFFERED)!;
  t.same(r.codecs.map((c) => c.encoding), ['PCMA', 'telephone-event']);
});

t.test('a callee that answers a codec of the caller makes a pure relay', async (t) => {
  const caller = sdp(PCMA_ONLY);
  const callee = sdp('m=audio 7000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n', '198.51.100.7');
  const back = answerBack(callee, caller, toA, TRANSCODABLE)!;
  t.match(serializeSdp(back), /^m=audio 20000 RTP\/AVP 8 101\r$/m);
  const a = legCodec(remoteMedia(back)!.codecs)!;
  const b = legCodec(remoteMedia(callee)!.codecs, remoteMedia(back)!.codecs)!;
  t.ok(sameCodec(a, b), 'both legs PCMA');
  t.same([a.events?.pt, b.events?.pt], [101, 101]);
});

t.test('a callee that answers only G.722 to a PCMA caller is transcoded: the caller is answered PCMA', async (t) => {
  const caller = sdp(PCMA_ONLY);
  const callee = sdp('m=audio 7000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n', '198.51.100.7');
  t.equal(answerBack(callee, caller, toA), null, 'without transcoding: no codec in common');
  const back = answerBack(callee, caller, toA, TRANSCODABLE)!;
  t.match(serializeSdp(back), /^m=audio 20000 RTP\/AVP 8 101\r$/m, "a subset of the caller's offer, telephone-event kept");
  const a = legCodec(remoteMedia(back)!.codecs)!;
  const b = legCodec(remoteMedia(callee)!.codecs, remoteMedia(back)!.codecs)!;
  t.equal(a.audio.encoding, 'PCMA');
  t.equal(b.audio.encoding, 'G722');
  t.equal(b.events, null, 'the callee has no telephone-event: digits go to it in-band');
  t.notOk(sameCodec(a, b));
});

t.test('a callee answering only opus to a PCMA caller is transcoded', async (t) => {
  const caller = sdp(PCMA_ONLY);
  const callee = sdp('m=audio 7000 RTP/AVP 96 97\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:97 telephone-event/48000\r\n', '198.51.100.7');
  const back = answerBack(callee, caller, toA, TRANSCODABLE)!;
  t.same(remoteMedia(back)!.codecs.map((c) => c.encoding), ['PCMA', 'telephone-event']);
  const b = legCodec(remoteMedia(callee)!.codecs)!;
  t.same([b.audio.encoding, b.audio.pt, b.events?.pt], ['opus', 96, 97]);
});

t.test('an answer with a codec the PBX can neither relay nor transcode gives null (488)', async (t) => {
  const caller = sdp(PCMA_ONLY);
  t.equal(answerBack(sdp('m=audio 7000 RTP/AVP 18\r\n'), caller, toA, TRANSCODABLE), null);
  const g729Caller = sdp('m=audio 4000 RTP/AVP 18\r\n');
  t.equal(answerBack(sdp('m=audio 7000 RTP/AVP 0\r\n'), g729Caller, toA, TRANSCODABLE), null, 'the caller has nothing to transcode');
});

t.test('legCodec prefers a codec the other leg has, then the first audio codec; none without audio', async (t) => {
  const codecs = remoteMedia(sdp('m=audio 7000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n'))!.codecs;
  t.equal(legCodec(codecs)!.audio.encoding, 'PCMU');
  t.equal(legCodec(codecs, codecs.filter((c) => c.pt === 8))!.audio.encoding, 'PCMA');
  t.equal(legCodec(codecs.filter((c) => c.pt === 101)), null);
});
