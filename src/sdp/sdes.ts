// SDES (RFC 4568): SRTP master keys carried in a=crypto lines of the audio stream, and the PBX's
// media_encryption policy of a leg applied to its offers and answers:
//   none           RTP/AVP, no a=crypto; an RTP/SAVP offer is refused (488).
//   sdes           RTP/SAVP with a=crypto; an offer without a usable a=crypto is refused, and so is
//                  an answer without one (Asterisk's media_encryption=sdes).
//   sdes_optional  RTP/AVP with a=crypto (best-effort SRTP, RFC 4568 as Asterisk's
//                  media_encryption_optimistic does it): SRTP when the phone answers or offers
//                  a=crypto, plain RTP otherwise.
// Only inline keys without MKI, lifetime at most 2^48 and no session parameters are used.
import { randomBytes } from 'node:crypto';
import { SRTP_SUITES, srtpSuite, type SrtpSuiteName } from '../media/srtp/suites.js';
import { audioStreamIndex } from './offer-answer.js';
import type { MediaSection, Sdp } from './types.js';

import type { MediaEncryption } from '../config/types.js';

export type { MediaEncryption };

/** RFC 4568 9.1: a=crypto:<tag> <crypto-suite> inline:<key||salt>[|<lifetime>][|<MKI>:<length>] [<session-param>...]. */
export interface CryptoAttribute {
  tag: number;
  suite: SrtpSuiteName;
  /** base64 of master key || master salt. */
  keySalt: string;
}

/** A crypto line the PBX can use; null for any other (unknown suite, MKI, several keys, session parameters). */
export function parseCrypto(value: string): CryptoAttribute | null {
  const parts = value.trim().split(/\s+/);
  if (parts.length !== 3) return null;
  const [tagText, suiteName, keyParams] = parts as [string, string, string];
  if (!/^[0-9]{1,9}$/.test(tagText)) return null;
  const suite = srtpSuite(suiteName);
  if (suite === null || !keyParams.startsWith('inline:') || keyParams.includes(';')) return null;
  const [key, ...rest] = keyParams.slice('inline:'.length).split('|');
  if (key === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) return null;
  if (Buffer.from(key, 'base64').length !== suite.keyLength + suite.saltLength) return null;
  // A lifetime is fine (the PBX never sends 2^31 packets on one call); an MKI is not supported.
  if (rest.length > 1 || (rest.length === 1 && !/^(?:2\^[0-9]{1,2}|[0-9]{1,15})$/.test(rest[0]!))) return null;
  return { tag: Number(tagText), suite: suite.name, keySalt: key };
}

export function formatCrypto(c: CryptoAttribute): string {
  return `${c.tag} ${c.suite} inline:${c.keySalt}`;
}

/** A fresh master key and salt for a suite (RFC 4568 6.1), base64. */
export function newKeySalt(suite: SrtpSuiteName): string {
  const s = srtpSuite(suite)!;
  return randomBytes(s.keyLength + s.saltLength).toString('base64');
}

function audioOf(sdp: Sdp): MediaSection | null {
  const i = audioStreamIndex(sdp);
  return i < 0 ? null : sdp.media[i]!;
}

/** The usable crypto lines of a description's audio stream, in its order. */
export function cryptosOf(sdp: Sdp): CryptoAttribute[] {
  const m = audioOf(sdp);
  if (m === null) return [];
  const out: CryptoAttribute[] = [];
  for (const a of m.attributes) {
    if (a.name !== 'crypto' || a.value === null) continue;
    const c = parseCrypto(a.value);
    if (c !== null) out.push(c);
  }
  return out;
}

function isSecure(proto: string): boolean {
  return proto === 'RTP/SAVP' || proto === 'RTP/SAVPF';
}

function setCryptos(m: MediaSection, cryptos: readonly CryptoAttribute[]): void {
  m.attributes = m.attributes.filter((a) => a.name !== 'crypto');
  for (const c of cryptos) m.attributes.push({ name: 'crypto', value: formatCrypto(c) });
}

/**
 * An offer the PBX sends to a leg, shaped by that leg's policy: the proto, and one crypto line per
 * suite with the leg's own key (`keyOf`), tags 1, 2 in the order of SRTP_SUITES.
 */
export function offerWithCrypto(sdp: Sdp, mode: MediaEncryption, keyOf: (suite: SrtpSuiteName) => string): Sdp {
  const m = audioOf(sdp);
  if (m === null) return sdp;
  m.proto = mode === 'sdes' ? 'RTP/SAVP' : 'RTP/AVP';
  setCryptos(m, mode === 'none' ? [] : SRTP_SUITES.map((s, i) => ({ tag: i + 1, suite: s.name, keySalt: keyOf(s.name) })));
  return sdp;
}

/** What the PBX does with a leg's offer: SRTP with the phone's crypto line, plain RTP, or refuse (488). */
export type OfferCrypto = { kind: 'srtp'; crypto: CryptoAttribute; proto: string } | { kind: 'plain' } | { kind: 'refuse' };

/** RFC 4568 7.1.2: the answerer picks the first crypto line of the offer it supports. */
export function chooseCrypto(offer: Sdp, mode: MediaEncryption): OfferCrypto {
  const m = audioOf(offer);
  if (m === null) return { kind: 'plain' };
  const secure = isSecure(m.proto);
  const first = cryptosOf(offer)[0];
  if (mode === 'none') return secure ? { kind: 'refuse' } : { kind: 'plain' };
  if (first !== undefined) return { kind: 'srtp', crypto: first, proto: m.proto };
  return mode === 'sdes' || secure ? { kind: 'refuse' } : { kind: 'plain' };
}

/**
 * The PBX's answer to an offer it chose `choice` for: the offer's proto and, for SRTP, one crypto
 * line with the offer's tag and suite and the leg's own key (RFC 4568 7.1.2).
 */
export function answerWithCrypto(answer: Sdp, choice: OfferCrypto, keyOf: (suite: SrtpSuiteName) => string): Sdp {
  const m = audioOf(answer);
  if (m === null) return answer;
  if (choice.kind === 'srtp') {
    m.proto = choice.proto;
    setCryptos(m, [{ tag: choice.crypto.tag, suite: choice.crypto.suite, keySalt: keyOf(choice.crypto.suite) }]);
  } else {
    setCryptos(m, []);
  }
  return answer;
}

/**
 * The phone's answer to an offer the PBX made with offerWithCrypto(): the crypto line it accepted
 * (a tag and suite the PBX offered), null for plain RTP, or 'refuse' when the policy needs SRTP and
 * the answer has none (or the answer is RTP/SAVP without a crypto line the PBX offered).
 */
export function acceptedCrypto(answer: Sdp, mode: MediaEncryption): CryptoAttribute | null | 'refuse' {
  const m = audioOf(answer);
  if (m === null || mode === 'none') return null;
  const accepted = cryptosOf(answer).find((c) => SRTP_SUITES[c.tag - 1]?.name === c.suite) ?? null;
  if (accepted === null && (mode === 'sdes' || isSecure(m.proto))) return 'refuse';
  return accepted;
}
