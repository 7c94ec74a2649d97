// The API apps use: one Channel per call an app has. An app answers the caller, plays to it,
// collects its digits and hands it on; it never sees SIP or the media engine.
//
//   const ch = new Channel(call, host)
//   await ch.answer()                                   200 OK from the PBX (answered_at stays null)
//   await ch.play([{ prompt: 'welcome' }], { bargeIn: true, language: 'ru' })
//                                                       -> 'done' | 'digit' (a key stopped it) | 'stopped'
//   await ch.collect({ max: 4, timeoutMs: 5000, interDigitMs: 2000, terminators: '#', complete })
//                                                       -> { digits, end: 'complete' | 'max' | 'terminator' | 'timeout' }
//   await ch.tone('ringback') / ch.stopPlay()           a call progress tone until stopped
//   await ch.dial('1002', { ringTimeoutMs })             -> DialResult: rings extensions; see below
//   await ch.hangup('reason')                           BYE (or a final status when not answered)
//   ch.unavailable('group:sales')                       a destination not built yet
//   ch.addPath('ivr:main')                              a step of the path the CDR records
//   ch.destinationOf('ivr:sales')                        a config destination string -> Destination
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
import { parseDestination } from '../config/destination.js';
import type { Destination, Routing } from '../config/types.js';
import type { PlaySource } from '../media/engine.js';
import { musicOnHoldFiles, promptPath } from '../media/prompts.js';
import type { ParkingLot } from '../calls/parking.js';
import { PbxError } from '../util/errors.js';
import type { Log } from '../util/log.js';

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

export class Channel {
  readonly call: Call;
  readonly log: Log;
  readonly #host: ChannelHost;
  readonly #buffer: string[] = [];
  #wake: (() => void) | null = null;
  /** How many destinations the call went through (goto's loop guard). */
  hops = 0;

  constructor(call: Call, host: ChannelHost) {
    this.call = call;
    this.log = call.log;
    this.#host = host;
    call.onCallerDigit = (digit) => {
      this.#buffer.push(digit);
      this.#wake?.();
    };
    void call.whenEnded().then(() => this.#wake?.());
  }

  get routing(): Routing {
    return this.#host.routing;
  }

  /** The instant schedules are read at (ms since the epoch; fixed by tests through CallControl's wallClock). */
  now(): number {
    return this.#host.now();
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

  /** A call progress tone of media.tones (ringback, busy, congestion...) until stopPlay(). */
  async tone(name: string): Promise<void> {
    this.#check();
    const leg = this.#leg();
    void this.#host.media.tone?.(leg, name).catch((err: unknown) => this.log.warn({ err, tone: name }, 'tone failed'));
  }

  async stopPlay(): Promise<void> {
    this.#check();
    await this.#host.media.stopPlay?.(this.#leg());
  }

  /** The calls parked in parking.slots. */
  get parking(): ParkingLot {
    return this.#host.parking;
  }

  /** Music on hold (media.music_on_hold, looped) until stopPlay() or another play. */
  async musicOnHold(): Promise<void> {
    this.#check();
    const leg = this.#leg();
    const play = this.#host.media.play;
    if (play === undefined) throw new PbxError(APP_ERRORS.MEDIA, 'the media engine cannot play');
    const sources = musicOnHoldFiles(this.routing.config.media.music_on_hold, this.routing.config.data_dir).map((file) => ({ file }));
    void play.call(this.#host.media, leg, sources, { loop: true }).catch((err: unknown) => this.log.warn({ err }, 'music on hold failed'));
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
  async #nextDigit(ms: number): Promise<string | null> {
    if (this.#buffer.length === 0 && !this.gone) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      });
      await Promise.race([this.#digitOrEnd(), timeout]);
      clearTimeout(timer);
      this.#wake = null;
    }
    return this.#buffer.shift() ?? null;
  }
}

function gone(): PbxError {
  return new PbxError(APP_ERRORS.CALLER_GONE, 'the caller hung up');
}
