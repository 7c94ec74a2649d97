// Codec throughput: 20 ms frames per second of encode and of decode for each codec on one
// thread, and the realtime channels per core that makes (frames/s / 50). Opus runs at 16 kHz (what
// a decoded leg uses) and at 48 kHz on each binding in the same run: tspbx's addon (native/opus.c),
// @discordjs/opus and opusscript (WebAssembly), with their ratios; every codec is also shown
// against G.711 mu-law, the cheapest, as the baseline. The resampler steps of a transcoded call
// are measured the same way.
// CPU microseconds per frame are printed too: on a shared machine they say more than wall time.
// Run: npm run build && node native-bench/codecs.bench.js   (CODECS_BENCH_MS=500 per measurement)
import { createCodec } from '../dist/media/codec/index.js';
import { OpusCodec } from '../dist/media/codec/opus.js';
import { Resampler } from '../dist/media/codec/resample.js';
import { speech } from './media-lib.js';

const MS = Number(process.env.CODECS_BENCH_MS ?? 500);

/**
 * Calls fn(i) for about MS milliseconds (after a short warm-up); returns calls per second of
 * wall time, and records the CPU time per call (this process has one thread) in cpuUs.
 */
const cpuUs = new Map();
function rate(fn, key) {
  for (let i = 0; i < 200; i++) fn(i);
  let n = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  let now = start;
  while (now - start < MS) {
    for (let k = 0; k < 50; k++) fn(n++);
    now = performance.now();
  }
  const used = process.cpuUsage(cpu);
  cpuUs.set(key, (used.user + used.system) / n);
  return (n * 1000) / (now - start);
}

function benchCodec(label, make) {
  const codec = make();
  const pcm = speech(codec.sampleRate);
  const frames = [];
  for (let f = 0; f + codec.frameSamples <= pcm.length; f += codec.frameSamples) frames.push(pcm.subarray(f, f + codec.frameSamples));
  const payload = new Uint8Array(2000);
  const packets = frames.map((fr) => payload.slice(0, codec.encode(fr, payload)));
  codec.reset();
  const out = new Int16Array(codec.frameSamples);
  const enc = rate((i) => codec.encode(frames[i % frames.length], payload), `${label} enc`);
  const dec = rate((i) => codec.decode(packets[i % packets.length], out), `${label} dec`);
  codec.close();
  return { label, enc, dec };
}

function benchResampler(from, to) {
  const r = new Resampler(from, to);
  const pcm = speech(from);
  const n = from / 50;
  const out = new Int16Array(to / 50);
  const label = `resample ${from / 1000}k->${to / 1000}k`;
  return { label, enc: rate((i) => r.process(pcm.subarray((i % 50) * n, (i % 50) * n + n), out), `${label} enc`), dec: NaN };
}

const rows = [
  benchCodec('PCMU', () => createCodec('PCMU', 8000)),
  benchCodec('PCMA', () => createCodec('PCMA', 8000)),
  benchCodec('G722', () => createCodec('G722', 8000)),
  benchCodec('L16/48000', () => createCodec('L16', 48000)),
  ...['native', 'discordjs', 'opusscript'].flatMap((binding) =>
    [16000, 48000].map((sampleRate) => benchCodec(`opus ${sampleRate / 1000}k ${binding}`, () => new OpusCodec({ binding, sampleRate }))),
  ),
  benchResampler(8000, 48000),
  benchResampler(48000, 8000),
  benchResampler(16000, 48000),
  benchResampler(48000, 16000),
  benchResampler(8000, 16000),
  benchResampler(16000, 8000),
];

const base = rows[0];
const fmt = (x) => (Number.isNaN(x) ? '-' : Math.round(x).toLocaleString('en-US'));
const pad = (s, n) => String(s).padStart(n);
const us = (key) => (cpuUs.has(key) ? cpuUs.get(key).toFixed(1) : '-');
console.log(
  `${'codec'.padEnd(22)}${pad('encode fr/s', 13)}${pad('ch/core', 9)}${pad('decode fr/s', 13)}${pad('ch/core', 9)}${pad('enc vs PCMU', 13)}${pad('CPU us enc/dec', 18)}`,
);
for (const r of rows) {
  console.log(
    `${r.label.padEnd(22)}${pad(fmt(r.enc), 13)}${pad(fmt(r.enc / 50), 9)}${pad(fmt(r.dec), 13)}${pad(fmt(r.dec / 50), 9)}${pad((r.enc / base.enc).toFixed(4), 13)}${pad(`${us(`${r.label} enc`)}/${us(`${r.label} dec`)}`, 18)}`,
  );
}
const row = (label) => rows.find((r) => r.label === label);
for (const rate of ['16k', '48k']) {
  const native = row(`opus ${rate} native`);
  for (const other of ['discordjs', 'opusscript']) {
    const r = row(`opus ${rate} ${other}`);
    console.log(`opus ${rate}: native addon / ${other}: encode ${(native.enc / r.enc).toFixed(2)}x, decode ${(native.dec / r.dec).toFixed(2)}x`);
  }
}
/** One transcoded PCMU<->Opus call both ways, from the rows: us of wall time per 20 ms. */
const chain = (labels) => labels.reduce((us, [label, side]) => us + 1e6 / row(label)[side], 0);
const now = chain([
  ['PCMU', 'dec'],
  ['resample 8k->16k', 'enc'],
  ['opus 16k native', 'enc'],
  ['opus 16k native', 'dec'],
  ['resample 16k->8k', 'enc'],
  ['PCMU', 'enc'],
]);
const before = chain([
  ['PCMU', 'dec'],
  ['resample 8k->48k', 'enc'],
  ['opus 48k discordjs', 'enc'],
  ['opus 48k discordjs', 'dec'],
  ['resample 48k->8k', 'enc'],
  ['PCMU', 'enc'],
]);
console.log(
  `PCMU<->opus transcoding, one call both ways: ${now.toFixed(0)} us per 20 ms (Opus 16 kHz, native addon), ` +
    `${Math.floor(20000 / now)} calls per core; before (48 kHz, @discordjs/opus): ${before.toFixed(0)} us, ${(before / now).toFixed(2)}x`,
);
