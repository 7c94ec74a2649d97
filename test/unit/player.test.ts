import t from 'tap';
import { Player, type PlayItem } from '../../src/media/player.js';
import { parseTone, toneSet } from '../../src/media/tones.js';
import { cadence, goertzel, rms, zeroCrossingFrequency } from '../helpers/audio.js';

function sine(freq: number, rate: number, ms: number, amplitude = 10000): Int16Array {
  return Int16Array.from({ length: Math.round((rate * ms) / 1000) }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate)));
}

/** Everything the player plays (at most `maxFrames` frames), concatenated, and how many frames it took. */
function drain(player: Player, maxFrames = 10000): { pcm: Int16Array; frames: number } {
  const frame = new Int16Array(player.frameSamples);
  const chunks: Int16Array[] = [];
  let frames = 0;
  while (frames < maxFrames && player.next(frame) > 0) {
    chunks.push(frame.slice());
    frames++;
  }
  const pcm = new Int16Array(frames * player.frameSamples);
  chunks.forEach((c, i) => pcm.set(c, i * player.frameSamples));
  return { pcm, frames };
}

t.test('a prompt at the player rate plays sample for sample, the last frame padded with silence', async (t) => {
  const prompt = Int16Array.from({ length: 1000 }, (_, i) => i + 1);
  const player = new Player(8000);
  t.ok(player.done, 'done before anything is loaded');
  player.load([{ pcm: prompt, sampleRate: 8000 }], { loop: false });
  t.notOk(player.done);
  const { pcm, frames } = drain(player);
  t.equal(frames, 7, '1000 samples fill 7 frames of 160');
  t.same(pcm.subarray(0, 1000), prompt);
  t.ok(pcm.subarray(1000).every((s) => s === 0), 'then silence');
  t.ok(player.done);
  const frame = new Int16Array(160).fill(5);
  t.equal(player.next(frame), 0, 'nothing left: 0');
  t.ok(frame.every((s) => s === 0), 'and the frame is silent');
});

t.test('a sequence runs its items back to back within a frame, with no gap', async (t) => {
  const a = new Int16Array(100).fill(1000);
  const b = new Int16Array(50).fill(-1000);
  const player = new Player(8000);
  player.load([{ pcm: a, sampleRate: 8000 }, { pcm: new Int16Array(0), sampleRate: 8000 }, { pcm: b, sampleRate: 8000 }, { tone: parseTone('t', '1000/25', { repeat: false }) }, { pcm: a, sampleRate: 8000 }], { loop: false });
  const { pcm, frames } = drain(player);
  t.equal(frames, 3, '100 + 50 + 200 + 100 samples in three frames');
  t.ok(pcm.subarray(0, 100).every((s) => s === 1000));
  t.ok(pcm.subarray(100, 150).every((s) => s === -1000));
  t.ok(goertzel(pcm, 8000, 1000, 150, 350) > 0.001, 'the tone follows at once');
  t.ok(pcm.subarray(350, 450).every((s) => s === 1000), 'then the last prompt');
  t.ok(pcm.subarray(450).every((s) => s === 0));
});

t.test('prompts at other rates are resampled to the player rate', async (t) => {
  for (const [from, to] of [
    [8000, 16000],
    [8000, 48000],
    [16000, 8000],
    [48000, 8000],
    [44100, 8000],
    [22050, 16000],
    [11025, 48000],
  ] as const) {
    const player = new Player(to);
    const input = sine(1000, from, 500);
    player.load([{ pcm: input, sampleRate: from }], { loop: false });
    const { pcm } = drain(player);
    const played = Math.ceil((input.length * to) / from);
    t.equal(pcm.length, Math.ceil(played / player.frameSamples) * player.frameSamples, `${from} -> ${to}: 500 ms`);
    t.ok(pcm.subarray(played).every((s) => s === 0), `${from} -> ${to}: then silence`);
    const f = zeroCrossingFrequency(pcm, to, 0, played);
    t.ok(Math.abs(f - 1000) < 1, `${from} -> ${to}: 1000 Hz (${f.toFixed(2)})`);
    const level = rms(pcm, 0, played) / (10000 / Math.SQRT2);
    t.ok(level > 0.9 && level < 1.02, `${from} -> ${to}: level kept (${level.toFixed(3)})`);
  }
});

t.test('a looped item (music on hold) starts again until stopped', async (t) => {
  const music = sine(500, 8000, 50);
  const player = new Player(8000);
  player.load([{ pcm: music, sampleRate: 8000 }], { loop: true });
  const { pcm, frames } = drain(player, 50);
  t.equal(frames, 50, 'still playing after 1 s');
  t.same(pcm.subarray(400, 800), music, 'the second pass is the file again, no gap');
  player.stop();
  t.ok(player.done);
  t.equal(player.next(new Int16Array(160)), 0, 'stopped');
});

t.test('a loop with nothing to play ends instead of spinning', async (t) => {
  const player = new Player(8000);
  player.load([{ pcm: new Int16Array(0), sampleRate: 8000 }], { loop: true });
  t.equal(player.next(new Int16Array(160)), 0);
  t.ok(player.done);
  player.load([], { loop: true });
  t.ok(player.done);
});

t.test('tones play with their cadence; a limited tone ends on time', async (t) => {
  const player = new Player(16000);
  player.load([{ tone: toneSet('us').busy, ms: 2000 }], { loop: false });
  const { pcm, frames } = drain(player);
  t.equal(frames, 100, '2 s of 20 ms frames');
  t.same(
    cadence(pcm, 16000).map((r) => (r.on ? r.ms : -r.ms)),
    [500, -500, 500, -500],
  );
});

t.test('load() replaces what is playing', async (t) => {
  const player = new Player(8000);
  player.load([{ tone: toneSet('uk').dial }], { loop: false });
  const frame = new Int16Array(160);
  player.next(frame);
  player.load([{ pcm: new Int16Array(160).fill(7), sampleRate: 8000 }], { loop: false });
  t.equal(player.next(frame), 160);
  t.ok(frame.every((s) => s === 7));
  t.equal(player.next(frame), 0);
});

t.test('bad arguments throw at once', async (t) => {
  t.throws(() => new Player(8001), RangeError);
  t.throws(() => new Player(4000), RangeError);
  const player = new Player(8000);
  t.throws(() => player.next(new Int16Array(100)), RangeError);
  t.throws(() => player.load([{ pcm: [1, 2] as unknown as Int16Array, sampleRate: 8000 }], { loop: false }), TypeError);
  t.throws(() => player.load([{ pcm: new Int16Array(1), sampleRate: 0 }], { loop: false }), RangeError);
  t.throws(() => player.load([{ tone: {} } as unknown as PlayItem], { loop: false }), TypeError);
  t.throws(() => player.load([{ tone: toneSet('us').dial, ms: -1 }], { loop: false }), RangeError);
});
