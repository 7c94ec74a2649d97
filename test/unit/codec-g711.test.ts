import t from 'tap';
import { createCodec, TRANSCODABLE } from '../../src/media/codec/index.js';
import { ALAW_DECODE, ALAW_ENCODE } from '../../src/media/codec/pcma.js';
import { MULAW_DECODE, MULAW_ENCODE } from '../../src/media/codec/pcmu.js';

const enc = (table: Uint8Array, x: number): number => table[x & 0xffff];

t.test('mu-law codes of known samples follow G.711 (silence is 0xff, full scale 0x80/0x00)', async (t) => {
  t.equal(enc(MULAW_ENCODE, 0), 0xff);
  t.equal(enc(MULAW_ENCODE, -1), 0x7f);
  t.equal(enc(MULAW_ENCODE, 32767), 0x80);
  t.equal(enc(MULAW_ENCODE, -32768), 0x00);
  t.equal(enc(MULAW_ENCODE, 1000), 0xce);
  t.equal(enc(MULAW_ENCODE, -1000), 0x4e);
  t.equal(MULAW_DECODE[0xff], 0);
  t.equal(MULAW_DECODE[0x80], 32124);
  t.equal(MULAW_DECODE[0x00], -32124);
  t.equal(MULAW_DECODE[0xce], 988);
});

t.test('A-law codes of known samples follow G.711 (even bits inverted, silence is 0xd5)', async (t) => {
  t.equal(enc(ALAW_ENCODE, 0), 0xd5);
  t.equal(enc(ALAW_ENCODE, -1), 0x55);
  t.equal(enc(ALAW_ENCODE, 32767), 0xaa);
  t.equal(enc(ALAW_ENCODE, -32768), 0x2a);
  t.equal(enc(ALAW_ENCODE, 1000), 0xfa);
  t.equal(ALAW_DECODE[0xd5], 8);
  t.equal(ALAW_DECODE[0x55], -8);
  t.equal(ALAW_DECODE[0xaa], 32256);
  t.equal(ALAW_DECODE[0x2a], -32256);
  t.equal(ALAW_DECODE[0xfa], 1008);
});

t.test('every G.711 code decodes to a value that encodes back to the same code', async (t) => {
  let badU = 0;
  let badA = 0;
  for (let c = 0; c < 256; c++) {
    // mu-law 0x7f is negative zero: it decodes to 0, which encodes as positive zero 0xff.
    if (c !== 0x7f && enc(MULAW_ENCODE, MULAW_DECODE[c]) !== c) badU++;
    if (enc(ALAW_ENCODE, ALAW_DECODE[c]) !== c) badA++;
  }
  t.equal(badU, 0);
  t.equal(badA, 0);
});

t.test('G.711 encoding is monotonic and its error stays within half a quantisation step', async (t) => {
  for (const [name, e, d] of [
    ['PCMU', MULAW_ENCODE, MULAW_DECODE],
    ['PCMA', ALAW_ENCODE, ALAW_DECODE],
  ] as const) {
    let prev = -Infinity;
    let monotonic = true;
    let worst = 0;
    for (let x = -32768; x <= 32767; x++) {
      const y = d[enc(e, x)];
      if (y < prev) monotonic = false;
      prev = y;
      // A segment's step is 1/16 of where the segment starts (mu-law counts the 132 bias in), so
      // the decoder's mid-interval value is off by at most 1/32 of the magnitude.
      const err = Math.abs(y - x);
      const allowed = Math.max(16, (Math.abs(x) + 132) / 32) + 1;
      if (Math.abs(x) < 32124 && err > allowed) worst++;
    }
    t.ok(monotonic, `${name} decode(encode(x)) never decreases as x rises`);
    t.equal(worst, 0, `${name} error within the segment's half step`);
  }
});

t.test('createCodec matches names case-insensitively and refuses unknown names and rates', async (t) => {
  const u = createCodec('pcmu', 8000);
  t.ok(u);
  t.equal(u!.name, 'PCMU');
  t.equal(u!.frameSamples, 160);
  t.equal(u!.timestampStep, 160);
  t.equal(createCodec('PcMa', 8000, null)!.name, 'PCMA');
  t.equal(createCodec('PCMU', 16000), null);
  t.equal(createCodec('PCMU', 8000, 2), null);
  t.equal(createCodec('GSM', 8000), null);
  t.ok(TRANSCODABLE.includes('PCMU') && TRANSCODABLE.includes('PCMA'));
});

t.test('a G.711 frame round-trips through encode and decode within the quantisation error', async (t) => {
  for (const name of ['PCMU', 'PCMA']) {
    const c = createCodec(name, 8000)!;
    const pcm = new Int16Array(160);
    for (let i = 0; i < 160; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
    const payload = new Uint8Array(160);
    t.equal(c.encode(pcm, payload), 160);
    const out = new Int16Array(160);
    t.equal(c.decode(payload, out), 160);
    let maxErr = 0;
    for (let i = 0; i < 160; i++) maxErr = Math.max(maxErr, Math.abs(out[i] - pcm[i]));
    t.ok(maxErr <= 256, `${name} max error ${maxErr}`);
    c.close();
    c.close();
  }
});

t.test('a bad G.711 payload decodes to -1, never a throw', async (t) => {
  const c = createCodec('PCMU', 8000)!;
  const out = new Int16Array(160);
  t.equal(c.decode(new Uint8Array(0), out), -1);
  t.equal(c.decode(new Uint8Array(161), out), -1);
});

t.test('G.711 conceals a lost frame with the last one, fading to silence over losses in a row', async (t) => {
  const c = createCodec('PCMA', 8000)!;
  const out = new Int16Array(160);
  t.equal(c.conceal(out, null), 160);
  t.equal(out.every((v) => v === 0), true, 'nothing received yet: silence');
  const payload = new Uint8Array(160).fill(0xaa); // +32256
  c.decode(payload, out);
  c.conceal(out, null);
  t.equal(out[0], 32256);
  c.conceal(out, null);
  t.equal(out[0], 16128);
  c.conceal(out, null);
  c.conceal(out, null);
  c.conceal(out, null);
  t.equal(out[0], 0, 'silence from the fifth loss on');
  c.decode(payload, out);
  c.reset();
  c.conceal(out, null);
  t.equal(out[0], 0, 'reset forgets the last frame');
});
