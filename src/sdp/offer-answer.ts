// RFC 3264 offer/answer for a B2BUA that anchors media: every leg sees the PBX's address and port,
// and hold passes through as a direction. The PBX offers the other leg what the offerer offered
// plus what it can transcode; when the answer shares a codec with the offer the call is a pure
// relay, otherwise each leg gets a codec of its own and the media worker transcodes between them.
// Only the first active RTP/AVP (or RTP/SAVP, RFC 3711) audio stream is anchored; other streams
// are rejected. SDES keys (sdes.ts) are added to what these functions build by the caller.
import { randomInt } from 'node:crypto';
import type { Direction, MediaSection, Sdp } from './types.js';
import { bareSection, effectiveConnection, effectiveDirection } from './types.js';
import { serializeSdp } from './serialize.js';

/** One payload format of a stream, with the payload type number that stream uses for it. */
export interface Codec {
  pt: number;
  encoding: string;
  clockRate: number;
  channels: number | null;
  /** The a=fmtp parameters, null when none. */
  fmtp: string | null;
}

/** The PBX's own end of a leg: the address written into SDP (rtp.address) and the leg's RTP port. */
export interface LocalMedia {
  address: string;
  port: number;
}

/** Where a leg's media is and what it carries, read from the leg's description. */
export interface RemoteMedia {
  /** null when the description holds no usable address (none, or 0.0.0.0 / :: for hold). */
  address: string | null;
  port: number;
  rtcpAddress: string | null;
  rtcpPort: number;
  direction: Direction;
  codecs: Codec[];
  ptime: number | null;
}

/** RFC 3551 table 4: static payload types the PBX can meet without an a=rtpmap. */
const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, [string, number]> = new Map([
  [0, ['PCMU', 8000]],
  [3, ['GSM', 8000]],
  [4, ['G723', 8000]],
  [8, ['PCMA', 8000]],
  [9, ['G722', 8000]],
  [13, ['CN', 8000]],
  [18, ['G729', 8000]],
]);

/** Formats that carry no audio of their own: a stream needs a real codec besides these. */
const AUXILIARY = new Set(['telephone-event', 'cn']);
const RTP_PROTOS = new Set(['RTP/AVP', 'RTP/AVPF', 'RTP/SAVP', 'RTP/SAVPF']);

/** The codecs of an m= section in its order of preference; formats the PBX cannot name are left out. */
function codecsOf(m: MediaSection): Codec[] {
  const out: Codec[] = [];
  for (const f of m.formats) {
    if (!/^[0-9]{1,3}$/.test(f)) continue;
    const pt = Number(f);
    if (pt > 127) continue;
    const map = m.rtpmaps.find((r) => r.pt === pt);
    const fmtp = m.fmtps.find((x) => x.format === f)?.params ?? null;
    if (map !== undefined) {
      out.push({ pt, encoding: map.encoding, clockRate: map.clockRate, channels: map.channels, fmtp });
      continue;
    }
    const known = STATIC_PAYLOAD_TYPES.get(pt);
    if (known !== undefined) out.push({ pt, encoding: known[0], clockRate: known[1], channels: null, fmtp });
  }
  return out;
}

/** Index of the stream the PBX anchors: the first audio RTP/AVP(F) or RTP/SAVP(F) stream not rejected; -1 if none. */
export function audioStreamIndex(sdp: Sdp): number {
  return sdp.media.findIndex((m) => m.media === 'audio' && m.port !== 0 && RTP_PROTOS.has(m.proto));
}

function isNullAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '0:0:0:0:0:0:0:0';
}

/** Where to send a leg's RTP and RTCP, per its description; null when it has no audio stream. */
export function remoteMedia(sdp: Sdp): RemoteMedia | null {
  const i = audioStreamIndex(sdp);
  if (i < 0) return null;
  const m = sdp.media[i]!;
  const c = effectiveConnection(sdp, m);
  const address = c === null || isNullAddress(c.address) ? null : c.address;
  // RFC 3605: a=rtcp may move RTCP; RFC 3550 11: otherwise it is the next port up.
  const rtcpAddress = m.rtcp?.connection?.address ?? address;
  return {
    address,
    port: m.port,
    rtcpAddress: rtcpAddress !== null && isNullAddress(rtcpAddress) ? null : rtcpAddress,
    rtcpPort: m.rtcp?.port ?? m.port + 1,
    direction: holdDirection(effectiveDirection(sdp, m), address === null),
    codecs: codecsOf(m),
    ptime: m.ptime,
  };
}

/** RFC 3264 8.4: a null connection address (RFC 2543 hold) means "do not send to me". */
function holdDirection(d: Direction, nullAddress: boolean): Direction {
  if (!nullAddress) return d;
  return d === 'sendrecv' || d === 'sendonly' ? 'sendonly' : 'inactive';
}

/** RFC 3264 6.1: the direction an answer may take given the offer's and the one wanted. */
function answerDirection(offer: Direction, wanted: Direction): Direction {
  const canSend = offer === 'sendrecv' || offer === 'recvonly';
  const canRecv = offer === 'sendrecv' || offer === 'sendonly';
  const send = canSend && (wanted === 'sendrecv' || wanted === 'sendonly');
  const recv = canRecv && (wanted === 'sendrecv' || wanted === 'recvonly');
  return send ? (recv ? 'sendrecv' : 'sendonly') : recv ? 'recvonly' : 'inactive';
}

function sameFormat(a: Codec, b: Codec): boolean {
  return (
    a.encoding.toLowerCase() === b.encoding.toLowerCase() &&
    a.clockRate === b.clockRate &&
    (a.channels ?? 1) === (b.channels ?? 1)
  );
}

function addrType(address: string): string {
  return address.includes(':') ? 'IP6' : 'IP4';
}

function audioSection(local: LocalMedia, codecs: Codec[], ptime: number | null, direction: Direction): MediaSection {
  const m = bareSection('audio', local.port, null, 'RTP/AVP', codecs.map((c) => String(c.pt)));
  m.rtpmaps = codecs.map((c) => ({ pt: c.pt, encoding: c.encoding, clockRate: c.clockRate, channels: c.channels }));
  m.fmtps = codecs.filter((c) => c.fmtp !== null).map((c) => ({ format: String(c.pt), params: c.fmtp! }));
  m.ptime = ptime;
  m.direction = direction;
  return m;
}

/** A description from the PBX; its o= is a placeholder until LocalSdp.stamp() sets it. */
function description(local: LocalMedia, media: MediaSection[]): Sdp {
  const type = addrType(local.address);
  return {
    version: 0,
    origin: { username: '-', sessionId: '0', sessionVersion: '0', netType: 'IN', addrType: type, address: local.address },
    sessionName: 'tspbx',
    info: [],
    connection: { netType: 'IN', addrType: type, address: local.address, suffix: null },
    timing: [{ type: 't', value: '0 0' }],
    direction: null,
    attributes: [],
    media,
  };
}

function isAudio(c: Codec): boolean {
  return !AUXILIARY.has(c.encoding.toLowerCase());
}

function named(list: readonly string[]): Set<string> {
  return new Set(list.map((s) => s.toLowerCase()));
}

/**
 * How the PBX writes a codec it adds to an offer: the static payload type where RFC 3551 has one,
 * and the rtpmap/fmtp that RFC 7587 (opus), RFC 4733 (telephone-event) and RFC 3551 (L16) give.
 */
const ADDED_FORMATS: ReadonlyMap<string, Omit<Codec, 'pt'> & { staticPt: number | null }> = new Map([
  ['pcmu', { encoding: 'PCMU', clockRate: 8000, channels: null, fmtp: null, staticPt: 0 }],
  ['pcma', { encoding: 'PCMA', clockRate: 8000, channels: null, fmtp: null, staticPt: 8 }],
  ['g722', { encoding: 'G722', clockRate: 8000, channels: null, fmtp: null, staticPt: 9 }],
  ['opus', { encoding: 'opus', clockRate: 48000, channels: 2, fmtp: 'useinbandfec=1', staticPt: null }],
  ['l16', { encoding: 'L16', clockRate: 16000, channels: null, fmtp: null, staticPt: null }],
  ['telephone-event', { encoding: 'telephone-event', clockRate: 8000, channels: null, fmtp: '0-16', staticPt: null }],
]);

/** RFC 3551 6: dynamic payload types are 96-127. */
function freeDynamicPt(used: ReadonlySet<number>): number {
  for (let pt = 96; pt <= 127; pt++) if (!used.has(pt)) return pt;
  return -1;
}

/**
 * The PBX's offer to the other leg, built from a leg's offer: the codecs of that offer the PBX
 * supports (encoding names, case-insensitive), in the offerer's order and with its payload type
 * numbers, then, when the offer has an audio codec the PBX can transcode, every other supported
 * codec in `transcodable` (in the order of `supported`, static payload types or free dynamic
 * ones); at the PBX's address and port, with the offerer's direction (a null address becomes
 * sendonly or inactive). null when no audio codec can be offered: answer the offer with 488.
 */
export function offerForward(
  remoteOffer: Sdp,
  local: LocalMedia,
  supported: readonly string[],
  transcodable: readonly string[] = [],
): { sdp: Sdp; codecs: Codec[] } | null {
  const remote = remoteMedia(remoteOffer);
  if (remote === null) return null;
  const wanted = named(supported);
  const canTranscode = named(transcodable);
  const codecs = remote.codecs.filter((c) => wanted.has(c.encoding.toLowerCase()));
  if (codecs.some((c) => isAudio(c) && canTranscode.has(c.encoding.toLowerCase()))) {
    const used = new Set(remote.codecs.map((c) => c.pt));
    for (const name of supported) {
      const lower = name.toLowerCase();
      const format = ADDED_FORMATS.get(lower);
      if (format === undefined || !canTranscode.has(lower) || codecs.some((c) => c.encoding.toLowerCase() === lower)) continue;
      const pt = format.staticPt !== null && !used.has(format.staticPt) ? format.staticPt : freeDynamicPt(used);
      if (pt < 0) continue;
      used.add(pt);
      codecs.push({ pt, encoding: format.encoding, clockRate: format.clockRate, channels: format.channels, fmtp: format.fmtp });
    }
  }
  if (!codecs.some(isAudio)) return null;
  return { sdp: description(local, [audioSection(local, codecs, remote.ptime, remote.direction)]), codecs };
}

/**
 * The PBX's answer to the leg that sent `originalOffer`, from the other leg's answer to the offer
 * offerForward() built: the codecs that leg accepted, in its order, named with the offerer's
 * payload type numbers; the PBX's address and port; the answerer's direction, kept compatible
 * with the offer. When the answer shares no audio codec with the offer but both sides have one
 * in `transcodable`, the answer is the offerer's first transcodable codec (and its
 * telephone-event when it offered one): the call is transcoded. Streams the PBX does not anchor
 * are rejected (port 0), as RFC 3264 6 requires one m= line per offered one. null when the
 * answer accepted no audio codec the PBX can relay or transcode.
 */
export function answerBack(remoteAnswer: Sdp, originalOffer: Sdp, local: LocalMedia, transcodable: readonly string[] = []): Sdp | null {
  const answer = remoteMedia(remoteAnswer);
  const index = audioStreamIndex(originalOffer);
  const offer = remoteMedia(originalOffer);
  if (answer === null || offer === null || index < 0) return null;
  let codecs: Codec[] = [];
  for (const accepted of answer.codecs) {
    const ours = offer.codecs.find((c) => sameFormat(c, accepted));
    if (ours !== undefined && !codecs.some((c) => c.pt === ours.pt)) codecs.push({ ...ours, fmtp: accepted.fmtp ?? ours.fmtp });
  }
  if (!codecs.some(isAudio)) {
    const canTranscode = named(transcodable);
    const theirs = answer.codecs.find((c) => isAudio(c) && canTranscode.has(c.encoding.toLowerCase()));
    const ours = offer.codecs.find((c) => isAudio(c) && canTranscode.has(c.encoding.toLowerCase()));
    if (theirs === undefined || ours === undefined) return null;
    const events = offer.codecs.find((c) => c.encoding.toLowerCase() === 'telephone-event');
    codecs = events === undefined ? [ours] : [ours, events];
  }
  const direction = answerDirection(offer.direction, answer.direction);
  const media = originalOffer.media.map((m, i) =>
    i === index ? audioSection(local, codecs, answer.ptime, direction) : rejected(m),
  );
  return description(local, media);
}

/** RFC 3264 6: a rejected stream keeps its m= line with port 0 and its formats. */
function rejected(m: MediaSection): MediaSection {
  return bareSection(m.media, 0, null, m.proto, m.formats.length > 0 ? m.formats : ['0']);
}

/**
 * An offer of the PBX's own (for a leg that sent no offer, e.g. an INVITE without SDP): the named
 * encodings with their static payload types, telephone-event as dynamic type 101.
 */
export function localOffer(local: LocalMedia, supported: readonly string[]): Sdp {
  const codecs: Codec[] = [];
  for (const name of supported) {
    const lower = name.toLowerCase();
    if (lower === 'telephone-event') {
      codecs.push({ pt: 101, encoding: 'telephone-event', clockRate: 8000, channels: null, fmtp: '0-16' });
      continue;
    }
    for (const [pt, [encoding, clockRate]] of STATIC_PAYLOAD_TYPES) {
      if (encoding.toLowerCase() === lower) codecs.push({ pt, encoding, clockRate, channels: null, fmtp: null });
    }
  }
  return description(local, [audioSection(local, codecs, 20, 'sendrecv')]);
}

/** The codec a leg sends and receives, and its telephone-event format (RFC 4733) if it has one. */
export interface LegCodec {
  audio: Codec;
  events: Codec | null;
}

/**
 * The codec a leg uses, from the codecs of the description that settled its side: the first audio
 * codec (RFC 3264 6.1: the answerer's most preferred), or the first one `preferred` also has, so
 * that two legs that can share a codec do. null when there is no audio codec.
 */
export function legCodec(codecs: readonly Codec[], preferred: readonly Codec[] = []): LegCodec | null {
  const audio = codecs.find((c) => isAudio(c) && preferred.some((p) => sameFormat(p, c))) ?? codecs.find(isAudio);
  if (audio === undefined) return null;
  return { audio, events: codecs.find((c) => c.encoding.toLowerCase() === 'telephone-event') ?? null };
}

/** True when two legs' codecs are the same format: the call can be a pure relay. */
export function sameCodec(a: LegCodec, b: LegCodec): boolean {
  return sameFormat(a.audio, b.audio);
}

/**
 * Payload type numbers from one leg's numbering to another's, for every format both carry
 * (telephone-event may be 101 on one leg and 96 on the other). Feed it to MediaEngine.setRemote
 * of the `to` leg, with `from` the codecs of the leg it is bridged to.
 */
export function payloadTypeMap(from: readonly Codec[], to: readonly Codec[]): Record<number, number> {
  const map: Record<number, number> = {};
  for (const f of from) {
    const t = to.find((c) => sameFormat(c, f));
    if (t !== undefined && !(f.pt in map)) map[f.pt] = t.pt;
  }
  return map;
}

/**
 * The PBX's side of one leg's session (RFC 3264 8): one o= session id for the leg's life, and a
 * version that goes up by one whenever a description differs from the previous one (a session
 * refresh with the same description keeps the same version).
 */
export class LocalSdp {
  readonly #username: string;
  readonly #sessionId: string;
  #version: bigint;
  #last: string | null = null;

  constructor(username = 'tspbx') {
    this.#username = username;
    this.#sessionId = String(randomInt(1, 2 ** 47));
    this.#version = BigInt(randomInt(1, 2 ** 31));
  }

  get sessionId(): string {
    return this.#sessionId;
  }

  /** A copy of `sdp` with this leg's o= line, the version bumped if the description changed. */
  stamp(sdp: Sdp): Sdp {
    const body = serializeSdp({ ...sdp, origin: { ...sdp.origin, sessionId: '0', sessionVersion: '0' } });
    if (this.#last !== null && body !== this.#last) this.#version++;
    this.#last = body;
    return {
      ...sdp,
      origin: {
        ...sdp.origin,
        username: this.#username,
        sessionId: this.#sessionId,
        sessionVersion: String(this.#version),
      },
    };
  }
}

/**
 * The PBX's own answer to an offer, when the PBX itself takes the call (an IVR answering): the
 * first audio codec of the offer that the PBX can decode (`decodable`, encoding names), with the
 * offer's payload type number, and the offer's telephone-event (RFC 4733) when it has one; the
 * PBX's address and port; sendrecv as far as the offer allows (RFC 3264 6.1). Streams the PBX
 * does not anchor are rejected. null when the offer has no codec the PBX can decode (488).
 */
export function answerOffer(remoteOffer: Sdp, local: LocalMedia, decodable: readonly string[]): Sdp | null {
  const index = audioStreamIndex(remoteOffer);
  const offer = remoteMedia(remoteOffer);
  if (offer === null || index < 0) return null;
  const can = named(decodable);
  const audio = offer.codecs.find((c) => isAudio(c) && can.has(c.encoding.toLowerCase()));
  if (audio === undefined) return null;
  const events = offer.codecs.find((c) => c.encoding.toLowerCase() === 'telephone-event');
  const codecs = events === undefined ? [audio] : [audio, events];
  const direction = answerDirection(offer.direction, 'sendrecv');
  const media = remoteOffer.media.map((m, i) => (i === index ? audioSection(local, codecs, offer.ptime, direction) : rejected(m)));
  return description(local, media);
}
