// Conference rooms at 48 kHz through the MediaEngine verbs, with real sockets on 127.0.0.1: Node
// RTP endpoints stand for Opus and PCMU phones, send audio encoded with the real codecs and decode
// what comes back. A room of Opus phones keeps what is above 8 kHz (a 16 kHz mix would cut it), and
// a PCMU phone joining and leaving switches the room to 16 kHz and back without a gap.
import t from 'tap';
import { startTestEngine } from '../helpers/media-engine.js';
import { bandPower, goertzel } from '../helpers/audio.js';
import { phoneLeg, type EndpointCodec, type RtpEndpoint } from '../helpers/rtp-endpoint.js';

const engine = await startTestEngine(t, 40);

const OPUS: EndpointCodec = { name: 'opus', payloadType: 96, clockRate: 48000, channels: 2, dtmfPayloadType: 97 };
const PCMU: EndpointCodec = { name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: 101 };
const RATE = 48000;

let groups = 0;

async function phone(codec: EndpointCodec): Promise<{ ep: RtpEndpoint; legId: string; port: number }> {
  const p = await phoneLeg(engine, `c48-${++groups}`, codec);
  t.teardown(() => p.ep.close());
  return p;
}

/** `seconds` at 48 kHz of a sum of sines [hz, amplitude], after `leadMs` of silence. */
function tones(seconds: number, parts: [number, number][], leadMs = 0): Int16Array {
  const pcm = new Int16Array(Math.round(RATE * seconds));
  const lead = Math.round((RATE * leadMs) / 1000);
  for (let i = lead; i < pcm.length; i++) {
    let v = 0;
    for (const [hz, amp] of parts) v += amp * Math.sin((2 * Math.PI * hz * i) / RATE);
    pcm[i] = Math.round(v);
  }
  return pcm;
}

/**
 * Power around hz (± 1.5 kHz) in what the endpoint received: Opus at 32 kbit/s keeps the energy of
 * the band above 8 kHz but not the shape of a tone in it.
 */
function around(ep: RtpEndpoint, hz: number): number {
  return bandPower(ep.received(), ep.sampleRate, hz - 1500, hz + 1500);
}

/**
 * Power around hz (± 500 Hz) in the last 100 ms the endpoint received. Cheap enough to run on
 * every packet: a waiting test must leave the CPU to the phones it plays.
 */
function lately(ep: RtpEndpoint, hz: number): number {
  return bandPower(ep.tail(ep.sampleRate / 10), ep.sampleRate, hz - 500, hz + 500);
}

/** The most power of hz in any 20 ms of pcm. */
function strongest(pcm: Int16Array, hz: number): number {
  let max = 0;
  for (let at = 0; at + 960 <= pcm.length; at += 960) max = Math.max(max, goertzel(pcm, RATE, hz, at, at + 960));
  return max;
}

t.test('three Opus phones in a room: each hears the other two, a 10 kHz tone included, and not itself', async (t) => {
  const parties = [await phone(OPUS), await phone(OPUS), await phone(OPUS)];
  const freqs = [10000, 1000, 3000];
  const talking = new Set<string>();
  const onTalk = (room: string, legId: string, on: boolean): void => {
    if (room === 'wide' && on) talking.add(legId);
  };
  engine.on('talking', onTalk);
  t.teardown(() => engine.off('talking', onTalk));
  // Party 0 is decoded before it joins (at 16 kHz, as a leg outside a room is): joining makes its
  // codec again at 48 kHz, or its 10 kHz tone could not pass.
  t.equal(await engine.play(parties[0]!.legId, [{ silenceMs: 40 }]), 'done');
  for (const p of parties) await engine.join('wide', p.legId);
  // 200 ms of silence first: the talker detector learns each line's noise floor from it.
  await Promise.all(parties.map((p, i) => p.ep.send(tones(1.2, [[freqs[i]!, 5000]], 200), p.port)));
  for (const [i, p] of parties.entries()) {
    const heard = p.ep.received();
    for (const [k, f] of freqs.entries()) {
      const power = f > 8000 ? around(p.ep, f) : goertzel(heard, RATE, f);
      if (k === i) t.ok(power < 1e-4, `party ${i} does not hear itself (${f} Hz: ${power.toExponential(2)})`);
      else t.ok(power > 5e-4, `party ${i} hears party ${k} (${f} Hz: ${power.toExponential(2)})`);
    }
  }
  t.same(talking, new Set(parties.map((p) => p.legId)), 'a talking event for each party');

  // A prompt played to a leg of a 48 kHz room: the join tone (700 Hz, then 1050 Hz).
  const a = parties[1]!;
  a.ep.clear();
  const tone = a.ep.waitFor(() => goertzel(a.ep.tail(960), RATE, 1050) > 1e-3, 3000, 'the join tone at the phone');
  t.equal(await engine.play(a.legId, [{ tone: 'join' }]), 'done');
  await tone;
  t.ok(strongest(a.ep.received(), 700) > 1e-3, 'the phone hears both notes of the join tone');
  for (const p of parties) await engine.leave(p.legId);
});

/**
 * Within 40 ms of each change of rate in pcm[from...] (where the band of `marker` Hz, above 8 kHz, goes
 * while `tone` stays, and comes back), the gaps in `tone` longer than 10 ms, as [at, ms]: runs of
 * 5 ms windows without it (a lost or silent frame of 20 ms always covers three). Only there:
 * elsewhere a machine loaded by other jobs may stall a phone of the test, which the PBX rightly
 * plays as a gap.
 */
function gapsAtChanges(pcm: Int16Array, from: number, tone: number, marker: number): { changes: number[]; gaps: [number, number][] } {
  const window = RATE / 200;
  const windows = Math.floor((pcm.length - from) / window);
  const span = (w: number): Int16Array => pcm.subarray(from + w * window, from + (w + 4) * window);
  const changes: number[] = [];
  let wide = true;
  for (let w = 0; w + 4 <= windows && changes.length < 2; w++) {
    const high = bandPower(span(w), RATE, marker - 500, marker + 500);
    if (wide && high < 1e-6 && goertzel(span(w), RATE, tone) > 1e-3) changes.push(w);
    else if (!wide && high > 2e-4) changes.push(w);
    else continue;
    wide = !wide;
  }
  const gaps: [number, number][] = [];
  for (const c of changes) {
    let run = 0;
    for (let w = Math.max(0, c - 8); w <= Math.min(windows, c + 8); w++) {
      const at = from + w * window;
      if (w < windows && goertzel(pcm, RATE, tone, at, at + window) < 1e-4) {
        run++;
        continue;
      }
      if (run > 2) gaps.push([(w - run) * 5, run * 5]);
      run = 0;
    }
  }
  return { changes: changes.map((w) => w * 5), gaps };
}

t.test('a PCMU phone joins an Opus room and leaves: 16 kHz while it is in, 48 kHz again after, and no gap', async (t) => {
  const [a, b, p] = [await phone(OPUS), await phone(OPUS), await phone(PCMU)];
  await engine.join('mixed', a.legId);
  await engine.join('mixed', b.legId);
  // Steady tones, so that a lost or silent frame shows, each with a tone above 8 kHz that marks
  // when the room mixes at 48 kHz: a says 700 Hz and 10 kHz, b 1300 Hz and 11 kHz.
  const sending = Promise.all([
    a.ep.send(
      tones(4, [
        [700, 6000],
        [10000, 3000],
      ]),
      a.port,
    ),
    b.ep.send(
      tones(4, [
        [1300, 6000],
        [11000, 3000],
      ]),
      b.port,
    ),
  ]);
  await b.ep.waitFor(() => lately(b.ep, 10000) > 2e-4, 3000, 'the 10 kHz tone at b');
  await a.ep.waitFor(() => goertzel(a.ep.tail(960), RATE, 1300) > 1e-3, 3000, 'b at a');
  // From here on both hear each other; what came before is the streams starting.
  const [markA, markB] = [a.ep.received().length, b.ep.received().length];
  await engine.join('mixed', p.legId);
  await b.ep.waitFor(() => lately(b.ep, 10000) < 1e-6, 3000, 'the 10 kHz tone cut while the PCMU phone is in');
  await p.ep.waitFor(() => goertzel(p.ep.tail(160), 8000, 700) > 1e-3, 3000, 'a heard by the PCMU phone');
  await engine.leave(p.legId);
  await b.ep.waitFor(() => lately(b.ep, 10000) > 2e-4, 3000, 'the 10 kHz tone back after the PCMU phone left');
  await sending;

  // The other's tone goes on through both changes of rate: no gap longer than a frame.
  const atB = gapsAtChanges(b.ep.received(), markB, 700, 10000);
  const atA = gapsAtChanges(a.ep.received(), markA, 1300, 11000);
  t.equal(atB.changes.length, 2, `b heard the two changes of rate (${atB.changes.join(' and ')} ms after the PCMU phone was called in)`);
  t.equal(atA.changes.length, 2, `a heard them too (${atA.changes.join(' and ')} ms)`);
  t.same(atB.gaps, [], 'b hears a without a gap');
  t.same(atA.gaps, [], 'a hears b without a gap');
  await engine.leave(a.legId);
  await engine.leave(b.legId);
});
