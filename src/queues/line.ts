// One queue's line: waiting callers and callback requests in one order, by the time each joined
// (then by a sequence number, for joins in the same millisecond). A caller who asks to be called
// back keeps its entry, and so its place; callbacks reloaded after a restart go back to where
// their joining time puts them.

export interface LineEntry {
  readonly id: string;
  /** When the caller joined the queue (ms since the epoch). */
  readonly joinedAt: number;
  /** Breaks ties between entries that joined in the same millisecond. */
  readonly seq: number;
}

export class QueueLine<E extends LineEntry> {
  readonly #entries: E[] = [];

  get size(): number {
    return this.#entries.length;
  }

  /** Adds an entry at the place its joining time gives it. */
  insert(entry: E): void {
    let i = this.#entries.length;
    while (i > 0 && before(entry, this.#entries[i - 1]!)) i--;
    this.#entries.splice(i, 0, entry);
  }

  remove(entry: E): boolean {
    const i = this.#entries.indexOf(entry);
    if (i < 0) return false;
    this.#entries.splice(i, 1);
    return true;
  }

  /** 1 for the head of the line; 0 when the entry is not in it. */
  position(entry: E): number {
    return this.#entries.indexOf(entry) + 1;
  }

  /** The entries in order (a copy: the line may change while the caller walks it). */
  entries(): E[] {
    return [...this.#entries];
  }
}

function before(a: LineEntry, b: LineEntry): boolean {
  return a.joinedAt < b.joinedAt || (a.joinedAt === b.joinedAt && a.seq < b.seq);
}
