// Feature codes pressed during an answered call (features.*, e.g. record_toggle "*1"): the digits
// each side presses are matched against the codes, whatever way they came (RFC 4733, in-band,
// SIP INFO). A pause longer than the inter-digit timeout starts over, and a digit that cannot
// continue a code starts a new attempt from the longest tail that can ("**1" still finds "*1").
// The digits also reach the other phone as any digit does (passthrough, as Asterisk does).
import type { Side } from './media-session.js';

/** Milliseconds between two digits of one code (Asterisk's featuredigittimeout is 1000). */
export const FEATURE_DIGIT_TIMEOUT_MS = 2000;

export class FeatureCodes<F extends string> {
  readonly #codes: ReadonlyMap<string, F>;
  readonly #prefixes: ReadonlySet<string>;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #typed: Record<Side, { digits: string; at: number }> = { caller: { digits: '', at: 0 }, callee: { digits: '', at: 0 } };

  /** `codes`: digits -> feature; `now`: a clock in ms. */
  constructor(codes: ReadonlyMap<string, F>, now: () => number, timeoutMs = FEATURE_DIGIT_TIMEOUT_MS) {
    this.#codes = codes;
    const prefixes = new Set<string>();
    for (const code of codes.keys()) for (let n = 1; n < code.length; n++) prefixes.add(code.slice(0, n));
    this.#prefixes = prefixes;
    this.#now = now;
    this.#timeoutMs = timeoutMs;
  }

  /** A digit `side` pressed: the feature whose code it completes, or null. */
  press(side: Side, digit: string): F | null {
    const typed = this.#typed[side];
    const now = this.#now();
    let digits = (now - typed.at > this.#timeoutMs ? '' : typed.digits) + digit.toUpperCase();
    typed.at = now;
    while (digits !== '' && !this.#codes.has(digits) && !this.#prefixes.has(digits)) digits = digits.slice(1);
    const feature = this.#codes.get(digits) ?? null;
    typed.digits = feature === null ? digits : '';
    return feature;
  }
}
