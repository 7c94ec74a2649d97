// Call quality for the CDR: a media leg's reception statistics (what the phone sent the PBX) turned
// into loss %, jitter, RTT and an estimated MOS.
import type { LegStats } from '../media/engine.js';
import { estimateMos } from '../media/quality.js';
import type { LegQuality } from '../store/types.js';

/** The quality of one leg; null when its phone sent no RTP (nothing was measured). */
export function legQuality(stats: LegStats, codec: string): LegQuality | null {
  const expected = stats.rtpReceived + stats.packetsLost;
  if (expected === 0) return null;
  const lossPct = (stats.packetsLost * 100) / expected;
  return {
    loss_pct: round(lossPct, 2),
    jitter_ms: round(stats.jitterMs, 1),
    rtt_ms: stats.rttMs === null ? null : round(stats.rttMs, 0),
    mos: round(estimateMos({ lossPct, jitterMs: stats.jitterMs, rttMs: stats.rttMs, codec }), 2),
  };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The promise's value, or null after ms or when it rejects (onError is told once); never rejects. */
export function withDeadline<T>(p: Promise<T>, ms: number, onError: (err: unknown) => void): Promise<T | null> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (value: T | null, err?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err !== undefined) onError(err);
      resolve(value);
    };
    const timer = setTimeout(() => settle(null, new Error(`no answer in ${ms} ms`)), ms);
    p.then(
      (value) => settle(value),
      (err: unknown) => settle(null, err ?? new Error('rejected')),
    );
  });
}
