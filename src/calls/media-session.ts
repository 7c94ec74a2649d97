// The media side of one call: two legs on the MediaEngine (one towards the caller, one towards the
// callee) and the SDP offer/answer that points each phone at its PBX leg (RFC 3264, media anchored).
// Each side's dtmf_mode shapes the telephone-event (RFC 4733) it is offered: none for a phone that
// gets digits by SIP INFO or in-band; kept in the answer to a phone that offered it even when the
// other side has none, since the media worker converts digits between the legs.
// Each side's media_encryption shapes the SDES (RFC 4568) of what it is offered and answered: an
// SRTP side's leg gets its phone's key and the PBX's own, so that the media worker decrypts and
// encrypts it, bridged to a plain side or to another SRTP one (each with its own keys).
import { answerBack, answerOffer, LocalSdp, legCodec, localOffer, offerForward, payloadTypeMap, remoteMedia, sameCodec, type LegCodec, type RemoteMedia } from '../sdp/offer-answer.js';
import { parseSdp } from '../sdp/parse.js';
import { serializeSdp } from '../sdp/serialize.js';
import { acceptedCrypto, answerWithCrypto, chooseCrypto, newKeySalt, offerWithCrypto, type CryptoAttribute, type MediaEncryption, type OfferCrypto } from '../sdp/sdes.js';
import type { SrtpLegKeys } from '../media/srtp/leg-keys.js';
import type { SrtpSuiteName } from '../media/srtp/suites.js';
import { eventsFormat, withoutTelephoneEvent, withTelephoneEvent } from '../sdp/telephone-event.js';
import type { Direction, Sdp } from '../sdp/types.js';
import type { DtmfMode } from '../config/types.js';
import type { CdrQuality } from '../store/types.js';
import type { CallMedia } from './deps.js';
import { legQuality, withDeadline } from './quality.js';
import type { Log } from '../util/log.js';

export type Side = 'caller' | 'callee';

/** What the PBX offers (rtp.codecs) and what its media workers can transcode between. */
export interface CodecPolicy {
  offered: readonly string[];
  transcodable: readonly string[];
  /** How each side's phone takes digits (its extension's dtmf_mode); auto when not given. */
  dtmf?: Readonly<Record<Side, DtmfMode>>;
  /** Each side's media_encryption (its extension's or trunk's); none when not given. */
  encryption?: Readonly<Record<Side, MediaEncryption>>;
}

/** How a digit goes to a side's phone: by SIP INFO, as RFC 4733 events, or as tones in the audio. */
export type DigitsOut = 'info' | 'rfc4733' | 'inband';
/** Formats that carry no audio of their own (not the codec a call's quality is rated for). */
const AUXILIARY: ReadonlySet<string> = new Set(['telephone-event', 'cn']);

function other(side: Side): Side {
  return side === 'caller' ? 'callee' : 'caller';
}

interface LegMedia {
  legId: string | null;
  port: number;
  local: LocalSdp;
  /** The description this side last sent us (offer or answer). */
  remote: Sdp | null;
  /** Our last description to this side, for an offerless re-INVITE. */
  lastSent: Buffer | null;
  /** The codec this side settled on in the last offer/answer. */
  codec: LegCodec | null;
  /** The PBX's SDES master keys towards this side, one per suite, made when first offered. */
  keys: Map<SrtpSuiteName, string>;
  /** The SRTP keys the leg uses since the last offer/answer; null: plain RTP. */
  srtp: SrtpLegKeys | null;
}

export class MediaSession {
  readonly #engine: CallMedia;
  readonly #address: string;
  readonly #group: string;
  readonly #log: Log;
  readonly #legs: Record<Side, LegMedia>;
  readonly #codecs: CodecPolicy;
  /** Each side's dtmf_mode (swapped with the sides). */
  readonly #dtmf: Record<Side, DtmfMode>;
  /** Each side's media_encryption (swapped with the sides). */
  readonly #encryption: Record<Side, MediaEncryption>;
  /** The offer waiting for its answer, the side that made it, and what the PBX chose for its SDES. */
  #pendingOffer: { from: Side; sdp: Sdp; crypto: OfferCrypto } | null = null;
  #closed = false;

  constructor(engine: CallMedia, address: string, group: string, log: Log, codecs: CodecPolicy) {
    this.#engine = engine;
    this.#address = address;
    this.#group = group;
    this.#log = log;
    this.#codecs = codecs;
    this.#dtmf = { caller: codecs.dtmf?.caller ?? 'auto', callee: codecs.dtmf?.callee ?? 'auto' };
    this.#encryption = { caller: codecs.encryption?.caller ?? 'none', callee: codecs.encryption?.callee ?? 'none' };
    const leg = (): LegMedia => ({ legId: null, port: 0, local: new LocalSdp(), remote: null, lastSent: null, codec: null, keys: new Map(), srtp: null });
    this.#legs = { caller: leg(), callee: leg() };
  }

  /**
   * Opens the media legs (grouped so that the call's packets stay in one worker); once. Both sides
   * by default; `['caller']` for a session that faces one phone (the target of a consultation).
   */
  async open(sides: readonly Side[] = ['caller', 'callee']): Promise<void> {
    if (this.#legs.caller.legId !== null) return;
    const opened = await Promise.allSettled(sides.map(() => this.#engine.openLeg(this.#group)));
    let failure: unknown = null;
    opened.forEach((result, i) => {
      if (result.status === 'rejected') {
        failure = result.reason;
        return;
      }
      const leg = this.#legs[sides[i]!];
      leg.legId = result.value.legId;
      leg.port = result.value.port;
      if (this.#closed) this.#closeLeg(leg);
    });
    if (failure !== null) throw failure;
  }

  /** True when `legId` is one of this call's media legs. */
  owns(legId: string): boolean {
    return this.sideOf(legId) !== null;
  }

  /** Which side a media leg of this session faces; null when it is not one of them. */
  sideOf(legId: string): Side | null {
    return this.#legs.caller.legId === legId ? 'caller' : this.#legs.callee.legId === legId ? 'callee' : null;
  }

  /**
   * An offer from `from`: the offer to send to the other side, pointing at the other side's PBX leg,
   * with what the PBX can transcode added. null when it cannot be read or has no codec the PBX can
   * relay or transcode (answer 488).
   */
  forwardOffer(from: Side, body: Buffer): Buffer | null {
    const offer = parse(body);
    if (offer === null) return null;
    const crypto = chooseCrypto(offer, this.#encryption[from]);
    if (crypto.kind === 'refuse') return null;
    const to = this.#legs[other(from)];
    const fwd = attempt(() => offerForward(offer, { address: this.#address, port: to.port }, this.#codecs.offered, this.#codecs.transcodable));
    if (fwd === null) return null;
    this.#pendingOffer = { from, sdp: offer, crypto };
    this.#legs[from].remote = offer;
    return this.#send(to, this.#offerTo(other(from), this.#eventsAllowed(other(from)) ? fwd.sdp : withoutTelephoneEvent(fwd.sdp)));
  }

  /**
   * The answer from `from` to the offer last forwarded to it: the answer for the offerer, pointing
   * at the offerer's PBX leg; both media legs then send where the phones asked, each in its own
   * codec (the same one for a pure relay, different ones when the worker transcodes). null when
   * the answer cannot be read or has no codec the PBX can relay or transcode to the offer.
   */
  answerBack(from: Side, body: Buffer): Buffer | null {
    const pending = this.#pendingOffer;
    const answer = parse(body);
    if (pending === null || answer === null || pending.from === from) return null;
    const accepted = acceptedCrypto(answer, this.#encryption[from]);
    if (accepted === 'refuse') return null;
    const offerer = this.#legs[pending.from];
    const back = attempt(() => answerBack(answer, pending.sdp, { address: this.#address, port: offerer.port }, this.#codecs.transcodable));
    if (back === null) return null;
    this.#shapeAnswer(pending.from, back, pending.sdp);
    this.#answerTo(pending.from, back, pending.crypto);
    this.#legs[from].srtp = this.#srtpWith(from, accepted);
    const offererCodecs = remoteMedia(back)?.codecs ?? [];
    offerer.codec = legCodec(offererCodecs);
    this.#legs[from].codec = legCodec(remoteMedia(answer)?.codecs ?? [], offererCodecs);
    this.#legs[from].remote = answer;
    this.#point();
    return this.#send(offerer, back);
  }

  /** Encoding names the PBX both offers (rtp.codecs) and can decode: what it speaks itself. */
  #decodable(): string[] {
    const can = new Set(this.#codecs.transcodable.map((c) => c.toLowerCase()));
    return this.#codecs.offered.filter((c) => can.has(c.toLowerCase()) || c.toLowerCase() === 'telephone-event');
  }

  /**
   * The PBX answers the caller's offer itself (an app takes the call): one codec the media worker
   * decodes, and telephone-event when offered. The caller's leg is pointed at the phone and set to
   * that codec. null when the offer cannot be read or has no such codec (488).
   */
  answerLocally(body: Buffer): Buffer | null {
    const offer = parse(body);
    const caller = this.#legs.caller;
    if (offer === null) return null;
    const crypto = chooseCrypto(offer, this.#encryption.caller);
    if (crypto.kind === 'refuse') return null;
    const answer = attempt(() => answerOffer(offer, { address: this.#address, port: caller.port }, this.#decodable()));
    if (answer === null) return null;
    this.#answerTo('caller', answer, crypto);
    caller.remote = offer;
    caller.codec = legCodec(remoteMedia(answer)?.codecs ?? []);
    this.#pointCaller();
    return this.#send(caller, answer);
  }

  /** The PBX's own offer to a caller that sent none (its 200 carries it; the ACK the answer). */
  offerLocally(): Buffer {
    return this.#send(this.#legs.caller, this.#offerTo('caller', localOffer({ address: this.#address, port: this.#legs.caller.port }, this.#decodable())));
  }

  /** The caller's answer (in its ACK) to offerLocally(); false when it is unusable. */
  acceptLocalAnswer(body: Buffer): boolean {
    const answer = parse(body);
    const codec = answer === null ? null : legCodec(remoteMedia(answer)?.codecs ?? []);
    const accepted = answer === null ? 'refuse' : acceptedCrypto(answer, this.#encryption.caller);
    if (answer === null || codec === null || accepted === 'refuse') return false;
    this.#legs.caller.srtp = this.#srtpWith('caller', accepted);
    this.#legs.caller.remote = answer;
    this.#legs.caller.codec = codec;
    this.#pointCaller();
    return true;
  }

  /**
   * The offer for the callee of a hand-over (the caller is already answered by the PBX): the
   * caller's codecs first, then what the PBX can transcode, at the callee leg's port. The caller's
   * side is not renegotiated. null when the caller's side is not settled.
   */
  handOverOffer(): Buffer | null {
    const caller = this.#legs.caller.remote;
    if (caller === null) return null;
    const callee = this.#legs.callee;
    const fwd = attempt(() => offerForward(caller, { address: this.#address, port: callee.port }, this.#codecs.offered, this.#codecs.transcodable));
    if (fwd === null) return null;
    return this.#send(callee, this.#offerTo('callee', this.#eventsAllowed('callee') ? fwd.sdp : withoutTelephoneEvent(fwd.sdp)));
  }

  /**
   * The callee's answer to handOverOffer(): its leg gets the caller's codec when it accepted it,
   * else its own (the worker transcodes). false when the answer has no codec the PBX can relay to
   * the caller or transcode.
   */
  handOverAnswer(body: Buffer): boolean {
    const answer = parse(body);
    const callerCodec = this.#legs.caller.codec;
    if (answer === null || callerCodec === null) return false;
    const codec = legCodec(remoteMedia(answer)?.codecs ?? [], [callerCodec.audio]);
    if (codec === null) return false;
    const can = new Set(this.#codecs.transcodable.map((c) => c.toLowerCase()));
    if (!sameCodec(codec, callerCodec) && !can.has(codec.audio.encoding.toLowerCase())) return false;
    const accepted = acceptedCrypto(answer, this.#encryption.callee);
    if (accepted === 'refuse') return false;
    this.#legs.callee.srtp = this.#srtpWith('callee', accepted);
    this.#legs.callee.remote = answer;
    this.#legs.callee.codec = codec;
    this.#point();
    return true;
  }

  /** Ringback to the caller's side (a hand-over or an originated call ringing its second party) or its end. */
  ringback(on: boolean): void {
    const leg = this.legId('caller');
    if (leg === null) return;
    const done = on ? this.#engine.tone?.(leg, 'ringback') : this.#engine.stopPlay?.(leg);
    done?.catch((err: unknown) => this.#log.warn({ err, on }, 'ringback tone failed'));
  }

  /** The media leg facing a side (null before open() or after close()). */
  legId(side: Side): string | null {
    return this.#legs[side].legId;
  }

  /**
   * Our answer to `side`'s offer: without telephone-event when that side takes digits another
   * way; otherwise with the telephone-event it offered, whether or not the other side has one.
   */
  #shapeAnswer(side: Side, answer: Sdp, offer: Sdp): void {
    if (!this.#eventsAllowed(side)) {
      withoutTelephoneEvent(answer);
      return;
    }
    const audio = legCodec(remoteMedia(answer)?.codecs ?? [])?.audio;
    const events = audio === undefined ? null : eventsFormat(remoteMedia(offer)?.codecs ?? [], audio.clockRate);
    if (events !== null) withTelephoneEvent(answer, events);
  }

  #mode(side: Side): DtmfMode {
    return this.#dtmf[side];
  }

  /** The PBX's SDES key of a suite towards a side: made once, the same in every later offer. */
  #keyOf(side: Side): (suite: SrtpSuiteName) => string {
    const keys = this.#legs[side].keys;
    return (suite) => {
      let k = keys.get(suite);
      if (k === undefined) {
        k = newKeySalt(suite);
        keys.set(suite, k);
      }
      return k;
    };
  }

  /** An offer to a side, with the proto and crypto lines its media_encryption asks for. */
  #offerTo(side: Side, sdp: Sdp): Sdp {
    return offerWithCrypto(sdp, this.#encryption[side], this.#keyOf(side));
  }

  /** The PBX's answer to a side's offer with the SDES chosen for it; the side's leg keys follow. */
  #answerTo(side: Side, answer: Sdp, crypto: OfferCrypto): void {
    answerWithCrypto(answer, crypto, this.#keyOf(side));
    this.#legs[side].srtp = crypto.kind === 'srtp' ? this.#srtpWith(side, crypto.crypto) : null;
  }

  /** The leg keys for the crypto line a side's phone sent (its key) and the PBX's key of that suite. */
  #srtpWith(side: Side, theirs: CryptoAttribute | null): SrtpLegKeys | null {
    if (theirs === null) return null;
    return { suite: theirs.suite, send: this.#keyOf(side)(theirs.suite), receive: theirs.keySalt };
  }

  /**
   * The two sides change places (a caller-side transfer: the callee is the party that stays, and
   * goes on as the caller side of a hand-over). Each media leg keeps facing its phone.
   */
  swapSides(): void {
    const caller = this.#legs.caller;
    this.#legs.caller = this.#legs.callee;
    this.#legs.callee = caller;
    const mode = this.#dtmf.caller;
    this.#dtmf.caller = this.#dtmf.callee;
    this.#dtmf.callee = mode;
    const encryption = this.#encryption.caller;
    this.#encryption.caller = this.#encryption.callee;
    this.#encryption.callee = encryption;
    this.#pendingOffer = null;
  }

  /**
   * A side's phone is linked to a side of another session (transfer, pickup, park: the caller sides;
   * a consultation: the transferer's side and the target): its leg maps that side's payload types.
   * Both sides must have their description (answered).
   */
  linkTo(other: MediaSession, mySide: Side = 'caller', theirSide: Side = 'caller'): void {
    const mine = this.#remoteOf(mySide);
    const theirs = other.#remoteOf(theirSide);
    if (mine !== null && theirs !== null) this.#setRemote(this.#legs[mySide], mine, theirs);
  }

  /** Points both legs at their phones again, each mapping the other's payload types (after a link elsewhere ended). */
  repoint(): void {
    this.#point();
  }

  /**
   * `side` takes over the media leg of `from`'s `fromSide` with its descriptions and codec (a
   * consultation's target becomes this call's party); the leg it had is closed, and `from` no
   * longer owns the one it gave.
   */
  adopt(side: Side, from: MediaSession, fromSide: Side): void {
    const taken = from.#legs[fromSide];
    from.#legs[fromSide] = { legId: null, port: 0, local: new LocalSdp(), remote: null, lastSent: null, codec: null, keys: new Map(), srtp: null };
    this.#closeLeg(this.#legs[side]);
    this.#legs[side] = taken;
    this.#dtmf[side] = from.#dtmf[fromSide];
    this.#pendingOffer = null;
    this.#point();
  }

  /** The dtmf_mode of the callee rung next (a hand-over to another extension than the call was routed to). */
  setCalleeDtmfMode(mode: DtmfMode): void {
    this.#dtmf.callee = mode;
  }

  /** The media_encryption of the callee rung next (as setCalleeDtmfMode). */
  setCalleeEncryption(mode: MediaEncryption): void {
    this.#encryption.callee = mode;
  }

  /** Whether a side's media is SRTP since its last offer/answer. */
  encrypted(side: Side): boolean {
    return this.#legs[side].srtp !== null;
  }

  /** Whether a side's phone may negotiate telephone-event: not when it takes digits by INFO or in-band. */
  #eventsAllowed(side: Side): boolean {
    const mode = this.#mode(side);
    return mode === 'auto' || mode === 'rfc4733';
  }

  /**
   * How digits go to a side's phone: by INFO when its dtmf_mode says so, as RFC 4733 events when its
   * leg negotiated telephone-event, else as tones in the audio.
   */
  digitsOut(side: Side): DigitsOut {
    if (this.#mode(side) === 'info') return 'info';
    return this.#legs[side].codec?.events != null ? 'rfc4733' : 'inband';
  }

  /** Sends a digit to a side's phone in its media (RFC 4733 events or tones, as its leg negotiated); never rejects. */
  sendDigit(side: Side, digit: string): void {
    const legId = this.#legs[side].legId;
    const engine = this.#engine;
    if (legId === null || this.#closed || engine.sendDigit === undefined) return;
    engine.sendDigit(legId, digit).catch((err: unknown) => this.#log.warn({ err, legId }, 'digit could not be sent to the leg'));
  }

  /** The offer/answer exchange in progress is over (its answer came, or it failed). */
  settle(): void {
    this.#pendingOffer = null;
  }

  /** Our last description to a side. */
  lastSent(side: Side): Buffer | null {
    return this.#legs[side].lastSent;
  }

  /** The direction of the audio stream in the last description a side sent us (for logs). */
  remoteDirection(side: Side): Direction | null {
    return this.#remoteOf(side)?.direction ?? null;
  }

  /** Joins the two legs: RTP from each phone goes out to the other. */
  async bridge(): Promise<void> {
    const a = this.#legs.caller.legId;
    const b = this.#legs.callee.legId;
    if (a === null || b === null || this.#closed) return;
    await this.#engine.bridge(a, b);
  }

  /**
   * Records the call to `path` (stereo: the caller left, the callee right); resolves with the
   * recording's id, rejects when the engine cannot (no such verb, legs gone, file not writable).
   */
  async record(path: string, mode: 'stereo' | 'mono'): Promise<string> {
    const a = this.#legs.caller.legId;
    const b = this.#legs.callee.legId;
    if (this.#engine.record === undefined || a === null || b === null || this.#closed) {
      throw new Error('the media legs cannot be recorded');
    }
    return this.#engine.record([a, b], path, { mode });
  }

  /** Pauses or resumes a recording; rejects when the engine cannot. */
  async pauseRecord(recordingId: string, paused: boolean): Promise<void> {
    if (this.#engine.pauseRecord === undefined) throw new Error('the media engine cannot pause a recording');
    await this.#engine.pauseRecord(recordingId, paused);
  }

  /** Both phones hear a short beep (the tone set's 'beep'); best effort, never rejects. */
  beep(): void {
    for (const side of ['caller', 'callee'] as const) {
      const legId = this.#legs[side].legId;
      if (legId === null || this.#closed || this.#engine.play === undefined) continue;
      this.#engine.play(legId, [{ tone: 'beep' }]).catch((err: unknown) => this.#log.warn({ err, legId }, 'beep could not be played'));
    }
  }

  /**
   * Has the media workers report the digits of phones that send them as tones (for feature codes);
   * RFC 4733 events reach call control from the relay and INFO from the dialog without it, so only
   * the legs of in-band phones are decoded for this. Best effort.
   */
  watchInbandDigits(): void {
    for (const side of ['caller', 'callee'] as const) {
      const legId = this.#legs[side].legId;
      if (legId === null || this.#closed || this.#engine.detectDigits === undefined || this.digitsOut(side) !== 'inband') continue;
      this.#engine.detectDigits(legId, true).catch((err: unknown) => this.#log.warn({ err, legId }, 'digit detection could not be turned on'));
    }
  }

  /** Stops a recording before the legs close; never rejects. */
  async stopRecord(recordingId: string): Promise<void> {
    try {
      await this.#engine.stopRecord?.(recordingId);
    } catch (err) {
      this.#log.warn({ err, recordingId }, 'recording did not stop cleanly');
    }
  }

  /**
   * The quality of both legs for the CDR (loss, jitter, RTT, MOS of what each phone sent), asked
   * of the media engine before the legs close. null when not known within deadlineMs; never rejects.
   */
  quality(deadlineMs: number): Promise<CdrQuality | null> {
    const engine = this.#engine;
    if (engine.stats === undefined || this.#closed) return Promise.resolve(null);
    const side = async (s: Side): Promise<CdrQuality['caller']> => {
      const legId = this.#legs[s].legId;
      return legId === null ? null : legQuality(await engine.stats!(legId), this.#codecOf(s));
    };
    const both = Promise.all([side('caller'), side('callee')]).then(([caller, callee]) =>
      caller === null && callee === null ? null : { caller, callee },
    );
    return withDeadline(both, deadlineMs, (err) => this.#log.warn({ err }, 'media quality unavailable; the CDR is written without it'));
  }

  /** The codec a side's phone sends: the first audio codec of its description that the other side has too. */
  #codecOf(side: Side): string {
    const audio = (this.#remoteOf(side)?.codecs ?? []).filter((c) => !AUXILIARY.has(c.encoding.toLowerCase()));
    const theirs = new Set((this.#remoteOf(other(side))?.codecs ?? []).map((c) => c.encoding.toLowerCase()));
    return (audio.find((c) => theirs.has(c.encoding.toLowerCase())) ?? audio[0])?.encoding ?? 'PCMU';
  }

  /** Closes both media legs (best effort). Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeLeg(this.#legs.caller);
    this.#closeLeg(this.#legs.callee);
  }

  #send(leg: LegMedia, sdp: Sdp): Buffer {
    const body = Buffer.from(serializeSdp(leg.local.stamp(sdp)));
    leg.lastSent = body;
    return body;
  }

  /** The codec a side settled on (null before its first offer/answer completes). */
  codec(side: Side): LegCodec | null {
    return this.#legs[side].codec;
  }

  /**
   * Tells each media leg where its phone listens, how payload types map from the other leg (pure
   * relay) and which codec it speaks (the worker transcodes when the two differ).
   */
  #point(): void {
    const caller = this.#remoteOf('caller');
    const callee = this.#remoteOf('callee');
    if (caller === null || callee === null) return;
    this.#setRemote(this.#legs.caller, caller, callee);
    this.#setRemote(this.#legs.callee, callee, caller);
    this.#setCodec(this.#legs.caller);
    this.#setCodec(this.#legs.callee);
  }

  /** Points the caller's leg at its phone before any callee exists (the PBX talks to it alone). */
  #pointCaller(): void {
    const caller = this.#remoteOf('caller');
    if (caller === null) return;
    this.#setRemote(this.#legs.caller, caller, caller);
    this.#setCodec(this.#legs.caller);
  }

  #setCodec(leg: LegMedia): void {
    const id = leg.legId;
    const c = leg.codec;
    if (id === null || c === null || this.#closed) return;
    const codec = {
      name: c.audio.encoding,
      payloadType: c.audio.pt,
      clockRate: c.audio.clockRate,
      channels: c.audio.channels,
      dtmfPayloadType: c.events?.pt ?? null,
      digitsByInfo: this.#mode(leg === this.#legs.caller ? 'caller' : 'callee') === 'info',
    };
    this.#engine.setCodec(id, codec).catch((err: unknown) => {
      this.#log.warn({ err, legId: id }, 'media leg codec could not be set');
    });
  }

  #remoteOf(side: Side): RemoteMedia | null {
    const sdp = this.#legs[side].remote;
    return sdp === null ? null : remoteMedia(sdp);
  }

  #setRemote(leg: LegMedia, to: RemoteMedia, from: RemoteMedia): void {
    const legId = leg.legId;
    if (legId === null || this.#closed) return;
    const target = {
      address: to.address,
      port: to.port,
      rtcpAddress: to.rtcpAddress,
      rtcpPort: to.rtcpPort,
      ptMap: payloadTypeMap(from.codecs, to.codecs),
      sends: to.direction === 'sendrecv' || to.direction === 'sendonly',
      clockRate: to.codecs.find((c) => c.encoding.toLowerCase() !== 'telephone-event')?.clockRate ?? 8000,
      srtp: leg.srtp,
    };
    this.#engine.setRemote(legId, target).catch((err: unknown) => {
      this.#log.warn({ err, legId }, 'media leg could not be pointed at the phone');
    });
  }

  #closeLeg(leg: LegMedia): void {
    const id = leg.legId;
    if (id === null) return;
    leg.legId = null;
    this.#engine.closeLeg(id).catch((err: unknown) => {
      this.#log.warn({ err, legId: id }, 'media leg close failed');
    });
  }
}

function parse(body: Buffer): Sdp | null {
  return body.length === 0 ? null : attempt(() => parseSdp(body));
}

/** A description from the network that the SDP layer cannot read or negotiate is a 488, never a throw. */
function attempt<T>(fn: () => T | null): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}
