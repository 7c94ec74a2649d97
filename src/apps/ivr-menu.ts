// What the digits a caller pressed in an IVR menu choose: an option key, an extension dialled
// directly (when the menu allows it), or nothing valid. Pure logic, no timers: the IVR collects
// digits until complete() says the answer cannot grow, or the inter-digit timeout ends it.

export type MenuChoice =
  | { kind: 'option'; key: string; destination: string }
  | { kind: 'extension'; ext: string }
  | { kind: 'invalid'; digits: string }
  | { kind: 'timeout' };

export class MenuMatcher {
  readonly #options: ReadonlyMap<string, string>;
  readonly #extensions: ReadonlySet<string>;
  readonly #directDial: boolean;
  /** The most digits a caller may press: one key, or the longest extension with direct dial. */
  readonly maxDigits: number;

  constructor(options: Readonly<Record<string, string>>, extensions: Iterable<string>, directDial: boolean) {
    this.#options = new Map(Object.entries(options));
    this.#extensions = new Set(directDial ? extensions : []);
    this.#directDial = directDial;
    this.maxDigits = Math.max(1, ...[...this.#extensions].map((e) => e.length));
  }

  /**
   * True when `digits` can only mean one thing already: no extension is longer and starts with
   * them, so waiting for another digit is pointless.
   */
  complete(digits: string): boolean {
    if (digits === '') return false;
    if (!this.#directDial) return true;
    for (const ext of this.#extensions) if (ext.length > digits.length && ext.startsWith(digits)) return false;
    return true;
  }

  /** What the collected digits choose. A single key that is an option wins over an extension of that number. */
  choose(digits: string): MenuChoice {
    if (digits === '') return { kind: 'timeout' };
    const option = digits.length === 1 ? this.#options.get(digits) : undefined;
    if (option !== undefined) return { kind: 'option', key: digits, destination: option };
    if (this.#extensions.has(digits)) return { kind: 'extension', ext: digits };
    return { kind: 'invalid', digits };
  }
}
