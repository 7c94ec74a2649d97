// Call quality as a MOS, from a simplified ITU-T G.107 E-model (narrowband scale):
//   R = R0 - Id - Ie,eff            (Is and A left at their defaults: R0 - Is + A = 93.2)
//   Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl)   (G.107 7.4, random loss: BurstR = 1)
//   Id from the one-way delay Ta (the simplified fit of G.107's delay curve by Cole and Rosenbluth)
//   MOS from R by G.107 Annex B (B-4).
// Ie and Bpl per codec follow ITU-T G.113 Appendix I where it has them (G.711 with packet loss
// concealment, G.729); G.722 and Opus have no narrowband figures there and carry estimates.

/** The part of R left when nothing impairs the call: R0 - Is + A with G.107's default values. */
const R_DEFAULT = 93.2;

interface CodecImpairment {
  /** Equipment impairment factor without loss. */
  ie: number;
  /** Packet-loss robustness factor. */
  bpl: number;
  /** Algorithmic delay beyond the 20 ms frame (look-ahead), ms. */
  lookaheadMs: number;
}

const G711: CodecImpairment = { ie: 0, bpl: 25.1, lookaheadMs: 0 };

/** By lower-case SDP encoding name. */
const CODECS: ReadonlyMap<string, CodecImpairment> = new Map([
  ['pcmu', G711],
  ['pcma', G711],
  ['g722', { ie: 0, bpl: 20, lookaheadMs: 1.5 }],
  ['opus', { ie: 0, bpl: 30, lookaheadMs: 6.5 }],
  ['g729', { ie: 11, bpl: 19, lookaheadMs: 5 }],
]);

/** The packetization delay of one 20 ms frame. */
const FRAME_MS = 20;
/** A phone's jitter buffer holds at least this much, and about three times the jitter. */
const MIN_JITTER_BUFFER_MS = 40;
const JITTER_BUFFER_FACTOR = 3;

export interface MosInput {
  /** Packets lost, percent (0..100). */
  lossPct: number;
  /** Interarrival jitter, ms. */
  jitterMs: number;
  /** Round-trip time of the network path, ms; null when unknown (no RTCP). */
  rttMs: number | null;
  /** SDP encoding name: PCMU, PCMA, G722, opus; others count as G.711. */
  codec: string;
}

/** G.107 (simplified): the delay impairment of a one-way mouth-to-ear delay in ms. */
export function delayImpairment(taMs: number): number {
  return 0.024 * taMs + (taMs > 177.3 ? 0.11 * (taMs - 177.3) : 0);
}

/** G.107 Annex B (B-4): R to an estimated mean opinion score, 1..4.5. */
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

/** The transmission rating R of a call leg. */
export function rFactor(o: MosInput): number {
  const c = CODECS.get(o.codec.toLowerCase()) ?? G711;
  const ppl = Math.min(Math.max(Number.isFinite(o.lossPct) ? o.lossPct : 0, 0), 100);
  const ieEff = c.ie + ((95 - c.ie) * ppl) / (ppl + c.bpl);
  const jitter = Number.isFinite(o.jitterMs) && o.jitterMs > 0 ? o.jitterMs : 0;
  const jitterBuffer = Math.max(MIN_JITTER_BUFFER_MS, JITTER_BUFFER_FACTOR * jitter);
  const network = o.rttMs !== null && Number.isFinite(o.rttMs) && o.rttMs > 0 ? o.rttMs / 2 : 0;
  const ta = network + jitterBuffer + FRAME_MS + c.lookaheadMs;
  return R_DEFAULT - delayImpairment(ta) - ieEff;
}

/** An estimated MOS (1..4.5) of a call leg from its loss, jitter, round-trip time and codec. */
export function estimateMos(o: MosInput): number {
  return mosFromR(rFactor(o));
}
