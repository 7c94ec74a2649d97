// Conference of G.711 phones, the media work of a 20 ms tick as a worker does it: for every party,
// PCMU decode (8 kHz) -> resample to 16 kHz -> the 16 kHz mix -> resample to 8 kHz -> PCMU encode.
// Figures: CPU ms per tick for 10..1000 parties and the most parties a tick can carry on one core,
// with every party mixed (worst case) and with maxTalkers 8 and the shared frame encoded once (what
// a conference of listeners costs). Baseline in the same run: the mix alone for the same parties,
// so the ratio is the whole chain's cost against the mixer's share of it.
// No sockets, no jitter buffer: the payloads are ready in memory. Needs `npm run build` (dist/).
//
//   node native-bench/mixer-g711.bench.js
//   MIXER_BENCH_SIZES=100,300 MIXER_BENCH_MS=300 node native-bench/mixer-g711.bench.js
import { createCodec } from '../dist/media/codec/index.js';
import { Resampler } from '../dist/media/codec/resample.js';
import { ConferenceMixer } from '../dist/media/mixer.js';

const RATE = 16000;
const NARROW = 8000;
const BUDGET_MS = 20;
const SIZES = (process.env.MIXER_BENCH_SIZES ?? '10,100,300,1000').split(',').map(Number);
const BATCH_MS = Number(process.env.MIXER_BENCH_MS ?? 200) / 5;

/** One PCMU frame of speech-like audio per party: noise and a voice-band tone. */
function speechPayload(codec, seed) {
  const pcm = new Int16Array(160);
  let s = seed >>> 0 || 1;
  const hz = 120 + (seed % 200);
  for (let i = 0; i < pcm.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    pcm[i] = Math.round(0.15 * (((s >>> 16) & 0x7fff) - 16384) + 2500 * Math.sin((2 * Math.PI * hz * i) / NARROW));
  }
  const payload = new Uint8Array(160);
  codec.encode(pcm, payload);
  return payload;
}

/** A conference of G.711 legs; tick() runs one 20 ms of it, mixOnly() just the mixer. */
function conference(parties, options, shareEncode) {
  const mixer = new ConferenceMixer(RATE, options);
  const legs = [];
  for (let i = 0; i < parties; i++) {
    const codec = createCodec('PCMU', NARROW);
    legs.push({
      party: mixer.add(`p${i}`),
      codec,
      up: new Resampler(NARROW, RATE),
      down: new Resampler(RATE, NARROW),
      received: speechPayload(codec, i + 1),
      decoded: new Int16Array(160),
      narrow: new Int16Array(160),
      sent: new Uint8Array(160),
    });
  }
  const shared = { down: new Resampler(RATE, NARROW), narrow: new Int16Array(160), sent: new Uint8Array(160), codec: createCodec('PCMU', NARROW) };
  return {
    tick() {
      for (const leg of legs) {
        leg.codec.decode(leg.received, leg.decoded);
        leg.up.process(leg.decoded, leg.party.input);
        leg.party.inputValid = true;
      }
      mixer.mix();
      if (shareEncode) {
        shared.down.process(mixer.sharedFrame, shared.narrow);
        shared.codec.encode(shared.narrow, shared.sent);
      }
      for (const leg of legs) {
        if (shareEncode && !leg.party.contributes) continue;
        leg.down.process(leg.party.output, leg.narrow);
        leg.codec.encode(leg.narrow, leg.sent);
      }
    },
    mixOnly() {
      for (const leg of legs) leg.party.inputValid = true;
      mixer.mix();
    },
  };
}

/** Median over 5 batches of CPU ms per call of fn. */
function cpuMs(fn) {
  const warm = performance.now();
  for (let i = 0; i < 200 && performance.now() - warm < 300; i++) fn();
  const cpu = [];
  let perBatch = 1;
  for (let b = 0; b < 5; b++) {
    const w0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < perBatch; i++) fn();
    const c = process.cpuUsage(c0);
    const w = performance.now() - w0;
    cpu.push((c.user + c.system) / 1000 / perBatch);
    perBatch = Math.max(1, Math.min(100000, Math.round(BATCH_MS / Math.max(w / perBatch, 0.0005))));
  }
  return cpu.sort((x, y) => x - y)[2];
}

function mostParties(options, shareEncode) {
  const fits = (n) => {
    const c = conference(n, options, shareEncode);
    return cpuMs(() => c.tick()) <= BUDGET_MS;
  };
  let lo = 0;
  let hi = 100;
  while (fits(hi) && hi < 100000) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > Math.max(10, lo / 50)) {
    const mid = Math.round((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

const ms = (x) => (x >= 1 ? x.toFixed(2) : x.toFixed(3));
console.log('G.711 conference at 16 kHz: decode + 8k->16k + mix + 16k->8k + encode per party; CPU ms per 20 ms tick');
console.log('parties | all mixed | mix alone | chain / mix | maxTalkers 8, shared frame encoded once');
for (const n of SIZES) {
  const all = conference(n, {}, false);
  const chain = cpuMs(() => all.tick());
  const mix = cpuMs(() => all.mixOnly());
  const top = conference(n, { maxTalkers: 8 }, true);
  const listeners = cpuMs(() => top.tick());
  console.log(`${String(n).padStart(7)} | ${ms(chain).padEnd(9)} | ${ms(mix).padEnd(9)} | ${(chain / mix).toFixed(1).padEnd(11)} | ${ms(listeners)}`);
}
console.log(`most parties in one 20 ms tick on one core: ${mostParties({}, false)} all mixed, ${mostParties({ maxTalkers: 8 }, true)} with maxTalkers 8 (goal 300)`);
