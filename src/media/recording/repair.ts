// Repair of recordings a crash left behind: a WAV whose header still declares 0 bytes (or the
// size of its last rewrite), or whose last sample frame is torn, gets sizes from its real length
// and stays playable. Files written by other tools with chunks after the data are left alone.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { PbxError } from '../../util/errors.js';
import type { Log } from '../../util/log.js';
import { wavFiles } from './list.js';
import { MAX_DATA_BYTES, RIFF_SIZE_OFFSET } from './wav-format.js';

/** How far into a file the "data" chunk is looked for. */
const HEAD_BYTES = 4096;

export interface RepairResult {
  /** false when the sizes were already right. */
  repaired: boolean;
  /** Data bytes the header declares now. */
  dataBytes: number;
  /** Bytes cut off the end (a torn sample frame). */
  truncatedBytes: number;
}

interface Layout {
  blockAlign: number;
  /** Bytes of audio per second (fmt chunk). */
  byteRate: number;
  /** Offset of the data chunk's size field and of its first sample. */
  dataSizeOffset: number;
  dataStart: number;
  declaredData: number;
  declaredRiff: number;
}

/** Fixes the header of one WAV file in place. Throws PBX_ERR_RECORDING_NOT_WAV for anything else. */
export async function repairWav(path: string): Promise<RepairResult> {
  return withLayout(path, async (fh, layout, size, available) => {
    const dataBytes = Math.min(available - (available % layout.blockAlign), MAX_DATA_BYTES - (MAX_DATA_BYTES % layout.blockAlign));
    const end = layout.dataStart + dataBytes;
    const exact = layout.declaredData === dataBytes && size === end && layout.declaredRiff === end - 8;
    // another tool's file: the data chunk is followed by more chunks, and RIFF covers them all
    const moreChunks = layout.declaredRiff === size - 8 && size - (layout.dataStart + layout.declaredData) >= 8;
    if (exact || moreChunks) return { repaired: false, dataBytes: layout.declaredData, truncatedBytes: 0 };
    const torn = available - dataBytes;
    const truncatedBytes = torn > 0 && torn < layout.blockAlign ? torn : 0;
    if (truncatedBytes > 0) await fh.truncate(end);
    await writeSizes(fh, layout, dataBytes);
    return { repaired: true, dataBytes, truncatedBytes };
  });
}

/**
 * Cuts the last `ms` of audio off a finished recording (the silence that ended a voicemail
 * message) and fixes its header; resolves with the milliseconds of audio left.
 */
export async function trimWavEnd(path: string, ms: number): Promise<number> {
  return withLayout(path, async (fh, layout, _size, available) => {
    const data = available - (available % layout.blockAlign);
    const keep = data - Math.min(data, Math.round((ms * layout.byteRate) / 1000 / layout.blockAlign) * layout.blockAlign);
    await fh.truncate(layout.dataStart + keep);
    await writeSizes(fh, layout, keep);
    return layout.byteRate === 0 ? 0 : (keep * 1000) / layout.byteRate;
  });
}

/**
 * Opens a WAV file for update, reads its chunk layout and runs `edit` with the file's size and the
 * bytes present after the data chunk's start; the file is closed whatever happens.
 */
async function withLayout<T>(path: string, edit: (fh: FileHandle, layout: Layout, size: number, available: number) => Promise<T>): Promise<T> {
  const fh = await open(path, 'r+');
  try {
    const size = (await fh.stat()).size;
    const head = new Uint8Array(Math.min(HEAD_BYTES, size));
    await fh.read(head, 0, head.length, 0);
    const layout = parseLayout(head, path);
    return await edit(fh, layout, size, Math.max(0, size - layout.dataStart));
  } finally {
    await fh.close();
  }
}

/** The data chunk's and the RIFF chunk's sizes for `dataBytes` of audio. */
async function writeSizes(fh: FileHandle, layout: Layout, dataBytes: number): Promise<void> {
  const field = new Uint8Array(4);
  const view = new DataView(field.buffer);
  view.setUint32(0, dataBytes, true);
  await fh.write(field, 0, 4, layout.dataSizeOffset);
  view.setUint32(0, Math.min(0xffffffff, layout.dataStart + dataBytes - 8), true);
  await fh.write(field, 0, 4, RIFF_SIZE_OFFSET);
}

/** RIFF/WAVE chunks up to "data" (RIFF: chunks are padded to an even length). */
function parseLayout(head: Uint8Array, path: string): Layout {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const tag = (at: number): string => String.fromCharCode(head[at]!, head[at + 1]!, head[at + 2]!, head[at + 3]!);
  const notWav = (why: string): PbxError => new PbxError('PBX_ERR_RECORDING_NOT_WAV', `${path} is not a WAV file that can be repaired: ${why}`);
  if (head.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw notWav('no RIFF/WAVE header');
  let blockAlign = 0;
  let byteRate = 0;
  let at = 12;
  while (at + 8 <= head.length) {
    const id = tag(at);
    const length = view.getUint32(at + 4, true);
    if (id === 'fmt ') {
      if (at + 24 > head.length) throw notWav('the fmt chunk is cut short');
      byteRate = view.getUint32(at + 16, true);
      blockAlign = view.getUint16(at + 20, true);
    } else if (id === 'data') {
      if (blockAlign === 0) throw notWav('no fmt chunk before the data');
      return { blockAlign, byteRate, dataSizeOffset: at + 4, dataStart: at + 8, declaredData: length, declaredRiff: view.getUint32(RIFF_SIZE_OFFSET, true) };
    }
    at += 8 + length + (length & 1);
  }
  throw notWav(`no data chunk in the first ${HEAD_BYTES} bytes`);
}

export interface RepairSummary {
  checked: number;
  repaired: number;
  failed: number;
}

/**
 * Repairs every .wav under `dir` (recursively) last modified before `before`: files a running
 * recorder is writing have a newer modification time and are skipped. Problems are logged, never
 * thrown. `signal` stops it between two files.
 */
export async function repairRecordings(dir: string, o: { before: Date; log: Log; signal?: AbortSignal }): Promise<RepairSummary> {
  const summary: RepairSummary = { checked: 0, repaired: 0, failed: 0 };
  for await (const path of wavFiles(dir, o.log)) {
    if (o.signal?.aborted === true) break;
    try {
      if ((await stat(path)).mtimeMs >= o.before.getTime()) continue;
      summary.checked++;
      const r = await repairWav(path);
      if (r.repaired) {
        summary.repaired++;
        o.log.info({ path, dataBytes: r.dataBytes, truncatedBytes: r.truncatedBytes }, 'recording cut by a crash repaired');
      }
    } catch (err) {
      summary.failed++;
      o.log.warn({ path, err }, 'recording could not be repaired');
    }
  }
  return summary;
}
