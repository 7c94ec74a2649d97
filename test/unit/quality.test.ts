import t from 'tap';
import { delayImpairment, estimateMos, mosFromR } from '../../src/media/quality.js';

t.test('G.711 without loss on a short path scores about 4.4', async (t) => {
  const mos = estimateMos({ lossPct: 0, jitterMs: 2, rttMs: 20, codec: 'PCMU' });
  t.ok(mos > 4.3 && mos <= 4.41, `${mos.toFixed(2)}`);
  t.equal(estimateMos({ lossPct: 0, jitterMs: 2, rttMs: 20, codec: 'pcma' }), mos, 'PCMA is G.711 too');
  t.ok(estimateMos({ lossPct: 0, jitterMs: 0, rttMs: null, codec: 'PCMU' }) >= mos, 'an unknown RTT counts as none');
});

t.test('5 % loss scores much lower; 20 % is poor', async (t) => {
  const clean = estimateMos({ lossPct: 0, jitterMs: 2, rttMs: 20, codec: 'PCMU' });
  const five = estimateMos({ lossPct: 5, jitterMs: 2, rttMs: 20, codec: 'PCMU' });
  const twenty = estimateMos({ lossPct: 20, jitterMs: 2, rttMs: 20, codec: 'PCMU' });
  t.ok(five < 4 && clean - five > 0.4, `5 %: ${five.toFixed(2)}`);
  t.ok(twenty < 3, `20 %: ${twenty.toFixed(2)}`);
});

t.test('MOS falls with loss, jitter and delay', async (t) => {
  const base = { lossPct: 1, jitterMs: 5, rttMs: 50, codec: 'PCMU' };
  const mos = estimateMos(base);
  t.ok(estimateMos({ ...base, lossPct: 3 }) < mos);
  t.ok(estimateMos({ ...base, jitterMs: 60 }) < mos);
  t.ok(estimateMos({ ...base, rttMs: 600 }) < estimateMos({ ...base, rttMs: 200 }));
  t.ok(estimateMos({ ...base, rttMs: 600 }) < 4, 'a long delay (over 177 ms one way) costs a lot');
});

t.test('codecs differ in loss robustness; an unknown codec counts as G.711', async (t) => {
  const at = (codec: string): number => estimateMos({ lossPct: 5, jitterMs: 5, rttMs: 40, codec });
  t.ok(at('opus') > at('PCMU'), 'Opus conceals loss better than G.711');
  t.ok(at('G729') < at('PCMU'), 'G.729 starts lower (Ie 11)');
  t.ok(at('G722') > 1 && at('G722') <= 4.5);
  t.equal(at('X-UNKNOWN'), at('PCMU'));
});

t.test('bad numbers do not make a bad MOS', async (t) => {
  const mos = estimateMos({ lossPct: Number.NaN, jitterMs: -5, rttMs: Number.POSITIVE_INFINITY, codec: 'PCMU' });
  t.ok(mos > 4.3 && mos <= 4.5);
  t.equal(estimateMos({ lossPct: 100, jitterMs: 0, rttMs: 0, codec: 'PCMU' }), mosFromR(93.2 - delayImpairment(60) - 95 * (100 / 125.1)));
  t.equal(mosFromR(-5), 1);
  t.equal(mosFromR(120), 4.5);
});
