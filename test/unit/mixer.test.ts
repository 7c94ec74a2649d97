import t from 'tap';
import { ConferenceMixer, type MixerParty, type TalkerEvent } from '../../src/media/mixer.js';
import { LIMITER_CEILING } from '../../src/media/limiter.js';

const RATE = 16000;
const N = 320;

/** A continuous sine source: frame k of a tone at hz (multiples of 50 Hz fill a 20 ms frame exactly). */
function sine(hz: number, amplitude: number) {
  let phase = 0;
  return (out: Int16Array): void => {
    for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * (phase + i)) / RATE));
    phase += out.length;
  };
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

function feed(party: MixerParty, value: number): void {
  party.input.fill(value);
  party.inputValid = true;
}

function events(m: ConferenceMixer): { kind: string; id: string; tick: number }[] {
  const list: { kind: string; id: string; tick: number }[] = [];
  for (let e: TalkerEvent | null = m.pollEvent(); e !== null; e = m.pollEvent()) list.push({ kind: e.kind, id: e.id, tick: e.tick });
  return list;
}

t.test('three parties each hear the other two and not themselves', async (t) => {
  const m = new ConferenceMixer(RATE);
  t.equal(m.frameSamples, N);
  const tones = { a: 450, b: 700, c: 1150 };
  const parties = Object.entries(tones).map(([id, hz]) => ({ id, party: m.add(id), source: sine(hz, 8000), sent: [] as number[], heard: [] as number[] }));
  t.equal(m.size, 3);
  for (let tick = 0; tick < 10; tick++) {
    for (const p of parties) {
      p.source(p.party.input);
      p.party.inputValid = true;
      p.sent.push(...p.party.input);
    }
    m.mix();
    for (const p of parties) p.heard.push(...p.party.output);
  }
  for (const listener of parties) {
    for (const speaker of parties) {
      const c = correlation(listener.heard, speaker.sent);
      if (speaker === listener) t.ok(Math.abs(c) < 0.01, `${listener.id} does not hear itself (${c.toFixed(3)})`);
      else t.ok(c > 0.69 && c < 0.72, `${listener.id} hears ${speaker.id} (${c.toFixed(3)}, 1/sqrt 2 for one of two)`);
    }
    const others = parties.filter((p) => p !== listener);
    const exact = listener.heard.every((s, i) => s === others[0]!.sent[i]! + others[1]!.sent[i]!);
    t.ok(exact, `${listener.id} hears exactly the sum of the other two below the limiter ceiling`);
  }
});

t.test('a party alone in the conference hears silence', async (t) => {
  const m = new ConferenceMixer(RATE);
  const a = m.add('a');
  sine(1000, 20000)(a.input);
  a.inputValid = true;
  a.output.fill(99);
  m.mix();
  t.ok(a.output.every((s) => s === 0));
});

t.test('a muted party is heard by nobody but still hears the others', async (t) => {
  const m = new ConferenceMixer(RATE);
  const [a, b, c] = ['a', 'b', 'c'].map((id) => m.add(id)) as [MixerParty, MixerParty, MixerParty];
  feed(a, 1000);
  feed(b, 200);
  feed(c, 30);
  a.muted = true;
  m.mix();
  t.equal(a.output[0], 230, 'muted a hears b + c');
  t.equal(b.output[0], 30, 'b hears only c');
  t.equal(c.output[5], 200, 'c hears only b');
  a.muted = false;
  [a, b, c].forEach((p) => (p.inputValid = true));
  m.mix();
  t.equal(b.output[0], 1030, 'unmuted, a is heard again');
});

t.test('a deaf party hears silence and is still heard', async (t) => {
  const m = new ConferenceMixer(RATE);
  const [a, b, c] = ['a', 'b', 'c'].map((id) => m.add(id)) as [MixerParty, MixerParty, MixerParty];
  feed(a, 1000);
  feed(b, 200);
  feed(c, 30);
  a.deaf = true;
  m.mix();
  t.ok(a.output.every((s) => s === 0), 'deaf a hears nothing');
  t.equal(b.output[0], 1030);
  t.equal(c.output[N - 1], 1200);
});

t.test('a party with no valid frame this tick (lost packet, not started) contributes nothing', async (t) => {
  const m = new ConferenceMixer(RATE);
  const [a, b, c] = ['a', 'b', 'c'].map((id) => m.add(id)) as [MixerParty, MixerParty, MixerParty];
  feed(a, 1000);
  feed(b, 200);
  c.input.fill(7777);
  c.inputValid = false;
  m.mix();
  t.equal(a.output[0], 200);
  t.equal(b.output[0], 1000);
  t.equal(c.output[0], 1200, 'c still hears both');
});

t.test('mix() consumes a frame: a party that writes none next tick is not heard again', async (t) => {
  const m = new ConferenceMixer(RATE);
  const a = m.add('a');
  const b = m.add('b');
  feed(a, 500);
  m.mix();
  t.equal(b.output[0], 500);
  t.equal(a.inputValid, false);
  m.mix();
  t.equal(b.output[0], 0, 'no new frame from a: silence, not its last frame again');
});

t.test('parties join and leave mid-call', async (t) => {
  const m = new ConferenceMixer(RATE);
  const a = m.add('a');
  const b = m.add('b');
  feed(a, 1);
  feed(b, 10);
  m.mix();
  t.equal(a.output[0], 10);
  const c = m.add('c');
  [a, b, c].forEach((p, i) => feed(p, 10 ** i));
  m.mix();
  t.same([a.output[0], b.output[0], c.output[0]], [110, 101, 11], 'the newcomer hears and is heard at once');
  t.equal(m.remove('b'), true);
  t.equal(m.size, 2);
  t.equal(m.get('b'), undefined);
  t.equal(b.index, -1);
  [a, c].forEach((p) => (p.inputValid = true));
  m.mix();
  t.same([a.output[0], c.output[0]], [100, 1], 'b is gone from the mix');
  t.equal(m.remove('b'), false, 'removing twice is harmless');
  t.throws(() => m.add('a'), { code: 'PBX_ERR_MIXER_PARTY_EXISTS' });
  const b2 = m.add('b');
  [a, b2, c].forEach((p) => (p.inputValid = true));
  feed(b2, 1000);
  m.mix();
  t.same([a.output[0], c.output[0], b2.output[0]], [1100, 1001, 101], 'the id can join again');
});

t.test('a party can bring its own buffers; wrong sizes are refused', async (t) => {
  const m = new ConferenceMixer(48000);
  t.equal(m.frameSamples, 960);
  const input = new Int16Array(960);
  const output = new Int16Array(960);
  const a = m.add('a', { input, output });
  t.equal(a.input, input);
  t.equal(a.output, output);
  const b = m.add('b');
  feed(b, 42);
  m.mix();
  t.equal(output[959], 42, 'the mix lands in the given output buffer');
  t.throws(() => m.add('c', { input: new Int16Array(320), output: new Int16Array(960) }), { code: 'PBX_ERR_MIXER_BUFFER' });
  t.throws(() => new ConferenceMixer(44100), { code: 'PBX_ERR_MIXER_RATE' });
  t.throws(() => new ConferenceMixer(RATE, { maxTalkers: 0 }), { code: 'PBX_ERR_MIXER_MAX_TALKERS' });
  t.throws(() => new ConferenceMixer(RATE, { talker: { offFrames: 0 } }), { code: 'PBX_ERR_MIXER_TALKER' });
});

t.test('without the limiter the sum saturates at 16 bits, both ways', async (t) => {
  const m = new ConferenceMixer(RATE, { limiter: false });
  const [a, b, c] = ['a', 'b', 'c'].map((id) => m.add(id)) as [MixerParty, MixerParty, MixerParty];
  feed(a, 30000);
  feed(b, 30000);
  feed(c, 0);
  c.inputValid = false;
  m.mix();
  t.equal(c.output[0], 32767);
  t.equal(a.output[0], 30000, 'the party that contributed hears the other one exactly');
  feed(a, -30000);
  feed(b, -30000);
  m.mix();
  t.equal(c.output[0], -32768);
});

t.test('the limiter keeps a loud crowd under the ceiling without clipping its waveform', async (t) => {
  const m = new ConferenceMixer(RATE);
  const clipped = new ConferenceMixer(RATE, { limiter: false });
  const ids = ['a', 'b', 'c', 'd'];
  const sources = [sine(300, 20000), sine(500, 20000), sine(650, 20000), sine(900, 20000)];
  const copies = [sine(300, 20000), sine(500, 20000), sine(650, 20000), sine(900, 20000)];
  const talkers = ids.map((id) => m.add(id));
  const other = ids.map((id) => clipped.add(id));
  const listener = m.add('listener');
  const clippedListener = clipped.add('listener');
  const ideal: number[] = [];
  const limited: number[] = [];
  const saturated: number[] = [];
  let peak = 0;
  for (let tick = 0; tick < 25; tick++) {
    talkers.forEach((p, i) => {
      sources[i]!(p.input);
      p.inputValid = true;
      copies[i]!(other[i]!.input);
      other[i]!.inputValid = true;
    });
    m.mix();
    clipped.mix();
    for (let i = 0; i < N; i++) {
      ideal.push(talkers.reduce((s, p) => s + p.input[i]!, 0));
      limited.push(listener.output[i]!);
      saturated.push(clippedListener.output[i]!);
      peak = Math.max(peak, Math.abs(listener.output[i]!));
    }
    for (const p of talkers) t.ok(p.output.every((s) => Math.abs(s) <= LIMITER_CEILING), 'mix-minus outputs are limited too');
  }
  t.ok(peak <= LIMITER_CEILING, `peak ${peak} <= ${LIMITER_CEILING}`);
  t.ok(peak > LIMITER_CEILING * 0.95, `and still loud (${peak})`);
  const cl = correlation(limited, ideal);
  const cs = correlation(saturated, ideal);
  t.ok(cl > 0.97 && cl > cs, `limited follows the sum's waveform (${cl.toFixed(3)}) better than saturated (${cs.toFixed(3)})`);
});

t.test('talker events: 3 speech frames to start, 25 silent frames of hangover to stop', async (t) => {
  const m = new ConferenceMixer(RATE);
  const a = m.add('a');
  const b = m.add('b');
  const voice = sine(400, 3000);
  const tick = (speak: boolean): void => {
    if (speak) voice(a.input);
    else a.input.fill(0);
    a.inputValid = true;
    b.input.fill(0);
    b.inputValid = true;
    m.mix();
  };
  for (let i = 0; i < 10; i++) tick(false);
  t.same(events(m), []);
  tick(true);
  tick(true);
  t.equal(a.talking, false, 'two frames are a click, not a talker');
  tick(true);
  t.equal(a.talking, true);
  t.same(events(m), [{ kind: 'talking', id: 'a', tick: 13 }]);
  for (let i = 0; i < 20; i++) tick(true);
  for (let i = 0; i < 10; i++) tick(false);
  for (let i = 0; i < 2; i++) tick(true);
  for (let i = 0; i < 24; i++) tick(false);
  t.equal(a.talking, true, 'a pause shorter than the hangover does not stop the talker');
  t.same(events(m), []);
  tick(false);
  t.equal(a.talking, false);
  t.same(events(m), [{ kind: 'stopped', id: 'a', tick: 13 + 20 + 10 + 2 + 25 }]);
  t.equal(b.talking, false, 'a silent party never talks');
});

t.test('lost frames count as silence for the hangover; muting or leaving stops a talker at once', async (t) => {
  const m = new ConferenceMixer(RATE, { talker: { onFrames: 1, offFrames: 3 } });
  const a = m.add('a');
  const b = m.add('b');
  feed(a, 0);
  feed(b, 0);
  m.mix();
  feed(a, 2000);
  m.mix();
  t.same(events(m), [{ kind: 'talking', id: 'a', tick: 2 }]);
  a.inputValid = false;
  m.mix();
  m.mix();
  t.equal(a.talking, true);
  m.mix();
  t.same(events(m), [{ kind: 'stopped', id: 'a', tick: 5 }]);
  feed(a, 2000);
  feed(b, 2000);
  m.mix();
  t.equal(events(m).length, 2);
  a.muted = true;
  m.mix();
  t.same(events(m), [{ kind: 'stopped', id: 'a', tick: 7 }], 'muted: stopped in the same tick');
  m.mix();
  t.equal(a.talking, false, 'a muted party does not talk');
  m.remove('b');
  t.same(events(m), [{ kind: 'stopped', id: 'b', tick: 8 }], 'leaving while talking ends with stopped');
});

t.test('a steady noise on a line becomes its floor: noise stops counting as talk, speech above it does', async (t) => {
  const m = new ConferenceMixer(RATE);
  const a = m.add('a');
  let seed = 1;
  const noise = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return ((seed >>> 8) % 3000) - 1500;
  };
  for (let tick = 0; tick < 100; tick++) {
    for (let i = 0; i < N; i++) a.input[i] = noise();
    a.inputValid = true;
    m.mix();
  }
  t.equal(a.talking, false, 'noise at RMS ~870 (-31 dBFS) is not talk');
  t.same(events(m), [], 'not even when the line joins with it');
  const voice = sine(400, 12000);
  for (let tick = 0; tick < 5; tick++) {
    voice(a.input);
    for (let i = 0; i < N; i++) a.input[i] += noise();
    a.inputValid = true;
    m.mix();
  }
  t.equal(a.talking, true, 'speech 20 dB above the noise is');
});

t.test('maxTalkers mixes only the loudest inputs, talkers before non-talkers', async (t) => {
  const m = new ConferenceMixer(RATE, { maxTalkers: 2, talker: { onFrames: 1 } });
  const levels = [100, 4000, 300, 2000, 50];
  const parties = levels.map((_, i) => m.add(`p${i}`));
  const listener = m.add('listener');
  const tick = (): void => {
    parties.forEach((p, i) => feed(p, levels[i]!));
    listener.inputValid = false;
    m.mix();
  };
  tick();
  t.equal(listener.output[0], 6000, 'the two loudest, 4000 and 2000');
  t.equal(parties[1]!.output[0], 2000, 'a mixed party hears the other mixed one');
  t.equal(parties[0]!.output[0], 6000, 'the others hear the same two');
  t.same(
    parties.map((p) => p.contributes),
    [false, true, false, true, false],
  );
  t.equal(m.sharedFrame[0], 6000, 'the shared frame is what every party not mixed hears');
  levels[4] = 3000;
  tick();
  t.equal(listener.output[0], 7000, 'a new loud one takes the place of the quieter');
  t.ok(parties[3]!.talking, 'the dropped one is still talking by its own energy');
  levels[4] = 50;
  for (let i = 0; i < 30; i++) tick();
  t.notOk(parties.some((p) => p.talking), 'steady levels are their own noise floor after the hangover');
  const late = m.add('late');
  parties.push(late);
  levels.push(500);
  tick();
  t.ok(late.talking);
  t.equal(listener.output[0], 4500, 'a quiet talker goes before a loud non-talker (500 + 4000, not 4000 + 2000)');
});

t.test('talker events beyond the ring are dropped oldest first and counted', async (t) => {
  const m = new ConferenceMixer(RATE, { talker: { onFrames: 1, offFrames: 1 } });
  const a = m.add('a');
  let level = 0;
  for (let i = 0; i < 40; i++) {
    level = level === 0 ? 5000 : 0;
    feed(a, level);
    m.mix();
  }
  t.equal(m.eventsDropped, 40 - 16);
  const list = events(m);
  t.equal(list.length, 16);
  t.equal(list[0]!.tick, 25, 'the oldest kept is the 25th');
  t.equal(list[15]!.tick, 40);
});

t.test('join and leave beeps: a deaf party fed by a player is heard by everyone', async (t) => {
  const m = new ConferenceMixer(RATE);
  const a = m.add('a');
  const b = m.add('b');
  const tones = m.add('tones');
  tones.deaf = true;
  sine(1000, 4000)(tones.input);
  tones.inputValid = true;
  feed(a, 10);
  m.mix();
  t.equal(a.output[80], tones.input[80], 'a hears the beep');
  t.equal(b.output[80], tones.input[80]! + 10, 'b hears the beep and a');
  t.ok(tones.output.every((s) => s === 0));
});

t.test('at 48 kHz: each party hears the others, the limiter releases in the same time, talkers are found as at 16 kHz', async (t) => {
  const wide = new ConferenceMixer(48000);
  t.equal(wide.frameSamples, 960);
  const a = wide.add('a');
  const b = wide.add('b');
  const tenKHz = (out: Int16Array, k: number): void => {
    for (let i = 0; i < out.length; i++) out[i] = Math.round(3000 * Math.sin((2 * Math.PI * 10000 * (k * 960 + i)) / 48000));
  };
  const narrow = new ConferenceMixer(RATE);
  const na = narrow.add('a');
  narrow.add('b');
  // Silence sets each line's noise floor, then a talks for onFrames (3) frames.
  for (let k = 0; k < 8; k++) {
    if (k < 5) feed(a, 0);
    else tenKHz(a.input, k);
    a.inputValid = true;
    feed(b, 0);
    wide.mix();
    feed(na, k < 5 ? 0 : 3000);
    narrow.mix();
  }
  t.same(b.output, a.input, 'b hears the 10 kHz tone of a as it was sent');
  t.equal(a.talking, true, 'a talks after onFrames frames at 48 kHz');
  t.equal(na.talking, true, 'as at 16 kHz');
  // One loud tick, then 40 ms (half the release time constant) of quiet: the gain recovers alike.
  const loud = [new ConferenceMixer(48000), new ConferenceMixer(RATE)].map((m) => {
    const [p, q, listener] = [m.add('p'), m.add('q'), m.add('l')];
    p.input.fill(30000);
    q.input.fill(30000);
    p.inputValid = q.inputValid = true;
    m.mix();
    const afterPeak = listener.limiter.envelope;
    for (let k = 0; k < 2; k++) {
      feed(p, 100);
      feed(q, 100);
      m.mix();
    }
    return { afterPeak, after40ms: listener.limiter.envelope };
  });
  for (const l of loud) t.ok(Math.abs(l.after40ms / l.afterPeak - Math.exp(-0.5)) < 0.01, `envelope falls by e^-0.5 in 40 ms (${(l.after40ms / l.afterPeak).toFixed(3)})`);
});

t.test('withRate: the same parties carry on at the other rate, with their talker state, mute, deaf and gain', async (t) => {
  const m = new ConferenceMixer(RATE, { talker: { onFrames: 1, offFrames: 3 } });
  const a = m.add('a');
  const b = m.add('b');
  const c = m.add('c');
  b.muted = true;
  c.deaf = true;
  feed(a, 0);
  m.mix();
  feed(a, 3000);
  m.mix();
  t.same(events(m), [{ kind: 'talking', id: 'a', tick: 2 }]);
  a.limiter.envelope = 40000;
  const wide = m.withRate(48000);
  t.equal(wide.sampleRate, 48000);
  t.equal(wide.size, 3);
  t.equal(wide.tick, 2, 'the tick count goes on');
  const [wa, wb, wc] = ['a', 'b', 'c'].map((id) => wide.get(id)!);
  t.equal(wa.input.length, 960, 'buffers of the new rate');
  t.equal(wa.talking, true, 'a is still talking');
  t.equal(wa.limiter.envelope, 40000, 'with its gain');
  t.ok(wb.muted && !wb.deaf && wc.deaf && !wc.muted, 'mute and deaf kept');
  t.equal(m.get('a'), a, 'the old mixer is unchanged');
  feed(wa, 3000);
  feed(wb, 3000);
  feed(wc, 0);
  wide.mix();
  t.same(events(wide), [], 'no second talking event');
  t.equal(wc.output[0], 0, 'c hears nothing');
  t.equal(wa.output[0], 0, 'muted b is heard by nobody');
  for (let k = 0; k < 3; k++) {
    feed(wa, 0);
    wide.mix();
  }
  t.same(events(wide), [{ kind: 'stopped', id: 'a', tick: 6 }], 'the hangover counts on from the old mixer');
  t.throws(() => m.withRate(44100), { code: 'PBX_ERR_MIXER_RATE' });
});
