import t from 'tap';
import { createCodec } from '../../src/media/codec/index.js';

t.test('L16 runs at the SDP clock rate: 8000, 16000 and 48000 mono, rate / 50 samples per 20 ms', async (t) => {
  for (const rate of [8000, 16000, 48000]) {
    const c = createCodec('l16', rate)!;
    t.equal(c.name, 'L16');
    t.equal(c.clockRate, rate);
    t.equal(c.sampleRate, rate);
    t.equal(c.frameSamples, rate / 50);
    t.equal(c.timestampStep, rate / 50);
  }
  t.equal(createCodec('L16', 44100), null);
  t.equal(createCodec('L16', 8000, 2), null, 'stereo is not supported');
});

t.test('L16 samples go out big-endian (RFC 3551 4.5.11)', async (t) => {
  const c = createCodec('L16', 8000)!;
  const out = new Uint8Array(6);
  t.equal(c.encode(new Int16Array([0x1234, -2, -32768]), out), 6);
  t.same([...out], [0x12, 0x34, 0xff, 0xfe, 0x80, 0x00]);
  const pcm = new Int16Array(3);
  t.equal(c.decode(out, pcm), 3);
  t.same([...pcm], [0x1234, -2, -32768]);
});

t.test('an L16 frame round-trips exactly', async (t) => {
  const c = createCodec('L16', 48000)!;
  const pcm = new Int16Array(960);
  for (let i = 0; i < 960; i++) pcm[i] = (i * 2731) % 65536 - 32768;
  const payload = new Uint8Array(1920);
  t.equal(c.encode(pcm, payload), 1920);
  const out = new Int16Array(960);
  t.equal(c.decode(payload, out), 960);
  t.same(out, pcm);
});

t.test('a bad L16 payload decodes to -1, never a throw', async (t) => {
  const c = createCodec('L16', 16000)!;
  const out = new Int16Array(320);
  t.equal(c.decode(new Uint8Array(0), out), -1, 'empty');
  t.equal(c.decode(new Uint8Array(3), out), -1, 'odd length');
  t.equal(c.decode(new Uint8Array(642), out), -1, 'longer than the output');
  t.equal(c.conceal(out, null), 320);
  c.reset();
  c.close();
  c.close();
});
