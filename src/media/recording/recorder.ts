// The recording of one call: the caller on the left channel and the callee on the right, or both
// mixed into mono. Each side delivers its 20 ms frames on its own, in either order within a tick;
// a frame is held until the other side's frame of the same tick arrives. A side that delivers a
// second frame before the other delivered any means the other had nothing for that tick: it is
// silence there, so the two sides stay aligned. A side with nothing in a tick may also say so
// with n = 0, which keeps the alignment exact whatever the order.
import { PbxError } from '../../util/errors.js';
import type { FreeSpaceGuard } from './retention.js';
import { WavWriter } from './wav-writer.js';

export type RecordingMode = 'stereo' | 'mono';

export interface CallRecorderOptions {
  sampleRate: number;
  mode: RecordingMode;
  /** Asked first: a recording on a nearly full disk is refused (PBX_ERR_RECORDING_DISK_FULL). */
  guard?: FreeSpaceGuard;
  /** A write failed or the file reached the WAV size limit (once). */
  onError?: (err: PbxError) => void;
}

const FRAME_MS = 20;

export class CallRecorder {
  readonly mode: RecordingMode;
  /** Samples per side in one 20 ms frame. */
  readonly frameSamples: number;
  readonly #writer: WavWriter;
  readonly #left: Int16Array;
  readonly #right: Int16Array;
  readonly #out: Int16Array;
  #hasLeft = false;
  #hasRight = false;
  #frames = 0;
  #closing: Promise<void> | null = null;

  /** Creates the WAV file (and its directory). Rejects when the guard refuses or the file cannot be made. */
  static async open(path: string, o: CallRecorderOptions): Promise<CallRecorder> {
    if (o.mode !== 'stereo' && o.mode !== 'mono') throw new PbxError('PBX_ERR_RECORDING_FORMAT', `a recording is stereo or mono, not ${String(o.mode)}`);
    if (o.guard !== undefined) await o.guard.check();
    const writer = await WavWriter.open(path, { sampleRate: o.sampleRate, channels: o.mode === 'stereo' ? 2 : 1, ...(o.onError ? { onError: o.onError } : {}) });
    return new CallRecorder(writer, o.mode);
  }

  private constructor(writer: WavWriter, mode: RecordingMode) {
    this.#writer = writer;
    this.mode = mode;
    this.frameSamples = (writer.sampleRate * FRAME_MS) / 1000;
    this.#left = new Int16Array(this.frameSamples);
    this.#right = new Int16Array(this.frameSamples);
    this.#out = new Int16Array(mode === 'stereo' ? this.frameSamples * 2 : this.frameSamples);
  }

  get path(): string {
    return this.#writer.path;
  }

  /** 20 ms frames written (both sides). */
  get framesWritten(): number {
    return this.#frames;
  }

  /** Frames lost because the disk was behind or failed. */
  get droppedFrames(): number {
    return this.#writer.droppedFrames;
  }

  get error(): PbxError | null {
    return this.#writer.error;
  }

  /** The caller's frame: the first n samples of pcm (n <= frameSamples; shorter frames end in silence). */
  writeLeft(pcm: Int16Array, n: number): void {
    this.#check(pcm, n);
    if (this.#hasLeft) this.#emit();
    copyFrame(pcm, n, this.#left);
    this.#hasLeft = true;
    if (this.#hasRight) this.#emit();
  }

  /** The callee's frame, as writeLeft. */
  writeRight(pcm: Int16Array, n: number): void {
    this.#check(pcm, n);
    if (this.#hasRight) this.#emit();
    copyFrame(pcm, n, this.#right);
    this.#hasRight = true;
    if (this.#hasLeft) this.#emit();
  }

  /** Writes a frame still waiting for its other side, then closes the file. Never rejects; safe twice. */
  close(): Promise<void> {
    if (this.#closing === null) {
      if (this.#hasLeft || this.#hasRight) this.#emit();
      this.#closing = this.#writer.close();
    }
    return this.#closing;
  }

  #check(pcm: Int16Array, n: number): void {
    if (this.#closing !== null) throw new PbxError('PBX_ERR_RECORDING_CLOSED', `the recording ${this.path} is closed`);
    if (!Number.isInteger(n) || n < 0 || n > this.frameSamples || n > pcm.length) {
      throw new PbxError('PBX_ERR_RECORDING_ARGUMENT', `a recorded frame has 0 to ${Math.min(this.frameSamples, pcm.length)} samples; got ${n}`);
    }
  }

  /** Writes one frame from both sides (silence for a side that has none) and empties them. */
  #emit(): void {
    if (!this.#hasLeft) this.#left.fill(0);
    if (!this.#hasRight) this.#right.fill(0);
    const left = this.#left;
    const right = this.#right;
    const out = this.#out;
    const n = this.frameSamples;
    if (this.mode === 'stereo') {
      for (let i = 0; i < n; i++) {
        out[2 * i] = left[i]!;
        out[2 * i + 1] = right[i]!;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const sum = left[i]! + right[i]!;
        out[i] = sum > 32767 ? 32767 : sum < -32768 ? -32768 : sum;
      }
    }
    this.#writer.write(out, out.length);
    this.#hasLeft = false;
    this.#hasRight = false;
    this.#frames++;
  }
}

function copyFrame(pcm: Int16Array, n: number, into: Int16Array): void {
  for (let i = 0; i < n; i++) into[i] = pcm[i]!;
  if (n < into.length) into.fill(0, n);
}
