// Transcoded calls, PCMU on one leg and Opus on the other, in 2 worker_threads on a 20 ms clock.
// Per call and per 20 ms, what the two decoded legs of a bridged call do (src/media/pipeline/
// decoded-leg.ts), sockets aside: each leg's RTP packet goes into its jitter buffer and one frame
// comes out; PCMU decode, 8k->16k, Opus encode at 16 kHz one way; Opus decode at 16 kHz, 16k->8k,
// PCMU encode the other way (Opus runs at the pipeline's 16 kHz, so nothing is resampled to or
// from 48 kHz). Call counts rise step by step (each step a few seconds); a frame is late when its
// tick's work ends after the next tick is due. The figure is the most calls with no late frame
// (goal 200), and with at most 1% of ticks late (a busy shared machine delays threads now and
// then); the baseline is the bound that the single-thread cost of one call, measured in this run,
// allows on 2 threads (2 x 20 ms / cost). The steps stop once more than a fifth of the ticks are
// late. The single-thread cost of the chain this replaced (Opus at 48 kHz on @discordjs/opus,
// 8k<->48k resampling, no jitter buffer) is measured in the same run for the ratio.
// Run: npm run build && node native-bench/transcode.bench.js
//   TRANSCODE_BENCH_CALLS=20,40,60 TRANSCODE_BENCH_SECONDS=3 node native-bench/transcode.bench.js
//   TSPBX_OPUS=discordjs (or opusscript) runs the new chain on a fallback binding.
import { once } from 'node:events';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { createCodec } from '../dist/media/codec/index.js';
import { OPUS_MAX_PACKET, OpusCodec } from '../dist/media/codec/opus.js';
import { opusBindingName } from '../dist/media/codec/opus-binding.js';
import { Resampler } from '../dist/media/codec/resample.js';
import { JitterBuffer } from '../dist/media/jitter.js';
import { speech, stampRtp } from './media-lib.js';

const WORKERS = 2;
const TICK_MS = 20;
const WARMUP_TICKS = 25;
const INTERNAL_RATE = 16000;

/** What the peers send: 100 frames of PCMU and of Opus (sent at 48 kHz, as a phone would), made once and replayed by every call. */
function streams() {
  const pcmu = createCodec('PCMU', 8000);
  const opus = createCodec('opus', 48000, 2);
  const s8 = speech(8000, 2);
  const s48 = speech(48000, 2);
  const pcmuFrames = [];
  const opusFrames = [];
  const buf = new Uint8Array(OPUS_MAX_PACKET);
  for (let f = 0; f < 100; f++) {
    pcmuFrames.push(buf.slice(0, pcmu.encode(s8.subarray(f * 160, f * 160 + 160), buf)));
    opusFrames.push(buf.slice(0, opus.encode(s48.subarray(f * 960, f * 960 + 960), buf)));
  }
  opus.close();
  return { pcmuFrames, opusFrames };
}

/** One leg's receive side: an RTP packet of its own (stamped per tick) through a jitter buffer. */
function receiver(clockRate, step) {
  const jb = new JitterBuffer({ clockRate, timestampStep: step });
  const packet = new Uint8Array(12 + OPUS_MAX_PACKET);
  packet[0] = 0x80;
  let seq = 0;
  let started = -1;
  return (payload, nowMs) => {
    if (started < 0) started = nowMs;
    stampRtp(packet, seq++, step);
    packet.set(payload, 12);
    jb.push(packet, 12 + payload.length, nowMs);
    // The jitter buffer plays out after its depth; until then the codec works on the payload as is.
    const f = jb.pop(nowMs);
    return f.kind === 'audio' ? f.payload : payload;
  };
}

/** One transcoded call as the pipeline runs it now: Opus at 16 kHz, jitter buffers on both legs. */
function makeCall() {
  const pcmu = createCodec('PCMU', 8000, 1, { sampleRate: INTERNAL_RATE });
  const opus = createCodec('opus', 48000, 2, { sampleRate: INTERNAL_RATE });
  const pcmuIn = receiver(8000, 160);
  const opusIn = receiver(48000, 960);
  const up = new Resampler(8000, INTERNAL_RATE);
  const down = new Resampler(INTERNAL_RATE, 8000);
  const pcm8 = new Int16Array(160);
  const heardA = new Int16Array(320);
  const heardB = new Int16Array(5760);
  const outOpus = new Uint8Array(OPUS_MAX_PACKET);
  const outPcmu = new Uint8Array(160);
  let now = 0;
  return {
    step(pcmuPayload, opusPayload) {
      now += TICK_MS;
      pcmu.decode(pcmuIn(pcmuPayload, now), pcm8);
      up.process(pcm8, heardA);
      opus.encode(heardA, outOpus);
      opus.decode(opusIn(opusPayload, now), heardB);
      down.process(heardB.subarray(0, 320), pcm8);
      pcmu.encode(pcm8, outPcmu);
    },
    close() {
      opus.close();
    },
  };
}

/** The chain before: Opus at 48 kHz on @discordjs/opus, 8k<->48k resampling, no jitter buffer. */
function makeCall48() {
  const pcmu = createCodec('PCMU', 8000);
  const opus = new OpusCodec({ binding: 'discordjs' });
  const up = new Resampler(8000, 48000);
  const down = new Resampler(48000, 8000);
  const pcm8 = new Int16Array(160);
  const pcm48 = new Int16Array(960);
  const outOpus = new Uint8Array(OPUS_MAX_PACKET);
  const outPcmu = new Uint8Array(160);
  return {
    step(pcmuIn, opusIn) {
      pcmu.decode(pcmuIn, pcm8);
      up.process(pcm8, pcm48);
      opus.encode(pcm48, outOpus);
      opus.decode(opusIn, pcm48);
      down.process(pcm48, pcm8);
      pcmu.encode(pcm8, outPcmu);
    },
    close() {
      opus.close();
    },
  };
}

/** Worker: `setup` builds the calls; `run` steps them on the shared 20 ms clock from t0. */
let prepared = null;

async function runCalls({ ticks, t0 }) {
  const { pcmuFrames, opusFrames, list } = prepared;
  const clock = () => performance.timeOrigin + performance.now();
  let late = 0;
  let busy = 0;
  let worstMs = 0;
  for (let k = 0; k < ticks; k++) {
    const due = t0 + k * TICK_MS;
    const wait = due - clock();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const start = clock();
    for (let c = 0; c < list.length; c++) list[c].step(pcmuFrames[(k + c) % 100], opusFrames[(k + c) % 100]);
    const end = clock();
    busy += end - start;
    if (k >= WARMUP_TICKS) {
      const over = end - (due + TICK_MS);
      if (over > 0) late++;
      if (over > worstMs) worstMs = over;
    }
  }
  for (const c of list) c.close();
  prepared = null;
  return { late, ticks: ticks - WARMUP_TICKS, busyPct: (100 * busy) / (ticks * TICK_MS), worstMs };
}

/** Steps one call for 1.5 s on this thread (no worker runs yet: the process' CPU is this thread's). */
function singleThread(make, pcmuFrames, opusFrames) {
  const call = make();
  for (let i = 0; i < 200; i++) call.step(pcmuFrames[i % 100], opusFrames[i % 100]);
  let n = 0;
  const t = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() - t < 1500) call.step(pcmuFrames[n % 100], opusFrames[n++ % 100]);
  const costMs = (performance.now() - t) / n;
  const used = process.cpuUsage(cpu);
  call.close();
  return { costMs, cpuMs: (used.user + used.system) / 1000 / n };
}

if (!isMainThread) {
  parentPort.on('message', async (msg) => {
    if (msg.setup !== undefined) {
      prepared = { ...streams(), list: Array.from({ length: msg.setup }, makeCall) };
      // One untimed step per call so that every encoder and decoder has started.
      for (const c of prepared.list) c.step(prepared.pcmuFrames[0], prepared.opusFrames[0]);
      parentPort.postMessage('ready');
    } else {
      parentPort.postMessage(await runCalls(msg));
    }
  });
} else {
  await main();
}

async function main() {
  const seconds = Number(process.env.TRANSCODE_BENCH_SECONDS ?? 3);
  const steps = (process.env.TRANSCODE_BENCH_CALLS ?? '10,20,40,60,80,100,120,150,200,250')
    .split(',')
    .map(Number);

  // Baseline: one call's step, single thread, no clock; then the chain this replaced.
  const { pcmuFrames, opusFrames } = streams();
  const { costMs, cpuMs } = singleThread(makeCall, pcmuFrames, opusFrames);
  const before = singleThread(makeCall48, pcmuFrames, opusFrames);
  const bound = Math.floor((WORKERS * TICK_MS) / costMs);
  console.log(`Opus binding: ${opusBindingName()}`);
  console.log(`one call, both ways, single thread: ${(costMs * 1000).toFixed(0)} us per 20 ms -> bound ${bound} calls on ${WORKERS} threads`);
  console.log(
    `  (CPU time ${(cpuMs * 1000).toFixed(0)} us per 20 ms: ${Math.floor(TICK_MS / cpuMs)} calls per core that were ours alone; ` +
      `wall/CPU ${(costMs / cpuMs).toFixed(2)} shows how shared the machine is)`,
  );
  console.log(
    `  the chain before (Opus 48 kHz on @discordjs/opus, 8k<->48k): ${(before.cpuMs * 1000).toFixed(0)} us CPU per 20 ms; ` +
      `now ${(cpuMs / before.cpuMs).toFixed(2)} of it`,
  );

  const workers = Array.from({ length: WORKERS }, () => new Worker(new URL(import.meta.url)));
  let best = 0;
  let nearly = 0;
  try {
    for (const calls of steps) {
      const ticks = Math.round((seconds * 1000) / TICK_MS) + WARMUP_TICKS;
      const per = [Math.ceil(calls / WORKERS), Math.floor(calls / WORKERS)];
      await Promise.all(
        workers.map(async (w, i) => {
          w.postMessage({ setup: per[i] });
          await once(w, 'message');
        }),
      );
      const t0 = performance.timeOrigin + performance.now() + 50;
      const results = await Promise.all(
        workers.map(async (w) => {
          w.postMessage({ ticks, t0 });
          const [r] = await once(w, 'message');
          return r;
        }),
      );
      const late = results.reduce((s, r) => s + r.late, 0);
      const ticksRun = results.reduce((s, r) => s + r.ticks, 0);
      const busy = results.map((r) => `${r.busyPct.toFixed(0)}%`).join('/');
      const worst = Math.max(...results.map((r) => r.worstMs));
      console.log(
        `${String(calls).padStart(4)} calls: ${late} of ${ticksRun} worker ticks late (worst +${worst.toFixed(1)} ms), workers busy ${busy}`,
      );
      if (late === 0) best = calls;
      if (late <= ticksRun / 100) nearly = calls;
      if (late > ticksRun / 5) break;
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  console.log(`most calls with no late frame: ${best} (goal 200); ${(best / bound).toFixed(2)} of the single-thread bound ${bound}`);
  console.log(`most calls with at most 1% of ticks late: ${nearly}; ${(nearly / bound).toFixed(2)} of the bound`);
}
