// Transcoded calls, PCMU on one leg and Opus on the other, in 2 worker_threads on the pipeline's
// 20 ms clock (src/media/pipeline/media-clock.ts). Each call is the pipeline's own two DecodedLegs
// (src/media/pipeline/decoded-leg.ts) on legs whose sockets drop what is sent: per tick each
// phone's RTP packet goes into its leg's jitter buffer, both legs decode one frame, and each
// encodes its peer's frame into an RTP packet (RTCP reports when due). The Opus leg codes at 8 kHz,
// as the pipeline asks for a leg bridged to G.711: PCMU decode -> Opus encode one way, Opus decode
// -> PCMU encode the other, nothing resampled. Socket receive and send are not included
// (media-relay.bench.js measures the sockets).
// Late frame: a call's two frames of a tick leave when its step ends; they are late when that is
// more than LATE_TOLERANCE_MS (20 ms, one frame) after the tick's due instant on the clock's grid
// (start + k x 20 ms, never drifting). A tick the clock skips after a stall (more than 5 frames
// behind) sends nothing, and all its frames count as late. The first WARMUP_TICKS of each step are
// not counted. The Opus complexity is the pipeline's adaptive one by default (complexity-governor.ts:
// one governor per worker for the whole run, so its level carries from step to step as in a media
// worker whose load rises); TRANSCODE_BENCH_COMPLEXITY=3 fixes it. Call counts rise step by step
// (each step a few seconds); the figure is the most calls with no late frame (goal 200), and with at
// most 1% of frames late; the baseline is the bound that the single-thread cost of one call,
// measured in this run, allows on 2 threads (2 x 20 ms / cost). The steps stop once more than a
// fifth of the frames are late. Each line gives the load average of the machine: other jobs on the
// 2 cores delay the workers, and the figures mean little above a load average of about 1.
// The single-thread cost of the chains this replaced is measured in the same run for the ratios:
// the same DecodedLegs with Opus at 16 kHz (PCMU resampled 8k<->16k), as the pipeline ran until
// now, and the first chain (Opus at 48 kHz on @discordjs/opus, 8k<->48k resampling, no jitter buffer).
// Run: npm run build && node native-bench/transcode.bench.js
//   TRANSCODE_BENCH_CALLS=100,150,200,250 TRANSCODE_BENCH_SECONDS=3 node native-bench/transcode.bench.js
//   TRANSCODE_BENCH_COMPLEXITY=3 (or 0..10): a fixed Opus complexity instead of the adaptive one.
//   TSPBX_OPUS=discordjs (or opusscript) runs the new chain on a fallback binding.
//   TRANSCODE_BENCH_LOSS=10: the Opus phone reports 10% loss, so the encoder adds in-band FEC.
//   TRANSCODE_BENCH_OPUS_RATE=16000: the load steps run the chain before (Opus at 16 kHz) instead.
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { createCodec } from '../dist/media/codec/index.js';
import { OPUS_MAX_PACKET, OpusCodec } from '../dist/media/codec/opus.js';
import { opusBindingName } from '../dist/media/codec/opus-binding.js';
import { Resampler } from '../dist/media/codec/resample.js';
import { DecodedLeg } from '../dist/media/pipeline/decoded-leg.js';
import { Leg } from '../dist/media/relay.js';
import { ComplexityGovernor } from '../dist/media/pipeline/complexity-governor.js';
import { MediaClock } from '../dist/media/pipeline/media-clock.js';
import { speech, stampRtp } from './media-lib.js';

const WORKERS = 2;
/** Loss (percent) the Opus phone reports by RTCP: 0 = no in-band FEC sent, as on a clean network. */
const FAR_END_LOSS = Number(process.env.TRANSCODE_BENCH_LOSS ?? 0);
const TICK_MS = 20;
const WARMUP_TICKS = 25;
/**
 * A frame is late when it leaves more than this after its due instant on the 20 ms grid: one
 * frame of jitter, which the smallest jitter buffer a phone runs absorbs (tspbx's own starts at
 * 40 ms, src/media/jitter.ts).
 */
const LATE_TOLERANCE_MS = 20;

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

/** A relay leg whose sockets go nowhere: what a DecodedLeg sends is built in full and dropped. */
function benchLeg(id) {
  const socket = { send() {}, close() {} };
  const leg = new Leg(id, 0, socket, socket);
  leg.sendAddress = '127.0.0.1';
  leg.sendPort = 9;
  leg.rtcpSendAddress = '127.0.0.1';
  leg.rtcpSendPort = 10;
  return leg;
}

/** A phone's RTP stream: payloads stamped into packets of its own, one per tick. */
function phoneStream(payloadType, step) {
  const packet = Buffer.alloc(12 + OPUS_MAX_PACKET);
  packet[0] = 0x80;
  packet[1] = payloadType;
  packet.writeUInt32BE(0x5eed0000 + payloadType, 8);
  let seq = 0;
  return (payload) => {
    stampRtp(packet, seq++, step);
    packet.set(payload, 12);
    return packet.subarray(0, 12 + payload.length);
  };
}

const PCMU_SPEC = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: null, dtmfPayloadType: 101 };
const OPUS_SPEC = { name: 'opus', payloadType: 96, clockRate: 48000, channels: 2, dtmfPayloadType: 101 };

/**
 * One transcoded call as the pipeline runs it (pipeline.ts #tick), sockets aside: two DecodedLegs;
 * each tick each phone's packet goes into its leg's jitter buffer, both legs pull (decode), and
 * each sends its peer's frame (encode, RTP header, RTCP when due). `opusRate`: the PCM rate the
 * Opus leg codes at: 8000 as the pipeline asks now for a leg bridged to G.711 (no resampling),
 * 16000 as it asked before (PCMU 8k->16k->Opus; Opus 16k->8k->PCMU).
 */
function makeCall(complexity = 3, opusRate = 8000) {
  const pcmu = DecodedLeg.create(benchLeg('pcmu'), PCMU_SPEC);
  const opus = DecodedLeg.create(benchLeg('opus'), OPUS_SPEC, opusRate);
  // As a decoded leg: FEC sized by the loss the phone's RTCP reports (none on a clean network).
  if (FAR_END_LOSS > 0) opus.rtcp.onFarEndLoss(FAR_END_LOSS);
  opus.setEncoderComplexity(complexity);
  let level = complexity;
  const pcmuIn = phoneStream(0, 160);
  const opusIn = phoneStream(96, 960);
  let fakeNow = 0;
  return {
    /** One tick at `nowMs` (performance.now() time; default: 20 ms after the last, for back-to-back runs). */
    step(pcmuPayload, opusPayload, nowMs = (fakeNow += TICK_MS)) {
      pcmu.receive(pcmuIn(pcmuPayload), nowMs);
      opus.receive(opusIn(opusPayload), nowMs);
      pcmu.pull(nowMs);
      opus.pull(nowMs);
      pcmu.send(opus.frameFor(pcmu.pcmRate));
      opus.send(pcmu.frameFor(opus.pcmRate));
    },
    get complexity() {
      return level;
    },
    setComplexity(c) {
      level = c;
      opus.setEncoderComplexity(c);
    },
    close() {
      pcmu.close();
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

/** Worker: `setup` builds the calls; `run` steps them on the pipeline's own MediaClock. */
let prepared = null;
/** One per worker for the whole run, as a media worker has one: its level carries from step to step. */
let governor = null;

/** The pth percentile of the first n values of a (sorted in place). */
function percentile(a, n, p) {
  const v = a.subarray(0, n).sort();
  return n === 0 ? 0 : v[Math.min(n - 1, Math.floor((p / 100) * n))];
}

function runCalls({ ticks, complexity }) {
  const { pcmuFrames, opusFrames, list } = prepared;
  if (complexity !== 'adaptive') for (const c of list) c.setComplexity(complexity);
  else {
    governor ??= new ComplexityGovernor();
    for (const c of list) c.setComplexity(governor.complexity);
  }
  const levels = new Set([list[0].complexity]);
  const wakeMs = new Float64Array(ticks);
  let k = 0;
  let lateFrames = 0;
  let lateTicks = 0;
  let frames = 0;
  let busy = 0;
  let worstMs = 0;
  let skippedAtStart = 0;
  let firstMs = 0;
  return new Promise((resolve) => {
    const clock = new MediaClock((now, due) => {
      const measured = k >= WARMUP_TICKS;
      if (k === 0) firstMs = now;
      if (k === WARMUP_TICKS) skippedAtStart = clock.skipped;
      let late = 0;
      for (let c = 0; c < list.length; c++) {
        list[c].step(pcmuFrames[(k + c) % 100], opusFrames[(k + c) % 100], now);
        // The call's two frames leave now: late when after their due instant + the tolerance.
        const over = performance.now() - due;
        if (over > LATE_TOLERANCE_MS) late++;
        if (measured && over > worstMs) worstMs = over;
      }
      const end = performance.now();
      busy += end - now;
      if (measured) {
        wakeMs[k - WARMUP_TICKS] = now - due;
        frames += list.length;
        lateFrames += late;
        if (late > 0) lateTicks++;
      }
      if (governor !== null && complexity === 'adaptive' && governor.observe(end - now)) {
        for (const c of list) c.setComplexity(governor.complexity);
        levels.add(governor.complexity);
      }
      if (++k < ticks) return;
      clock.stop();
      // A tick the clock skipped after a stall sent nothing: each of its frames counts as late.
      const skipped = clock.skipped - skippedAtStart;
      const n = ticks - WARMUP_TICKS;
      for (const c of list) c.close();
      prepared = null;
      resolve({
        frames: frames + skipped * list.length,
        lateFrames: lateFrames + skipped * list.length,
        ticks: n + skipped,
        lateTicks: lateTicks + skipped,
        busyPct: (100 * busy) / (performance.now() - firstMs),
        worstMs,
        wakeP50: percentile(wakeMs, n, 50),
        wakeP99: percentile(wakeMs, n, 99),
        wakeMax: percentile(wakeMs, n, 100),
        levels: [...levels],
      });
    });
    clock.start();
  });
}

/**
 * Steps one call of each chain on this thread (no worker runs yet: the process' CPU is this
 * thread's), the chains taking turns: ROUNDS rounds of ROUND_MS each, so that bursts of load from
 * other jobs fall on every chain alike. Each chain's figures are the medians over its rounds of the
 * wall time and the CPU time per step.
 */
const ROUNDS = 7;
const ROUND_MS = 200;
function singleThread(makers, pcmuFrames, opusFrames) {
  const calls = makers.map((make) => make());
  for (const call of calls) for (let i = 0; i < 200; i++) call.step(pcmuFrames[i % 100], opusFrames[i % 100]);
  const wall = calls.map(() => new Float64Array(ROUNDS));
  const cpu = calls.map(() => new Float64Array(ROUNDS));
  for (let round = 0; round < ROUNDS; round++) {
    calls.forEach((call, c) => {
      let n = 0;
      const t = performance.now();
      const start = process.cpuUsage();
      while (performance.now() - t < ROUND_MS) call.step(pcmuFrames[n % 100], opusFrames[n++ % 100]);
      wall[c][round] = (performance.now() - t) / n;
      const used = process.cpuUsage(start);
      cpu[c][round] = (used.user + used.system) / 1000 / n;
    });
  }
  for (const call of calls) call.close();
  return calls.map((_, c) => ({ costMs: percentile(wall[c], ROUNDS, 50), cpuMs: percentile(cpu[c], ROUNDS, 50) }));
}

if (!isMainThread) {
  parentPort.on('message', async (msg) => {
    if (msg.setup !== undefined) {
      prepared = { ...streams(), list: Array.from({ length: msg.setup }, () => makeCall(3, msg.opusRate)) };
      // One untimed step per call so that every encoder and decoder has started.
      for (const c of prepared.list) c.step(prepared.pcmuFrames[0], prepared.opusFrames[0], performance.now());
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
  const mode = process.env.TRANSCODE_BENCH_COMPLEXITY ?? 'adaptive';
  const opusRate = Number(process.env.TRANSCODE_BENCH_OPUS_RATE ?? 8000);
  if (opusRate !== 8000 && opusRate !== 16000) throw new Error(`TRANSCODE_BENCH_OPUS_RATE must be 8000 or 16000, got ${opusRate}`);
  const complexity = mode === 'adaptive' ? mode : Number(mode);
  if (complexity !== 'adaptive' && !(Number.isInteger(complexity) && complexity >= 0 && complexity <= 10)) {
    throw new Error(`TRANSCODE_BENCH_COMPLEXITY must be 'adaptive' or 0..10, got ${mode}`);
  }
  const load = () => loadavg()[0].toFixed(2);

  // Baseline: one call's step, single thread, no clock, at each complexity; then the chains this replaced.
  const { pcmuFrames, opusFrames } = streams();
  const [{ costMs, cpuMs }, c1, c0, at16k, before] = singleThread(
    [() => makeCall(3, opusRate), () => makeCall(1, opusRate), () => makeCall(0, opusRate), () => makeCall(3, 16000), makeCall48],
    pcmuFrames,
    opusFrames,
  );
  const bound = Math.floor((WORKERS * TICK_MS) / costMs);
  console.log(`Opus binding: ${opusBindingName()}; load average ${load()}; Opus complexity ${mode}; a frame is late after due + ${LATE_TOLERANCE_MS} ms`);
  console.log(
    `one call, both ways, single thread, Opus coded at ${opusRate / 1000} kHz, complexity 3: ${(costMs * 1000).toFixed(0)} us per 20 ms -> bound ${bound} calls on ${WORKERS} threads`,
  );
  console.log(
    `  (CPU time ${(cpuMs * 1000).toFixed(0)} us per 20 ms: ${Math.floor(TICK_MS / cpuMs)} calls per core that were ours alone; ` +
      `wall/CPU ${(costMs / cpuMs).toFixed(2)} shows how shared the machine is)`,
  );
  console.log(`  complexity 1: ${(c1.cpuMs * 1000).toFixed(0)} us CPU (${(c1.cpuMs / cpuMs).toFixed(2)}), complexity 0: ${(c0.cpuMs * 1000).toFixed(0)} us CPU (${(c0.cpuMs / cpuMs).toFixed(2)})`);
  console.log(
    `  the pipeline's chain before (Opus coded at 16 kHz, PCMU resampled 8k<->16k): ${(at16k.cpuMs * 1000).toFixed(0)} us CPU per 20 ms; ` +
      `now ${(cpuMs / at16k.cpuMs).toFixed(2)} of it`,
  );
  console.log(
    `  the first chain (Opus 48 kHz on @discordjs/opus, 8k<->48k, no jitter buffer): ${(before.cpuMs * 1000).toFixed(0)} us CPU per 20 ms; ` +
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
          w.postMessage({ setup: per[i], opusRate });
          await once(w, 'message');
        }),
      );
      const results = await Promise.all(
        workers.map(async (w) => {
          w.postMessage({ ticks, complexity });
          const [r] = await once(w, 'message');
          return r;
        }),
      );
      const sum = (f) => results.reduce((s, r) => s + f(r), 0);
      const late = sum((r) => r.lateFrames);
      const frames = sum((r) => r.frames);
      const busy = results.map((r) => `${r.busyPct.toFixed(0)}%`).join('/');
      const worst = Math.max(...results.map((r) => r.worstMs));
      const wake = (k) => Math.max(...results.map((r) => r[k])).toFixed(1);
      const levels = results.map((r) => r.levels.join('>')).join('/');
      console.log(
        `${String(calls).padStart(4)} calls: ${late} of ${frames} frames late (${((100 * late) / frames).toFixed(2)}%, in ${sum((r) => r.lateTicks)} of ${sum((r) => r.ticks)} ticks; ` +
          `latest +${worst.toFixed(1)} ms after due), workers busy ${busy}, clock wake-up after due p50/p99/max ${wake('wakeP50')}/${wake('wakeP99')}/${wake('wakeMax')} ms, ` +
          `complexity ${levels}, load average ${load()}`,
      );
      if (late === 0) best = calls;
      if (late <= frames / 100) nearly = calls;
      if (late > frames / 5) break;
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  console.log(`most calls with no late frame: ${best} (goal 200); ${(best / bound).toFixed(2)} of the single-thread bound ${bound}`);
  console.log(`most calls with at most 1% of frames late: ${nearly}; ${(nearly / bound).toFixed(2)} of the bound`);
}
