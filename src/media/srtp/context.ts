// One direction of SRTP (RFC 3711): the session keys of one master key and, per SSRC, the
// rollover counter, highest sequence number and replay list. protect*() writes the protected
// packet into a caller's buffer; unprotect*() authenticates and decrypts in place. The AES cipher,
// IV and ROC buffers live as long as the context; only node:crypto's HMAC is made per packet (it
// has no reset; measured faster than copying a prepared SHA-1 state).
import { createHmac } from 'node:crypto';
import { AesCounterMode, MAX_PACKET } from './aes-cm.js';
import { deriveSessionKeys } from './kdf.js';
import { ReplayWindow } from './replay.js';
import type { SrtpSuite } from './suites.js';

/** SSRCs remembered per context; a newer one pushes out the oldest. */
const MAX_SSRCS = 32;
/** RFC 3711 3.4: the E flag and 31-bit SRTCP index that follow an SRTCP packet. */
const SRTCP_INDEX_LENGTH = 4;
/** What unprotect*() returns for a packet that fails authentication. */
export const SRTP_AUTH_FAILED = -1;
/** What unprotect*() returns for a packet seen before (or too old for the replay list). */
export const SRTP_REPLAYED = -2;
/** What unprotect*() returns for a packet too short or malformed to be SRTP. */
export const SRTP_MALFORMED = -3;

class SsrcState {
  /** RFC 3711 3.3.1: the rollover counter and highest sequence number s_l (-1: none yet). */
  roc = 0;
  seq = -1;
  readonly replay = new ReplayWindow();
  /** Next SRTCP index sent, and the replay list of those received. */
  rtcpIndex = 0;
  readonly rtcpReplay = new ReplayWindow();
}

/** RTP header length: 12 bytes, CSRCs and an extension (RFC 3550 5.1, 5.3.1); -1 when it overruns. */
export function rtpHeaderLength(p: Uint8Array, length: number): number {
  let n = 12 + 4 * (p[0]! & 0x0f);
  if ((p[0]! & 0x10) !== 0) {
    if (n + 4 > length) return -1;
    n += 4 + 4 * ((p[n + 2]! << 8) | p[n + 3]!);
  }
  return n > length ? -1 : n;
}

export class SrtpContext {
  readonly suite: SrtpSuite;
  /** Packets refused: failed authentication, replayed or too old, malformed. */
  authFailures = 0;
  replays = 0;
  malformed = 0;
  readonly #rtpCipher: AesCounterMode;
  readonly #rtcpCipher: AesCounterMode;
  readonly #rtpAuthKey: Buffer;
  readonly #rtcpAuthKey: Buffer;
  readonly #rtpSalt: Buffer;
  readonly #rtcpSalt: Buffer;
  readonly #iv = Buffer.alloc(16);
  readonly #roc = Buffer.alloc(4);
  readonly #ssrcs = new Map<number, SsrcState>();
  #lastSsrc = -1;
  #last: SsrcState | null = null;

  /** `keySalt`: master key || master salt (RFC 4568 6.1). */
  constructor(suite: SrtpSuite, keySalt: Buffer) {
    if (keySalt.length !== suite.keyLength + suite.saltLength) {
      throw new RangeError(`${suite.name} needs ${suite.keyLength + suite.saltLength} bytes of key and salt`);
    }
    const keys = deriveSessionKeys(suite, keySalt.subarray(0, suite.keyLength), keySalt.subarray(suite.keyLength));
    this.suite = suite;
    this.#rtpCipher = new AesCounterMode(keys.rtpKey);
    this.#rtcpCipher = new AesCounterMode(keys.rtcpKey);
    this.#rtpAuthKey = keys.rtpAuthKey;
    this.#rtcpAuthKey = keys.rtcpAuthKey;
    this.#rtpSalt = keys.rtpSalt;
    this.#rtcpSalt = keys.rtcpSalt;
  }

  /** Room a protected packet needs beyond the plain one. */
  static readonly OVERHEAD = SRTCP_INDEX_LENGTH + 10;

  /**
   * Protects an RTP packet (RFC 3711 3.1): copies it into `out`, encrypts the payload, appends the
   * tag; returns the length written, or SRTP_MALFORMED.
   */
  protectRtp(packet: Uint8Array, length: number, out: Buffer): number {
    const header = length >= 12 && length <= MAX_PACKET ? rtpHeaderLength(packet, length) : -1;
    if (header < 0 || out.length < length + this.suite.rtpTagLength) {
      this.malformed++;
      return SRTP_MALFORMED;
    }
    const ssrc = readU32(packet, 8);
    const seq = (packet[2]! << 8) | packet[3]!;
    const state = this.#state(ssrc, true)!;
    const roc = estimateRoc(state, seq);
    updateIndex(state, roc, seq);
    out.set(packet.subarray(0, length), 0);
    this.#rtpIv(ssrc, roc, seq);
    this.#rtpCipher.apply(out, header, length - header, this.#iv);
    this.#rtpTag(out, length, roc, out, length);
    return length + this.suite.rtpTagLength;
  }

  /**
   * Authenticates, checks for replay and decrypts an SRTP packet in place (RFC 3711 3.3); returns
   * the length of the RTP packet left, or SRTP_AUTH_FAILED / SRTP_REPLAYED / SRTP_MALFORMED.
   */
  unprotectRtp(packet: Uint8Array, length: number): number {
    const tagLength = this.suite.rtpTagLength;
    const end = length - tagLength;
    const header = end >= 12 && length <= MAX_PACKET ? rtpHeaderLength(packet, end) : -1;
    if (header < 0) {
      this.malformed++;
      return SRTP_MALFORMED;
    }
    const ssrc = readU32(packet, 8);
    const seq = (packet[2]! << 8) | packet[3]!;
    const known = this.#state(ssrc, false);
    const roc = known === null ? 0 : estimateRoc(known, seq);
    const index = roc * 65536 + seq;
    if (known !== null && !known.replay.check(index)) {
      this.replays++;
      return SRTP_REPLAYED;
    }
    if (!this.#rtpTagMatches(packet, end, roc)) {
      this.authFailures++;
      return SRTP_AUTH_FAILED;
    }
    const state = known ?? this.#state(ssrc, true)!;
    this.#rtpIv(ssrc, roc, seq);
    this.#rtpCipher.apply(packet, header, end - header, this.#iv);
    updateIndex(state, roc, seq);
    state.replay.accept(index);
    return end;
  }

  /** Protects an RTCP compound packet (RFC 3711 3.4): encrypted after the first 8 bytes, E=1. */
  protectRtcp(packet: Uint8Array, length: number, out: Buffer): number {
    if (length < 8 || length > MAX_PACKET || out.length < length + SrtpContext.OVERHEAD) {
      this.malformed++;
      return SRTP_MALFORMED;
    }
    const ssrc = readU32(packet, 4);
    const state = this.#state(ssrc, true)!;
    const index = state.rtcpIndex;
    state.rtcpIndex = (index + 1) & 0x7fffffff;
    out.set(packet.subarray(0, length), 0);
    this.#rtcpIv(ssrc, index);
    this.#rtcpCipher.apply(out, 8, length - 8, this.#iv);
    writeU32(out, length, (0x80000000 | index) >>> 0);
    const end = length + SRTCP_INDEX_LENGTH;
    const tag = createHmac('sha1', this.#rtcpAuthKey).update(out.subarray(0, end)).digest();
    tag.copy(out, end, 0, this.suite.rtcpTagLength);
    return end + this.suite.rtcpTagLength;
  }

  /** Authenticates, checks for replay and decrypts an SRTCP packet in place; the RTCP length left or an error. */
  unprotectRtcp(packet: Uint8Array, length: number): number {
    const tagLength = this.suite.rtcpTagLength;
    const end = length - tagLength;
    const plain = end - SRTCP_INDEX_LENGTH;
    if (plain < 8 || length > MAX_PACKET) {
      this.malformed++;
      return SRTP_MALFORMED;
    }
    const ssrc = readU32(packet, 4);
    const word = readU32(packet, plain);
    const index = word & 0x7fffffff;
    const known = this.#state(ssrc, false);
    if (known !== null && !known.rtcpReplay.check(index)) {
      this.replays++;
      return SRTP_REPLAYED;
    }
    const tag = createHmac('sha1', this.#rtcpAuthKey).update(packet.subarray(0, end)).digest();
    if (!sameBytes(tag, packet, end, tagLength)) {
      this.authFailures++;
      return SRTP_AUTH_FAILED;
    }
    const state = known ?? this.#state(ssrc, true)!;
    if ((word & 0x80000000) !== 0) {
      this.#rtcpIv(ssrc, index);
      this.#rtcpCipher.apply(packet, 8, plain - 8, this.#iv);
    }
    state.rtcpReplay.accept(index);
    return plain;
  }

  #state(ssrc: number, create: boolean): SsrcState | null {
    if (ssrc === this.#lastSsrc) return this.#last;
    let s = this.#ssrcs.get(ssrc) ?? null;
    if (s === null) {
      if (!create) return null;
      if (this.#ssrcs.size >= MAX_SSRCS) this.#ssrcs.delete(this.#ssrcs.keys().next().value!);
      s = new SsrcState();
      this.#ssrcs.set(ssrc, s);
    }
    this.#lastSsrc = ssrc;
    this.#last = s;
    return s;
  }

  /** RFC 3711 4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = ROC || SEQ. */
  #rtpIv(ssrc: number, roc: number, seq: number): void {
    const iv = this.#iv;
    this.#rtpSalt.copy(iv, 0, 0, 14);
    iv[14] = 0;
    iv[15] = 0;
    xorU32(iv, 4, ssrc);
    xorU32(iv, 8, roc);
    iv[12]! ^= seq >>> 8;
    iv[13]! ^= seq & 0xff;
  }

  /** The same for SRTCP with its 31-bit index (RFC 3711 4.1.1, 3.4). */
  #rtcpIv(ssrc: number, index: number): void {
    const iv = this.#iv;
    this.#rtcpSalt.copy(iv, 0, 0, 14);
    iv[14] = 0;
    iv[15] = 0;
    xorU32(iv, 4, ssrc);
    xorU32(iv, 10, index);
  }

  /** RFC 3711 4.2: HMAC-SHA1 over the authenticated portion || ROC, truncated, written at `to`. */
  #rtpTag(packet: Uint8Array, end: number, roc: number, out: Buffer, to: number): void {
    writeU32(this.#roc, 0, roc);
    const tag = createHmac('sha1', this.#rtpAuthKey).update(packet.subarray(0, end)).update(this.#roc).digest();
    tag.copy(out, to, 0, this.suite.rtpTagLength);
  }

  #rtpTagMatches(packet: Uint8Array, end: number, roc: number): boolean {
    writeU32(this.#roc, 0, roc);
    const tag = createHmac('sha1', this.#rtpAuthKey).update(packet.subarray(0, end)).update(this.#roc).digest();
    return sameBytes(tag, packet, end, this.suite.rtpTagLength);
  }
}

/** RFC 3711 3.3.1: the ROC the packet with sequence number `seq` most likely belongs to. */
function estimateRoc(s: SsrcState, seq: number): number {
  if (s.seq < 0) return s.roc;
  if (s.seq < 32768) return seq - s.seq > 32768 && s.roc > 0 ? s.roc - 1 : s.roc;
  return s.seq - 32768 > seq ? (s.roc + 1) >>> 0 : s.roc;
}

/** RFC 3711 3.3.1: s_l and ROC move on with an authenticated (or sent) packet. */
function updateIndex(s: SsrcState, roc: number, seq: number): void {
  if (s.seq < 0 || roc > s.roc) {
    s.roc = roc;
    s.seq = seq;
  } else if (roc === s.roc && seq > s.seq) {
    s.seq = seq;
  }
}

/** Constant-time comparison of the first `n` bytes of `tag` with `packet` from `at`. */
function sameBytes(tag: Uint8Array, packet: Uint8Array, at: number, n: number): boolean {
  let diff = 0;
  for (let i = 0; i < n; i++) diff |= tag[i]! ^ packet[at + i]!;
  return diff === 0;
}

function readU32(p: Uint8Array, at: number): number {
  return ((p[at]! << 24) | (p[at + 1]! << 16) | (p[at + 2]! << 8) | p[at + 3]!) >>> 0;
}

function writeU32(p: Uint8Array, at: number, v: number): void {
  p[at] = v >>> 24;
  p[at + 1] = (v >>> 16) & 0xff;
  p[at + 2] = (v >>> 8) & 0xff;
  p[at + 3] = v & 0xff;
}

function xorU32(p: Uint8Array, at: number, v: number): void {
  p[at]! ^= v >>> 24;
  p[at + 1]! ^= (v >>> 16) & 0xff;
  p[at + 2]! ^= (v >>> 8) & 0xff;
  p[at + 3]! ^= v & 0xff;
}
