import t from 'tap';
import { Resampler } from '../../src/media/codec/resample.js';
import { rms, sine, snrDb } from '../helpers/audio.js';

const PAIRS = [
  [8000, 16000],
  [16000, 8000],
  [8000, 48000],
  [48000, 8000],
  [16000, 48000],
  [48000, 16000],
] as const;

/** Resamples pcm 20 ms at a time through r; returns everything written. */
function stream(r: Resampler, pcm: Int16Array, from: number, to: number, frame = from / 50): Int16Array {
  const out = new Int16Array(Math.ceil((pcm.length * to) / from) + 8);
  let n = 0;
  for (let i = 0; i < pcm.length; i += frame) n += r.process(pcm.subarray(i, i + frame), out.subarray(n));
  return out.subarray(0, n);
}

/** The ideal output for a sine input: the same sine at the new rate, delayed by the filter. */
function idealSine(rate: number, freq: number, amp: number, n: number, delay: number): Int16Array {
  const pcm = new Int16Array(n);
  for (let k = 0; k < n; k++) pcm[k] = Math.round(amp * Math.sin((2 * Math.PI * freq * (k - delay)) / rate));
  return pcm;
}

for (const [from, to] of PAIRS) {
  t.test(`${from} -> ${to}: 20 ms in gives exactly 20 ms out, frame after frame`, async (t) => {
    const r = new Resampler(from, to);
    const out = new Int16Array(to / 50);
    const input = new Int16Array(from / 50);
    let ok = 0;
    for (let i = 0; i < 10; i++) if (r.process(input, out) === to / 50) ok++;
    t.equal(ok, 10);
  });

  t.test(`${from} -> ${to}: an in-band 1 kHz sine comes through with SNR above 70 dB`, async (t) => {
    const r = new Resampler(from, to);
    const out = stream(r, sine(from, 1000, 16000, from), from, to);
    const ideal = idealSine(to, 1000, 16000, out.length, r.delay);
    const snr = snrDb(ideal, out, 0, Math.ceil(r.delay) + to / 100);
    t.ok(snr > 70, `SNR ${snr.toFixed(1)} dB`);
  });

  t.test(`${from} -> ${to}: the passband reaches 85 % of the lower Nyquist within 0.1 dB`, async (t) => {
    const f = 0.8 * (Math.min(from, to) / 2);
    const r = new Resampler(from, to);
    const input = sine(from, f, 16000, from / 2);
    const out = stream(r, input, from, to);
    const gain = 20 * Math.log10(rms(out, Math.ceil(r.delay) + to / 50, out.length) / rms(input));
    t.ok(Math.abs(gain) < 0.1, `${f} Hz: ${gain.toFixed(3)} dB`);
  });

  t.test(`${from} -> ${to}: splitting the input differently gives the same output (no seams)`, async (t) => {
    const input = sine(from, 700, 12000, from / 5);
    const whole = new Int16Array(Math.ceil((input.length * to) / from));
    const a = new Resampler(from, to);
    const n = a.process(input, whole);
    const b = new Resampler(from, to);
    const parts = new Int16Array(whole.length + 8);
    let m = 0;
    let i = 0;
    for (const size of [1, 7, 153, 480, 2, 999]) {
      const end = Math.min(input.length, i + size);
      m += b.process(input.subarray(i, end), parts.subarray(m));
      i = end;
    }
    m += b.process(input.subarray(i), parts.subarray(m));
    t.equal(m, n);
    t.same(parts.subarray(0, m), whole.subarray(0, n));
  });
}

for (const [from, to] of PAIRS.filter(([a, b]) => a > b)) {
  t.test(`${from} -> ${to}: tones above the new Nyquist are attenuated by at least 70 dB`, async (t) => {
    const nyquist = to / 2;
    for (const f of [1.15 * nyquist, 1.5 * nyquist, 2 * nyquist - 500, from / 2 - 1000]) {
      const r = new Resampler(from, to);
      const input = sine(from, f, 32000, from / 2);
      const out = stream(r, input, from, to);
      const level = 20 * Math.log10(Math.max(rms(out, Math.ceil(r.delay) + to / 50, out.length), 1e-3) / rms(input));
      t.ok(level < -70, `${f} Hz: ${level.toFixed(1)} dB`);
    }
  });
}

for (const [from, to] of PAIRS.filter(([a, b]) => a < b)) {
  t.test(`${from} -> ${to}: images of a tone above the old Nyquist are attenuated by at least 70 dB`, async (t) => {
    const f = 3000 * (from / 8000);
    const r = new Resampler(from, to);
    const out = stream(r, sine(from, f, 32000, from / 2), from, to);
    // Remove the tone itself; what is left is the images (at from - f, from + f, ...) and noise.
    const ideal = idealSine(to, f, 32000, out.length, r.delay);
    const snr = snrDb(ideal, out, 0, Math.ceil(r.delay) + to / 50);
    t.ok(snr > 70, `tone ${f} Hz: images and noise ${snr.toFixed(1)} dB below`);
  });
}

t.test('equal rates copy the input through', async (t) => {
  const r = new Resampler(16000, 16000);
  const input = sine(16000, 440, 1000, 320);
  const out = new Int16Array(320);
  t.equal(r.process(input, out), 320);
  t.same(out, input);
  t.equal(r.delay, 0);
});

t.test('reset() forgets the history', async (t) => {
  const input = sine(8000, 440, 8000, 160);
  const a = new Resampler(8000, 48000);
  const first = new Int16Array(960);
  a.process(input, first);
  const again = new Int16Array(960);
  a.process(input, again);
  t.not(Buffer.compare(Buffer.from(first.buffer), Buffer.from(again.buffer)), 0);
  a.reset();
  a.process(input, again);
  t.same(again, first);
});

t.test('bad arguments throw at once', async (t) => {
  t.throws(() => new Resampler(44100, 8000), { code: 'PBX_ERR_MEDIA_ARGUMENT' });
  t.throws(() => new Resampler(8000, 12000), { code: 'PBX_ERR_MEDIA_ARGUMENT' });
  const r = new Resampler(8000, 48000);
  t.throws(() => r.process(new Int16Array(160), new Int16Array(959)), { code: 'PBX_ERR_MEDIA_ARGUMENT' });
  t.equal(r.process(new Int16Array(160), new Int16Array(960)), 960, 'a refused call leaves the state alone');
});
