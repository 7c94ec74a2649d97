// The recording of one call, started and stopped while the call is up: by config at the answer,
// by the control API or by the feature code (features.record_toggle). A call has at most one file:
// the first start opens it, a stop pauses the writing (the file stays valid), a later start
// resumes it in the same file, and the call's end completes it. Operations run one at a time in
// the order they were asked for, so a quick double toggle is a start then a stop.
import { PbxError } from '../util/errors.js';
import type { Log } from '../util/log.js';

/** Where and how a call may be recorded (recording.*, features.record_toggle). */
export interface CallRecording {
  path: string;
  mode: 'stereo' | 'mono';
  /** Config asks for the recording from the answer on (record: true, recording.numbers). */
  fromAnswer: boolean;
  /** Digits that start and stop the recording during the answered call; null: no feature code. */
  toggle: string | null;
  /** Resolves when the disk has room; rejects (PBX_ERR_RECORDING_DISK_FULL) when it has not. */
  check(): Promise<void>;
}

/** What the recording needs of the call's media (MediaSession). */
export interface RecordingMedia {
  record(path: string, mode: 'stereo' | 'mono'): Promise<string>;
  pauseRecord(recordingId: string, paused: boolean): Promise<void>;
  /** Stops and completes the file; never rejects. */
  stopRecord(recordingId: string): Promise<void>;
}

export const RECORDING_ERRORS = {
  /** Only an answered call is recorded on demand (409). */
  NOT_ANSWERED: 'PBX_ERR_CALL_NOT_ANSWERED',
  /** Already in the state asked for (409). */
  ACTIVE: 'PBX_ERR_RECORDING_ACTIVE',
  NOT_ACTIVE: 'PBX_ERR_RECORDING_NOT_ACTIVE',
  /** This call cannot be recorded: no recording plan, its file failed, or the call ended. */
  UNAVAILABLE: 'PBX_ERR_RECORDING_UNAVAILABLE',
  /** The free-space guard refused (recording.min_free_mb). */
  DISK_FULL: 'PBX_ERR_RECORDING_DISK_FULL',
} as const;

type State = 'off' | 'on' | 'paused' | 'failed' | 'closed';

export class RecordingControl {
  #plan: CallRecording | null;
  readonly #media: RecordingMedia;
  readonly #log: Log;
  #state: State = 'off';
  #id: string | null = null;
  #path: string | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  /** Set by close(): what is asked later is refused. */
  #closing: Promise<void> | null = null;

  constructor(plan: CallRecording | null, media: RecordingMedia, log: Log) {
    this.#plan = plan;
    this.#media = media;
    this.#log = log;
  }

  /** True while the file is being written. */
  get active(): boolean {
    return this.#state === 'on';
  }

  /** The file, once anything was recorded; null before. */
  get path(): string | null {
    return this.#path;
  }

  /** Whether config asks for the recording from the answer on. */
  get fromAnswer(): boolean {
    return this.#plan?.fromAnswer ?? false;
  }

  /** The callee rung next asks for recording (its extension's `record`). */
  recordFromAnswer(): void {
    if (this.#plan !== null) this.#plan = { ...this.#plan, fromAnswer: true };
  }

  /**
   * Opens the file, or resumes writing to it; resolves with its path. Rejects with a PbxError of
   * RECORDING_ERRORS (or the engine's when the file cannot be made).
   */
  start(): Promise<string> {
    return this.#serial(() => this.#start());
  }

  /** Pauses the writing; the file is completed when the call ends. Rejects NOT_ACTIVE when not writing. */
  stop(): Promise<void> {
    return this.#serial(() => this.#stop());
  }

  /** Starts when not writing, stops when writing; resolves with whether it now writes. */
  toggleNow(): Promise<boolean> {
    return this.#serial(async () => {
      if (this.#state === 'on') {
        await this.#stop();
        return false;
      }
      await this.#start();
      return true;
    });
  }

  /** The engine gave up on the file (it could not be written): it is not resumed again. */
  failed(recordingId: string): boolean {
    if (recordingId !== this.#id || this.#state === 'closed') return false;
    this.#state = 'failed';
    this.#log.warn({ recordingId, path: this.#path }, 'the recording failed; the call goes on unrecorded');
    return true;
  }

  /** The call ended: once what is in progress finished, the file is completed. Never rejects; safe twice. */
  close(): Promise<void> {
    this.#closing ??= this.#queue.then(() => this.#finish());
    return this.#closing;
  }

  async #finish(): Promise<void> {
    const id = this.#id;
    const was = this.#state;
    this.#state = 'closed';
    if (id !== null && was !== 'failed') await this.#media.stopRecord(id);
  }

  async #start(): Promise<string> {
    const plan = this.#plan;
    if (this.#closing !== null) throw new PbxError(RECORDING_ERRORS.UNAVAILABLE, 'the call has ended');
    if (this.#state === 'on') throw new PbxError(RECORDING_ERRORS.ACTIVE, 'the call is already being recorded');
    if (this.#state === 'failed') throw new PbxError(RECORDING_ERRORS.UNAVAILABLE, `the recording of this call failed (${this.#path ?? 'no file'}); it cannot be resumed`);
    if (plan === null) throw new PbxError(RECORDING_ERRORS.UNAVAILABLE, 'this call cannot be recorded');
    await plan.check();
    if (this.#state === 'paused' && this.#id !== null) {
      await this.#media.pauseRecord(this.#id, false);
      this.#state = 'on';
      this.#log.info({ path: this.#path }, 'recording resumed');
      return this.#path!;
    }
    this.#id = await this.#media.record(plan.path, plan.mode);
    this.#path = plan.path;
    this.#state = 'on';
    this.#log.info({ path: plan.path, mode: plan.mode }, 'recording the call');
    return plan.path;
  }

  async #stop(): Promise<void> {
    if (this.#closing !== null) throw new PbxError(RECORDING_ERRORS.UNAVAILABLE, 'the call has ended');
    if (this.#state !== 'on' || this.#id === null) throw new PbxError(RECORDING_ERRORS.NOT_ACTIVE, 'the call is not being recorded');
    await this.#media.pauseRecord(this.#id, true);
    this.#state = 'paused';
    this.#log.info({ path: this.#path }, 'recording paused');
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
