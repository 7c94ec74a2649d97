import t from 'tap';
import { createCodec } from '../../src/media/codec/index.js';
import { JitterBuffer } from '../../src/media/jitter.js';
import { opusBindingName, opusBindingSummary } from '../../src/media/codec/opus-binding.js';
import { OPUS_MAX_PACKET, OpusCodec, opusPacketSamples, type OpusOptions } from '../../src/media/codec/opus.js';
import { bestLag, rms, sine, snrDb, speechLike } from '../helpers/audio.js';

const BINDINGS = ['native', 'discordjs', 'opusscript'] as const;

/** Correlation of the 20 ms RMS levels of a and of b delayed by lag (frame: 20 ms of samples). */
function envelopeCorrelation(a: Int16Array, b: Int16Array, lag: number, frame = 960): number {
  const x: number[] = [];
  const y: number[] = [];
  for (let f = 5 * frame; f + frame + lag <= b.length; f += frame) {
    x.push(rms(a, f, f + frame));
    y.push(rms(b, f + lag, f + lag + frame));
  }
  const mean = (v: number[]): number => v.reduce((s, e) => s + e, 0) / v.length;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Encodes and decodes pcm 20 ms at a time; returns the decoded audio and the packet sizes. */
function roundTrip(c: OpusCodec, pcm: Int16Array): { out: Int16Array; sizes: number[] } {
  const out = new Int16Array(pcm.length);
  const packet = new Uint8Array(OPUS_MAX_PACKET);
  const sizes: number[] = [];
  const frame = c.frameSamples;
  for (let f = 0; f + frame <= pcm.length; f += frame) {
    const n = c.encode(pcm.subarray(f, f + frame), packet);
    sizes.push(n);
    if (c.decode(packet.subarray(0, n), out.subarray(f, f + frame)) !== frame) throw new Error('decode failed');
  }
  return { out, sizes };
}

/** 20 ms packets of pcm from a fresh encoder. */
function packetsOf(pcm: Int16Array, o: OpusOptions): Uint8Array[] {
  const c = new OpusCodec(o);
  const buf = new Uint8Array(OPUS_MAX_PACKET);
  const packets: Uint8Array[] = [];
  for (let f = 0; f + c.frameSamples <= pcm.length; f += c.frameSamples) {
    packets.push(buf.slice(0, c.encode(pcm.subarray(f, f + c.frameSamples), buf)));
  }
  c.close();
  return packets;
}

t.test('opus is 48 kHz mono on a 48000 clock (SDP opus/48000/2): 960 samples per 20 ms', async (t) => {
  const c = createCodec('OPUS', 48000, 2)!;
  t.equal(c.name, 'opus');
  t.equal(c.clockRate, 48000);
  t.equal(c.sampleRate, 48000);
  t.equal(c.frameSamples, 960);
  t.equal(c.timestampStep, 960);
  t.ok(createCodec('opus', 48000, null), 'a missing channel count is tolerated');
  t.equal(createCodec('opus', 8000, 2), null);
  c.close();
});

t.test('opus at 16 kHz: 320 samples per 20 ms on the same 48000 clock, timestamp step 960 (RFC 7587 4.1)', async (t) => {
  const c = createCodec('opus', 48000, 2, { sampleRate: 16000 })!;
  t.equal(c.clockRate, 48000);
  t.equal(c.sampleRate, 16000);
  t.equal(c.frameSamples, 320);
  t.equal(c.timestampStep, 960);
  c.close();
  t.equal(createCodec('opus', 48000, 2, { sampleRate: 44100 })!.sampleRate, 48000, 'a rate libopus lacks keeps 48 kHz');
  t.equal(createCodec('PCMU', 8000, 1, { sampleRate: 16000 })!.sampleRate, 8000, 'codecs of one rate keep it');
  t.throws(() => new OpusCodec({ sampleRate: 44100 as 48000 }), { code: 'PBX_ERR_MEDIA_ARGUMENT' });
});

t.test('the native addon is the default; TSPBX_OPUS=discordjs and TSPBX_OPUS=opusscript force the fallbacks', async (t) => {
  const saved = process.env.TSPBX_OPUS;
  t.teardown(() => {
    if (saved === undefined) delete process.env.TSPBX_OPUS;
    else process.env.TSPBX_OPUS = saved;
  });
  delete process.env.TSPBX_OPUS;
  t.equal(opusBindingName(), 'native');
  t.equal(new OpusCodec().binding, 'native');
  t.match(opusBindingSummary(), /^native \(libopus \d/, 'the start-up log names the libopus version');
  process.env.TSPBX_OPUS = 'discordjs';
  t.equal(opusBindingName(), 'discordjs');
  process.env.TSPBX_OPUS = 'opusscript';
  t.equal(opusBindingName(), 'opusscript');
  const c = new OpusCodec();
  t.equal(c.binding, 'opusscript');
  c.close();
});

for (const binding of BINDINGS) {
  for (const rate of [48000, 16000, 8000] as const) {
    const ms = rate / 1000;
    t.test(`${binding} at ${ms} kHz: a 1 kHz tone comes through opus with SNR above 15 dB`, async (t) => {
      const c = new OpusCodec({ binding, sampleRate: rate });
      const pcm = sine(rate, 1000, 8000, rate);
      const { out } = roundTrip(c, pcm);
      // Opus (SILK) keeps the spectrum, not the phase: compare at the best alignment.
      const snr = snrDb(pcm, out, bestLag(pcm, out, 10 * ms, 5 * ms), 100 * ms);
      t.ok(snr > 15, `SNR ${snr.toFixed(1)} dB`);
      c.close();
    });

    t.test(`${binding} at ${ms} kHz: speech keeps its loudness contour through opus at about 32 kbit/s`, async (t) => {
      const c = new OpusCodec({ binding, sampleRate: rate });
      const pcm = speechLike(rate, 1.5);
      const { out, sizes } = roundTrip(c, pcm);
      const lag = bestLag(pcm, out, 10 * ms, 5 * ms);
      const snr = snrDb(pcm, out, lag, 100 * ms);
      const corr = envelopeCorrelation(pcm, out, lag, c.frameSamples);
      t.comment(`${binding} ${ms} kHz: speech-like SNR ${snr.toFixed(1)} dB at lag ${lag}, envelope correlation ${corr.toFixed(3)}`);
      t.ok(corr > 0.95, `20 ms level envelope correlation ${corr.toFixed(3)}`);
      t.ok(snr > 5, `SNR ${snr.toFixed(1)} dB`);
      const kbps = (sizes.reduce((a, b) => a + b) * 8) / 1.5 / 1000;
      t.ok(kbps > 16 && kbps < 64, `bitrate ${kbps.toFixed(1)} kbit/s near the 32 kbit/s target`);
      t.ok(sizes.every((n) => n > 0 && n <= OPUS_MAX_PACKET));
      c.close();
      c.close();
    });
  }

  t.test(`${binding} at 8 kHz: the encoder codes narrowband (SILK NB TOC, RFC 6716 3.1), 160 samples per 20 ms, timestamp step 960`, async (t) => {
    const c = new OpusCodec({ binding, sampleRate: 8000 });
    t.equal(c.frameSamples, 160);
    t.equal(c.timestampStep, 960);
    const wide = new OpusCodec({ binding, sampleRate: 16000 });
    const tocs = (codec: OpusCodec): number[] => {
      const packet = new Uint8Array(OPUS_MAX_PACKET);
      const pcm = speechLike(codec.sampleRate, 0.5);
      const out: number[] = [];
      for (let f = 0; f + codec.frameSamples <= pcm.length; f += codec.frameSamples) {
        codec.encode(pcm.subarray(f, f + codec.frameSamples), packet);
        out.push(packet[0]! >> 3);
      }
      return out;
    };
    t.ok(tocs(c).every((config) => config <= 3), 'every packet is SILK narrowband (configurations 0-3)');
    t.ok(tocs(wide).every((config) => config > 3), 'at 16 kHz none is narrowband');
    c.close();
    wide.close();
  });

  t.test(`${binding}: packets carry a 20 ms mono TOC`, async (t) => {
    const c = new OpusCodec({ binding });
    const packet = new Uint8Array(OPUS_MAX_PACKET);
    const n = c.encode(sine(48000, 440, 8000, 960), packet);
    t.equal(packet[0] & 4, 0, 'stereo bit clear');
    t.equal(packet[0] & 3, 0, 'one frame');
    t.equal(opusPacketSamples(packet.subarray(0, n)), 960);
    c.close();
  });

  t.test(`${binding}: bad payloads decode to -1 and never throw`, async (t) => {
    const c = new OpusCodec({ binding });
    const out = new Int16Array(960);
    t.equal(c.decode(new Uint8Array(0), out), -1, 'empty');
    t.equal(c.decode(new Uint8Array([0xff, 0xff, 0xff]), out), -1, 'CELT code 3 with 63 frames');
    t.equal(c.decode(new Uint8Array([0x0b << 3 | 1, 1, 2]), out), -1, 'code 1 with odd length');
    t.equal(c.decode(new Uint8Array([0x0a << 3, 0]), out), -1, '60 ms does not fit a 20 ms frame');
    t.equal(c.decode(new Uint8Array([0x0b << 3 | 2, 253]), out), -1, 'code 2 cut inside its length');
    let survived = 0;
    let seed = 7;
    const junk = new Uint8Array(200);
    for (let i = 0; i < 500; i++) {
      for (let j = 0; j < junk.length; j++) junk[j] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      const r = c.decode(junk.subarray(0, 1 + (i % 199)), out);
      if (r === -1 || r === 960 || r < 960) survived++;
    }
    t.equal(survived, 500, 'random packets give -1 or a frame, never a throw');
    c.close();
  });

  t.test(`${binding}: a wrong frame size or a short output throws before reaching libopus`, async (t) => {
    const c = new OpusCodec({ binding });
    t.throws(() => c.encode(new Int16Array(959), new Uint8Array(OPUS_MAX_PACKET)), { code: 'PBX_ERR_MEDIA_ARGUMENT' });
    t.throws(() => c.encode(new Int16Array(960), new Uint8Array(100)), { code: 'PBX_ERR_MEDIA_ARGUMENT' });
    t.throws(() => new OpusCodec({ binding, bitrate: 1 }), { code: 'PBX_ERR_MEDIA_ARGUMENT' });
    t.throws(() => new OpusCodec({ binding, complexity: 11 }), { code: 'PBX_ERR_MEDIA_ARGUMENT' });
    c.close();
    t.throws(() => c.encode(new Int16Array(960), new Uint8Array(OPUS_MAX_PACKET)), { code: 'PBX_ERR_MEDIA_CLOSED' });
  });

  t.test(`${binding}: a lost frame is concealed from the signal before it, not silence`, async (t) => {
    const c = new OpusCodec({ binding });
    const out = new Int16Array(960);
    t.equal(c.conceal(out, null), 960);
    t.equal(rms(out), 0, 'nothing received yet: silence');
    const tone = sine(48000, 440, 8000, 960 * 11);
    roundTrip(c, tone.subarray(0, 960 * 10));
    t.equal(c.conceal(out, null), 960);
    const level = rms(out);
    t.ok(level > 0.3 * rms(tone), `concealed level ${level.toFixed(0)} continues the tone`);
    const packet = new Uint8Array(OPUS_MAX_PACKET);
    const n = c.encode(tone.subarray(960 * 10), packet);
    t.equal(c.decode(packet.subarray(0, n), out), 960, 'decoding goes on after a loss');
    c.close();
  });

  t.test(`${binding}: reset() forgets the stream and coding goes on`, async (t) => {
    const c = new OpusCodec({ binding });
    const tone = sine(48000, 440, 8000, 960 * 5);
    roundTrip(c, tone);
    c.reset();
    const out = new Int16Array(960);
    c.conceal(out, null);
    t.equal(rms(out), 0, 'no packet since the reset: concealment is silence');
    const { out: after } = roundTrip(c, tone);
    t.ok(rms(after, 960 * 2) > 0.5 * rms(tone), 'a fresh stream decodes');
    c.close();
  });
}

t.test('the bindings decode each other, and a 48 kHz stream decodes at 16 kHz and back', async (t) => {
  const pairs: [OpusOptions, OpusOptions][] = [
    [{ binding: 'native' }, { binding: 'opusscript' }],
    [{ binding: 'opusscript' }, { binding: 'native' }],
    [{ binding: 'discordjs' }, { binding: 'native' }],
    [{ binding: 'native', sampleRate: 48000 }, { binding: 'native', sampleRate: 16000 }],
    [{ binding: 'native', sampleRate: 16000 }, { binding: 'discordjs', sampleRate: 48000 }],
  ];
  for (const [from, to] of pairs) {
    const encoder = new OpusCodec(from);
    const decoder = new OpusCodec(to);
    const frame = decoder.frameSamples;
    const pcm = speechLike(encoder.sampleRate, 1);
    const reference = speechLike(decoder.sampleRate, 1);
    const packet = new Uint8Array(OPUS_MAX_PACKET);
    const out = new Int16Array(reference.length);
    let decoded = 0;
    for (let f = 0; f < 50; f++) {
      const len = encoder.encode(pcm.subarray(f * encoder.frameSamples), packet);
      decoded += decoder.decode(packet.subarray(0, len), out.subarray(f * frame, f * frame + frame));
    }
    const label = `${from.binding} ${encoder.sampleRate} Hz -> ${to.binding} ${decoder.sampleRate} Hz`;
    t.equal(decoded, 50 * frame, `${label}: every packet decodes to 20 ms`);
    const corr = envelopeCorrelation(reference, out, bestLag(reference, out, frame / 2, frame / 4), frame);
    t.ok(corr > 0.95, `${label}: envelope correlation ${corr.toFixed(3)}`);
    encoder.close();
    decoder.close();
  }
});

t.test('native: a lost frame comes back from the next packet\'s in-band FEC, far closer than PLC', async (t) => {
  for (const rate of [16000, 48000] as const) {
    const frame = rate / 50;
    const packets = packetsOf(speechLike(rate, 3), { binding: 'native', sampleRate: rate, packetLossPercent: 20 });
    const reference = new OpusCodec({ binding: 'native', sampleRate: rate });
    const withFec = new OpusCodec({ binding: 'native', sampleRate: rate });
    const plcOnly = new OpusCodec({ binding: 'native', sampleRate: rate });
    const ref = new Int16Array(frame);
    const a = new Int16Array(frame);
    const b = new Int16Array(frame);
    let fecDb = 0;
    let plcDb = 0;
    let lost = 0;
    for (let k = 0; k + 1 < packets.length; k++) {
      reference.decode(packets[k]!, ref);
      if (k % 7 !== 3) {
        withFec.decode(packets[k]!, a);
        plcOnly.decode(packets[k]!, b);
        continue;
      }
      t.equal(withFec.conceal(a, packets[k + 1]!), frame);
      t.equal(plcOnly.conceal(b, null), frame);
      if (rms(ref) < 100) continue; // a pause: nothing to compare
      fecDb += snrDb(ref, a);
      plcDb += snrDb(ref, b);
      lost++;
    }
    fecDb /= lost;
    plcDb /= lost;
    // Against the lossless decode of the same frame: measured near 20 dB (FEC) and 4 dB (PLC).
    t.ok(lost >= 10, `${lost} lost frames of speech compared`);
    t.ok(fecDb > plcDb + 8, `${rate} Hz: recovered frame SNR ${fecDb.toFixed(1)} dB with FEC, ${plcDb.toFixed(1)} dB with PLC`);
    reference.close();
    withFec.close();
    plcOnly.close();
  }
});

t.test('expectLoss sizes the in-band FEC: none at 0% (smaller packets), FEC again once loss is reported', async (t) => {
  const speech = speechLike(16000, 2);
  const meanBytes = (c: OpusCodec): number => {
    const out = new Uint8Array(OPUS_MAX_PACKET);
    let bytes = 0;
    for (let k = 0; k < 100; k++) bytes += c.encode(speech.subarray(k * 320, k * 320 + 320), out);
    return bytes / 100;
  };
  const codec = new OpusCodec({ binding: 'native', sampleRate: 16000 });
  codec.expectLoss(0);
  const clean = meanBytes(codec);
  codec.expectLoss(12.5);
  const lossy = meanBytes(codec);
  t.ok(lossy > clean * 1.2, `mean packet ${clean.toFixed(0)} B without FEC, ${lossy.toFixed(0)} B with 12.5% reported`);
  const lost = new Uint8Array(OPUS_MAX_PACKET);
  codec.encode(speech.subarray(0, 320), lost);
  const next = lost.slice(0, codec.encode(speech.subarray(320, 640), lost));
  const decoder = new OpusCodec({ binding: 'native', sampleRate: 16000 });
  t.equal(decoder.conceal(new Int16Array(320), next), 320, 'the frame before a packet with FEC is recovered');
  t.doesNotThrow(() => codec.expectLoss(Number.NaN), 'a bad figure is taken as no loss');
  codec.close();
  decoder.close();
});

t.test('setComplexity changes the encoder between frames: packets as from an encoder made at that complexity', async (t) => {
  const speech = speechLike(16000, 2);
  const encodeAll = (c: OpusCodec): string[] => {
    const out = new Uint8Array(OPUS_MAX_PACKET);
    const packets: string[] = [];
    for (let k = 0; k < 50; k++) packets.push(Buffer.from(out.subarray(0, c.encode(speech.subarray(k * 320, k * 320 + 320), out))).toString('hex'));
    return packets;
  };
  const lowered = new OpusCodec({ binding: 'native', sampleRate: 16000, complexity: 3 });
  lowered.setComplexity(0);
  t.equal(lowered.complexity, 0);
  const made0 = new OpusCodec({ binding: 'native', sampleRate: 16000, complexity: 0 });
  const made3 = new OpusCodec({ binding: 'native', sampleRate: 16000, complexity: 3 });
  const a = encodeAll(lowered);
  t.same(a, encodeAll(made0), 'lowered to 0: the packets of an encoder made at 0');
  t.notSame(a, encodeAll(made3), 'and not those of complexity 3');
  lowered.setComplexity(3);
  t.equal(encodeAll(lowered).length, 50, 'raised again mid-stream, it goes on encoding');
  t.throws(() => lowered.setComplexity(11), { code: 'PBX_ERR_MEDIA_ARGUMENT' });
  t.throws(() => lowered.setComplexity(1.5), { code: 'PBX_ERR_MEDIA_ARGUMENT' });
  for (const c of [lowered, made0, made3]) c.close();
  t.throws(() => lowered.setComplexity(1), { code: 'PBX_ERR_MEDIA_CLOSED' });
});

t.test('through the jitter buffer as a decoded leg reads it: a dropped RTP packet is recovered from FEC', async (t) => {
  const packets = packetsOf(speechLike(16000, 2), { binding: 'native', sampleRate: 16000, packetLossPercent: 20 });
  const dropped = new Set([12, 30, 31, 47, 64, 83]);
  /** Plays the stream through a jitter buffer (minus the dropped packets) into one PCM array. */
  const playOut = (drop: Set<number>, withNext: boolean): Int16Array => {
    const jb = new JitterBuffer({ clockRate: 48000, timestampStep: 960 });
    const codec = createCodec('opus', 48000, 2, { sampleRate: 16000 })!;
    const pcm = new Int16Array(320 * (packets.length + 10));
    const frame = new Int16Array(5760);
    let at = 0;
    for (let tick = 0; tick < packets.length + 10; tick++) {
      const now = tick * 20;
      if (tick < packets.length && !drop.has(tick)) {
        const p = packets[tick]!;
        const rtp = new Uint8Array(12 + p.length);
        rtp[0] = 0x80;
        rtp[1] = 111;
        new DataView(rtp.buffer).setUint16(2, tick);
        new DataView(rtp.buffer).setUint32(4, tick * 960);
        rtp.set(p, 12);
        jb.push(rtp, rtp.length, now);
      }
      const f = jb.pop(now);
      let n = 0;
      if (f.kind === 'audio') n = codec.decode(f.payload, frame);
      else if (f.kind === 'lost') n = codec.conceal(frame, withNext ? f.next : null);
      else if (at === 0) continue; // before the playout starts
      if (n === 320) pcm.set(frame.subarray(0, 320), at);
      at += 320;
    }
    codec.close();
    return pcm.subarray(0, at);
  };
  const whole = playOut(new Set(), true);
  const fec = playOut(dropped, true);
  const plc = playOut(dropped, false);
  let fecNoise = 0;
  let plcNoise = 0;
  for (let i = 0; i < whole.length; i++) {
    fecNoise += (whole[i]! - fec[i]!) ** 2;
    plcNoise += (whole[i]! - plc[i]!) ** 2;
  }
  t.ok(fecNoise > 0, 'the loss changed something');
  const gainDb = 10 * Math.log10(plcNoise / fecNoise);
  t.ok(gainDb > 6, `the error against the lossless stream is ${gainDb.toFixed(1)} dB smaller with FEC than with PLC`);
});

t.test('the Buffer bindings cannot decode FEC: a loss with the next packet given is concealed by PLC', async (t) => {
  for (const binding of ['discordjs', 'opusscript'] as const) {
    const packets = packetsOf(speechLike(16000, 1), { binding, sampleRate: 16000 });
    const c = new OpusCodec({ binding, sampleRate: 16000 });
    const out = new Int16Array(320);
    for (let k = 0; k < 10; k++) c.decode(packets[k]!, out);
    t.equal(c.conceal(out, packets[11]!), 320, binding);
    t.equal(c.decode(packets[11]!, out), 320, `${binding}: decoding goes on`);
    c.close();
  }
});

t.test('opusPacketSamples reads the TOC and frame count (RFC 6716 3.1, 3.2)', async (t) => {
  t.equal(opusPacketSamples(new Uint8Array([0x78])), 960, 'hybrid FB 20 ms, code 0');
  t.equal(opusPacketSamples(new Uint8Array([0xf8])), 960, 'CELT FB 20 ms');
  t.equal(opusPacketSamples(new Uint8Array([0x08])), 960, 'SILK NB 20 ms');
  t.equal(opusPacketSamples(new Uint8Array([0x00])), 480, 'SILK NB 10 ms');
  t.equal(opusPacketSamples(new Uint8Array([0x09, 1, 1])), 1920, 'code 1: two frames');
  t.equal(opusPacketSamples(new Uint8Array([0x0a, 1, 9])), 1920, 'code 2: two frames');
  t.equal(opusPacketSamples(new Uint8Array([0xe3, 0x03])), 360, 'code 3: three CELT 2.5 ms frames');
  t.equal(opusPacketSamples(new Uint8Array([0x1b, 0x03])), 8640 > 5760 ? -1 : 8640, 'over 120 ms');
  t.equal(opusPacketSamples(new Uint8Array([0x0b, 0x00])), -1, 'code 3 with no frames');
});
