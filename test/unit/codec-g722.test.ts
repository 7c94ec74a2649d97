import t from 'tap';
import { createCodec } from '../../src/media/codec/index.js';
import { bestLag, sine, snrDb, speechLike } from '../helpers/audio.js';

/** Runs pcm through a fresh G.722 encoder and decoder, 20 ms at a time; returns the decoded audio. */
function roundTrip(pcm: Int16Array): Int16Array {
  const enc = createCodec('G722', 8000)!;
  const dec = createCodec('G722', 8000)!;
  const out = new Int16Array(pcm.length);
  const payload = new Uint8Array(160);
  for (let f = 0; f + 320 <= pcm.length; f += 320) {
    if (enc.encode(pcm.subarray(f, f + 320), payload) !== 160) throw new Error('short frame');
    if (dec.decode(payload, out.subarray(f, f + 320)) !== 320) throw new Error('decode failed');
  }
  return out;
}

t.test('G722 is 16 kHz audio on an 8000 Hz RTP clock: 320 samples, 160 octets, step 160 per 20 ms', async (t) => {
  const c = createCodec('g722', 8000)!;
  t.equal(c.name, 'G722');
  t.equal(c.clockRate, 8000);
  t.equal(c.sampleRate, 16000);
  t.equal(c.frameSamples, 320);
  t.equal(c.timestampStep, 160);
  t.equal(createCodec('G722', 16000), null, 'the SDP rate is 8000 (RFC 3551 4.5.2)');
});

t.test('G722 silence encodes to the idle code words and decodes to near silence', async (t) => {
  const c = createCodec('G722', 8000)!;
  const payload = new Uint8Array(160);
  c.encode(new Int16Array(320), payload);
  // From reset, zero input codes as 0xfa (higher band 3, lower band 58): the initial scale factor
  // is so small that the lowest decision levels round to 0 (ffmpeg's encoder gives the same).
  t.equal(payload[0], 0xfa);
  t.ok(payload.every((b) => b >> 6 === 3), 'higher band: the small positive level throughout');
  const out = new Int16Array(320);
  c.decode(payload, out);
  t.ok(out.every((v) => Math.abs(v) < 16), 'decoded silence stays below 16');
});

t.test('a speech-like signal survives G722 with an SNR above 20 dB after the 22-sample QMF delay', async (t) => {
  const pcm = speechLike(16000, 2);
  const out = roundTrip(pcm);
  t.equal(bestLag(pcm, out, 40), 22, 'transmit plus receive QMF delay is 22 samples');
  const snr = snrDb(pcm, out, 22);
  t.comment(`speech-like G.722 SNR ${snr.toFixed(1)} dB`);
  t.ok(snr > 20, `SNR ${snr.toFixed(1)} dB`);
});

t.test('G722 passes a 1 kHz tone (lower band) and a 5 kHz tone (higher band)', async (t) => {
  for (const [f, floor] of [
    [1000, 25],
    [5000, 10],
  ]) {
    const pcm = sine(16000, f, 8000, 16000);
    const snr = snrDb(pcm, roundTrip(pcm), 22, 1600);
    t.ok(snr > floor, `${f} Hz: SNR ${snr.toFixed(1)} dB > ${floor}`);
  }
});

t.test('G722 decoding is deterministic and reset() starts a fresh stream', async (t) => {
  const c = createCodec('G722', 8000)!;
  const pcm = speechLike(16000, 0.1).subarray(0, 320);
  const a = new Uint8Array(160);
  const b = new Uint8Array(160);
  c.encode(pcm, a);
  c.encode(pcm, b);
  t.not(Buffer.compare(a, b), 0, 'the second frame is coded from adapted state');
  c.reset();
  c.encode(pcm, b);
  t.same(b, a, 'after reset the first frame codes the same again');
});

t.test('a bad G722 payload decodes to -1, never a throw, and concealment fills a frame', async (t) => {
  const c = createCodec('G722', 8000)!;
  const out = new Int16Array(320);
  t.equal(c.decode(new Uint8Array(0), out), -1);
  t.equal(c.decode(new Uint8Array(161), out), -1);
  t.equal(c.decode(new Uint8Array(160).fill(0xff), out), 320, 'any octet is a valid code word');
  t.equal(c.conceal(out, null), 320);
  c.close();
  c.close();
});
