// The API apps use: one Channel per call an app has. An app answers the caller, plays to it,
// collects its digits and hands it on; it never sees SIP or the media engine.
//
//   const ch = new Channel(call, host, services)          services: the stores apps use (services.ts)
//   await ch.answer()                                   200 OK from the PBX (answered_at stays null)
//   await ch.play([{ prompt: 'welcome' }], { bargeIn: true, language: 'ru' })
//                                                       -> 'done' | 'digit' (a key stopped it) | 'stopped'
//   await ch.collect({ max: 4, timeoutMs: 5000, interDigitMs: 2000, terminators: '#', complete })
//                                                       -> { digits, end: 'complete' | 'max' | 'terminator' | 'timeout' }
//   await ch.tone('ringback') / ch.stopPlay()           a call progress tone until stopped
//   await ch.record(path, { maxMs: 180000, terminators: '#' })
//                                                       -> { end: 'terminator' | 'max' | 'hangup', ms }: the
//                                                       caller's voice to a mono WAV (also when it hangs up)
//   await ch.musicOnHold(setting)                        music on hold, looped until stopPlay() or a play()
//   await ch.waitDigit(ms, interrupt)                    -> the next key, or null (timeout, interrupt settled)
//   await ch.dial('1002', { ringTimeoutMs })             -> DialResult: rings extensions; see below
//   await ch.hangup('reason')                           BYE (or a final status when not answered)
//   ch.unavailable('group:sales')                       a destination not built yet
//   ch.addPath('ivr:main')                              a step of the path the CDR records
//   ch.destinationOf('ivr:sales')                        a config destination string -> Destination
//   await ch.joinRoom('conference:team', { muted })      into a conference room of the media mixer
//   await ch.setMuted(true) / ch.leaveRoom()             muted in it (the others stop hearing it) / out
//   await ch.key()                                      the caller's next key, however long it takes
//   ch.markAnswered()                                   the caller reached people (the CDR says answered)
//   ch.shared('conference', () => new Map())            state the calls of one PBX share (per media engine)
//   ch.inCall('1002'), ch.settings                       a member's state; DND and forwards set from phones
//
// Playing items: { prompt: NAME } (a shipped prompt or data_dir/prompts/LANG/NAME.wav, or a path to
// a WAV), { file }, { tone }, { silenceMs }. Digits pressed while nothing collects are kept for the
// next collect() (type-ahead); play({ bargeIn: true }) with digits waiting does not start at all.
// Every method throws PbxError PBX_ERR_APP_CALLER_GONE once the caller has hung up, so an app's
// code reads straight through; goto() (goto.ts) catches it.
//
// dial(ext or [exts]) rings every contact of the extensions in parallel and resolves with how it
// went: 'answered' (the caller is talking to the callee: the app is done), or 'busy', 'no-answer',
// 'not-registered', 'failed' with the caller still on the channel, for the app to go on (another
// extension, voicemail, a forward). A caller the PBX has not answered hears the callees' progress
// (the plain B2BUA call) and, when the app gives up, gets the refusal's SIP status through
// hangup() (call.refusal: 486, 480, the callee's own); one the PBX answered hears ringback.
import type { Call, DialResult } from '../calls/call.js';
import type { CallHost, DialOptions } from '../calls/control.js';
import type { CallSettings } from '../calls/deps.js';
import { parseDestination } from '../config/destination.js';
import type { Destination, Routing } from '../config/types.js';
import type { PlaySource } from '../media/engine.js';
import { musicOnHoldFiles, promptPath } from '../media/prompts.js';
import type { TrunkService } from '../trunks/service.js';
import type { ParkingLot } from '../calls/parking.js';
import { PbxError } from '../util/errors.js';
import type { Log } from '../util/log.js';
import { NO_SERVICES, type AppServices } from './services.js';

export const APP_ERRORS = {
  CALLER_GONE: 'PBX_ERR_APP_CALLER_GONE',
  MEDIA: 'PBX_ERR_APP_MEDIA',
} as const;

/** What a channel needs from call control (CallControl gives it). */
export type ChannelHost = CallHost;

export type PlayItem = { prompt: string } | PlaySource;

export interface PlayOptions {
  /** A digit stops the play (and stays for collect()). */
  bargeIn?: boolean;
  /** Language of { prompt } items; default media.language. */
  language?: string;
}

export interface CollectOptions {
  /** Stop after this many digits. */
  max: number;
  /** How long to wait for the first digit. */
  timeoutMs: number;
  /** How long to wait for each next digit. */
  interDigitMs: number;
  /** Keys that end the input once a digit was pressed (not part of the digits), e.g. "#". */
  terminators?: string;
  /** True when the digits so far are a whole answer: stop without waiting. */
  complete?: (digits: string) => boolean;
}

export interface Collected {
  digits: string;
  end: 'complete' | 'max' | 'terminator' | 'timeout';
}

/** What apps keep between calls, per media engine (one per PBX): see Channel.shared(). */
const SHARED = new WeakMap<object, Map<string, unknown>>();
export interface RecordOptions {
  /** The recording ends after this long. */
  maxMs: number;
  /** Keys that end the recording (other keys are ignored), e.g. "#". */
  terminators: string;
  /** > 0: the recording ends once the caller has been quiet this long (the quiet stays in the file). */
  silenceMs?: number;
}

export interface Recorded {
  /** What ended it: a terminator key, the time limit, the caller's silence, or the caller hanging up. */
  end: 'terminator' | 'max' | 'silence' | 'hangup';
  /** How long it recorded. */
  ms: number;
}

export class Channel {
  readonly call: Call;
  readonly log: Log;
  readonly services: AppServices;
  readonly #host: ChannelHost;
  readonly #buffer: string[] = [];
  #wake: (() => void) | null = null;
  /** How many destinations the call went through (goto's loop guard). */
  hops = 0;

  constructor(call: Call, host: ChannelHost, services: AppServices = NO_SERVICES) {
    this.call = call;
    this.log = call.log;
    this.services = services;
    this.#host = host;
    call.onCallerDigit = (digit) => {
      this.#buffer.push(digit);
      this.#wake?.();
    };
    void call.whenEnded().then(() => this.#wake?.());
  }

  /** The PBX's outside lines (trunks, spend guards), null when it has none. */
  get trunks(): TrunkService | null {
    return this.#host.trunks ?? null;
  }

  get routing(): Routing {
    return this.#host.routing;
  }

  /** The instant schedules are read at (ms since the epoch; fixed by tests through CallControl's wallClock). */
  now(): number {
    return this.#host.now();
  }

  /** Do not disturb and forwards set from the phones; null when the PBX keeps none. */
  get settings(): CallSettings | null {
    return this.#host.settings;
  }

  /** True while extension `ext` is in another call (calling, ringing or talking). */
  inCall(ext: string): boolean {
    return this.#host.inCall(ext);
  }

  /** True when the caller hung up (or the call ended otherwise). */
  get gone(): boolean {
    return this.call.ended;
  }

  /** A destination string of the config (an option, a default) as what it names; null when it names nothing. */
  destinationOf(text: string): Destination | null {
    const d = parseDestination(text);
    if (typeof d === 'string') return null;
    return d.kind === 'number' ? this.routing.resolve(d.number) : d;
  }

  addPath(step: string): void {
    this.call.addPath(step);
  }

  /** The caller the PBX answered reached people through the app (a conference room): answered_at is now. */
  markAnswered(): void {
    this.call.markAnsweredByApp();
  }

  /**
   * State the calls of one PBX share under `key` (the members of conference rooms), made by
   * `make` the first time. Kept per media engine, so two PBXes in one process share nothing.
   */
  shared<T>(key: string, make: () => T): T {
    let all = SHARED.get(this.#host.media);
    if (all === undefined) SHARED.set(this.#host.media, (all = new Map()));
    if (!all.has(key)) all.set(key, make());
    return all.get(key) as T;
  }

  /** The PBX answers the caller (once; again does nothing). Digits are detected from then on. */
  async answer(): Promise<void> {
    this.#check();
    if (this.call.answeredByPbx) return;
    if (!(await this.call.answerLocally())) throw gone();
    const leg = this.#leg();
    try {
      await this.#host.media.detectDigits?.(leg, true);
    } catch (err) {
      this.log.warn({ err }, 'digit detection could not be turned on');
    }
  }

  /** Plays items in turn; see the header for what it resolves with. */
  async play(items: readonly PlayItem[], options: PlayOptions = {}): Promise<'done' | 'digit' | 'stopped'> {
    this.#check();
    const leg = this.#leg();
    if (options.bargeIn === true && this.#buffer.length > 0) return 'digit';
    const language = options.language ?? this.routing.config.media.language;
    const sources = items.map((i) => ('prompt' in i ? { file: promptPath(i.prompt, language, this.routing.config.data_dir) } : i));
    const play = this.#host.media.play;
    if (play === undefined) throw new PbxError(APP_ERRORS.MEDIA, 'the media engine cannot play');
    const done = play.call(this.#host.media, leg, sources);
    if (options.bargeIn !== true) {
      const end = await done;
      this.#check();
      return end === 'done' ? 'done' : 'stopped';
    }
    const first = await Promise.race([done.then((end) => ({ end })), this.#digitOrEnd().then(() => null)]);
    if (first === null) {
      if (!this.gone) await this.#host.media.stopPlay?.(leg);
      await done;
      this.#check();
      return 'digit';
    }
    this.#check();
    return this.#buffer.length > 0 ? 'digit' : first.end === 'done' ? 'done' : 'stopped';
  }

  /** Waits for digits as the options say (type-ahead digits count). */
  async collect(o: CollectOptions): Promise<Collected> {
    if (!(o.max >= 1)) throw new PbxError('PBX_ERR_APP_ARGUMENT', `collect needs max >= 1, got ${o.max}`);
    let digits = '';
    for (;;) {
      const digit = await this.#nextDigit(digits === '' ? o.timeoutMs : o.interDigitMs);
      this.#check();
      if (digit === null) return { digits, end: 'timeout' };
      if (digits !== '' && (o.terminators ?? '').includes(digit)) return { digits, end: 'terminator' };
      digits += digit;
      if (o.complete?.(digits) === true) return { digits, end: 'complete' };
      if (digits.length >= o.max) return { digits, end: 'max' };
    }
  }

  /**
   * Records what the caller says to a mono WAV at `path` until a terminator key, `maxMs` or the
   * caller hanging up; the file is complete when this resolves. Keys pressed before it began are
   * dropped (they belonged to the prompt before).
   */
  async record(path: string, o: RecordOptions): Promise<Recorded> {
    this.#check();
    const leg = this.#leg();
    const media = this.#host.media;
    if (media.record === undefined || media.stopRecord === undefined) throw new PbxError(APP_ERRORS.MEDIA, 'the media engine cannot record');
    this.#buffer.length = 0;
    const silenceMs = o.silenceMs ?? 0;
    let id: string | null = null;
    let quiet = false;
    // The worker answers the record request before its first frame, so the id is known in time.
    const onSilence = (recordingId: string): void => {
      if (recordingId === id) {
        quiet = true;
        this.#wake?.();
      }
    };
    if (silenceMs > 0) media.on?.('record-silence', onSilence);
    const started = performance.now();
    let end: Recorded['end'] = 'max';
    try {
      id = await media.record([leg], path, { mode: 'mono', silenceMs });
      const deadline = started + o.maxMs;
      for (;;) {
        const left = deadline - performance.now();
        if (left <= 0) break;
        const digit = quiet ? null : await this.#nextDigit(left);
        if (this.gone) {
          end = 'hangup';
          break;
        }
        if (quiet) {
          end = 'silence';
          break;
        }
        if (digit !== null && o.terminators.includes(digit)) {
          end = 'terminator';
          break;
        }
      }
    } finally {
      if (silenceMs > 0) media.off?.('record-silence', onSilence);
      if (id !== null) await media.stopRecord(id);
    }
    return { end, ms: Math.round(performance.now() - started) };
  }

  /**
   * The next key the caller presses (one typed ahead first), or null after `timeoutMs` or as soon
   * as `interrupt` settles (a queue's offer of an agent).
   */
  async waitDigit(timeoutMs: number, interrupt?: Promise<unknown>): Promise<string | null> {
    this.#check();
    const digit = await this.#nextDigit(timeoutMs, interrupt);
    this.#check();
    return digit;
  }

  /** A call progress tone of media.tones (ringback, busy, congestion...) until stopPlay(). */
  async tone(name: string): Promise<void> {
    this.#check();
    const leg = this.#leg();
    void this.#host.media.tone?.(leg, name).catch((err: unknown) => this.log.warn({ err, tone: name }, 'tone failed'));
  }

  /**
   * Music on hold until stopPlay() or the next play(): `setting` (a WAV or a directory of them,
   * as media.music_on_hold), else media.music_on_hold, else the shipped music.
   */
  async musicOnHold(setting: string | null = null): Promise<void> {
    this.#check();
    const leg = this.#leg();
    const config = this.routing.config;
    const files = musicOnHoldFiles(setting ?? config.media.music_on_hold, config.data_dir);
    const play = this.#host.media.play;
    if (play === undefined) throw new PbxError(APP_ERRORS.MEDIA, 'the media engine cannot play');
    void play.call(this.#host.media, leg, files.map((file) => ({ file })), { loop: true }).catch((err: unknown) => this.log.warn({ err }, 'music on hold failed'));
  }

  async stopPlay(): Promise<void> {
    this.#check();
    await this.#host.media.stopPlay?.(this.#leg());
  }

  /**
   * Puts the caller into conference room `room` of the media mixer: it hears every other member,
   * never itself; what play() plays it hears instead of the room until the play ends.
   */
  async joinRoom(room: string, options: { muted?: boolean } = {}): Promise<void> {
    this.#check();
    const join = this.#host.media.join;
    if (join === undefined) throw new PbxError(APP_ERRORS.MEDIA, 'the media engine has no conference rooms');
    await join.call(this.#host.media, room, this.#leg(), { muted: options.muted === true });
    this.#check();
  }

  /** The others in the caller's room stop (true) or start again (false) hearing it. */
  async setMuted(muted: boolean): Promise<void> {
    this.#check();
    await this.#host.media.setMuted?.(this.#leg(), muted);
  }

  /** Takes the caller out of its room. A caller who hung up left it with its media: nothing to do. */
  async leaveRoom(): Promise<void> {
    if (this.gone) return;
    await this.#host.media.leave?.(this.#leg());
  }

  /** The caller's next key (a key pressed before counts), however long it takes. */
  async key(): Promise<string> {
    await this.#digitOrEnd();
    this.#check();
    return this.#buffer.shift()!;
  }

  /** The calls parked in parking.slots. */
  get parking(): ParkingLot {
    return this.#host.parking;
  }

  /** The calls ringing extensions now, longest ringing first (for pickup). */
  ringingCalls(): Call[] {
    return this.#host.ringingCalls();
  }

  /** Rings extensions; see the header. */
  async dial(exts: string | readonly string[], options: DialOptions = {}): Promise<DialResult> {
    this.#check();
    // A call that goes straight to an extension has no path; one an app hands over records the step.
    if (this.call.answeredByPbx && typeof exts === 'string') this.addPath(exts);
    const result = await this.#host.dial(this.call, exts, options);
    if (result === 'answered') {
      this.call.onCallerDigit = null;
      const leg = this.call.callerMediaLeg;
      if (leg !== null) this.#host.media.detectDigits?.(leg, false).catch((err: unknown) => this.log.debug({ err }, 'digit detection stays on'));
    }
    return result;
  }

  /**
   * Ends the call: BYE to an answered caller, `status` to one still waiting (default: why the
   * last dial got nobody, else 603).
   */
  async hangup(reason: string, status = this.call.refusal?.status ?? 603): Promise<void> {
    if (this.gone) return;
    if (this.call.answeredByPbx) await this.call.hangup(reason);
    else this.call.fail(status, reason);
  }

  /** A destination that needs a feature not built yet: 501 to a waiting caller; an answered one stays. */
  unavailable(what: string): void {
    this.log.warn({ destination: what }, 'destination needs a feature not built yet');
    if (!this.call.answeredByPbx) {
      this.call.fail(501, `not-implemented:${what.split(':')[0]}`, [['Warning', `399 tspbx "${what} is not available in this version"`]]);
    }
  }

  #check(): void {
    if (this.gone) throw gone();
  }

  #leg(): string {
    const leg = this.call.callerMediaLeg;
    if (leg === null) throw new PbxError(APP_ERRORS.MEDIA, 'the call has no media leg: answer() it first');
    return leg;
  }

  /** Resolves when a digit is waiting or the call ended. */
  #digitOrEnd(): Promise<void> {
    if (this.#buffer.length > 0 || this.gone) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = null;
        resolve();
      };
    });
  }

  /** The next digit, or null after `ms` without one (or when the call ended). */
  async #nextDigit(ms: number, interrupt?: Promise<unknown>): Promise<string | null> {
    if (this.#buffer.length === 0 && !this.gone) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      });
      await Promise.race([this.#digitOrEnd(), timeout, ...(interrupt === undefined ? [] : [interrupt.then(noop, noop)])]);
      clearTimeout(timer);
      this.#wake = null;
    }
    return this.#buffer.shift() ?? null;
  }
}

function noop(): void {}

function gone(): PbxError {
  return new PbxError(APP_ERRORS.CALLER_GONE, 'the caller hung up');
}
