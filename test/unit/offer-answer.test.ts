import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseSdp } from '../../src/sdp/parse.js';
import { serializeSdp } from '../../src/sdp/serialize.js';
import {
  LocalSdp,
  answerBack,
  localOffer,
  offerForward,
  payloadTypeMap,
  remoteMedia,
} from '../../src/sdp/offer-answer.js';

const SUPPORTED = ['PCMU', 'PCMA', 'telephone-event'];
const toB = { address: '203.0.113.5', port: 20002 };
const toA = { address: '203.0.113.5', port: 20000 };
const fixture = (name: string): string => readFileSync(new URL(`../fixtures/sdp/${name}`, import.meta.url), 'utf8');

function offer(body: string): ReturnType<typeof parseSdp> {
  return parseSdp(`v=0\r\no=a 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n${body}`);
}

t.test('the forwarded offer keeps the common codecs in the caller order at the PBX address', async (t) => {
  const r = offerForward(parseSdp(fixture('baresip.sdp')), toB, SUPPORTED);
  t.ok(r);
  const text = serializeSdp(r!.sdp);
  t.match(text, /^c=IN IP4 203\.0\.113\.5\r$/m);
  t.match(text, /^m=audio 20002 RTP\/AVP 0 8 101\r$/m, 'opus and G722 dropped, order kept');
  t.match(text, /^a=fmtp:101 0-15\r$/m);
  t.match(text, /^a=ptime:20\r$/m);
  t.match(text, /^a=sendrecv\r$/m);
  t.notMatch(text, /192\.0\.2\.10/, 'the caller address does not leak');
  t.same(r!.codecs.map((c) => c.pt), [0, 8, 101]);
});

t.test('an RTP/SAVP stream is anchored too; its proto and keys towards the other leg are set by MediaSession (sdes.ts)', async (t) => {
  t.equal(offerForward(offer('m=audio 4000 RTP/SAVP 0\r\n'), toB, SUPPORTED)?.sdp.media[0]!.proto, 'RTP/AVP');
});

t.test('an offer without a codec in common gives null (488)', async (t) => {
  t.equal(offerForward(offer('m=audio 4000 RTP/AVP 96 101\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n'), toB, SUPPORTED), null, 'telephone-event alone is not audio');
  t.equal(offerForward(offer('m=video 4000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n'), toB, SUPPORTED), null, 'no audio stream');
});

t.test('the answer to the caller carries what the callee accepted, in the caller numbering', async (t) => {
  const callerOffer = offer('m=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n');
  const forwarded = offerForward(callerOffer, toB, SUPPORTED)!;
  const calleeAnswer = parseSdp(
    'v=0\r\no=b 9 9 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n' +
      'm=audio 7000 RTP/AVP 0 96\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\na=ptime:30\r\n',
  );
  const answer = answerBack(calleeAnswer, callerOffer, toA)!;
  t.ok(answer);
  const text = serializeSdp(answer);
  t.match(text, /^m=audio 20000 RTP\/AVP 0 101\r$/m, 'PCMU, and telephone-event as 101 for the caller');
  t.match(text, /^a=fmtp:101 0-15\r$/m, 'the events the callee accepted');
  t.match(text, /^a=ptime:30\r$/m);
  t.match(text, /^c=IN IP4 203\.0\.113\.5\r$/m);
  // The relay rewrites telephone-event between the legs: 101 on A, 96 on B.
  const a = remoteMedia(callerOffer)!;
  const b = remoteMedia(calleeAnswer)!;
  t.same(payloadTypeMap(a.codecs, b.codecs), { 0: 0, 101: 96 });
  t.same(payloadTypeMap(b.codecs, a.codecs), { 0: 0, 96: 101 });
  t.same(forwarded.codecs.map((c) => c.encoding), ['PCMA', 'PCMU', 'telephone-event']);
});

t.test('a codec the callee lists twice is answered once', async (t) => {
  const callerOffer = offer('m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n');
  const callee = offer('m=audio 5000 RTP/AVP 0 96 97\r\na=rtpmap:96 telephone-event/8000\r\na=rtpmap:97 telephone-event/8000\r\n');
  t.same(answerBack(callee, callerOffer, toA)!.media[0]!.formats, ['0', '101']);
});

t.test('an answer that rejects the audio stream gives null', async (t) => {
  const callerOffer = offer('m=audio 4000 RTP/AVP 0\r\n');
  t.equal(answerBack(offer('m=audio 0 RTP/AVP 0\r\n'), callerOffer, toA), null);
  t.equal(answerBack(offer('m=audio 5000 RTP/AVP 18\r\n'), callerOffer, toA), null, 'a codec the caller never offered');
});

t.test('streams the PBX does not anchor are rejected with port 0, one m= per offered', async (t) => {
  const linphone = parseSdp(fixture('linphone.sdp'));
  const callee = offer('m=audio 5000 RTP/AVP 8 100\r\na=rtpmap:100 telephone-event/8000\r\n');
  const answer = answerBack(callee, linphone, toA)!;
  t.equal(answer.media.length, 2);
  t.equal(answer.media[0]!.port, 20000);
  t.same(answer.media[0]!.formats, ['8', '100'], 'telephone-event/8000 matched, not /48000 or /16000');
  t.equal(answer.media[1]!.media, 'video');
  t.equal(answer.media[1]!.port, 0);
});

t.test('hold: sendonly is forwarded, and the answer to it is recvonly', async (t) => {
  const hold = offer('m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n');
  const fwd = offerForward(hold, toB, SUPPORTED)!;
  t.equal(fwd.sdp.media[0]!.direction, 'sendonly');
  const calleeAnswer = offer('m=audio 6000 RTP/AVP 0\r\na=recvonly\r\n');
  t.equal(answerBack(calleeAnswer, hold, toA)!.media[0]!.direction, 'recvonly');
  const careless = offer('m=audio 6000 RTP/AVP 0\r\n');
  t.equal(answerBack(careless, hold, toA)!.media[0]!.direction, 'recvonly', 'a sendrecv answer to sendonly is clamped');
  const inactive = offerForward(offer('m=audio 4000 RTP/AVP 0\r\na=inactive\r\n'), toB, SUPPORTED)!;
  t.equal(inactive.sdp.media[0]!.direction, 'inactive');
});

t.test('hold with c=0.0.0.0 (RFC 2543) passes through as a direction, never as an address', async (t) => {
  const hold = parseSdp('v=0\r\no=a 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n');
  const r = remoteMedia(hold)!;
  t.equal(r.address, null, 'nothing to send to');
  t.equal(r.direction, 'sendonly');
  const fwd = offerForward(hold, toB, SUPPORTED)!;
  t.equal(fwd.sdp.connection!.address, '203.0.113.5');
  t.equal(fwd.sdp.media[0]!.direction, 'sendonly');
});

t.test('remoteMedia reads RTP and RTCP addresses, a=rtcp included', async (t) => {
  const r = remoteMedia(parseSdp(fixture('linphone.sdp')))!;
  t.equal(r.address, '192.0.2.20');
  t.equal(r.port, 7078);
  t.equal(r.rtcpAddress, '192.0.2.20');
  t.equal(r.rtcpPort, 7079);
  const m = remoteMedia(offer('m=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2.99\r\n'))!;
  t.equal(m.address, '192.0.2.99', 'the media-level c= wins');
  t.equal(m.rtcpPort, 4001, 'RTCP on port + 1 by default');
});

t.test('LocalSdp keeps the session id and bumps the version only when the description changes', async (t) => {
  const local = new LocalSdp();
  const first = local.stamp(localOffer(toA, SUPPORTED));
  t.match(serializeSdp(first), /^m=audio 20000 RTP\/AVP 0 8 101\r$/m);
  const same = local.stamp(localOffer(toA, SUPPORTED));
  t.equal(same.origin.sessionId, first.origin.sessionId);
  t.equal(same.origin.sessionVersion, first.origin.sessionVersion, 'a refresh keeps the version (RFC 3264 8)');
  const held = localOffer(toA, SUPPORTED);
  held.media[0]!.direction = 'sendonly';
  const changed = local.stamp(held);
  t.equal(changed.origin.sessionId, first.origin.sessionId);
  t.equal(BigInt(changed.origin.sessionVersion), BigInt(first.origin.sessionVersion) + 1n);
  t.not(new LocalSdp().sessionId, local.sessionId, 'each leg has its own session id');
  t.same(parseSdp(serializeSdp(changed)), changed, 'what the PBX writes parses back the same');
});
