// A conference room's rate (pipeline/room.ts) without sockets: legs stand in for decoded legs,
// giving their frame at their codec's rate and at 16 kHz through the same resampler a DecodedLeg
// uses, and what each member hears is read at its codec's rate.
import t, { type Test } from 'tap';
import { codecSampleRate, createCodec } from '../../src/media/codec/index.js';
import { Resampler } from '../../src/media/codec/resample.js';
import { crossfade, Room, WIDE_ALIGN, type MemberAudio, type RoomMember } from '../../src/media/pipeline/room.js';
import { goertzel, maxStep } from '../helpers/audio.js';

/** A decoded leg at `rate`: speak() sets this tick's frame, as DecodedLeg.pull() does. */
class TestLeg {
  readonly decoded: MemberAudio & { heardValid: boolean };
  readonly #up: Resampler;
  #phase = 0;

  constructor(readonly rate: number) {
    this.decoded = { heard: new Int16Array(320), heardValid: false, decodedFrame: new Int16Array(rate / 50), pcmRate: rate };
    this.#up = new Resampler(rate, 16000);
  }

  /** The next frame of a sum of sines (hz, amplitude), continuous from frame to frame. */
  speak(tones: [number, number][]): void {
    const d = this.decoded;
    const frame = d.decodedFrame;
    for (let i = 0; i < frame.length; i++) {
      let v = 0;
      for (const [hz, amp] of tones) v += amp * Math.sin((2 * Math.PI * hz * (this.#phase + i)) / this.rate);
      frame[i] = Math.round(v);
    }
    this.#phase += frame.length;
    this.#up.process(frame, d.heard);
    d.heardValid = true;
  }

  silent(): void {
    this.decoded.decodedFrame.fill(0);
    this.speak([]);
  }
}

const noTalk = (): void => undefined;

/** Runs `ticks` ticks; each leg says what say() gives it; returns what `listener` heard, frame after frame. */
function run(room: Room, say: Map<TestLeg, [number, number][]>, listener: RoomMember, ticks: number, t: Test): Int16Array[] {
  const heard: Int16Array[] = [];
  for (let k = 0; k < ticks; k++) {
    for (const [leg, tones] of say) leg.speak(tones);
    room.mix();
    if (!listener.outValid) t.fail(`tick ${k}: the listener has no frame`);
    heard.push(listener.out.slice());
  }
  return heard;
}

function concat(frames: Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

t.test('a room of 48 kHz legs mixes at 48 kHz: a 10 kHz tone reaches the others', async (t) => {
  const room = new Room('r', noTalk);
  const [a, b, c] = [new TestLeg(48000), new TestLeg(48000), new TestLeg(48000)];
  const ma = room.join('a', a, { muted: false, deaf: false });
  room.join('b', b, { muted: false, deaf: false });
  const mc = room.join('c', c, { muted: false, deaf: false });
  room.refresh();
  t.equal(room.rate, 48000);
  const say = new Map<TestLeg, [number, number][]>([
    [a, [[10000, 4000]]],
    [b, [[1000, 4000]]],
    [c, []],
  ]);
  const atC = concat(run(room, say, mc, 10, t));
  t.equal(mc.out.length, 960, 'c hears 20 ms at 48 kHz');
  t.ok(goertzel(atC, 48000, 10000, 4800) > 0.003, 'c hears the 10 kHz tone of a');
  t.ok(goertzel(atC, 48000, 1000, 4800) > 0.003, 'c hears b');
  const atA = concat(run(room, say, ma, 5, t));
  t.ok(goertzel(atA, 48000, 10000) < 1e-6, 'a does not hear itself');
});

t.test('a 16 kHz room cuts what is above 8 kHz, and the rate follows the members: a PCMU leg joins, leaves', async (t) => {
  const room = new Room('r', noTalk);
  const [a, b] = [new TestLeg(48000), new TestLeg(48000)];
  room.join('a', a, { muted: false, deaf: false });
  const mb = room.join('b', b, { muted: false, deaf: false });
  room.refresh();
  const pcmu = new TestLeg(8000);
  const say = new Map<TestLeg, [number, number][]>([
    [a, [[10000, 4000], [1000, 4000]]],
    [b, []],
    [pcmu, [[600, 4000]]],
  ]);
  run(room, say, mb, 3, t);
  const mp = room.join('p', pcmu, { muted: false, deaf: false });
  t.equal(room.rate, 48000, 'the rate is decided at refresh, when the legs are known');
  room.refresh();
  t.equal(room.rate, 16000, 'a PCMU member: 16 kHz');
  const atB = concat(run(room, say, mb, 10, t).slice(2));
  t.ok(goertzel(atB, 48000, 10000) < 1e-6, 'the 10 kHz tone is cut');
  t.ok(goertzel(atB, 48000, 1000) > 0.003, 'b still hears a');
  t.ok(goertzel(atB, 48000, 600) > 0.003, 'b hears the PCMU member');
  const atP = concat(run(room, say, mp, 5, t));
  t.equal(mp.out.length, 160, 'the PCMU member hears 8 kHz frames');
  t.ok(goertzel(atP, 8000, 1000) > 0.003, 'the PCMU member hears a');
  room.leave('p');
  room.refresh();
  t.equal(room.rate, 48000, 'the PCMU member left: 48 kHz again');
  const again = concat(run(room, say, mb, 10, t).slice(2));
  t.ok(goertzel(again, 48000, 10000) > 0.003, 'the 10 kHz tone is back');
});

t.test('a member not decoded yet does not count; a room of PCMU legs stays at 16 kHz', async (t) => {
  const room = new Room('r', noTalk);
  const a = new TestLeg(48000);
  room.join('a', a, { muted: false, deaf: false });
  const waiting = { decoded: null as MemberAudio | null };
  room.join('w', waiting, { muted: false, deaf: false });
  room.refresh();
  t.equal(room.rate, 48000);
  waiting.decoded = new TestLeg(8000).decoded;
  room.refresh();
  t.equal(room.rate, 16000, 'once decoded at 8 kHz it counts');
  const g711 = new Room('g', noTalk);
  g711.join('x', new TestLeg(8000), { muted: false, deaf: false });
  g711.refresh();
  t.equal(g711.rate, 16000);
  const empty = new Room('e', noTalk);
  empty.refresh();
  t.equal(empty.rate, 16000, 'no member: the rate stays');
});

t.test('a change of rate loses no frame and makes no click: the old mix fades into the new, in time', async (t) => {
  const room = new Room('r', noTalk);
  const [a, b] = [new TestLeg(48000), new TestLeg(48000)];
  room.join('a', a, { muted: false, deaf: false });
  const mb = room.join('b', b, { muted: false, deaf: false });
  room.refresh();
  const pcmu = new TestLeg(8000);
  // 250 Hz: a period of 192 samples, so a 2 ms (WIDE_ALIGN) misalignment would cancel it in mid-fade.
  const amp = 8000;
  const say = new Map<TestLeg, [number, number][]>([
    [a, [[250, amp]]],
    [b, []],
  ]);
  const frames = run(room, say, mb, 10, t);
  room.join('p', pcmu, { muted: false, deaf: false });
  say.set(pcmu, []);
  room.refresh();
  frames.push(...run(room, say, mb, 10, t));
  room.leave('p');
  say.delete(pcmu);
  room.refresh();
  frames.push(...run(room, say, mb, 10, t));
  t.equal(frames.length, 30, 'a frame every tick');
  const heard = concat(frames);
  const steady = (2 * Math.PI * 250 * amp) / 48000;
  const start = WIDE_ALIGN + 10;
  const step = maxStep(heard.subarray(start));
  t.ok(step < 1.1 * steady, `no step larger than the tone's own (${step} vs ${steady.toFixed(0)})`);
  // Period by period (192 samples at 48 kHz): a fade between misaligned copies dips in mid-frame.
  for (let at = start; at + 192 <= heard.length; at += 192) {
    let peak = 0;
    for (let i = at; i < at + 192; i++) peak = Math.max(peak, Math.abs(heard[i]!));
    if (peak < 0.9 * amp) t.fail(`at ${at}: the tone dips to ${peak}`);
  }
  t.pass('the tone keeps its level through both changes');
});

t.test('without the delay of the 48 kHz path the fade would cancel: the alignment is what keeps the level', async (t) => {
  // Two copies of a 250 Hz tone WIDE_ALIGN samples apart, faded one into the other.
  const n = 960;
  const from = new Int16Array(n);
  const late = new Int16Array(n);
  const into = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    from[i] = Math.round(8000 * Math.sin((2 * Math.PI * 250 * i) / 48000));
    late[i] = Math.round(8000 * Math.sin((2 * Math.PI * 250 * (i - WIDE_ALIGN)) / 48000));
  }
  crossfade(from, late, into);
  let mid = 0;
  for (let i = 400; i < 560; i++) mid = Math.max(mid, Math.abs(into[i]!));
  t.ok(mid < 2500, `misaligned copies cancel mid-fade (peak ${mid} of 8000)`);
  crossfade(from, from, into);
  t.same(into, from, 'a fade between equal frames is that frame');
  t.equal(WIDE_ALIGN, 101, 'the 16 kHz path is 101 samples at 48 kHz late');
});

t.test('talker state, mute and deaf carry over a change of rate; leaving reports a talker stopped at once', async (t) => {
  const events: string[] = [];
  const room = new Room('r', (id, talking) => events.push(`${id} ${talking ? 'talking' : 'stopped'}`));
  const [a, b] = [new TestLeg(48000), new TestLeg(48000)];
  const ma = room.join('a', a, { muted: false, deaf: false });
  const mb = room.join('b', b, { muted: false, deaf: false });
  room.refresh();
  const say = new Map<TestLeg, [number, number][]>([
    [a, []],
    [b, []],
  ]);
  run(room, say, mb, 5, t);
  say.set(a, [[400, 6000]]);
  run(room, say, mb, 5, t);
  t.same(events, ['a talking']);
  room.setDeaf(mb, true);
  const pcmu = new TestLeg(8000);
  const mp = room.join('p', pcmu, { muted: true, deaf: false });
  say.set(pcmu, [[900, 6000]]);
  room.refresh();
  t.equal(room.rate, 16000);
  const atB = run(room, say, mb, 5, t);
  t.ok(
    atB.every((f, k) => f.every((s, i) => s === 0 || (k === 0 && i < WIDE_ALIGN))),
    'b is still deaf (after the 2 ms its 48 kHz path is late)',
  );
  const atA = concat(run(room, say, ma, 5, t));
  t.ok(goertzel(atA, 48000, 900) < 1e-6, 'p is still muted');
  t.same(events, ['a talking'], 'a is still talking: no second talking event, no stop');
  room.setMuted(mp, false);
  room.leave('a');
  t.same(events, ['a talking', 'a stopped'], 'a left talking: stopped at once');
  t.equal(room.size, 2);
});

t.test('two changes before a tick fade from the mix heard last', async (t) => {
  const room = new Room('r', noTalk);
  const [a, b] = [new TestLeg(48000), new TestLeg(48000)];
  room.join('a', a, { muted: false, deaf: false });
  const mb = room.join('b', b, { muted: false, deaf: false });
  room.refresh();
  const say = new Map<TestLeg, [number, number][]>([
    [a, [[250, 8000]]],
    [b, []],
  ]);
  const frames = run(room, say, mb, 5, t);
  room.join('p', new TestLeg(8000), { muted: false, deaf: false });
  room.refresh();
  room.leave('p');
  room.refresh();
  t.equal(room.rate, 48000);
  frames.push(...run(room, say, mb, 5, t));
  const steady = (2 * Math.PI * 250 * 8000) / 48000;
  t.ok(maxStep(concat(frames).subarray(WIDE_ALIGN + 10)) < 1.1 * steady, 'no step');
});

t.test('codecSampleRate: Opus codes at the rate a room asks for, the other codecs keep their own', async (t) => {
  t.equal(codecSampleRate('opus', 48000, 2, { sampleRate: 48000 }), 48000);
  t.equal(codecSampleRate('OPUS', 48000, 2, { sampleRate: 16000 }), 16000);
  t.equal(codecSampleRate('opus', 48000, 2), 48000, 'asked nothing: 48 kHz');
  t.equal(codecSampleRate('PCMU', 8000, null, { sampleRate: 48000 }), 8000);
  t.equal(codecSampleRate('G722', 8000, 1, { sampleRate: 48000 }), 16000);
  t.equal(codecSampleRate('L16', 48000, 1, { sampleRate: 16000 }), 48000);
  t.equal(codecSampleRate('G729', 8000, null), null);
  for (const [name, clock, ch] of [
    ['opus', 48000, 2],
    ['PCMA', 8000, null],
    ['G722', 8000, null],
    ['L16', 16000, 1],
  ] as const) {
    for (const sampleRate of [16000, 48000]) {
      const c = createCodec(name, clock, ch, { sampleRate })!;
      t.equal(codecSampleRate(name, clock, ch, { sampleRate }), c.sampleRate, `${name} asked ${sampleRate}: as createCodec gives`);
      c.close();
    }
  }
});
