// A streaming WAV writer for recordings: the file is never held in memory.
// Samples are copied into a fixed ring of chunk buffers allocated at open; a full chunk is
// appended by one async write at a time, in order, so the event loop never waits on the disk.
// When the disk falls behind real time and every chunk is still waiting, whole writes are
// dropped and counted instead of growing memory. The header's sizes are 0 at open, rewritten
// after every few seconds of audio and at close, so that a file cut by kill -9 plays up to near
// its end even before repairWav() fixes it.
import { endianness } from 'node:os';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PbxError } from '../../util/errors.js';
import { HEADER_BYTES, MAX_DATA_BYTES, writeWavHeader } from './wav-format.js';

export const RECORDING_SAMPLE_RATES: readonly number[] = [8000, 16000, 48000];

export interface WavWriterOptions {
  sampleRate: number;
  channels: 1 | 2;
  /** Audio per chunk buffer: at most this much is lost to kill -9 besides the queue; default 250 ms. */
  chunkMs?: number;
  /** Chunk buffers in the ring: chunks * chunkMs is how far the disk may fall behind; default 8. */
  chunks?: number;
  /** Audio written between two header rewrites; default 2000 ms. */
  headerEveryMs?: number;
  /** Called once when a write fails or the file reaches the WAV size limit; later writes are dropped. */
  onError?: (err: PbxError) => void;
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

export class WavWriter {
  readonly path: string;
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  readonly #fh: FileHandle;
  readonly #onError: ((err: PbxError) => void) | null;
  readonly #ring: Uint8Array;
  readonly #ring16: Int16Array;
  readonly #ringView: DataView;
  readonly #chunkBytes: number;
  readonly #chunkCount: number;
  readonly #chunkLength: Int32Array;
  readonly #header = new Uint8Array(HEADER_BYTES);
  readonly #headerEveryBytes: number;
  /** The chunk being filled, and its byte count. */
  #fill = 0;
  #fillBytes = 0;
  /** Chunks handed to the disk (the oldest at #head), not yet written. */
  #head = 0;
  #queued = 0;
  /** Data bytes taken in (written, queued or being filled) and data bytes on disk. */
  #acceptedBytes = 0;
  #writtenBytes = 0;
  #headerAtBytes = 0;
  #droppedFrames = 0;
  #droppedSamples = 0;
  #draining: Promise<void> | null = null;
  #error: PbxError | null = null;
  #closing: Promise<void> | null = null;

  /** Creates the file (and its directory); an existing file is never overwritten. */
  static async open(path: string, o: WavWriterOptions): Promise<WavWriter> {
    if (!RECORDING_SAMPLE_RATES.includes(o.sampleRate)) {
      throw new PbxError('PBX_ERR_RECORDING_FORMAT', `a recording's sample rate is one of ${RECORDING_SAMPLE_RATES.join(', ')} Hz, not ${o.sampleRate}`);
    }
    if (o.channels !== 1 && o.channels !== 2) throw new PbxError('PBX_ERR_RECORDING_FORMAT', `a recording has 1 or 2 channels, not ${String(o.channels)}`);
    let fh: FileHandle;
    try {
      await mkdir(dirname(path), { recursive: true });
      fh = await open(path, 'wx');
    } catch (err) {
      throw new PbxError('PBX_ERR_RECORDING_OPEN', `cannot create the recording ${path}: ${(err as Error).message}`);
    }
    const writer = new WavWriter(path, fh, o);
    try {
      await writer.#writeHeader(0);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw new PbxError('PBX_ERR_RECORDING_OPEN', `cannot write the recording ${path}: ${(err as Error).message}`);
    }
    return writer;
  }

  private constructor(path: string, fh: FileHandle, o: WavWriterOptions) {
    this.path = path;
    this.sampleRate = o.sampleRate;
    this.channels = o.channels;
    this.#fh = fh;
    this.#onError = o.onError ?? null;
    const bytesPerMs = (o.sampleRate * o.channels * 2) / 1000;
    const blockAlign = o.channels * 2;
    this.#chunkBytes = Math.max(blockAlign, Math.round((bytesPerMs * (o.chunkMs ?? 250)) / blockAlign) * blockAlign);
    this.#chunkCount = Math.max(2, o.chunks ?? 8);
    this.#chunkLength = new Int32Array(this.#chunkCount);
    this.#headerEveryBytes = Math.max(1, Math.round(bytesPerMs * (o.headerEveryMs ?? 2000)));
    const ring = new ArrayBuffer(this.#chunkBytes * this.#chunkCount);
    this.#ring = new Uint8Array(ring);
    this.#ring16 = new Int16Array(ring);
    this.#ringView = new DataView(ring);
  }

  /** Data bytes on disk so far. */
  get bytesWritten(): number {
    return this.#writtenBytes;
  }

  /** write() calls dropped because the disk was behind (or failed, or the file was full). */
  get droppedFrames(): number {
    return this.#droppedFrames;
  }

  /** Sample frames (one sample per channel) lost with them. */
  get droppedSamples(): number {
    return this.#droppedSamples;
  }

  /** The first write failure, or null. */
  get error(): PbxError | null {
    return this.#error;
  }

  /**
   * Appends the first `n` values of `pcm` (interleaved left, right when stereo; n a multiple of
   * the channel count). Copies them at once; the caller may reuse `pcm` on return.
   */
  write(pcm: Int16Array, n: number): void {
    if (this.#closing !== null) throw new PbxError('PBX_ERR_RECORDING_CLOSED', `the recording ${this.path} is closed`);
    if (!Number.isInteger(n) || n < 0 || n > pcm.length || n % this.channels !== 0) {
      throw new PbxError('PBX_ERR_RECORDING_ARGUMENT', `write() takes 0 to ${pcm.length} samples, a multiple of ${this.channels}; got ${n}`);
    }
    const bytes = n * 2;
    if (bytes === 0) return;
    if (this.#error !== null || bytes > this.#room()) {
      this.#droppedFrames++;
      this.#droppedSamples += n / this.channels;
      return;
    }
    if (this.#acceptedBytes + bytes > MAX_DATA_BYTES) {
      this.#fail(new PbxError('PBX_ERR_RECORDING_TOO_LONG', `the recording ${this.path} reached the WAV size limit (4 GiB); the rest of the call is not recorded`));
      this.#droppedFrames++;
      this.#droppedSamples += n / this.channels;
      return;
    }
    let from = 0;
    while (from < n) {
      const count = Math.min(n - from, (this.#chunkBytes - this.#fillBytes) >> 1);
      this.#copy(pcm, from, count, this.#fill * this.#chunkBytes + this.#fillBytes);
      from += count;
      this.#fillBytes += count * 2;
      if (this.#fillBytes === this.#chunkBytes && this.#freeChunks() > 0) this.#submitFill();
    }
    this.#acceptedBytes += bytes;
  }

  /** Writes what is buffered, fixes the header's sizes and closes the file. Never rejects; safe twice. */
  close(): Promise<void> {
    this.#closing ??= this.#finish();
    return this.#closing;
  }

  async #finish(): Promise<void> {
    if (this.#fillBytes > 0) this.#submitFill();
    while (this.#draining !== null) await this.#draining;
    if (this.#error === null || this.#error.code === 'PBX_ERR_RECORDING_TOO_LONG') {
      try {
        await this.#writeHeader(this.#writtenBytes);
      } catch (err) {
        this.#fail(new PbxError('PBX_ERR_RECORDING_WRITE', `cannot finish the recording ${this.path}: ${(err as Error).message}`));
      }
    }
    await this.#fh.close().catch(() => undefined);
  }

  /** Chunks neither queued nor being filled. */
  #freeChunks(): number {
    return this.#chunkCount - 1 - this.#queued;
  }

  /**
   * Bytes write() can take now without waiting for the disk. A full chunk that found no free
   * one to follow it stays where it is (room 0) until a write completes.
   */
  #room(): number {
    return this.#chunkBytes - this.#fillBytes + this.#freeChunks() * this.#chunkBytes;
  }

  #copy(pcm: Int16Array, from: number, count: number, byteOffset: number): void {
    if (LITTLE_ENDIAN_HOST) {
      const ring16 = this.#ring16;
      const at = byteOffset >> 1;
      for (let i = 0; i < count; i++) ring16[at + i] = pcm[from + i]!;
    } else {
      const view = this.#ringView;
      for (let i = 0; i < count; i++) view.setInt16(byteOffset + i * 2, pcm[from + i]!, true);
    }
  }

  /** Hands the chunk being filled to the disk and starts filling the next one. */
  #submitFill(): void {
    this.#chunkLength[this.#fill] = this.#fillBytes;
    this.#queued++;
    this.#fill = (this.#fill + 1) % this.#chunkCount;
    this.#fillBytes = 0;
    this.#draining ??= this.#drain();
  }

  /** Writes the queued chunks in order, one at a time, and the header every headerEveryMs of audio. */
  async #drain(): Promise<void> {
    try {
      while (this.#queued > 0) {
        const chunk = this.#head;
        const length = this.#chunkLength[chunk]!;
        const start = chunk * this.#chunkBytes;
        let done = 0;
        while (done < length) {
          const { bytesWritten } = await this.#fh.write(this.#ring, start + done, length - done, HEADER_BYTES + this.#writtenBytes + done);
          done += bytesWritten;
        }
        this.#writtenBytes += length;
        this.#head = (chunk + 1) % this.#chunkCount;
        this.#queued--;
        if (this.#fillBytes === this.#chunkBytes) this.#submitFill();
        if (this.#writtenBytes - this.#headerAtBytes >= this.#headerEveryBytes) await this.#writeHeader(this.#writtenBytes);
      }
    } catch (err) {
      this.#fail(new PbxError('PBX_ERR_RECORDING_WRITE', `cannot write the recording ${this.path}: ${(err as Error).message}`));
      this.#queued = 0;
    } finally {
      this.#draining = null;
    }
  }

  async #writeHeader(dataBytes: number): Promise<void> {
    writeWavHeader(this.#header, this.sampleRate, this.channels, dataBytes);
    await this.#fh.write(this.#header, 0, HEADER_BYTES, 0);
    this.#headerAtBytes = dataBytes;
  }

  #fail(err: PbxError): void {
    if (this.#error !== null) return;
    this.#error = err;
    this.#onError?.(err);
  }
}
