// SDES (RFC 4568) in src/sdp/sdes.ts and its use by MediaSession: which offers are refused (488),
// what the PBX offers and answers per media_encryption, and the keys each media leg is given.
import t from 'tap';
import { MediaSession } from '../../src/calls/media-session.js';
import type { CallMedia } from '../../src/calls/deps.js';
import type { MediaEncryption } from '../../src/config/types.js';
import type { RemoteTarget } from '../../src/media/engine.js';
import { chooseCrypto, cryptosOf, parseCrypto } from '../../src/sdp/sdes.js';
import { parseSdp } from '../../src/sdp/parse.js';
import { memoryLog } from '../helpers/log.js';

const KEY = 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz';
const KEY2 = 'PS1uQCnzJYxwmgIh9pOdNrG8ukJLAzBoQhk6w1jS';

function offer(proto: string, cryptos: string[], port = 4000): Buffer {
  return Buffer.from(
    ['v=0', 'o=phone 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', `m=audio ${port} ${proto} 8 101`, 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', ...cryptos.map((c) => `a=crypto:${c}`), ''].join('\r\n'),
  );
}

/** A media engine double that keeps the last target each leg was pointed at. */
function media(remotes: Map<string, RemoteTarget>): CallMedia {
  let n = 0;
  return {
    transcodable: ['PCMU', 'PCMA'],
    setCodec: async () => undefined,
    openLeg: async () => ({ legId: `L${++n}`, port: 20000 + 2 * n }),
    setRemote: async (legId: string, target: RemoteTarget) => void remotes.set(legId, target),
    bridge: async () => undefined,
    closeLeg: async () => undefined,
  };
}

async function session(caller: MediaEncryption, callee: MediaEncryption, remotes = new Map<string, RemoteTarget>()): Promise<MediaSession> {
  const s = new MediaSession(media(remotes), '127.0.0.1', 'call-1', memoryLog([]), {
    offered: ['PCMA', 'telephone-event'],
    transcodable: ['PCMU', 'PCMA'],
    encryption: { caller, callee },
  });
  await s.open();
  return s;
}

t.test('a=crypto lines: inline keys of the two AES-CM suites are read; MKI, session parameters and bad keys are not', async (t) => {
  t.same(parseCrypto(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`), { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keySalt: KEY });
  t.same(parseCrypto(`2 AES_CM_128_HMAC_SHA1_32 inline:${KEY}|2^31`), { tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32', keySalt: KEY });
  t.equal(parseCrypto(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|2^20|1:4`), null, 'MKI');
  t.equal(parseCrypto(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY} UNENCRYPTED_SRTP`), null, 'session parameter');
  t.equal(parseCrypto(`1 AES_256_CM_HMAC_SHA1_80 inline:${KEY}`), null, 'unknown suite');
  t.equal(parseCrypto('1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ='), null, 'a key of the wrong length');
  t.equal(parseCrypto('x AES_CM_128_HMAC_SHA1_80'), null);
});

t.test('the answerer takes the first usable crypto line; policy decides plain offers and RTP/SAVP ones', async (t) => {
  const both = parseSdp(offer('RTP/SAVP', [`1 AES_256_CM_HMAC_SHA1_80 inline:${KEY}`, `2 AES_CM_128_HMAC_SHA1_32 inline:${KEY}`]));
  t.match(chooseCrypto(both, 'sdes'), { kind: 'srtp', crypto: { tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32' }, proto: 'RTP/SAVP' });
  t.match(chooseCrypto(both, 'none'), { kind: 'refuse' }, 'RTP/SAVP to a leg without SRTP');
  const plain = parseSdp(offer('RTP/AVP', []));
  t.match(chooseCrypto(plain, 'sdes'), { kind: 'refuse' }, 'plain RTP to a leg that requires SRTP');
  t.match(chooseCrypto(plain, 'sdes_optional'), { kind: 'plain' });
  t.match(chooseCrypto(parseSdp(offer('RTP/AVP', [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`])), 'sdes_optional'), { kind: 'srtp', proto: 'RTP/AVP' });
  t.match(chooseCrypto(parseSdp(offer('RTP/SAVP', [])), 'sdes_optional'), { kind: 'refuse' }, 'RTP/SAVP with no key the PBX can use');
});

t.test('a caller that requires SRTP and offers plain RTP gets 488 (no offer is forwarded)', async (t) => {
  const s = await session('sdes', 'none');
  t.equal(s.forwardOffer('caller', offer('RTP/AVP', [])), null);
  t.equal((await session('sdes', 'none')).answerLocally(offer('RTP/AVP', [])), null, 'nor answered by the PBX itself');
  t.equal((await session('none', 'none')).forwardOffer('caller', offer('RTP/SAVP', [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`])), null, 'RTP/SAVP to a plain extension');
});

t.test('an SRTP caller bridged to a plain callee: RTP/AVP without keys forwarded, RTP/SAVP answered with the PBX key; only the caller leg is SRTP', async (t) => {
  const remotes = new Map<string, RemoteTarget>();
  const s = await session('sdes', 'none', remotes);
  const fwd = parseSdp(s.forwardOffer('caller', offer('RTP/SAVP', [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`]))!);
  t.equal(fwd.media[0]!.proto, 'RTP/AVP');
  t.same(cryptosOf(fwd), []);
  const back = parseSdp(s.answerBack('callee', offer('RTP/AVP', [], 5000))!);
  t.equal(back.media[0]!.proto, 'RTP/SAVP');
  const ours = cryptosOf(back);
  t.equal(ours.length, 1);
  t.match(ours[0], { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80' });
  t.not(ours[0]!.keySalt, KEY, 'the PBX sends with a key of its own');
  t.same(remotes.get('L1')!.srtp, { suite: 'AES_CM_128_HMAC_SHA1_80', send: ours[0]!.keySalt, receive: KEY });
  t.equal(remotes.get('L2')!.srtp, null);
  t.ok(s.encrypted('caller'));
  t.notOk(s.encrypted('callee'));
});

t.test('a plain caller to an SRTP callee: RTP/SAVP offered with both suites; the callee answer picks one; an answer without keys fails', async (t) => {
  const remotes = new Map<string, RemoteTarget>();
  const s = await session('none', 'sdes', remotes);
  const fwd = parseSdp(s.forwardOffer('caller', offer('RTP/AVP', []))!);
  t.equal(fwd.media[0]!.proto, 'RTP/SAVP');
  const offered = cryptosOf(fwd);
  t.same(offered.map((c) => [c.tag, c.suite]), [[1, 'AES_CM_128_HMAC_SHA1_80'], [2, 'AES_CM_128_HMAC_SHA1_32']]);
  const back = parseSdp(s.answerBack('callee', offer('RTP/SAVP', [`2 AES_CM_128_HMAC_SHA1_32 inline:${KEY2}`], 5000))!);
  t.equal(back.media[0]!.proto, 'RTP/AVP', 'the plain caller gets plain RTP');
  t.same(cryptosOf(back), []);
  t.same(remotes.get('L2')!.srtp, { suite: 'AES_CM_128_HMAC_SHA1_32', send: offered[1]!.keySalt, receive: KEY2 });
  t.equal(remotes.get('L1')!.srtp, null);

  const again = await session('none', 'sdes');
  again.forwardOffer('caller', offer('RTP/AVP', []));
  t.equal(again.answerBack('callee', offer('RTP/AVP', [], 5000)), null, 'SRTP required, the answer has no a=crypto');
});

t.test('sdes_optional offers a=crypto on RTP/AVP and falls back to plain RTP when the answer has none', async (t) => {
  const remotes = new Map<string, RemoteTarget>();
  const s = await session('none', 'sdes_optional', remotes);
  const fwd = parseSdp(s.forwardOffer('caller', offer('RTP/AVP', []))!);
  t.equal(fwd.media[0]!.proto, 'RTP/AVP');
  t.equal(cryptosOf(fwd).length, 2);
  t.ok(s.answerBack('callee', offer('RTP/AVP', [], 5000)) !== null);
  t.equal(remotes.get('L2')!.srtp, null);
});

t.test('a re-offer keeps the PBX key (the leg keeps its SRTP streams)', async (t) => {
  const s = await session('sdes', 'none');
  s.forwardOffer('caller', offer('RTP/SAVP', [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`]));
  const a1 = cryptosOf(parseSdp(s.answerBack('callee', offer('RTP/AVP', [], 5000))!));
  s.forwardOffer('caller', offer('RTP/SAVP', [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`]));
  const a2 = cryptosOf(parseSdp(s.answerBack('callee', offer('RTP/AVP', [], 5000))!));
  t.equal(a2[0]!.keySalt, a1[0]!.keySalt);
});
