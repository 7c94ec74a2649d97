// The per-packet cost the relay pays for call quality: performance.now() plus ReceiveStats.update
// (RFC 3550 A.1/A.8) on a 20 ms stream with 1 % loss, against the baseline of reading the same
// header fields the relay reads anyway; update alone (arrival times given) shows what the clock
// read costs. Also prints the heap growth of the update path (it allocates nothing).
// Run: npm run build && node native-bench/receive-stats.bench.js
import { ReceiveStats } from '../dist/media/rtcp.js';
import { rtpSequence, rtpSsrc, rtpTimestamp } from '../dist/media/rtp.js';
import { g711Packets, stampRtp } from './media-lib.js';

const N = 2_000_000;
const packets = g711Packets(64);

function baseline() {
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const p = packets[i & 63];
    stampRtp(p, i);
    sum += rtpSsrc(p) + rtpSequence(p);
  }
  return sum;
}

function withStats(stats, clock) {
  let sum = 0;
  for (let i = 0; i < N; i++) {
    if (i % 100 === 50) continue;
    const p = packets[i & 63];
    stampRtp(p, i);
    sum += rtpSsrc(p) + rtpSequence(p);
    stats.update(rtpSequence(p), rtpTimestamp(p), clock ? performance.now() : i * 20, 8000);
  }
  return sum;
}

function time(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / N;
}

time(baseline);
time(() => withStats(new ReceiveStats(), true));
const base = time(baseline);
const stats = new ReceiveStats();
globalThis.gc?.();
const heap0 = process.memoryUsage().heapUsed;
const update = time(() => withStats(stats, false));
const heapGrowth = process.memoryUsage().heapUsed - heap0;
const clocked = time(() => withStats(new ReceiveStats(), true));
console.log(`baseline header reads:          ${base.toFixed(1)} ns/packet`);
console.log(`+ update (arrival given):       ${update.toFixed(1)} ns/packet (ratio ${(update / base).toFixed(2)}x)`);
console.log(`+ performance.now + update:     ${clocked.toFixed(1)} ns/packet (${(clocked - base).toFixed(1)} ns added, ratio ${(clocked / base).toFixed(2)}x)`);
console.log(`loss seen ${stats.lossPct.toFixed(2)} %, heap growth over ${N} updates: ${(heapGrowth / 1024).toFixed(0)} KiB`);
