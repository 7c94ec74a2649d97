// Player.next(): 20 ms frames per second for the shipped music on hold (8 kHz) played into a
// 16 kHz leg (polyphase resampler, and resampled once beforehand), for a UK ringback tone at 16 kHz (two oscillators), against a
// baseline in the same run: copying the same number of samples out of a preloaded 16 kHz buffer.
// Also the heap growth over the run, which stays flat when next() allocates nothing.
// Run: npm run build && node native-bench/player.bench.js
import { resamplePcm } from '../dist/media/pcm-cursor.js';
import { Player } from '../dist/media/player.js';
import { SHIPPED_MUSIC_ON_HOLD } from '../dist/media/prompts.js';
import { toneSet } from '../dist/media/tones.js';
import { readWav } from '../dist/media/wav.js';

const FRAMES = 100_000;
const moh = readWav(SHIPPED_MUSIC_ON_HOLD);
const frame = new Int16Array(320);

function run(label, load, step) {
  load();
  for (let i = 0; i < 2000; i++) step(); // warm up
  global.gc?.();
  const heap = process.memoryUsage().heapUsed;
  const start = process.hrtime.bigint();
  for (let i = 0; i < FRAMES; i++) step();
  const ns = Number(process.hrtime.bigint() - start);
  const grown = process.memoryUsage().heapUsed - heap;
  const fps = FRAMES / (ns / 1e9);
  console.log(`${label}: ${Math.round(fps).toLocaleString('en')} frames/s (${(fps / 50).toFixed(0)} realtime channels), heap +${(grown / 1024).toFixed(0)} KiB`);
  return fps;
}

const source = new Int16Array(16000 * 30);
let at = 0;
const copy = run('baseline: copy 320 samples', () => {}, () => {
  for (let i = 0; i < 320; i++) frame[i] = source[at + i];
  at = (at + 320) % (source.length - 320);
});

const player = new Player(16000);
const music = run('music on hold 8 kHz -> 16 kHz', () => player.load([{ pcm: moh.pcm, sampleRate: moh.sampleRate }], { loop: true }), () => player.next(frame));
const shared = resamplePcm(moh.pcm, moh.sampleRate, 16000);
const cached = run('music on hold resampled once (resamplePcm), played at 16 kHz', () => player.load([{ pcm: shared, sampleRate: 16000 }], { loop: true }), () => player.next(frame));
const tone = run('UK ringback at 16 kHz', () => player.load([{ tone: toneSet('uk').ringback }], { loop: false }), () => player.next(frame));
console.log(`ratio to copy: music ${(music / copy).toFixed(3)}, music resampled once ${(cached / copy).toFixed(3)}, tone ${(tone / copy).toFixed(3)}`);
