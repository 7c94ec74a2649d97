import t from 'tap';
import { createCodec } from '../../src/media/codec/index.js';
import { opusBindingName } from '../../src/media/codec/opus-binding.js';
import { OPUS_MAX_PACKET, OpusCodec, opusPacketSamples } from '../../src/media/codec/opus.js';
import { bestLag, rms, sine, snrDb, speechLike } from '../helpers/audio.js';

const BINDINGS = ['native', 'opusscript'] as const;

/** Correlation of the 20 ms RMS levels of a and of b delayed by lag. */
function envelopeCorrelation(a: Int16Array, b: Int16Array, lag: number): number {
  const x: number[] = [];
  const y: number[] = [];
  for (let f = 4800; f + 960 + lag <= b.length; f += 960) {
    x.push(rms(a, f, f + 960));
    y.push(rms(b, f + lag, f + lag + 960));
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
  for (let f = 0; f + 960 <= pcm.length; f += 960) {
    const n = c.encode(pcm.subarray(f, f + 960), packet);
    sizes.push(n);
    if (c.decode(packet.subarray(0, n), out.subarray(f, f + 960)) !== 960) throw new Error('decode failed');
  }
  return { out, sizes };
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

t.test('the native binding is the default and TSPBX_OPUS=opusscript forces the fallback', async (t) => {
  const saved = process.env.TSPBX_OPUS;
  t.teardown(() => {
    if (saved === undefined) delete process.env.TSPBX_OPUS;
    else process.env.TSPBX_OPUS = saved;
  });
  delete process.env.TSPBX_OPUS;
  t.equal(opusBindingName(), 'native');
  t.equal(new OpusCodec().binding, 'native');
  process.env.TSPBX_OPUS = 'opusscript';
  t.equal(opusBindingName(), 'opusscript');
  const c = new OpusCodec();
  t.equal(c.binding, 'opusscript');
  c.close();
});

for (const binding of BINDINGS) {
  t.test(`${binding}: a 1 kHz tone comes through opus with SNR above 15 dB`, async (t) => {
    const c = new OpusCodec({ binding });
    const pcm = sine(48000, 1000, 8000, 48000);
    const { out } = roundTrip(c, pcm);
    // Opus (SILK) keeps the spectrum, not the phase: compare at the best alignment.
    const snr = snrDb(pcm, out, bestLag(pcm, out, 480), 4800);
    t.ok(snr > 15, `SNR ${snr.toFixed(1)} dB`);
    c.close();
  });

  t.test(`${binding}: speech keeps its loudness contour through opus at about 32 kbit/s`, async (t) => {
    const c = new OpusCodec({ binding });
    const pcm = speechLike(48000, 2);
    const { out, sizes } = roundTrip(c, pcm);
    const lag = bestLag(pcm, out, 480);
    const snr = snrDb(pcm, out, lag, 4800);
    const corr = envelopeCorrelation(pcm, out, lag);
    t.comment(`${binding}: speech-like SNR ${snr.toFixed(1)} dB at lag ${lag}, envelope correlation ${corr.toFixed(3)}`);
    t.ok(corr > 0.95, `20 ms level envelope correlation ${corr.toFixed(3)}`);
    t.ok(snr > 5, `SNR ${snr.toFixed(1)} dB`);
    const kbps = (sizes.reduce((a, b) => a + b) * 8) / 2 / 1000;
    t.ok(kbps > 16 && kbps < 64, `bitrate ${kbps.toFixed(1)} kbit/s near the 32 kbit/s target`);
    t.ok(sizes.every((n) => n > 0 && n <= OPUS_MAX_PACKET));
    c.close();
    c.close();
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

t.test('the native and opusscript bindings decode each other', async (t) => {
  const n = new OpusCodec({ binding: 'native' });
  const s = new OpusCodec({ binding: 'opusscript' });
  const pcm = speechLike(48000, 1);
  const packet = new Uint8Array(OPUS_MAX_PACKET);
  const out = new Int16Array(pcm.length);
  for (let f = 0; f < pcm.length; f += 960) {
    const len = n.encode(pcm.subarray(f, f + 960), packet);
    t.equal(s.decode(packet.subarray(0, len), out.subarray(f, f + 960)), 960);
  }
  t.ok(envelopeCorrelation(pcm, out, bestLag(pcm, out, 480)) > 0.95);
  n.close();
  s.close();
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
