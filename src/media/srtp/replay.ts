// The replay list of one SSRC (RFC 3711 3.3.2): a sliding window of WINDOW packet indices behind
// the highest index authenticated; an index already seen, or older than the window, is a replay.

export const REPLAY_WINDOW = 128;
const WORDS = REPLAY_WINDOW / 32;

export class ReplayWindow {
  /** Highest index accepted so far; -1 before the first. */
  highest = -1;
  /** Bit (index mod WINDOW) set when that index was accepted. */
  readonly #seen = new Uint32Array(WORDS);

  /** True when `index` may be accepted (not a replay, not too old); changes nothing. */
  check(index: number): boolean {
    if (index > this.highest) return true;
    if (this.highest - index >= REPLAY_WINDOW) return false;
    const bit = index % REPLAY_WINDOW;
    return (this.#seen[bit >>> 5]! & (1 << (bit & 31))) === 0;
  }

  /** Records an authenticated `index` (after check() allowed it). */
  accept(index: number): void {
    if (index > this.highest) {
      if (this.highest < 0 || index - this.highest >= REPLAY_WINDOW) this.#seen.fill(0);
      else for (let i = this.highest + 1; i < index; i++) this.#clear(i % REPLAY_WINDOW);
      this.highest = index;
    }
    const bit = index % REPLAY_WINDOW;
    this.#seen[bit >>> 5]! |= 1 << (bit & 31);
  }

  #clear(bit: number): void {
    this.#seen[bit >>> 5]! &= ~(1 << (bit & 31));
  }
}
