// Conference mixer at 16 kHz: time per mix() (one 20 ms tick of every party) for 10..1000 parties,
// the most parties whose mix fits in 25% of the 20 ms budget on one core (the rest is left for
// decode, resample and encode) and in the whole budget, and a ratio against a naive mixer run in
// the same process (each party sums all the others itself: O(N^2)). Then the same at 48 kHz (a
// room of Opus phones), with its ratio to the 16 kHz figures of this run.
// Worst case unless said: every party sends a valid frame and is mixed (no maxTalkers), so every
// party gets its own mix-minus. The conference setting (maxTalkers 8) is measured beside it.
// Times are CPU time of this thread per mix (process.cpuUsage), the median of several batches, so
// that other processes on a shared machine count less; wall time is printed too.
// Needs `npm run build` (dist/).
//
//   node native-bench/mixer.bench.js
//   MIXER_BENCH_SIZES=10,100,300,1000 MIXER_BENCH_MS=300 MIXER_BENCH_NAIVE_MAX=1000 node native-bench/mixer.bench.js
import { Session } from 'node:inspector/promises';
import { ConferenceMixer } from '../dist/media/mixer.js';

const RATE = 16000;
const FRAME = 320;
const WIDE_RATE = 48000;
const BUDGET_MS = 20;
const SHARE = 0.25;
const SIZES = (process.env.MIXER_BENCH_SIZES ?? '10,30,100,300,1000').split(',').map(Number);
const BATCH_MS = Number(process.env.MIXER_BENCH_MS ?? 200) / 5;
const NAIVE_MAX_PARTIES = Number(process.env.MIXER_BENCH_NAIVE_MAX ?? 300);

/** Speech-like frames: noise shaped by a syllable envelope, a different frame per party. */
function fillSpeech(out, seed, rate) {
  let s = seed >>> 0 || 1;
  const hz = 120 + (seed % 200);
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const noise = ((s >>> 16) & 0x7fff) - 16384;
    out[i] = Math.round(0.15 * noise + 2500 * Math.sin((2 * Math.PI * hz * i) / rate));
  }
}

/** A mixer whose parties all send a frame every tick (the pipeline sets inputValid each tick). */
function buildMixer(parties, options, rate = RATE) {
  const m = new ConferenceMixer(rate, options);
  const all = [];
  for (let i = 0; i < parties; i++) {
    const p = m.add(`p${i}`);
    fillSpeech(p.input, i + 1, rate);
    all.push(p);
  }
  return {
    mix() {
      for (let i = 0; i < all.length; i++) all[i].inputValid = true;
      m.mix();
    },
  };
}

/** The naive mixer: for each party, sum every other input and saturate. */
function naiveMixer(parties) {
  const inputs = [];
  const outputs = [];
  for (let i = 0; i < parties; i++) {
    const input = new Int16Array(FRAME);
    fillSpeech(input, i + 1, RATE);
    inputs.push(input);
    outputs.push(new Int16Array(FRAME));
  }
  const acc = new Int32Array(FRAME);
  return {
    mix() {
      for (let p = 0; p < parties; p++) {
        acc.fill(0);
        for (let q = 0; q < parties; q++) {
          if (q === p) continue;
          const input = inputs[q];
          for (let i = 0; i < FRAME; i++) acc[i] += input[i];
        }
        const out = outputs[p];
        for (let i = 0; i < FRAME; i++) {
          const v = acc[i];
          out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
        }
      }
    },
  };
}

/** Median over 5 batches of CPU ms and wall ms per mix(); each batch runs about BATCH_MS. */
function timeMix(mixer) {
  const warm = performance.now();
  for (let i = 0; i < 200 && performance.now() - warm < 300; i++) mixer.mix();
  const cpu = [];
  const wall = [];
  let perBatch = 1;
  for (let b = 0; b < 5; b++) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    for (let i = 0; i < perBatch; i++) mixer.mix();
    const w = performance.now() - w0;
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 / perBatch);
    wall.push(w / perBatch);
    perBatch = Math.max(1, Math.min(100000, Math.round(BATCH_MS / Math.max(w / perBatch, 0.0005))));
  }
  const median = (a) => a.sort((x, y) => x - y)[2];
  return { cpu: median(cpu), wall: median(wall) };
}

function ms(x) {
  return x >= 1 ? x.toFixed(2) : x.toFixed(3);
}

/** The most parties whose mix() takes at most limitMs: doubling, then bisection. */
function mostParties(limitMs, options, rate = RATE) {
  let lo = 0;
  let hi = 100;
  while (timeMix(buildMixer(hi, options, rate)).cpu <= limitMs && hi < 200000) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > Math.max(10, lo / 50)) {
    const mid = Math.round((lo + hi) / 2);
    if (timeMix(buildMixer(mid, options, rate)).cpu <= limitMs) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Bytes the sampling heap profiler attributes to the mixer's files over many mix() calls. */
async function mixerAllocations(parties, runs) {
  const m = buildMixer(parties, { maxTalkers: 8 });
  for (let i = 0; i < 500; i++) m.mix();
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 32, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  for (let i = 0; i < runs; i++) m.mix();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  let bytes = 0;
  const walk = (node) => {
    if (/\/media\/(mixer|limiter|talker)\.js$/.test(node.callFrame.url)) bytes += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  return bytes;
}

console.log(`conference mixer, ${RATE} Hz, 20 ms frames; CPU ms per mix() (wall in brackets), median of 5 batches`);
console.log('parties | all mixed        | maxTalkers 8     | naive O(N^2)      | naive / all mixed');
let at300 = null;
for (const n of SIZES) {
  const all = timeMix(buildMixer(n, {}));
  const top = timeMix(buildMixer(n, { maxTalkers: 8 }));
  const naive = n <= NAIVE_MAX_PARTIES ? timeMix(naiveMixer(n)) : null;
  const ratio = naive === null ? '-' : `${(naive.cpu / all.cpu).toFixed(1)}x`;
  if (n === 300) at300 = { all, naive };
  console.log(
    `${String(n).padStart(7)} | ${`${ms(all.cpu)} (${ms(all.wall)})`.padEnd(16)} | ${`${ms(top.cpu)} (${ms(top.wall)})`.padEnd(16)} | ${
      naive === null ? '-'.padEnd(17) : `${ms(naive.cpu)} (${ms(naive.wall)})`.padEnd(17)
    } | ${ratio}`,
  );
}

const quarter = mostParties(BUDGET_MS * SHARE, {});
const whole = mostParties(BUDGET_MS, {});
const quarterTop = mostParties(BUDGET_MS * SHARE, { maxTalkers: 8 });
console.log(`most parties in ${BUDGET_MS * SHARE} ms (25% of a 20 ms tick, one core): ${quarter} all mixed, ${quarterTop} with maxTalkers 8`);
console.log(`most parties in the whole 20 ms tick: ${whole} all mixed (goal 300)`);
if (at300 !== null) {
  console.log(
    `300 parties: ${ms(at300.all.cpu)} ms a tick = ${((100 * at300.all.cpu) / BUDGET_MS).toFixed(1)}% of one core; naive ${ms(at300.naive.cpu)} ms, ${(at300.naive.cpu / at300.all.cpu).toFixed(1)} times slower`,
  );
}
console.log(`bytes allocated by the mixer in 5,000 mix() of 300 parties (sampling heap profiler): ${await mixerAllocations(300, 5000)}`);

const wide300 = timeMix(buildMixer(300, {}, WIDE_RATE));
const narrow300 = timeMix(buildMixer(300, {}));
const wideWhole = mostParties(BUDGET_MS, {}, WIDE_RATE);
console.log(
  `48 kHz (a room of Opus phones), 300 parties: ${ms(wide300.cpu)} ms a tick (${ms(wide300.wall)} wall), ${(wide300.cpu / narrow300.cpu).toFixed(1)} times the 16 kHz mix (${ms(narrow300.cpu)} ms)`,
);
console.log(`most parties in the whole 20 ms tick at 48 kHz: ${wideWhole} all mixed (16 kHz: ${whole}, ratio ${(wideWhole / whole).toFixed(2)})`);
