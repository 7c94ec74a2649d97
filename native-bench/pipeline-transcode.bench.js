// Transcoding cost per call: one 20 ms tick of a bridged call does, for each direction, what a
// decoded leg does (src/media/pipeline/decoded-leg.ts): decode, resample to 16 kHz, resample to the
// other leg's rate, encode. PCMU-to-Opus calls are timed against PCMU-to-PCMA calls (the cheapest
// transcoding) in the same run; the figure is the calls one core fits in the 20 ms budget.
// Jitter buffer and socket costs are not included (see media-relay.bench.js for the sockets).
// Run: npm run build && node native-bench/pipeline-transcode.bench.js   (TRANSCODE_BENCH_MS=1000 per measurement)
import { createCodec } from '../dist/media/codec/index.js';
import { Resampler } from '../dist/media/codec/resample.js';
import { speech } from './media-lib.js';

const MS = Number(process.env.TRANSCODE_BENCH_MS ?? 1000);

/** One direction of a call: payloads of codec `from` in, payloads of codec `to` out. */
function direction(from, to) {
  // As a decoded leg creates them: a codec that can code at 16 kHz (Opus) does.
  const rx = createCodec(...from, { sampleRate: 16000 });
  const tx = createCodec(...to, { sampleRate: 16000 });
  const enc = createCodec(...from);
  const src = speech(enc.sampleRate);
  const payloads = [];
  const buf = new Uint8Array(2000);
  for (let i = 0; (i + 1) * enc.frameSamples <= src.length; i++) {
    const n = enc.encode(src.subarray(i * enc.frameSamples, (i + 1) * enc.frameSamples), buf);
    payloads.push(buf.slice(0, n));
  }
  const up = new Resampler(rx.sampleRate, 16000);
  const down = new Resampler(16000, tx.sampleRate);
  const decoded = new Int16Array(5760);
  const frame = decoded.subarray(0, rx.frameSamples);
  const heard = new Int16Array(320);
  const toEncode = new Int16Array(tx.frameSamples);
  const out = new Uint8Array(2000);
  return (i) => {
    rx.decode(payloads[i % payloads.length], decoded);
    up.process(frame, heard);
    down.process(heard, toEncode);
    tx.encode(toEncode, out);
  };
}

function callsPerCore(a, b) {
  const ab = direction(a, b);
  const ba = direction(b, a);
  const tick = (i) => {
    ab(i);
    ba(i);
  };
  for (let i = 0; i < 100; i++) tick(i);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < MS) tick(n++);
  const perTickMs = (performance.now() - start) / n;
  return 20 / perTickMs;
}

const PCMU = ['PCMU', 8000, 1];
const baseline = callsPerCore(PCMU, ['PCMA', 8000, 1]);
const opus = callsPerCore(PCMU, ['opus', 48000, 2]);
const g722 = callsPerCore(PCMU, ['G722', 8000, 1]);
console.log(`PCMU<->PCMA  ${baseline.toFixed(0)} calls per core in the 20 ms budget (baseline)`);
console.log(`PCMU<->G722  ${g722.toFixed(0)} calls per core, ${(g722 / baseline).toFixed(3)} x baseline`);
console.log(`PCMU<->opus  ${opus.toFixed(0)} calls per core, ${(opus / baseline).toFixed(3)} x baseline`);
