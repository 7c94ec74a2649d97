// A conference room of one media worker: its members, its mixer and the rate it mixes at.
// 48 kHz while every member's leg decodes at 48 kHz (Opus, whose band reaches 20 kHz; L16/48000),
// 16 kHz otherwise: a G.711 or G.722 phone has nothing above 8 kHz to give the others, and a
// 16 kHz mix costs a third. The rate is decided again on every change of the pipeline's legs
// (refresh(): a member joins, leaves, is decoded, changes codec); a member whose leg is not decoded
// yet does not count.
//
// A member's audio at the room's rate: at 16 kHz what its decoded leg heard (`heard`, made every
// tick for digits and recording anyway), at 48 kHz its decoded frame as it is. What it hears goes
// back at its codec's PCM rate, resampled once here (for Opus in a 48 kHz room only delayed, see
// below), and the pipeline gives that frame to the leg's send() as it is.
//
// A change of rate loses no frame and makes no click: the new mixer carries on from the old one
// (ConferenceMixer.withRate: talker detectors, limiter gains, mute, deaf), and for one tick both
// mix, each member hearing the old mix fade into the new one over the 20 ms frame (a raised
// cosine), so that the band edge moves smoothly and a new resampler's start from silence stays
// under the fade. The two mixes must be in time for the fade to be clean (two copies of a voice
// 2 ms apart would cancel around 250 Hz in mid-fade): the 16 kHz path's resamplers delay the
// audio by WIDE_ALIGN samples at 48 kHz, so the 48 kHz path delays it by as much. Talker events
// come from the new mixer only.
import { Resampler } from '../codec/resample.js';
import { ConferenceMixer, FRAME_MS, type MixerParty } from '../mixer.js';
import { INTERNAL_RATE } from './decoded-leg.js';

/** The rate of a room whose every member decodes at it. */
export const WIDE_RATE = 48000;

/**
 * Samples at 48 kHz by which a 48 kHz leg's audio is late through a 16 kHz room: its decoded
 * leg's resampler down to 16 kHz, then the room's back up to 48 kHz (about 2.1 ms).
 */
export const WIDE_ALIGN = Math.round(3 * new Resampler(WIDE_RATE, INTERNAL_RATE).delay + new Resampler(INTERNAL_RATE, WIDE_RATE).delay);

/** What the room reads of a member's decoded leg (a DecodedLeg). */
export interface MemberAudio {
  /** This tick's frame from the phone at 16 kHz. */
  readonly heard: Int16Array;
  /** heard and decodedFrame hold audio this tick. */
  readonly heardValid: boolean;
  /** This tick's frame from the phone at pcmRate. */
  readonly decodedFrame: Int16Array;
  /** The codec's PCM rate. */
  readonly pcmRate: number;
}

/** A member's leg as the room sees it: its decoded audio, null while the leg is not decoded. */
export interface MemberLeg {
  readonly decoded: MemberAudio | null;
}

export type TalkerListener = (legId: string, talking: boolean) => void;

const EMPTY = new Int16Array(0);

/** The raised-cosine fade-in of one frame at each rate a leg can have (the fade-out is 1 - it). */
const FADE_IN: ReadonlyMap<number, Float32Array> = new Map(
  [8000, 16000, 48000].map((rate) => {
    const n = (rate * FRAME_MS) / 1000;
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / n);
    return [n, w];
  }),
);

/** into = from fading out while to fades in, over one frame. */
export function crossfade(from: Int16Array, to: Int16Array, into: Int16Array): void {
  const w = FADE_IN.get(into.length)!;
  for (let i = 0; i < into.length; i++) into[i] = Math.round(from[i]! + (to[i]! - from[i]!) * w[i]!);
}

/**
 * The way from the room's rate to a leg's: a resampler; nothing when both are 16 kHz; a delay of
 * WIDE_ALIGN when both are 48 kHz, so that the leg hears the room as late as through 16 kHz.
 */
class OutputPath {
  readonly #resampler: Resampler | null;
  /** The last WIDE_ALIGN samples of the frame before, on the 48 kHz path. */
  readonly #late: Int16Array | null;
  readonly #frame: Int16Array;

  constructor(roomRate: number, legRate: number) {
    const same = roomRate === legRate;
    this.#resampler = same ? null : new Resampler(roomRate, legRate);
    this.#late = same && roomRate === WIDE_RATE ? new Int16Array(WIDE_ALIGN) : null;
    this.#frame = same && this.#late === null ? EMPTY : new Int16Array((legRate * FRAME_MS) / 1000);
  }

  /** One frame at the room's rate, at the leg's: `pcm` itself when nothing is to be done. */
  convert(pcm: Int16Array): Int16Array {
    const frame = this.#frame;
    if (this.#resampler !== null) {
      this.#resampler.process(pcm, frame);
    } else if (this.#late !== null) {
      const late = this.#late;
      const keep = pcm.length - late.length;
      frame.set(late);
      frame.set(pcm.subarray(0, keep), late.length);
      late.set(pcm.subarray(keep));
    } else {
      return pcm;
    }
    return frame;
  }
}

export class RoomMember {
  readonly id: string;
  readonly leg: MemberLeg;
  /** What the member hears this tick, at outRate; valid after mix() when outValid. */
  out: Int16Array = EMPTY;
  outValid = false;
  /** The rate of `out`: the leg's pcmRate when the room last looked (0: not decoded). */
  outRate = 0;
  /** Its party in the room's mixer (the room's own; it changes with the rate). */
  party: MixerParty;
  path: OutputPath | null = null;
  /** While the rate changes: its party in the mixer it heard last, and that mixer's way to it. */
  fadeParty: MixerParty | null = null;
  fadePath: OutputPath | null = null;
  /** The frame of the tick that changes rate: the old mix fading into the new. */
  faded: Int16Array = EMPTY;

  constructor(id: string, leg: MemberLeg, party: MixerParty) {
    this.id = id;
    this.leg = leg;
    this.party = party;
  }
}

export class Room {
  readonly name: string;
  readonly #members = new Map<string, RoomMember>();
  readonly #onTalker: TalkerListener;
  #mixer: ConferenceMixer;
  /** The mixer the members heard last while the rate changes: it mixes once more, then is dropped. */
  #fading: ConferenceMixer | null = null;

  constructor(name: string, onTalker: TalkerListener, rate = INTERNAL_RATE) {
    this.name = name;
    this.#onTalker = onTalker;
    this.#mixer = new ConferenceMixer(rate);
  }

  /** The rate the room mixes at. */
  get rate(): number {
    return this.#mixer.sampleRate;
  }

  get size(): number {
    return this.#members.size;
  }

  /** Adds the leg (its output and the rate are set up by the next refresh()). */
  join(id: string, leg: MemberLeg, o: { muted: boolean; deaf: boolean }): RoomMember {
    const party = this.#mixer.add(id);
    party.muted = o.muted;
    party.deaf = o.deaf;
    const member = new RoomMember(id, leg, party);
    this.#members.set(id, member);
    return member;
  }

  /** Takes the member out; a talker's 'stopped' is reported at once. Not a member: nothing happens. */
  leave(id: string): void {
    if (!this.#members.delete(id)) return;
    this.#mixer.remove(id);
    this.#fading?.remove(id);
    this.#report();
  }

  setMuted(member: RoomMember, muted: boolean): void {
    member.party.muted = muted;
    if (member.fadeParty !== null) member.fadeParty.muted = muted;
  }

  setDeaf(member: RoomMember, deaf: boolean): void {
    member.party.deaf = deaf;
    if (member.fadeParty !== null) member.fadeParty.deaf = deaf;
  }

  /** The legs changed: each member's way out follows its leg's rate, and the room's rate is decided again. */
  refresh(): void {
    for (const m of this.#members.values()) {
      const rate = m.leg.decoded?.pcmRate ?? 0;
      if (rate === m.outRate) continue;
      // A leg decoded anew (another codec, or for the first time) starts afresh: no fade.
      m.outRate = rate;
      m.path = rate === 0 ? null : new OutputPath(this.rate, rate);
      m.fadeParty = null;
      m.fadePath = null;
    }
    const rate = this.#wantedRate();
    if (rate !== this.rate) this.#changeRate(rate);
  }

  /** One tick: reads every member's frame, mixes, and leaves what each hears in its `out`. */
  mix(): void {
    const fading = this.#fading;
    const rate = this.#mixer.sampleRate;
    for (const m of this.#members.values()) {
      feed(m.party, m.leg.decoded, rate);
      if (fading !== null && m.fadeParty !== null) feed(m.fadeParty, m.leg.decoded, fading.sampleRate);
    }
    this.#mixer.mix();
    this.#report();
    if (fading !== null) {
      fading.mix();
      while (fading.pollEvent() !== null);
    }
    for (const m of this.#members.values()) {
      const d = m.leg.decoded;
      if (d === null || d.pcmRate !== m.outRate || m.path === null) {
        m.outValid = false;
        continue;
      }
      let out = m.path.convert(m.party.output);
      if (m.fadeParty !== null && m.fadePath !== null) {
        crossfade(m.fadePath.convert(m.fadeParty.output), out, m.faded);
        out = m.faded;
      }
      m.out = out;
      m.outValid = true;
    }
    if (fading !== null) {
      this.#fading = null;
      for (const m of this.#members.values()) {
        m.fadeParty = null;
        m.fadePath = null;
      }
    }
  }

  /** 48 kHz when every decoded member decodes at 48 kHz; no decoded member: the rate stays. */
  #wantedRate(): number {
    let decoded = 0;
    for (const m of this.#members.values()) {
      if (m.outRate === 0) continue;
      if (m.outRate !== WIDE_RATE) return INTERNAL_RATE;
      decoded++;
    }
    return decoded === 0 ? this.rate : WIDE_RATE;
  }

  #changeRate(rate: number): void {
    const next = this.#mixer.withRate(rate);
    // A mixer that never mixed has nothing to fade from (a new room learning its members' rate).
    if (this.#fading === null && this.#mixer.tick > 0) {
      this.#fading = this.#mixer;
      for (const m of this.#members.values()) {
        m.fadeParty = m.party;
        m.fadePath = m.path;
      }
    }
    // Else the mixer of the last change has not mixed yet: it is dropped, and the fade still
    // starts from the mix the members heard last.
    this.#mixer = next;
    for (const m of this.#members.values()) {
      m.party = next.get(m.id)!;
      if (m.outRate === 0) continue;
      m.path = new OutputPath(rate, m.outRate);
      if (m.faded.length !== (m.outRate * FRAME_MS) / 1000) m.faded = new Int16Array((m.outRate * FRAME_MS) / 1000);
    }
  }

  #report(): void {
    for (let e = this.#mixer.pollEvent(); e !== null; e = this.#mixer.pollEvent()) this.#onTalker(e.id, e.kind === 'talking');
  }
}

/** The party's input this tick: the leg's frame at the mixer's rate, none when it has no such frame. */
function feed(party: MixerParty, d: MemberAudio | null, rate: number): void {
  const frame = d === null || !d.heardValid ? null : rate === INTERNAL_RATE ? d.heard : d.pcmRate === rate ? d.decodedFrame : null;
  if (frame === null) {
    party.inputValid = false;
    return;
  }
  party.input.set(frame);
  party.inputValid = true;
}
