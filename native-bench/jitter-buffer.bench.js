// JitterBuffer push + pop per 20 ms G.711 packet (160-byte payload, mild reordering), against the
// baseline of copying the same payload into a preallocated buffer (Buffer.prototype.copy). Run:
// npm run build && node native-bench/jitter-buffer.bench.js
import { JitterBuffer } from '../dist/media/jitter.js';
import { g711Packets, stampRtp } from './media-lib.js';

const N = 1_000_000;
const packets = g711Packets(64);
const sink = new Uint8Array(1500);
const copy = Buffer.prototype.copy;

function baseline() {
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const p = packets[i & 63];
    stampRtp(p, i);
    copy.call(p, sink, 0, 12, 172);
    sum += sink[0];
  }
  return sum;
}

function jitter() {
  const jb = new JitterBuffer({ clockRate: 8000, timestampStep: 160, minDelayMs: 40 });
  let audio = 0;
  for (let i = 0; i < N; i++) {
    // Every 50th pair swapped: packet i+1 arrives 5 ms before packet i.
    const j = i % 50 === 10 ? i + 1 : i % 50 === 11 ? i - 1 : i;
    const p = packets[i & 63];
    stampRtp(p, j);
    jb.push(p, 172, j * 20 + (i % 50 === 11 ? 5 : 0));
    if (jb.pop(i * 20).kind === 'audio') audio++;
  }
  return audio;
}

function time(fn) {
  const t0 = process.hrtime.bigint();
  const r = fn();
  return [Number(process.hrtime.bigint() - t0) / N, r];
}

time(baseline);
time(jitter);
const [base] = time(baseline);
const [jb, audio] = time(jitter);
console.log(`baseline payload copy:  ${base.toFixed(1)} ns/packet`);
console.log(`jitter push + pop:      ${jb.toFixed(1)} ns/packet (ratio ${(jb / base).toFixed(2)}x), ${audio} of ${N} frames audio`);
