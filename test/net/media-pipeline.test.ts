// The decoded-leg pipeline through the MediaEngine verbs, with real sockets on 127.0.0.1: Node RTP
// endpoints stand for the phones, encode with the real codecs and decode what comes back, and the
// audio that arrives is compared with the audio that was sent by correlation.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InbandDtmfDetector } from '../../src/media/dtmf/goertzel.js';
import { startTestEngine } from '../helpers/media-engine.js';
import { goertzel, sine, speechLike } from '../helpers/audio.js';
import { blockCorrelation, codecSpec, decimate, fromFirstSound, phoneLeg, RtpEndpoint, type EndpointCodec } from '../helpers/rtp-endpoint.js';
import { tempDir } from '../interop/harness.js';

const engine = await startTestEngine(t, 80);
const tmp = tempDir('pipeline');
t.teardown(() => tmp.cleanup());

const PCMU: EndpointCodec = { name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: 101 };
const PCMA: EndpointCodec = { name: 'PCMA', payloadType: 8, clockRate: 8000, dtmfPayloadType: 101 };
const PCMA_INBAND: EndpointCodec = { name: 'PCMA', payloadType: 8, clockRate: 8000, dtmfPayloadType: null };

let groups = 0;

/** A phone on a PBX leg: its endpoint, the leg, the leg's port; the leg points at the endpoint. */
async function phoneOn(group: string, codec: EndpointCodec): Promise<{ ep: RtpEndpoint; legId: string; port: number }> {
  const phone = await phoneLeg(engine, group, codec);
  t.teardown(() => phone.ep.close());
  return phone;
}

async function call(ca: EndpointCodec, cb: EndpointCodec) {
  const group = `g${++groups}`;
  const a = await phoneOn(group, ca);
  const b = await phoneOn(group, cb);
  await engine.bridge(a.legId, b.legId);
  return { a, b };
}

/** `pcm` resampled by the test to 8 kHz when it was sent or heard at another rate. */
function at8k(pcm: Int16Array, rate: number): Int16Array {
  return rate === 8000 ? pcm : decimate(pcm, rate / 8000);
}

t.test('a PCMU phone and a PCMA phone hear each other through the transcoding worker', async (t) => {
  const { a, b } = await call(PCMU, PCMA);
  const speechA = speechLike(8000, 1.6);
  const speechB = sine(8000, 700, 8000, 8000 * 1.6);
  await Promise.all([a.ep.send(speechA, a.port), b.ep.send(speechB, b.port)]);
  await b.ep.waitFor(() => b.ep.received().length >= speechA.length * 0.9, 3000, 'most of the speech at B');
  const atB = blockCorrelation(speechA, fromFirstSound(b.ep.received()), 2000, 1200);
  t.ok(atB.median > 0.9, `what B hears correlates with what A said: r=${atB.blocks.map((r) => r.toFixed(2)).join(' ')}`);
  t.ok(goertzel(a.ep.received(), 8000, 700) > 0.005, 'A hears B');
  t.notOk(b.ep.ssrcs.has(a.ep.ssrc), "B never sees A's SSRC: the PBX sends a stream of its own");
  t.same(b.ep.sources, new Set([`127.0.0.1:${b.port}`]), "from B's PBX port");
  t.same([...b.ep.packets.keys()], [8], 'PCMA only');
});

const G722: EndpointCodec = { name: 'G722', payloadType: 9, clockRate: 8000, dtmfPayloadType: null };
const OPUS: EndpointCodec = { name: 'opus', payloadType: 96, clockRate: 48000, channels: 2, dtmfPayloadType: 97 };

for (const wide of [G722, OPUS]) {
  t.test(`a PCMA phone and a ${wide.name} phone hear each other`, async (t) => {
    const { a, b } = await call(PCMA, wide);
    const speechA = speechLike(8000, 1.6);
    const speechB = speechLike(b.ep.sampleRate, 1.85).subarray(Math.round(0.25 * b.ep.sampleRate));
    await Promise.all([a.ep.send(speechA, a.port), b.ep.send(speechB, b.port)]);
    const rate = b.ep.sampleRate;
    await b.ep.waitFor(() => fromFirstSound(b.ep.received()).length >= speechA.length * (rate / 8000), 3000, 'the speech at B');
    await a.ep.waitFor(() => fromFirstSound(a.ep.received()).length >= speechB.length / (rate / 8000), 3000, 'the speech at A');
    const atB = blockCorrelation(speechA, fromFirstSound(at8k(b.ep.received(), rate)), 2000, 1200);
    t.ok(atB.median > 0.85, `B hears A: r=${atB.blocks.map((r) => r.toFixed(2)).join(' ')}`);
    const atA = blockCorrelation(at8k(speechB, rate), fromFirstSound(a.ep.received()), 2000, 1200);
    t.ok(atA.median > 0.85, `A hears B: r=${atA.blocks.map((r) => r.toFixed(2)).join(' ')}`);
    t.same([...b.ep.packets.keys()], [wide.payloadType]);
  });
}

/** RFC 6716 3.1: TOC configurations 0-3 are SILK narrowband. */
const isNarrowbandToc = (toc: number): boolean => toc >> 3 <= 3;

t.test('a PCMU phone bridged to an Opus phone: Opus is coded narrowband, one RTP stream stepping 960 per 20 ms, and a recording is 16 kHz both sides', async (t) => {
  const group = `g${++groups}`;
  const a = await phoneOn(group, PCMU);
  const b = await phoneOn(group, OPUS);
  // Ringback before the bridge decodes the Opus leg at 16 kHz; the bridge makes it code at 8 kHz
  // while the ringback goes on, so the leg is made again mid-stream.
  const ringback = engine.tone(b.legId, 'ringback');
  await b.ep.waitFor(() => b.ep.arrivals.length >= 5, 2000, 'ringback at B');
  await engine.bridge(a.legId, b.legId);
  const beforeBridge = b.ep.arrivals.length;
  t.ok(b.ep.arrivals.slice(0, 5).every((p) => !isNarrowbandToc(p.first)), 'unbridged, the Opus leg codes wideband');
  await engine.stopPlay(b.legId);
  t.equal(await ringback, 'stopped');
  // What B heard up to 60 ms of silence after the ringback is left out of the comparison below.
  const quiet = (pcm: Int16Array): boolean => pcm.length === 2880 && pcm.every((v) => Math.abs(v) < 100);
  await b.ep.waitFor(() => quiet(b.ep.tail(2880)), 2000, 'silence at B after the ringback');
  const ringbackSamples = b.ep.received().length;
  const path = join(tmp.path, 'pcmu-opus.wav');
  const id = await engine.record([a.legId, b.legId], path, { mode: 'stereo' });
  const speechA = speechLike(8000, 1.6);
  const toneB = sine(48000, 1000, 6000, 48000 * 1.6);
  await Promise.all([a.ep.send(speechA, a.port), b.ep.send(toneB, b.port)]);
  const heardB = (): Int16Array => b.ep.received().subarray(ringbackSamples);
  await b.ep.waitFor(() => fromFirstSound(heardB()).length >= speechA.length * 6, 3000, "all of A's speech at B");
  await engine.stopRecord(id);
  const atB = blockCorrelation(speechA, fromFirstSound(decimate(heardB(), 6)), 2000, 1200);
  t.ok(atB.median > 0.85, `B hears A: r=${atB.blocks.map((r) => r.toFixed(2)).join(' ')}`);
  const bridged = b.ep.arrivals.slice(beforeBridge + 5);
  t.ok(bridged.length > 50 && bridged.every((p) => isNarrowbandToc(p.first)), `bridged to PCMU, all ${bridged.length} Opus packets are SILK narrowband`);
  t.same(b.ep.ssrcs, new Set([b.ep.arrivals[0]!.ssrc]), 'one SSRC from before the bridge to after: the stream goes on');
  // A tick the media clock skipped under load moves the timestamp on by its 960 too.
  const steps = b.ep.arrivals.slice(1).map((p, i) => [(p.timestamp - b.ep.arrivals[i]!.timestamp) >>> 0, (p.sequence - b.ep.arrivals[i]!.sequence) & 0xffff]);
  const odd = steps.filter(([ts, seq]) => seq !== 1 || ts === 0 || ts % 960 !== 0 || ts > 960 * 50);
  t.same(odd, [], 'each packet is the next sequence number, 960 per 20 ms later on the 48 kHz clock (RFC 7587 4.1)');
  t.ok(steps.filter(([ts]) => ts === 960).length > steps.length * 0.9, 'nearly all packets are exactly 960 apart');
  t.ok(goertzel(a.ep.received(), 8000, 1000) > 0.005, 'A hears B');
  const wav = readStereoWav(path);
  t.equal(wav.sampleRate, 16000);
  const left = blockCorrelation(speechA, fromFirstSound(decimate(wav.left, 2)), 2000, 1200);
  t.ok(left.median > 0.85, `left is the PCMU caller at 16 kHz: r=${left.blocks.map((r) => r.toFixed(2)).join(' ')}`);
  t.ok(goertzel(wav.right, 16000, 1000) > 0.005, 'right is the Opus callee at 16 kHz');
});

t.test('two phones with the same codec stay a pure relay: packets pass as they are', async (t) => {
  const { a, b } = await call(PCMA, PCMA);
  await a.ep.send(speechLike(8000, 0.4), a.port);
  await b.ep.waitFor(() => (b.ep.packets.get(8) ?? 0) >= 15, 3000, 'packets at B');
  t.same(b.ep.ssrcs, new Set([a.ep.ssrc]), "B sees A's own SSRC: nothing was decoded");
});

t.test('RFC 4733 digits from a phone arrive as dtmf events once each, and reach the peer in its method', async (t) => {
  const { a, b } = await call(PCMU, PCMA_INBAND);
  const digits: string[] = [];
  const onDigit = (legId: string, digit: string, method: string): void => {
    if (legId === a.legId) digits.push(`${digit}:${method}`);
  };
  engine.on('dtmf', onDigit);
  t.teardown(() => engine.off('dtmf', onDigit));
  const silence = new Int16Array(8000);
  const talking = b.ep.send(silence, b.port);
  await a.ep.sendDigit(1, a.port);
  await a.ep.sendDigit(9, a.port);
  await a.ep.sendDigit(11, a.port);
  await talking;
  const start = Date.now();
  while (digits.length < 3 && Date.now() - start < 2000) await new Promise((r) => engine.once('dtmf', r));
  t.same(digits, ['1:rfc4733', '9:rfc4733', '#:rfc4733']);
  const detector = new InbandDtmfDetector(8000);
  const heard = b.ep.received();
  const inband: string[] = [];
  for (let i = 0; i + 160 <= heard.length; i += 160) {
    const d = detector.process(heard.subarray(i, i + 160), 160);
    if (d !== null) inband.push(d);
  }
  t.same(inband, ['1', '9', '#'], 'B has no telephone-event: the digits reach it as tones');
});

t.test('sendDigit sends RFC 4733 events to a phone that negotiated them', async (t) => {
  const { a, b } = await call(PCMA, PCMA);
  await b.ep.send(new Int16Array(800), b.port);
  await engine.sendDigit(a.legId, '5');
  await engine.sendDigit(a.legId, '#');
  await a.ep.waitFor(() => a.ep.events.filter((e) => e.end).length >= 6, 3000, 'two digits with their end packets');
  const starts = [...new Set(a.ep.events.map((e) => `${e.code}@${e.timestamp}`))];
  t.same(starts.map((s) => s.split('@')[0]), ['5', '11'], 'digit 5 then # (event 11), one event each');
});

t.test('a WAV prompt played to a leg arrives at its phone, and play() resolves done', async (t) => {
  const { a } = await call(PCMU, PCMA);
  const prompt = speechLike(16000, 1);
  const path = join(tmp.path, 'prompt.wav');
  writeWav(path, prompt, 16000, 1);
  const result = await engine.play(a.legId, [{ file: path }]);
  t.equal(result, 'done');
  await a.ep.waitFor(() => a.ep.received().length >= 7000, 2000, 'the prompt');
  const c = blockCorrelation(at8k(prompt, 16000), fromFirstSound(a.ep.received()), 2000, 1200);
  t.ok(c.median > 0.85, `the phone hears the prompt: r=${c.blocks.map((r) => r.toFixed(2)).join(' ')}`);
});

t.test('stopPlay ends a looping tone: play() resolves stopped', async (t) => {
  const { a } = await call(PCMU, PCMA);
  const playing = engine.tone(a.legId, 'ringback');
  await a.ep.waitFor(() => a.ep.received().length >= 1600, 2000, 'ringback');
  await engine.stopPlay(a.legId);
  t.equal(await playing, 'stopped');
  t.ok(goertzel(a.ep.received(), 8000, 440) > 1e-4 || goertzel(a.ep.received(), 8000, 480) > 1e-4, 'the US ringback (440+480 Hz) was heard');
});

t.test('a recording of a call holds the caller left and the callee right', async (t) => {
  const { a, b } = await call(PCMU, PCMA);
  const path = join(tmp.path, 'call.wav');
  const id = await engine.record([a.legId, b.legId], path, { mode: 'stereo' });
  const speechA = speechLike(8000, 1.2);
  const toneB = sine(8000, 1000, 6000, 8000 * 1.2);
  await Promise.all([a.ep.send(speechA, a.port), b.ep.send(toneB, b.port)]);
  // What B hears is what the recorder gets on the left: the whole of it has passed the jitter buffer.
  await b.ep.waitFor(() => fromFirstSound(b.ep.received()).length >= speechA.length, 3000, "all of A's speech at B");
  await engine.stopRecord(id);
  const wav = readStereoWav(path);
  t.equal(wav.sampleRate, 16000);
  const left = blockCorrelation(speechA, fromFirstSound(decimate(wav.left, 2)), 2000, 1200);
  t.ok(left.median > 0.85, `left is the caller: r=${left.blocks.map((r) => r.toFixed(2)).join(' ')}`);
  t.ok(goertzel(wav.right, 16000, 1000) > 0.005, 'right is the callee');
  t.ok(goertzel(wav.left, 16000, 1000) < 1e-4, 'the callee is not on the left');
});

t.test('three parties in a conference each hear the other two and not themselves', async (t) => {
  const group = `conf${++groups}`;
  const parties = [await phoneOn(`${group}a`, PCMU), await phoneOn(`${group}b`, PCMA), await phoneOn(`${group}c`, PCMU)];
  const freqs = [500, 1100, 1700];
  const talking: string[] = [];
  const onTalk = (room: string, legId: string, on: boolean): void => {
    if (room === 'team' && on) talking.push(legId);
  };
  engine.on('talking', onTalk);
  t.teardown(() => engine.off('talking', onTalk));
  for (const p of parties) await engine.join('team', p.legId);
  // 200 ms of silence first: the talker detector learns each line's noise floor from it.
  const speech = (f: number): Int16Array => {
    const pcm = new Int16Array(8000 * 1.2);
    pcm.set(sine(8000, f, 5000, 8000), 1600);
    return pcm;
  };
  await Promise.all(parties.map((p, i) => p.ep.send(speech(freqs[i]!), p.port)));
  for (const [i, p] of parties.entries()) {
    const heard = p.ep.received();
    for (const [k, f] of freqs.entries()) {
      const power = goertzel(heard, 8000, f);
      if (k === i) t.ok(power < 1e-4, `party ${i} does not hear itself (${f} Hz: ${power.toExponential(2)})`);
      else t.ok(power > 0.002, `party ${i} hears party ${k} (${f} Hz: ${power.toExponential(2)})`);
    }
  }
  t.same(new Set(talking), new Set(parties.map((p) => p.legId)), 'a talking event for each party');
  await engine.setMuted(parties[0]!.legId, true);
  for (const p of parties) p.ep.clear();
  await Promise.all(parties.map((p, i) => p.ep.send(sine(8000, freqs[i]!, 5000, 8000 * 0.6), p.port)));
  t.ok(goertzel(parties[1]!.ep.received(), 8000, freqs[0]!) < 1e-4, 'a muted party is heard by nobody');
  t.ok(goertzel(parties[0]!.ep.received(), 8000, freqs[1]!) > 0.002, 'a muted party still hears');
  for (const p of parties) await engine.leave(p.legId);
});

t.test('a room gathers parties from two workers: a leg on the other worker moves to the room', async (t) => {
  const two = await startTestEngine(t, 20, { workers: 2 });
  const parties: { ep: RtpEndpoint; legId: string; port: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const ep = await RtpEndpoint.open(PCMU);
    t.teardown(() => ep.close());
    const { legId, port } = await two.openLeg(`spread${i}`);
    await two.setRemote(legId, { address: '127.0.0.1', port: ep.port });
    await two.setCodec(legId, codecSpec(PCMU));
    parties.push({ ep, legId, port });
  }
  t.equal(two.usage.workers, 2);
  for (const p of parties) await two.join('wide', p.legId);
  const freqs = [500, 1100, 1700];
  await Promise.all(parties.map((p, i) => p.ep.send(sine(8000, freqs[i]!, 5000, 8000), p.port)));
  for (const [i, p] of parties.entries()) {
    for (const [k, f] of freqs.entries()) {
      if (k !== i) t.ok(goertzel(p.ep.received(), 8000, f) > 0.002, `party ${i} hears party ${k}`);
    }
  }
});

t.test('verbs refuse what they cannot do with a clear error', async (t) => {
  const { legId } = await engine.openLeg(`bad${++groups}`);
  await t.rejects(engine.play(legId, [{ tone: 'ringback' }]), { code: 'PBX_ERR_MEDIA_NO_CODEC' }, 'no codec set yet');
  await engine.setCodec(legId, { name: 'G729', payloadType: 18, clockRate: 8000, channels: null, dtmfPayloadType: null });
  await t.rejects(engine.play(legId, [{ tone: 'ringback' }]), { code: 'PBX_ERR_MEDIA_NO_CODEC' }, 'a codec that can only be relayed');
  await engine.setCodec(legId, codecSpec(PCMU));
  await t.rejects(engine.play(legId, [{ tone: 'whistle' }]), { code: 'PBX_ERR_MEDIA_TONE' });
  await t.rejects(engine.play(legId, [{ file: join(tmp.path, 'missing.wav') }]), { code: 'PBX_ERR_MEDIA_WAV_READ' });
  await t.rejects(engine.play(legId, []), { code: 'PBX_ERR_MEDIA_ARGUMENT' });
  await t.rejects(engine.sendDigit(legId, 'x'), { code: 'PBX_ERR_MEDIA_ARGUMENT' });
  await t.rejects(engine.setMuted(legId, true), { code: 'PBX_ERR_MEDIA_CONFERENCE' }, 'not in a room');
  await t.rejects(engine.record([], join(tmp.path, 'x.wav')), { code: 'PBX_ERR_MEDIA_ARGUMENT' });
  await engine.closeLeg(legId);
});

t.test('closing a leg ends what plays to it: play() resolves stopped', async (t) => {
  const { a } = await call(PCMU, PCMA);
  const playing = engine.play(a.legId, [{ tone: 'dial' }], { loop: true });
  await a.ep.waitFor(() => a.ep.received().length >= 800, 2000, 'the dial tone');
  await engine.closeLeg(a.legId);
  t.equal(await playing, 'stopped');
});

function writeWav(path: string, pcm: Int16Array, rate: number, channels: number): void {
  const b = Buffer.alloc(44 + pcm.length * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + pcm.length * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(channels, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2 * channels, 28);
  b.writeUInt16LE(2 * channels, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(pcm.length * 2, 40);
  for (let i = 0; i < pcm.length; i++) b.writeInt16LE(pcm[i]!, 44 + 2 * i);
  writeFileSync(path, b);
}

/** The two channels of a 16-bit stereo WAV, walking its chunks to 'data'. */
function readStereoWav(path: string): { sampleRate: number; left: Int16Array; right: Int16Array } {
  const b = readFileSync(path);
  let at = 12;
  let sampleRate = 0;
  while (at + 8 <= b.length) {
    const id = b.toString('latin1', at, at + 4);
    const size = b.readUInt32LE(at + 4);
    if (id === 'fmt ') sampleRate = b.readUInt32LE(at + 12);
    if (id === 'data') {
      const frames = Math.floor(Math.min(size, b.length - at - 8) / 4);
      const left = new Int16Array(frames);
      const right = new Int16Array(frames);
      for (let i = 0; i < frames; i++) {
        left[i] = b.readInt16LE(at + 8 + 4 * i);
        right[i] = b.readInt16LE(at + 10 + 4 * i);
      }
      return { sampleRate, left, right };
    }
    at += 8 + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}
