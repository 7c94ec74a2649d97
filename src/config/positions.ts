// Where a key or value sits in the YAML text, as `FILE:LINE:COL` (1-based).
import { isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';

export type PathKey = string | number;

export class Locator {
  readonly #doc: Document;
  readonly #lines: LineCounter;
  readonly #file: string;

  constructor(doc: Document, lines: LineCounter, file: string) {
    this.#doc = doc;
    this.#lines = lines;
    this.#file = file;
  }

  /** Position of a text offset. */
  offset(offset: number): string {
    const { line, col } = this.#lines.linePos(offset);
    return `${this.#file}:${line}:${col}`;
  }

  /**
   * Position of the value (or with part 'key', the key) at `path`. A path that does not exist
   * (a missing key) points at the deepest mapping that does.
   */
  at(path: readonly PathKey[], part: 'key' | 'value' = 'value'): string {
    let node: unknown = this.#doc.contents;
    let found: Node | null = isNode(node) ? node : null;
    for (let i = 0; i < path.length; i++) {
      const key = path[i]!;
      const last = i === path.length - 1;
      let next: unknown = undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
        if (pair === undefined) break;
        if (last && part === 'key' && isNode(pair.key)) return this.#of(pair.key);
        next = pair.value;
        if (!isNode(next) || next.range == null) {
          if (isNode(pair.key)) found = pair.key;
          break;
        }
      } else if (isSeq(node) && typeof key === 'number') {
        next = node.items[key];
        if (!isNode(next)) break;
      } else break;
      node = next;
      found = next as Node;
    }
    return found === null ? `${this.#file}:1:1` : this.#of(found);
  }

  #of(node: Node): string {
    return node.range == null ? `${this.#file}:1:1` : this.offset(node.range[0]);
  }
}

function isNode(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && !isPair(x) && 'range' in x;
}
