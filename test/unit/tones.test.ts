import t from 'tap';
import { ToneGenerator } from '../../src/media/tone-generator.js';
import { parseTone, TONE_COUNTRIES, toneSet, type ToneSpec } from '../../src/media/tones.js';
import { cadence, goertzel, maxStep, rms, zeroCrossingFrequency } from '../helpers/audio.js';
import { throwsPbxError } from '../helpers/pbx-error.js';

/** `ms` of a tone generated 20 ms frame by 20 ms frame, as a pipeline would. */
function generate(spec: ToneSpec, ms: number, rate = 8000, maxMs = 0): Int16Array {
  const gen = new ToneGenerator(rate);
  gen.start(spec, maxMs);
  const frame = rate / 50;
  const out = new Int16Array((ms * rate) / 1000);
  for (let at = 0; at < out.length && !gen.done; at += frame) gen.fill(out, at, frame);
  return out;
}

t.test('every country has all eight tones and parses', async (t) => {
  for (const c of ['us', 'uk', 'de', 'eu', 'fr', 'it', 'es', 'ru', 'ua', 'th', 'au', 'jp', 'cn', 'in']) t.ok(TONE_COUNTRIES.includes(c), c);
  for (const c of TONE_COUNTRIES) {
    const set = toneSet(c.toUpperCase());
    t.equal(set.country, c);
    for (const tone of [set.dial, set.ringback, set.busy, set.congestion, set.callWaiting, set.beep, set.join, set.leave]) {
      t.ok(tone.segments.some((s) => s.frequencies.length > 0), `${tone.name} sounds`);
    }
  }
});

t.test('an unknown country names the ones there are', async (t) => {
  throwsPbxError(t, () => toneSet('xx'), 'PBX_ERR_MEDIA_TONE_COUNTRY', /no tone set for country "xx"; known: us, uk, de/);
});

t.test('the generated frequencies are the ones in the spec', async (t) => {
  const us = generate(toneSet('us').dial, 1000);
  for (const f of [350, 440]) t.ok(goertzel(us, 8000, f) > 0.001, `US dial has ${f} Hz`);
  for (const f of [300, 400, 480, 620]) t.ok(goertzel(us, 8000, f) < 1e-5, `US dial has no ${f} Hz`);
  const fr = generate(toneSet('fr').dial, 1000, 16000);
  t.ok(Math.abs(zeroCrossingFrequency(fr, 16000) - 440) < 0.5, `French dial tone is 440 Hz at 16 kHz (${zeroCrossingFrequency(fr, 16000).toFixed(2)})`);
  const de = generate(toneSet('de').ringback, 1000, 48000);
  t.ok(Math.abs(zeroCrossingFrequency(de, 48000) - 425) < 0.5, `German ringback is 425 Hz at 48 kHz`);
  const uk = generate(toneSet('uk').ringback, 400);
  for (const f of [400, 450]) t.ok(goertzel(uk, 8000, f) > 0.001, `UK ringback has ${f} Hz`);
  t.ok(goertzel(uk, 8000, 425) < goertzel(uk, 8000, 400) / 10, 'and not their mean');
});

t.test('a modulated tone has the carrier and its side bands', async (t) => {
  const th = generate(toneSet('th').dial, 1000);
  const carrier = goertzel(th, 8000, 400);
  for (const f of [350, 450]) {
    const ratio = goertzel(th, 8000, f) / carrier;
    t.ok(ratio > 0.1 && ratio < 0.5, `side band ${f} Hz at ${ratio.toFixed(3)} of the carrier's power`);
  }
  t.ok(goertzel(th, 8000, 500) < carrier / 1000, 'nothing at 500 Hz');
});

t.test('the level is the spec level in dBm0 per frequency', async (t) => {
  const tone = generate(parseTone('x', '1000', { levelDbm0: -13 }), 1000);
  const expected = (32767 * 10 ** ((-13 - 3.17) / 20)) / Math.SQRT2;
  t.ok(Math.abs(rms(tone) / expected - 1) < 0.01, `rms ${rms(tone).toFixed(0)} ~ ${expected.toFixed(0)}`);
});

t.test('cadences match the national patterns', async (t) => {
  const runs = (spec: ToneSpec, ms: number): number[] => cadence(generate(spec, ms), 8000).map((r) => (r.on ? r.ms : -r.ms));
  t.same(runs(toneSet('us').ringback, 12000), [2000, -4000, 2000, -4000]);
  t.same(runs(toneSet('uk').ringback, 3000), [400, -200, 400, -2000]);
  t.same(runs(toneSet('us').busy, 2000), [500, -500, 500, -500]);
  t.same(runs(toneSet('it').dial, 2000), [200, -200, 600, -1000]);
  t.same(runs(toneSet('us').dial, 2000), [2000]);
  t.same(runs(toneSet('ru').join, 400), [100, -40, 150, -110]);
});

t.test('a tone has no clicks: frame boundaries and cadence edges are smooth', async (t) => {
  const spec = toneSet('uk').ringback;
  const frames = generate(spec, 3000);
  const whole = new Int16Array(24000);
  const gen = new ToneGenerator(8000);
  gen.start(spec);
  t.equal(gen.fill(whole, 0, whole.length), whole.length);
  t.same(frames, whole, 'frame by frame equals all at once (phase carries over)');
  // the steepest step of 400 Hz + 450 Hz at this level; a click would be far above it
  const amplitude = 32767 * 10 ** ((spec.levelDbm0 - 3.17) / 20);
  const bound = 2 * amplitude * (Math.sin((Math.PI * 400) / 8000) + Math.sin((Math.PI * 450) / 8000)) * 1.02;
  t.ok(maxStep(frames) < bound, `largest step ${maxStep(frames)} < ${bound.toFixed(0)}`);
  t.equal(frames[0], 0, 'starts at zero');
});

t.test('a one-shot tone ends, and a play time limit ends a repeating one', async (t) => {
  const gen = new ToneGenerator(8000);
  gen.start(toneSet('us').beep);
  const out = new Int16Array(160);
  let samples = 0;
  for (let i = 0; i < 100 && !gen.done; i++) samples += gen.fill(out, 0, 160);
  t.equal(samples, 2000, 'a 250 ms beep is 2000 samples');
  gen.start(toneSet('us').dial, 50);
  t.equal(gen.fill(out, 0, 160), 160);
  t.equal(gen.fill(out, 0, 160), 160);
  t.equal(gen.fill(out, 0, 160), 80, 'stops after 50 ms');
  t.ok(gen.done);
  t.ok(Math.abs(out[79]!) < 200, 'ramped down at the limit');
  gen.stop();
  t.equal(gen.fill(out, 0, 160), 0);
});

t.test('bad cadence text is a PbxError that quotes it', async (t) => {
  throwsPbxError(t, () => parseTone('x', '425/100,abc/100'), 'PBX_ERR_MEDIA_TONE_SYNTAX', /tone x "425\/100,abc\/100": bad segment "abc\/100"/);
  throwsPbxError(t, () => parseTone('x', '425,0/100'), 'PBX_ERR_MEDIA_TONE_SYNTAX', /segment "425" needs a duration/);
  throwsPbxError(t, () => parseTone('x', '0/100'), 'PBX_ERR_MEDIA_TONE_SYNTAX', /only silence/);
  throwsPbxError(t, () => parseTone('x', '5000'), 'PBX_ERR_MEDIA_TONE_SYNTAX', /5000 Hz is above 4000 Hz/);
  throwsPbxError(t, () => parseTone('x', '0+400/100'), 'PBX_ERR_MEDIA_TONE_SYNTAX', /silence/);
  t.same(parseTone('x', '425@-10/375').segments, [{ frequencies: [425], modulated: false, ms: 375, gainDb: -10 }]);
});
