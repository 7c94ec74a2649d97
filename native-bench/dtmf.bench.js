// In-band DTMF detection at 8 kHz: how many channels one core can watch in real time with
// InbandDtmfDetector (Goertzel on 5 ms sub-blocks, a 15 ms window judged every 5 ms, Q.24 checks),
// against a baseline in the same run: a naive DFT of the same 8 bins over the same windows and
// hops (cos/sin tables, powers only, no decisions).
// Rates are per CPU second of this process (process.cpuUsage), so other load on the machine counts less.
// Run: npm run build && node native-bench/dtmf.bench.js      (DTMF_BENCH_SECONDS=2 per contender)
import { InbandDtmfDetector } from '../dist/media/dtmf/goertzel.js';

const RATE = 8000;
const FRAME = 160;
const SECONDS = Number(process.env.DTMF_BENCH_SECONDS ?? 2);
const FREQS = [697, 770, 852, 941, 1209, 1336, 1477, 1633];

/** 10 s of audio: a digit every 200 ms (80 ms tone) over white noise at about 20 dB SNR. */
function audio() {
  const pcm = new Int16Array(RATE * 10);
  const rows = [697, 770, 852, 941];
  const cols = [1209, 1336, 1477, 1633];
  let seed = 1;
  for (let i = 0; i < pcm.length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const slot = Math.floor(i / (RATE / 5));
    const inTone = i % (RATE / 5) < RATE * 0.08;
    const tone = inTone ? 3000 * Math.sin((2 * Math.PI * rows[slot % 4] * i) / RATE) + 3000 * Math.sin((2 * Math.PI * cols[(slot >> 2) % 4] * i) / RATE) : 0;
    pcm[i] = Math.round(tone + (seed / 2 ** 32 - 0.5) * 800);
  }
  return pcm;
}

/** The baseline: the 8 DFT bins of a 120-sample window every 40 samples, from tables. */
class NaiveDft {
  constructor() {
    this.win = 120;
    this.hop = 40;
    this.cos = FREQS.map((f) => Float64Array.from({ length: this.win }, (_, n) => Math.cos((2 * Math.PI * f * n) / RATE)));
    this.sin = FREQS.map((f) => Float64Array.from({ length: this.win }, (_, n) => Math.sin((2 * Math.PI * f * n) / RATE)));
    this.ring = new Int16Array(this.win);
    this.at = 0;
    this.filled = 0;
    this.power = new Float64Array(8);
  }

  process(pcm, n) {
    for (let i = 0; i < n; i++) {
      this.ring[this.at] = pcm[i];
      this.at = (this.at + 1) % this.win;
      if (++this.filled % this.hop === 0 && this.filled >= this.win) this.#bins();
    }
    return null;
  }

  #bins() {
    for (let k = 0; k < 8; k++) {
      const c = this.cos[k];
      const s = this.sin[k];
      let re = 0;
      let im = 0;
      // Oldest sample first: from the write position to the end of the ring, then from its start.
      const split = this.win - this.at;
      for (let n = 0; n < split; n++) {
        const x = this.ring[this.at + n];
        re += x * c[n];
        im -= x * s[n];
      }
      for (let n = split; n < this.win; n++) {
        const x = this.ring[n - split];
        re += x * c[n];
        im -= x * s[n];
      }
      this.power[k] = re * re + im * im;
    }
  }
}

/** CPU seconds this process has used (the machine is shared: wall time would count others' work). */
function cpu() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Feeds the audio frame by frame for SECONDS of CPU; returns audio seconds processed per CPU second. */
function run(make) {
  const pcm = audio();
  const d = make();
  let digits = 0;
  let samples = 0;
  const start = cpu();
  let used = 0;
  while (used < SECONDS) {
    for (let at = 0; at < pcm.length; at += FRAME) if (d.process(pcm.subarray(at, at + FRAME), FRAME) !== null) digits++;
    samples += pcm.length;
    used = cpu() - start;
  }
  return { realtime: samples / RATE / used, digits, passes: samples / pcm.length };
}

run(() => new InbandDtmfDetector(RATE));
const goertzel = run(() => new InbandDtmfDetector(RATE));
const naive = run(() => new NaiveDft());
console.log(`goertzel detector: ${Math.round(goertzel.realtime)} channels of 8 kHz per core (realtime ratio), ${goertzel.digits / goertzel.passes} digits per 10 s pass (50 sent)`);
console.log(`naive 8-bin DFT:   ${Math.round(naive.realtime)} channels per core (powers only, same windows and hops)`);
console.log(`ratio goertzel/naive: ${(goertzel.realtime / naive.realtime).toFixed(2)}x`);
