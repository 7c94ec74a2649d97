// Recorder: N concurrent stereo call recordings at 16 kHz fed in real time (a 20 ms tick writes
// one frame per side of every call) on the main thread, through CallRecorder/WavWriter. The
// baseline, in the same run, writes the same bytes to N files with bare ordered fs writes of the
// same size at the same pace (no interleaving, no WAV, no ring). Reported for both: frames
// dropped, event-loop delay p99, late ticks, bytes/s on disk and CPU; then the ratios.
// Needs `npm run build` (dist/).
//
//   node native-bench/recorder.bench.js
//   RECORDER_BENCH_CALLS=400 RECORDER_BENCH_SECONDS=5 node native-bench/recorder.bench.js
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CallRecorder } from '../dist/media/recording/recorder.js';

const CALLS = Number(process.env.RECORDER_BENCH_CALLS ?? 200);
const SECONDS = Number(process.env.RECORDER_BENCH_SECONDS ?? 10);
const RATE = 16000;
const FRAME = RATE / 50; // samples per side in 20 ms
const TICK_MS = 20;
const CHUNK_BYTES = (RATE * 2 * 2) / 4; // 250 ms of 16-bit stereo: the writer's default chunk

/** Runs `tick` every 20 ms of wall time for SECONDS (catching up when late); returns timing figures. */
async function paced(tick) {
  const ticks = Math.round((SECONDS * 1000) / TICK_MS);
  const delay = monitorEventLoopDelay({ resolution: 5 });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let done = 0;
  let late = 0;
  delay.enable();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(ticks, Math.floor((performance.now() - t0) / TICK_MS) + 1);
      if (due - done > 1) late += due - done - 1;
      while (done < due) tick(done++);
      if (done === ticks) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  delay.disable();
  const cpu = process.cpuUsage(cpu0);
  return { wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, lagP99Ms: delay.percentile(99) / 1e6, late, ticks };
}

function speech(seed) {
  const pcm = new Int16Array(FRAME);
  for (let i = 0; i < FRAME; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * (300 + seed) * i) / RATE));
  return pcm;
}

async function recorders(dir) {
  const recs = [];
  for (let i = 0; i < CALLS; i++) recs.push(await CallRecorder.open(join(dir, `rec-${i}.wav`), { sampleRate: RATE, mode: 'stereo' }));
  const left = speech(1);
  const right = speech(7);
  const t = await paced(() => {
    for (const r of recs) {
      r.writeLeft(left, FRAME);
      r.writeRight(right, FRAME);
    }
  });
  await Promise.all(recs.map((r) => r.close()));
  let dropped = 0;
  for (const r of recs) dropped += r.droppedFrames;
  const bytes = recs.reduce((sum, r) => sum + r.bytesWritten, 0);
  return { ...t, dropped, bytes };
}

async function rawWrites(dir) {
  const files = [];
  for (let i = 0; i < CALLS; i++) {
    files.push({ fh: await open(join(dir, `raw-${i}.raw`), 'w'), buf: Buffer.alloc(CHUNK_BYTES, i), pending: 0, position: 0, busy: false, written: 0, dropped: 0 });
  }
  const frameBytes = FRAME * 4;
  const flush = (f) => {
    if (f.busy || f.pending < CHUNK_BYTES) return;
    f.busy = true;
    f.pending -= CHUNK_BYTES;
    f.fh.write(f.buf, 0, CHUNK_BYTES, f.position).then(() => {
      f.position += CHUNK_BYTES;
      f.written += CHUNK_BYTES;
      f.busy = false;
      flush(f);
    });
  };
  const t = await paced(() => {
    for (const f of files) {
      // same bound as the recorder: 8 chunks may wait; beyond that a frame is dropped
      if (f.pending + frameBytes > 8 * CHUNK_BYTES) f.dropped++;
      else f.pending += frameBytes;
      flush(f);
    }
  });
  while (files.some((f) => f.busy)) await new Promise((resolve) => setTimeout(resolve, 5));
  await Promise.all(files.map((f) => f.fh.close()));
  const dropped = files.reduce((sum, f) => sum + f.dropped, 0);
  const bytes = files.reduce((sum, f) => sum + f.written + f.pending, 0);
  return { ...t, dropped, bytes };
}

function report(name, r) {
  const mbps = r.bytes / 1e6 / (r.wallMs / 1000);
  console.log(
    `${name.padEnd(28)} dropped frames ${String(r.dropped).padStart(5)}  late ticks ${String(r.late).padStart(4)}/${r.ticks}  ` +
      `loop delay p99 ${r.lagP99Ms.toFixed(1).padStart(6)} ms  ${mbps.toFixed(2)} MB/s  CPU ${((r.cpuMs / r.wallMs) * 100).toFixed(1)}%`,
  );
  return mbps;
}

const dir = mkdtempSync(join(tmpdir(), 'tspbx-recorder-bench-'));
try {
  console.log(`${CALLS} stereo recordings at ${RATE} Hz fed in real time for ${SECONDS} s, one thread`);
  const base = await rawWrites(dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const rec = await recorders(dir);
  const baseMbps = report('baseline: raw fs writes', base);
  const recMbps = report('CallRecorder + WavWriter', rec);
  console.log(
    `ratio recorder/baseline: CPU ${(rec.cpuMs / base.cpuMs).toFixed(2)}, loop delay p99 ${(rec.lagP99Ms / base.lagP99Ms).toFixed(2)}, bytes/s ${(recMbps / baseMbps).toFixed(3)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
