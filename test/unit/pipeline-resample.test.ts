import t from 'tap';
import { Resampler } from '../../src/media/pipeline/resample.js';
import { goertzel, sine } from '../helpers/audio.js';

/** Runs pcm through a resampler in 20 ms frames and returns the output. */
function run(from: number, to: number, pcm: Int16Array): Int16Array {
  const r = new Resampler(from, to);
  const inFrame = from / 50;
  const outFrame = to / 50;
  const out = new Int16Array((pcm.length / inFrame) * outFrame);
  for (let i = 0; i * inFrame < pcm.length; i++) {
    const n = r.process(pcm.subarray(i * inFrame, (i + 1) * inFrame), out.subarray(i * outFrame, (i + 1) * outFrame));
    if (n !== outFrame) throw new Error(`frame ${i}: ${n} samples, wanted ${outFrame}`);
  }
  return out;
}

for (const [from, to] of [[8000, 16000], [16000, 8000], [16000, 48000], [48000, 16000], [8000, 48000], [48000, 8000]] as const) {
  t.test(`${from} Hz to ${to} Hz keeps a 1 kHz tone and its level, frame after frame`, async (t) => {
    const out = run(from, to, sine(from, 1000, 10000, from));
    const tail = out.subarray(to / 10);
    const power = goertzel(tail, to, 1000);
    const expected = goertzel(sine(to, 1000, 10000, tail.length), to, 1000);
    t.ok(Math.abs(power / expected - 1) < 0.1, `1 kHz power ratio ${(power / expected).toFixed(3)}`);
    t.ok(goertzel(tail, to, 1500) < expected * 1e-3, 'no spurious tone');
  });
}

t.test('downsampling removes what the lower rate cannot carry (no aliasing)', async (t) => {
  const out = run(16000, 8000, sine(16000, 6000, 10000, 16000));
  t.ok(goertzel(out.subarray(800), 8000, 2000) < 1e-5, '6 kHz does not fold to 2 kHz');
});

t.test('equal rates copy; other rates are refused', async (t) => {
  const r = new Resampler(16000, 16000);
  const out = new Int16Array(320);
  const input = sine(16000, 440, 1000, 320);
  t.equal(r.process(input, out), 320);
  t.same(out, input);
  t.throws(() => new Resampler(44100, 16000), { code: 'PBX_ERR_MEDIA_RESAMPLE' });
});
