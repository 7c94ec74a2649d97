import t from 'tap';
import { legQuality, withDeadline } from '../../src/calls/quality.js';
import { MediaSession } from '../../src/calls/media-session.js';
import type { CallMedia } from '../../src/calls/deps.js';
import type { LegStats } from '../../src/media/engine.js';
import { memoryLog, type LogLine } from '../helpers/log.js';

function stats(o: Partial<LegStats> = {}): LegStats {
  return {
    rtpReceived: 95,
    rtpBytesReceived: 95 * 172,
    rtpSent: 100,
    rtpBytesSent: 100 * 172,
    rtpDropped: 0,
    rtcpReceived: 0,
    rtcpSent: 0,
    remote: null,
    latched: true,
    ssrc: 1,
    packetsLost: 5,
    jitterMs: 12.34,
    rttMs: 40.6,
    relay: 'native',
    ...o,
  };
}

/** A media engine double: legs L1 (caller) and L2 (callee); stats as the test says. */
function media(getStats?: (legId: string) => Promise<LegStats>): CallMedia {
  let n = 0;
  const m: CallMedia = {
    transcodable: ['PCMU', 'PCMA'],
    setCodec: async () => undefined,
    openLeg: async () => ({ legId: `L${++n}`, port: 20000 + 2 * n }),
    setRemote: async () => undefined,
    bridge: async () => undefined,
    closeLeg: async () => undefined,
  };
  if (getStats !== undefined) m.stats = getStats;
  return m;
}

async function session(m: CallMedia, lines: LogLine[] = []): Promise<MediaSession> {
  const s = new MediaSession(m, '127.0.0.1', 'call-1', memoryLog(lines), { offered: ['PCMU', 'PCMA', 'telephone-event'], transcodable: ['PCMU', 'PCMA'] });
  await s.open();
  return s;
}

t.test('a leg quality: loss over packets expected, rounded figures and a MOS', async (t) => {
  const q = legQuality(stats(), 'PCMU');
  t.same(q, { loss_pct: 5, jitter_ms: 12.3, rtt_ms: 41, mos: q!.mos });
  t.ok(q!.mos > 3.5 && q!.mos < 4.2);
  t.equal(legQuality(stats({ rtpReceived: 0, packetsLost: 0 }), 'PCMU'), null, 'no RTP from the phone: nothing measured');
  t.equal(legQuality(stats({ rttMs: null }), 'PCMU')!.rtt_ms, null);
});

t.test('the media session asks the engine for both legs', async (t) => {
  const asked: string[] = [];
  const s = await session(media(async (legId) => (asked.push(legId), stats(legId === 'L1' ? {} : { packetsLost: 0 }))));
  const q = await s.quality(200);
  t.same(asked.sort(), ['L1', 'L2']);
  t.equal(q!.caller!.loss_pct, 5);
  t.equal(q!.callee!.loss_pct, 0);
});

t.test('stats that never come or fail: null within the deadline, a warning, never a throw', async (t) => {
  const lines: LogLine[] = [];
  const hung = await session(media(() => new Promise(() => {})), lines);
  const started = Date.now();
  t.equal(await hung.quality(50), null);
  t.ok(Date.now() - started < 1000, 'the deadline holds');
  const failing = await session(media(async () => Promise.reject(new Error('worker gone'))), lines);
  t.equal(await failing.quality(50), null);
  t.equal(lines.filter((l) => l.level === 'warn').length, 2, 'one warning each');
  t.equal(await (await session(media())).quality(50), null, 'an engine without stats');
  const closed = await session(media(async () => stats()));
  closed.close();
  t.equal(await closed.quality(50), null, 'legs already closed');
});

t.test('withDeadline tells onError once, even when the promise fails after the deadline', async (t) => {
  const errors: unknown[] = [];
  let reject: (e: Error) => void = () => {};
  const p = new Promise<number>((_, r) => (reject = r));
  t.equal(await withDeadline(p, 10, (e) => errors.push(e)), null);
  reject(new Error('late'));
  await new Promise((r) => setImmediate(r));
  t.equal(errors.length, 1);
  t.equal(await withDeadline(Promise.resolve(7), 10, (e) => errors.push(e)), 7);
});
