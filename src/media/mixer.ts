// The conference mixer: N parties, one 20 ms frame each per tick; each party hears everyone but
// itself. 16 kHz normally, 48 kHz when every party has Opus (pipeline/room.ts picks the rate and
// moves the parties to a mixer at the new rate with withRate()).
//
// One sum, not N: all contributing inputs are added once into an Int32 accumulator (no overflow
// below 65,536 parties); a party that contributed hears sum - own input, and every other party
// (listen-only, muted, silent, lost packet) hears the same shared frame, copied. That is the
// mix-minus Asterisk's softmix bridge and FreeSWITCH's conference do, O(N) instead of the O(N^2)
// of summing the others for each party.
//
// maxTalkers bounds how many inputs are mixed (the loudest, talkers first), in the spirit of
// FreeSWITCH's energy-level and ConfBridge's dsp_drop_silence keeping silent members out of the
// mix: the room noise of 50 open microphones sums 17 dB (10 log10 50) above one line's, and the
// per-party mix-minus work stays bounded. The default mixes every valid input, exactly "the sum of
// all others"; the pipeline sets a limit for large rooms.
//
// The output goes through a peak limiter (limiter.ts) unless `limiter: false`, then only saturation.
//
// Hot path (mix): no allocation; parties in a dense array (swap-remove), talker events written
// into preallocated slots of a ring read with pollEvent().
import { PbxError } from '../util/errors.js';
import { PeakLimiter, saturate } from './limiter.js';
import { TalkerDetector, talkerSettings, type TalkerOptions } from './talker.js';

export const MIXER_RATES: readonly number[] = [8000, 16000, 48000];
export const FRAME_MS = 20;

export interface MixerOptions {
  /** Most inputs mixed per tick, loudest first with current talkers ahead. Default: all. */
  maxTalkers?: number;
  /** Peak limiter on every output instead of plain saturation. Default true. */
  limiter?: boolean;
  talker?: TalkerOptions;
}

/** A party's own frames, when the caller wants its buffers used (e.g. views into a leg's). */
export interface PartyBuffers {
  input: Int16Array;
  output: Int16Array;
}

export type TalkerEventKind = 'talking' | 'stopped';

/** One talker change; pollEvent() returns a reused slot, valid until the next mix(). */
export interface TalkerEvent {
  kind: TalkerEventKind;
  id: string;
  party: MixerParty;
  /** The mixer tick (count of mix() calls) when it happened. */
  tick: number;
}

export class MixerParty {
  readonly id: string;
  /** Write one frame here before mix(). */
  readonly input: Int16Array;
  /** Read one frame here after mix(). */
  readonly output: Int16Array;
  /**
   * Set true after writing a frame into input, every tick: mix() consumes it (resets it to false),
   * so a leg whose audio stops (no packet, not started, DTX) is not heard repeating its last frame.
   */
  inputValid = false;
  /** Heard by nobody; does not talk. */
  muted = false;
  /** Hears silence. */
  deaf = false;
  readonly detector: TalkerDetector;
  readonly limiter: PeakLimiter;
  /** Index in the mixer's dense array; -1 once removed. */
  index = -1;
  /** Ranking score this tick: talkers first, then by energy. */
  score = 0;
  /** Mixed this tick (so it hears its own mix-minus); false: it hears the mixer's sharedFrame. */
  contributes = false;

  constructor(id: string, buffers: PartyBuffers, sampleRate: number, talker: TalkerOptions) {
    this.id = id;
    this.input = buffers.input;
    this.output = buffers.output;
    this.detector = new TalkerDetector(talker);
    this.limiter = new PeakLimiter(sampleRate);
  }

  /** Speaking now, by the talker detector (never while muted). */
  get talking(): boolean {
    return this.detector.talking;
  }
}

/** Any talker outranks any non-talker: energies stay below 2^30. */
const TALKER_BONUS = 2 ** 31;
const MIN_EVENT_SLOTS = 16;

export class ConferenceMixer {
  readonly sampleRate: number;
  readonly frameSamples: number;
  /** Talker events lost because nobody polled them before the ring filled. */
  eventsDropped = 0;
  /** Count of mix() calls. */
  tick = 0;
  readonly #parties: MixerParty[] = [];
  readonly #byId = new Map<string, MixerParty>();
  readonly #sum: Int32Array;
  /** What every party that did not contribute hears. */
  readonly #shared: Int16Array;
  readonly #sharedLimiter: PeakLimiter;
  readonly #limit: boolean;
  readonly #maxTalkers: number;
  readonly #talker: TalkerOptions;
  /** Selection scratch for maxTalkers: the chosen parties, kept sorted by score, descending. */
  readonly #chosen: (MixerParty | null)[];
  #events: TalkerEvent[] = [];
  #eventRead = 0;
  #eventCount = 0;

  constructor(sampleRate: number, o: MixerOptions = {}) {
    if (!MIXER_RATES.includes(sampleRate)) {
      throw new PbxError('PBX_ERR_MIXER_RATE', `mixer sample rate must be one of ${MIXER_RATES.join(', ')}, got ${sampleRate}`);
    }
    const maxTalkers = o.maxTalkers ?? Infinity;
    if (!(maxTalkers >= 1) || (maxTalkers !== Infinity && !Number.isInteger(maxTalkers))) {
      throw new PbxError('PBX_ERR_MIXER_MAX_TALKERS', `maxTalkers must be an integer >= 1, got ${o.maxTalkers}`);
    }
    this.sampleRate = sampleRate;
    this.frameSamples = (sampleRate * FRAME_MS) / 1000;
    this.#sum = new Int32Array(this.frameSamples);
    this.#shared = new Int16Array(this.frameSamples);
    this.#sharedLimiter = new PeakLimiter(sampleRate);
    this.#limit = o.limiter ?? true;
    this.#maxTalkers = maxTalkers;
    this.#talker = talkerSettings(o.talker);
    this.#chosen = maxTalkers === Infinity ? [] : new Array<MixerParty | null>(maxTalkers).fill(null);
    this.#growEvents(MIN_EVENT_SLOTS);
  }

  get size(): number {
    return this.#parties.length;
  }

  /**
   * The frame heard this tick by every party that is neither deaf nor mixed (contributes false):
   * the pipeline can encode it once per codec for all of them, as Asterisk's softmix does.
   */
  get sharedFrame(): Int16Array {
    return this.#shared;
  }

  get(id: string): MixerParty | undefined {
    return this.#byId.get(id);
  }

  /** Joins a party; its buffers are allocated here unless given (each exactly frameSamples long). */
  add(id: string, buffers?: PartyBuffers): MixerParty {
    if (this.#byId.has(id)) throw new PbxError('PBX_ERR_MIXER_PARTY_EXISTS', `party ${id} is already in the mix`);
    const n = this.frameSamples;
    if (buffers !== undefined && (buffers.input.length !== n || buffers.output.length !== n)) {
      throw new PbxError(
        'PBX_ERR_MIXER_BUFFER',
        `party ${id} buffers must hold ${n} samples (20 ms at ${this.sampleRate} Hz), got input ${buffers.input.length}, output ${buffers.output.length}`,
      );
    }
    const party = new MixerParty(
      id,
      buffers ?? { input: new Int16Array(n), output: new Int16Array(n) },
      this.sampleRate,
      this.#talker,
    );
    party.index = this.#parties.length;
    this.#parties.push(party);
    this.#byId.set(id, party);
    // A party changes state at most once a tick: room for two ticks of events.
    if (this.#events.length < 2 * this.#parties.length) this.#growEvents(2 * this.#events.length);
    return party;
  }

  /**
   * A mixer at another rate that carries on from this one, for a room that changes rate: the same
   * parties (with buffers of their own at the new rate), muted and deaf as they are, each talker
   * detector and limiter gain where it was, the same options and tick count. This one is unchanged.
   */
  withRate(sampleRate: number): ConferenceMixer {
    const next = new ConferenceMixer(sampleRate, { maxTalkers: this.#maxTalkers, limiter: this.#limit, talker: this.#talker });
    next.tick = this.tick;
    next.#sharedLimiter.envelope = this.#sharedLimiter.envelope;
    for (const p of this.#parties) {
      const q = next.add(p.id);
      q.muted = p.muted;
      q.deaf = p.deaf;
      q.detector.continueFrom(p.detector);
      q.limiter.envelope = p.limiter.envelope;
    }
    return next;
  }

  /** Leaves; a talking party gets its 'stopped' event. False when there was no such party. */
  remove(id: string): boolean {
    const party = this.#byId.get(id);
    if (party === undefined) return false;
    if (party.detector.silence()) this.#emit('stopped', party);
    this.#byId.delete(id);
    const last = this.#parties.pop()!;
    if (last !== party) {
      this.#parties[party.index] = last;
      last.index = party.index;
    }
    party.index = -1;
    return true;
  }

  /** One 20 ms tick: reads every input, writes every output, queues talker events. */
  mix(): void {
    this.tick++;
    const parties = this.#parties;
    const count = parties.length;
    const n = this.frameSamples;
    let candidates = 0;
    for (let p = 0; p < count; p++) {
      const party = parties[p]!;
      const live = party.inputValid && !party.muted;
      let change: number;
      if (party.muted) change = party.detector.silence() ? -1 : 0;
      else change = party.detector.update(party.inputValid ? party.input : null, n);
      if (change !== 0) this.#emit(change > 0 ? 'talking' : 'stopped', party);
      party.contributes = live;
      party.inputValid = false;
      if (live) {
        candidates++;
        party.score = party.detector.energy + (party.detector.talking ? TALKER_BONUS : 0);
      }
    }
    if (candidates > this.#maxTalkers) this.#keepLoudest();

    const sum = this.#sum;
    sum.fill(0);
    let contributors = 0;
    for (let p = 0; p < count; p++) {
      const party = parties[p]!;
      if (!party.contributes) continue;
      contributors++;
      const input = party.input;
      for (let i = 0; i < n; i++) sum[i] += input[i]!;
    }

    const shared = this.#shared;
    const limit = this.#limit;
    if (contributors === 0) shared.fill(0);
    else if (limit) this.#sharedLimiter.process(sum, null, shared, n);
    else saturate(sum, null, shared, n);
    const sharedEnvelope = this.#sharedLimiter.envelope;
    for (let p = 0; p < count; p++) {
      const party = parties[p]!;
      if (party.deaf) {
        party.output.fill(0);
      } else if (!party.contributes) {
        party.output.set(shared);
      } else if (limit) {
        party.limiter.process(sum, party.input, party.output, n);
        continue;
      } else {
        saturate(sum, party.input, party.output, n);
      }
      // Not mixed with its own limiter this tick: start from the shared gain when it is next.
      party.limiter.envelope = sharedEnvelope;
    }
  }

  /** The next talker event, or null; the object is reused, valid until the next mix(). */
  pollEvent(): TalkerEvent | null {
    if (this.#eventCount === 0) return null;
    const e = this.#events[this.#eventRead]!;
    this.#eventRead = (this.#eventRead + 1) % this.#events.length;
    this.#eventCount--;
    return e;
  }

  /** Keeps the maxTalkers highest scores among the candidates mixed; O(N * maxTalkers). */
  #keepLoudest(): void {
    const chosen = this.#chosen;
    const k = chosen.length;
    let filled = 0;
    const parties = this.#parties;
    for (let p = 0; p < parties.length; p++) {
      const party = parties[p]!;
      if (!party.contributes) continue;
      let j: number;
      if (filled === k) {
        const last = chosen[k - 1]!;
        if (party.score <= last.score) {
          party.contributes = false;
          continue;
        }
        last.contributes = false;
        j = k - 1;
      } else {
        j = filled++;
      }
      while (j > 0 && chosen[j - 1]!.score < party.score) {
        chosen[j] = chosen[j - 1]!;
        j--;
      }
      chosen[j] = party;
    }
    chosen.fill(null);
  }

  #emit(kind: TalkerEventKind, party: MixerParty): void {
    const slots = this.#events;
    if (this.#eventCount === slots.length) {
      this.#eventRead = (this.#eventRead + 1) % slots.length;
      this.#eventCount--;
      this.eventsDropped++;
    }
    const e = slots[(this.#eventRead + this.#eventCount) % slots.length]!;
    e.kind = kind;
    e.id = party.id;
    e.party = party;
    e.tick = this.tick;
    this.#eventCount++;
  }

  /** Grows the ring (at add(), never in mix()), keeping queued events in order. */
  #growEvents(size: number): void {
    const old = this.#events;
    const slots: TalkerEvent[] = [];
    for (let i = 0; i < this.#eventCount; i++) slots.push(old[(this.#eventRead + i) % old.length]!);
    while (slots.length < size) slots.push({ kind: 'stopped', id: '', party: null as unknown as MixerParty, tick: 0 });
    this.#events = slots;
    this.#eventRead = 0;
  }
}
