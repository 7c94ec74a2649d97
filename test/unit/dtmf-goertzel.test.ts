import t from 'tap';
import { InbandDtmfDetector } from '../../src/media/dtmf/goertzel.js';
import { addNoise, concat, detect, digitsOf, dtmfTone, silence, soxDigit, speech, viaG711 } from '../helpers/dtmf-audio.js';
import { tempDir } from '../helpers/temp-dir.js';

const KEYS = '123A456B789C*0#D';
const RATES = [8000, 16000];

/** Digits found in a tone of `key` between silences, fed in 20 ms frames. */
function heard(rate: number, tone: Int16Array, leadMs = 40): string {
  return digitsOf(detect(new InbandDtmfDetector(rate), concat(silence(rate, leadMs), tone, silence(rate, 80))));
}

t.test('sox-made digits, each 70 ms with 60 ms pauses, are all heard once, in order', async (t) => {
  const dir = tempDir(t, 'dtmf-sox');
  for (const rate of RATES) {
    const parts = [silence(rate, 30)];
    for (const k of KEYS) parts.push(soxDigit(dir, rate, k, 70), silence(rate, 60));
    t.equal(digitsOf(detect(new InbandDtmfDetector(rate), concat(...parts))), KEYS, `${rate} Hz`);
  }
});

t.test('digits that went through G.711 u-law and A-law (sox) with noise are all heard', async (t) => {
  const dir = tempDir(t, 'dtmf-g711');
  const parts = [silence(8000, 30)];
  for (const k of KEYS) parts.push(dtmfTone(8000, k, 50, { rowDbm0: -20, colDbm0: -18 }), silence(8000, 50));
  const pcm = addNoise(concat(...parts), -40, 9);
  for (const law of ['u-law', 'a-law'] as const) t.equal(digitsOf(detect(new InbandDtmfDetector(8000), viaG711(dir, pcm, law))), KEYS, law);
});

t.test('digits under white noise at 20 and 15 dB SNR are all heard, and noise alone gives none', async (t) => {
  for (const rate of RATES) {
    const parts = [silence(rate, 30)];
    for (const k of KEYS) parts.push(dtmfTone(rate, k, 50), silence(rate, 50));
    const clean = concat(...parts);
    // Each tone at -10 dBm0: the pair is at -7 dBm0.
    t.equal(digitsOf(detect(new InbandDtmfDetector(rate), addNoise(clean, -27, 3))), KEYS, `${rate} Hz, 20 dB`);
    t.equal(digitsOf(detect(new InbandDtmfDetector(rate), addNoise(clean, -22, 4))), KEYS, `${rate} Hz, 15 dB`);
    t.equal(digitsOf(detect(new InbandDtmfDetector(rate), addNoise(silence(rate, 3000), -10, 5))), '', `${rate} Hz, loud noise alone`);
  }
});

t.test('tones shorter than 30 ms are never heard; 40 ms tones always are, wherever they start', async (t) => {
  for (const rate of RATES) {
    const count = (ms: number): number => {
      let n = 0;
      for (let i = 0; i < 40; i++) n += heard(rate, dtmfTone(rate, KEYS[i % 16]!, ms), 40 + i * 0.625).length;
      return n;
    };
    t.equal(count(20), 0, `${rate} Hz, 20 ms`);
    t.equal(count(25), 0, `${rate} Hz, 25 ms`);
    t.equal(count(28), 0, `${rate} Hz, 28 ms`);
    t.equal(count(40), 40, `${rate} Hz, 40 ms`);
  }
});

t.test('twist: up to 8 dB normal and 4 dB reverse is heard; 12 dB normal or 8 dB reverse is not', async (t) => {
  for (const rate of RATES) {
    for (const k of ['1', '5', '9', 'D', '0']) {
      t.equal(heard(rate, dtmfTone(rate, k, 60, { rowDbm0: -8, colDbm0: -16 })), k, `${rate} Hz ${k}: high group 8 dB weaker`);
      t.equal(heard(rate, dtmfTone(rate, k, 60, { rowDbm0: -12, colDbm0: -8 })), k, `${rate} Hz ${k}: high group 4 dB stronger`);
      t.equal(heard(rate, dtmfTone(rate, k, 60, { rowDbm0: -8, colDbm0: -20 })), '', `${rate} Hz ${k}: 12 dB normal twist`);
      t.equal(heard(rate, dtmfTone(rate, k, 60, { rowDbm0: -16, colDbm0: -8 })), '', `${rate} Hz ${k}: 8 dB reverse twist`);
    }
  }
});

t.test('absolute level: -25 dBm0 per tone is heard, -36 dBm0 is not', async (t) => {
  for (const rate of RATES) {
    t.equal(heard(rate, dtmfTone(rate, '8', 60, { rowDbm0: -25, colDbm0: -25 })), '8');
    t.equal(heard(rate, dtmfTone(rate, '8', 60, { rowDbm0: -36, colDbm0: -36 })), '');
  }
});

t.test('frequency: tones 1.5% off are heard, 3.5% off are not (Q.24)', async (t) => {
  for (const rate of RATES) {
    for (const k of KEYS) {
      for (const dev of [0.015, -0.015]) t.equal(heard(rate, dtmfTone(rate, k, 60, { rowDeviation: dev, colDeviation: -dev })), k, `${rate} Hz ${k} ${dev}`);
      for (const dev of [0.035, -0.035]) {
        t.equal(heard(rate, dtmfTone(rate, k, 60, { rowDeviation: dev })), '', `${rate} Hz ${k}: low tone ${dev}`);
        t.equal(heard(rate, dtmfTone(rate, k, 60, { colDeviation: dev })), '', `${rate} Hz ${k}: high tone ${dev}`);
      }
    }
  }
});

t.test('one digit per tone: a long tone and a 10 ms break give one; a 50 ms pause gives two', async (t) => {
  for (const rate of RATES) {
    const d = new InbandDtmfDetector(rate);
    const found = detect(d, concat(silence(rate, 20), dtmfTone(rate, '3', 1000)));
    t.same(found.map((f) => f.digit), ['3'], `${rate} Hz, 1 s tone`);
    t.ok(found[0]!.atMs <= 20 + 80, 'heard within 80 ms of its start');
    t.ok(d.active, 'active while the tone lasts');
    t.equal(digitsOf(detect(d, silence(rate, 100))), '');
    t.notOk(d.active, 'inactive after the pause');
    t.equal(heard(rate, concat(dtmfTone(rate, '3', 100), silence(rate, 10), dtmfTone(rate, '3', 100))), '3', `${rate} Hz, 10 ms break`);
    t.equal(heard(rate, concat(dtmfTone(rate, '3', 60), silence(rate, 50), dtmfTone(rate, '3', 60))), '33', `${rate} Hz, 50 ms pause`);
    t.equal(heard(rate, concat(dtmfTone(rate, '3', 60), dtmfTone(rate, '6', 60))), '36', `${rate} Hz, one key straight after another`);
  }
});

t.test('espeak-ng speech in English, Russian and Thai gives no digit; digits after it are still heard', async (t) => {
  const dir = tempDir(t, 'dtmf-speech');
  const text = 'Thank you for calling. For sales, press one. For support, press two. Please hold, your position in the queue is three. Nine eight seven six five four three two one zero. Aaah, eeeh, oooh.';
  for (const rate of RATES) {
    for (const voice of ['en', 'en+f3', 'ru', 'th']) {
      const s = speech(dir, rate, text, voice);
      t.ok(s.length > rate * 5, 'several seconds of speech');
      t.same(detect(new InbandDtmfDetector(rate), s), [], `${rate} Hz ${voice}`);
      t.same(detect(new InbandDtmfDetector(rate), addNoise(s.map((x) => Math.max(-32768, Math.min(32767, x * 3))) as Int16Array, -40)), [], `${rate} Hz ${voice}, 10 dB louder, with noise`);
    }
    const d = new InbandDtmfDetector(rate);
    t.equal(digitsOf(detect(d, concat(speech(dir, rate, 'Press one now.'), dtmfTone(rate, '1', 60), silence(rate, 60)))), '1');
  }
});

t.test('bad arguments throw at once', async (t) => {
  t.throws(() => new InbandDtmfDetector(44100), { code: 'PBX_ERR_DTMF_RATE' });
  const d = new InbandDtmfDetector(8000);
  t.throws(() => d.process(new Int16Array(400), 400), { code: 'PBX_ERR_DTMF_BLOCK' }, 'more than 40 ms');
  t.throws(() => d.process(new Int16Array(100), 160), { code: 'PBX_ERR_DTMF_BLOCK' }, 'more than the array holds');
  t.equal(d.process(new Int16Array(160), 160), null);
});
