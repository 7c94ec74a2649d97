// A PCMU leg bridged to an Opus leg coded at 8 kHz (pipeline.ts asks for it): the two DecodedLegs
// run as a worker's tick runs them, on legs whose sockets keep what is sent, with fake time. The
// audio each phone sends arrives at the other (compared by correlation), nothing is resampled on
// the way, the PBX's RTP streams step as RFC 3551 and RFC 7587 say, and a reader of `heard` (a
// recorder, a 16 kHz room) still gets 16 kHz.
import type { Socket } from 'node:dgram';
import t from 'tap';
import { createCodec } from '../../src/media/codec/index.js';
import { OPUS_MAX_PACKET, OpusCodec } from '../../src/media/codec/opus.js';
import type { LegCodecSpec } from '../../src/media/protocol.js';
import { DecodedLeg } from '../../src/media/pipeline/decoded-leg.js';
import { Leg } from '../../src/media/relay.js';
import { sine, speechLike } from '../helpers/audio.js';
import { concat } from '../helpers/dtmf-audio.js';
import { blockCorrelation, decimate, fromFirstSound } from '../helpers/rtp-endpoint.js';

const PCMU: LegCodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: null, dtmfPayloadType: 101 };
const OPUS: LegCodecSpec = { name: 'opus', payloadType: 96, clockRate: 48000, channels: 2, dtmfPayloadType: 101 };

/** A leg pointed at a phone whose socket only records the RTP packets the PBX sends it. */
function recordingLeg(id: string): { leg: Leg; sent: Buffer[] } {
  const sent: Buffer[] = [];
  const rtp = { send: (b: Buffer, off: number, len: number) => sent.push(Buffer.from(b.subarray(off, off + len))), close: () => undefined };
  const rtcp = { send: () => undefined, close: () => undefined };
  const leg = new Leg(id, 0, rtp as unknown as Socket, rtcp as unknown as Socket);
  leg.sendAddress = '127.0.0.1';
  leg.sendPort = 9;
  return { leg, sent };
}

/** pcm cut into 20 ms frames, each encoded by a fresh phone codec and wrapped in an RTP packet. */
function phonePackets(codec: LegCodecSpec, pcm: Int16Array): Buffer[] {
  const enc = createCodec(codec.name, codec.clockRate, codec.channels)!;
  const buf = new Uint8Array(OPUS_MAX_PACKET);
  const out: Buffer[] = [];
  const frame = enc.frameSamples;
  for (let f = 0, i = 0; f + frame <= pcm.length; f += frame, i++) {
    const n = enc.encode(pcm.subarray(f, f + frame), buf);
    const p = Buffer.alloc(12 + n);
    p[0] = 0x80;
    p[1] = codec.payloadType;
    p.writeUInt16BE(i & 0xffff, 2);
    p.writeUInt32BE((i * enc.timestampStep) >>> 0, 4);
    p.writeUInt32BE(0x1234 + codec.payloadType, 8);
    p.set(buf.subarray(0, n), 12);
    out.push(p);
  }
  enc.close();
  return out;
}

/** Decodes the payloads of the PBX's packets with a fresh codec as the phone would. */
function phoneHears(codec: LegCodecSpec, packets: Buffer[]): Int16Array {
  const dec = createCodec(codec.name, codec.clockRate, codec.channels)!;
  const pcm = new Int16Array(5760);
  const frames = packets.map((p) => pcm.slice(0, dec.decode(p.subarray(12), pcm)));
  dec.close();
  return concat(...frames);
}

/** [timestamp step, sequence step] from each packet to the next. */
function steps(packets: Buffer[]): [number, number][] {
  return packets.slice(1).map((p, i) => [(p.readUInt32BE(4) - packets[i]!.readUInt32BE(4)) >>> 0, (p.readUInt16BE(2) - packets[i]!.readUInt16BE(2)) & 0xffff]);
}

const corr = (r: { median: number; blocks: number[] }): string => `r=${r.blocks.map((b) => b.toFixed(2)).join(' ')}`;

t.test('a PCMU leg and an Opus leg coded at 8 kHz: each phone hears the other, nothing resampled, RTP steps right, heard is 16 kHz', async (t) => {
  const a = recordingLeg('a');
  const b = recordingLeg('b');
  const pcmu = DecodedLeg.create(a.leg, PCMU)!;
  const opus = DecodedLeg.create(b.leg, OPUS, 8000)!;
  t.teardown(() => {
    pcmu.close();
    opus.close();
  });
  t.equal(pcmu.pcmRate, 8000);
  t.equal(opus.pcmRate, 8000, 'the Opus leg decodes and encodes at 8 kHz');

  const seconds = 1.6;
  const speechA = speechLike(8000, seconds);
  const speechB = speechLike(48000, seconds + 0.25).subarray(Math.round(0.25 * 48000));
  const fromA = phonePackets(PCMU, speechA);
  const fromB = phonePackets(OPUS, speechB);
  const heardA: Int16Array[] = [];
  const heardB: Int16Array[] = [];
  let direct = 0;
  let silentHeard = 0;
  let now = 1000;
  for (let k = 0; k < fromA.length + 10; k++, now += 20) {
    if (k < fromA.length) pcmu.receive(fromA[k]!, now);
    if (k < fromB.length) opus.receive(fromB[k]!, now);
    pcmu.pull(now);
    opus.pull(now);
    if (!pcmu.heardValid && pcmu.heard.every((v) => v === 0)) silentHeard++;
    // As a recorder reads them: 20 ms at 16 kHz from each leg, read twice to show it is made once a tick.
    if (pcmu.heardValid) {
      const first = pcmu.heard.slice();
      if (!pcmu.heard.every((v, i) => v === first[i])) t.fail(`tick ${k}: a second read of heard differs`);
      heardA.push(first);
    }
    if (opus.heardValid) heardB.push(opus.heard.slice());
    const toA = opus.frameFor(pcmu.pcmRate);
    const toB = pcmu.frameFor(opus.pcmRate);
    if (toA === opus.decodedFrame && toB === pcmu.decodedFrame) direct++;
    pcmu.send(toA);
    opus.send(toB);
  }
  t.ok(silentHeard > 0, 'before the jitter buffer plays out, heard is silence');
  t.same(new Set([...heardA, ...heardB].map((f) => f.length)), new Set([320]), 'heard is 20 ms at 16 kHz');
  t.ok(direct > fromA.length * 0.9, `each leg is given the other's frame as decoded, no 16 kHz step (${direct} ticks)`);

  const atB = blockCorrelation(speechA, fromFirstSound(decimate(phoneHears(OPUS, b.sent), 6)), 2000, 1200);
  t.ok(atB.median > 0.85, `the Opus phone hears the PCMU phone: ${corr(atB)}`);
  const atA = blockCorrelation(decimate(speechB, 6), fromFirstSound(phoneHears(PCMU, a.sent)), 2000, 1200);
  t.ok(atA.median > 0.85, `the PCMU phone hears the Opus phone: ${corr(atA)}`);
  t.ok(b.sent.slice(1).every((p) => p[12]! >> 3 <= 3), 'the Opus packets are SILK narrowband (RFC 6716 3.1)');

  t.same(steps(b.sent).filter(([ts, seq]) => ts !== 960 || seq !== 1), [], 'Opus: timestamp +960 per 20 ms on the 48 kHz clock (RFC 7587 4.1), sequence +1');
  t.same(steps(a.sent).filter(([ts, seq]) => ts !== 160 || seq !== 1), [], 'PCMU: timestamp +160 per 20 ms, sequence +1');
  t.equal(new Set(b.sent.map((p) => p.readUInt32BE(8))).size, 1, 'one SSRC');

  const recordedA = blockCorrelation(speechA, fromFirstSound(decimate(concat(...heardA), 2)), 2000, 1200);
  t.ok(recordedA.median > 0.85, `heard of the PCMU leg, at 16 kHz, is what its phone said: ${corr(recordedA)}`);
  const recordedB = blockCorrelation(decimate(speechB, 6), fromFirstSound(decimate(concat(...heardB), 2)), 2000, 1200);
  t.ok(recordedB.median > 0.85, `heard of the Opus leg, at 16 kHz, is what its phone said: ${corr(recordedB)}`);
});

t.test('a 16 kHz frame (a prompt) sent on an Opus leg coded at 8 kHz is resampled and still arrives', async (t) => {
  const b = recordingLeg('b');
  const opus = DecodedLeg.create(b.leg, OPUS, 8000)!;
  t.teardown(() => opus.close());
  const prompt = sine(16000, 700, 8000, 16000);
  for (let f = 0; f + 320 <= prompt.length; f += 320) opus.send(prompt.subarray(f, f + 320));
  const heard = new OpusCodec({ sampleRate: 8000 });
  const pcm = new Int16Array(160);
  const out = concat(...b.sent.map((p) => pcm.slice(0, heard.decode(p.subarray(12), pcm))));
  heard.close();
  const c = blockCorrelation(sine(8000, 700, 8000, 8000).subarray(400), out.subarray(400), 1000, 200);
  t.ok(c.median > 0.85, `the phone hears the 700 Hz prompt: ${corr(c)}`);
});

t.test('in-band digits on a PCMU leg are detected at 8 kHz on the decoded frame', async (t) => {
  const a = recordingLeg('a');
  const pcmu = DecodedLeg.create(a.leg, { ...PCMU, dtmfPayloadType: null })!;
  t.teardown(() => pcmu.close());
  // Digit 5 (770 + 1336 Hz, ITU-T Q.23) for 100 ms, then 200 ms of silence.
  const tone = sine(8000, 770, 6000, 800);
  const high = sine(8000, 1336, 6000, 800);
  const pcm = new Int16Array(8000 * 0.3);
  for (let i = 0; i < tone.length; i++) pcm[i] = (tone[i]! + high[i]!) >> 1;
  const packets = phonePackets(PCMU, pcm);
  const digits: string[] = [];
  let now = 1000;
  for (let k = 0; k < packets.length + 5; k++, now += 20) {
    if (k < packets.length) pcmu.receive(packets[k]!, now);
    pcmu.pull(now);
    for (const d of pcmu.digits) digits.push(d.digit);
    pcmu.digits.length = 0;
  }
  t.same(digits, ['5']);
});
