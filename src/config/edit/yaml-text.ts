// A YAML config edited as text: each change splices the few characters of the node it touches
// and leaves every other byte (comments, blank lines, quoting, flow or block layout) as it was.
// The `yaml` document model, parsed again after each change, says where a node starts and ends.
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { PbxError } from '../../util/errors.js';
import type { PathKey } from '../positions.js';
import { pathText } from './path.js';
import { blockText, flowText, scalarText, staysFlow } from './render.js';

type Collection = YAMLMap<unknown, unknown> | YAMLSeq<unknown>;
type Range = [number, number, number];

/** One step of a path that exists: the collection, the item's place in it, and the item. */
interface Step {
  container: Collection;
  index: number;
  /** The pair of a mapping item; null for a list item. */
  pair: Pair<unknown, unknown> | null;
  node: Node | null;
}

/** Where a path stops existing: the steps that do exist and the first missing key. */
interface Resolved {
  steps: Step[];
  /** The index in the path of the first key that is absent; path.length when all exist. */
  missing: number;
}

/** A change of the text: `removed` characters at `at` replaced by `inserted` ones. */
interface Splice {
  at: number;
  removed: number;
  inserted: number;
}

export class YamlText {
  #text: string;
  #contents: Node | null = null;
  readonly #splices: Splice[] = [];

  /** Throws PBX_ERR_CONFIG_EDIT_SYNTAX when `text` is not one well-formed YAML document. */
  constructor(text: string) {
    this.#text = text;
    this.#parse();
  }

  get text(): string {
    return this.#text;
  }

  /**
   * The offset in the text as first given that an offset of the edited text comes from; a
   * place in inserted text maps to where the insertion is.
   */
  originalOffset(offset: number): number {
    let pos = offset;
    for (let i = this.#splices.length - 1; i >= 0; i--) {
      const { at, removed, inserted } = this.#splices[i]!;
      if (pos >= at + inserted) pos += removed - inserted;
      else if (pos > at) pos = at;
    }
    return pos;
  }

  /** The plain value at `path`; undefined when it is absent. */
  get(path: readonly PathKey[]): unknown {
    if (path.length === 0) return this.#contents === null ? undefined : this.#contents.toJSON();
    const r = this.#resolve(path);
    if (r.missing < path.length) return undefined;
    const node = r.steps.at(-1)!.node;
    return node === null ? null : node.toJSON();
  }

  has(path: readonly PathKey[]): boolean {
    return path.length === 0 ? this.#contents !== null : this.#resolve(path).missing === path.length;
  }

  /** Sets `path` to `value`, adding the keys that are missing. Throws PBX_ERR_CONFIG_EDIT_PATH. */
  set(path: readonly PathKey[], value: unknown): void {
    if (path.length === 0) throw pathError(path, 'give a key to set, not the whole config');
    if (value === undefined) throw pathError(path, 'no value to set');
    const { steps, missing } = this.#resolve(path);
    if (missing === path.length) return this.#replace(steps.at(-1)!, value);
    const nested = path.slice(missing + 1).reduceRight<unknown>((v, k) => ({ [String(k)]: v }), value);
    const key = path[missing]!;
    const holder = missing === 0 ? this.#contents : steps[missing - 1]!.node;
    if (isMap(holder)) return this.#insertPair(holder, String(key), nested);
    if (isSeq(holder)) {
      if (Number(key) !== holder.items.length) throw pathError(path.slice(0, missing + 1), `no such item: the list has ${holder.items.length}`);
      return this.#appendItem(holder, nested);
    }
    if (holder === null && missing === 0) {
      this.#splice(0, this.#text.length, blockText({ [String(key)]: nested }, 0));
      return;
    }
    // An empty value (`key:`) becomes the mapping or list that holds the new key.
    this.#replace(steps[missing - 1]!, typeof key === 'number' ? [nested] : { [key]: nested });
  }

  /** Removes `path` and its value. Throws PBX_ERR_CONFIG_EDIT_MISSING when it is absent. */
  delete(path: readonly PathKey[]): void {
    if (path.length === 0) throw pathError(path, 'give a key to remove, not the whole config');
    const { steps, missing } = this.#resolve(path);
    if (missing < path.length) throw new PbxError('PBX_ERR_CONFIG_EDIT_MISSING', `${pathText(path)} is not in the config`);
    const step = steps.at(-1)!;
    const { container } = step;
    if (container.items.length === 1) {
      const empty = isSeq(container) ? [] : {};
      if (steps.length === 1) this.#splice(0, this.#text.length, '{}\n');
      else this.#replace(steps.at(-2)!, empty);
      return;
    }
    if (container.flow === true) return this.#removeFlowItem(container, step.index);
    this.#removeBlockItem(container, step);
  }

  #parse(): void {
    const doc = parseDocument(this.#text, { uniqueKeys: false, strict: true, logLevel: 'silent' });
    if (doc.errors.length > 0) throw new PbxError('PBX_ERR_CONFIG_EDIT_SYNTAX', doc.errors[0]!.message.split('\n', 1)[0]!.replace(/ at line \d+, column \d+:?$/, ''));
    this.#contents = (doc.contents as Node | null) ?? null;
  }

  #splice(from: number, to: number, insert: string): void {
    const text = this.#text.includes('\r\n') ? insert.replace(/\n/g, '\r\n') : insert;
    this.#text = this.#text.slice(0, from) + text + this.#text.slice(to);
    this.#splices.push({ at: from, removed: to - from, inserted: text.length });
    this.#parse();
  }

  #resolve(path: readonly PathKey[]): Resolved {
    const steps: Step[] = [];
    let node: Node | null = this.#contents;
    for (let i = 0; i < path.length; i++) {
      const key = path[i]!;
      if (isAlias(node)) throw pathError(path.slice(0, i), `is an alias (*${node.source}); edit the anchored value instead`);
      if (isMap(node)) {
        const index = node.items.findIndex((p) => isScalar(p.key) && String(p.key.value) === String(key));
        if (index < 0) return { steps, missing: i };
        const container: YAMLMap<unknown, unknown> = node;
        const pair = node.items[index]!;
        node = (pair.value as Node | null) ?? null;
        steps.push({ container, index, pair, node });
      } else if (isSeq(node)) {
        const index = typeof key === 'number' ? key : /^[0-9]+$/.test(key) ? Number(key) : -1;
        if (index < 0) throw pathError(path.slice(0, i), `is a list; use an index such as ${pathText([...path.slice(0, i), 0])}`);
        if (index >= node.items.length) return { steps, missing: i };
        const container: YAMLSeq<unknown> = node;
        node = (node.items[index] as Node | null) ?? null;
        steps.push({ container, index, pair: null, node });
      } else if (node === null || (isScalar(node) && node.value === null && i > 0)) {
        return { steps, missing: i };
      } else {
        throw pathError(path.slice(0, i), `is a value (${scalarText((node as Node).toJSON())}), not a mapping or a list`);
      }
    }
    return { steps, missing: path.length };
  }

  /** Replaces the value of an item that exists. */
  #replace(step: Step, value: unknown): void {
    const { container, pair, node } = step;
    const range = node?.range as Range | undefined;
    if (container.flow === true) {
      if (node === null || range === undefined) return this.#splice(keyEnd(pair!), keyEnd(pair!), `: ${flowText(value)}`);
      return this.#splice(range[0], range[1], flowText(value));
    }
    const block = !staysFlow(value);
    const itemColumn = pair === null ? this.#column(range![0]) - 2 : this.#column(keyRange(pair)[0]);
    if (range === undefined || range[0] === range[1]) {
      // `key:` with nothing after it
      if (!block) return this.#splice(range?.[0] ?? keyEnd(pair!), range?.[1] ?? keyEnd(pair!), ` ${flowText(value)}`);
      const at = this.#lineEnd(keyRange(pair!)[0]);
      return this.#splice(at, at, `${this.#text[at - 1] === '\n' ? '' : '\n'}${blockText(value as object, itemColumn + 2)}`);
    }
    const newline = this.#text[range[1] - 1] === '\n' ? '\n' : '';
    if (isBlockCollection(node)) {
      if (block) return this.#splice(range[0], range[1], blockText(value as object, this.#column(range[0]), 0));
      const from = pair === null ? range[0] : this.#afterColon(pair);
      return this.#splice(from, range[1], `${pair === null ? '' : ' '}${flowText(value)}${newline}`);
    }
    if (block && !isMap(node) && !isSeq(node)) {
      // a scalar becomes a block collection on the lines below its key
      if (pair === null) return this.#splice(range[0], range[1], blockText(value as object, itemColumn + 2, 0).slice(0, -1) + newline);
      return this.#splice(this.#afterColon(pair), range[1], `\n${blockText(value as object, itemColumn + 2).slice(0, -1)}${newline}`);
    }
    this.#splice(range[0], range[1], flowText(value) + newline);
  }

  #insertPair(map: YAMLMap<unknown, unknown>, key: string, value: unknown): void {
    const range = map.range as Range;
    if (map.flow === true) {
      if (map.items.length === 0) return this.#splice(range[0], range[1], flowText({ [key]: value }));
      const end = itemEnd(map.items.at(-1)!);
      return this.#splice(end, end, `, ${scalarText(key)}: ${flowText(value)}`);
    }
    const last = map.items.at(-1)!;
    const at = this.#lineEnd(itemEnd(last) - 1);
    const indent = this.#column(range[0]);
    const lastValue = last.value as Node | null;
    const block = !staysFlow(value) && (map === this.#contents || isBlockCollection(lastValue));
    const pad = ' '.repeat(indent);
    const text = block ? `${pad}${scalarText(key)}:\n${blockText(value as object, indent + 2)}` : `${pad}${scalarText(key)}: ${flowText(value)}\n`;
    // a new top-level key gets a blank line above it, as the sections of the shipped configs do
    const gap = this.#text[at - 1] === '\n' || at === 0 ? (map === this.#contents && at > 0 ? '\n' : '') : map === this.#contents ? '\n\n' : '\n';
    this.#splice(at, at, `${gap}${text}`);
  }

  #appendItem(seq: YAMLSeq<unknown>, value: unknown): void {
    const range = seq.range as Range;
    if (seq.flow === true) {
      if (seq.items.length === 0) return this.#splice(range[0], range[1], `[${flowText(value)}]`);
      const end = ((seq.items.at(-1) as Node).range as Range)[1];
      return this.#splice(end, end, `, ${flowText(value)}`);
    }
    const at = this.#lineEnd(((seq.items.at(-1) as Node).range as Range)[1] - 1);
    const indent = this.#column(range[0]);
    const text = !staysFlow(value) ? `${' '.repeat(indent)}- ${blockText(value as object, indent + 2, 0)}` : `${' '.repeat(indent)}- ${flowText(value)}\n`;
    this.#splice(at, at, `${this.#text[at - 1] === '\n' ? '' : '\n'}${text}`);
  }

  #removeFlowItem(container: Collection, index: number): void {
    const start = (i: number): number => {
      const item = container.items[i]!;
      return isMap(container) ? keyRange(item as Pair<unknown, unknown>)[0] : ((item as Node).range as Range)[0];
    };
    const end = (i: number): number => {
      const item = container.items[i]!;
      return isMap(container) ? itemEnd(item as Pair<unknown, unknown>) : ((item as Node).range as Range)[1];
    };
    if (index < container.items.length - 1) return this.#splice(start(index), start(index + 1), '');
    this.#splice(end(index - 1), end(index), '');
  }

  #removeBlockItem(container: Collection, step: Step): void {
    const start = step.pair === null ? ((step.node as Node).range as Range)[0] : keyRange(step.pair)[0];
    const end = step.pair === null ? ((step.node as Node).range as Range)[1] : itemEnd(step.pair);
    const lineStart = this.#lineStart(start);
    const before = this.#text.slice(lineStart, start);
    const marker = step.pair === null ? /^[ \t]*-[ \t]+$/ : /^[ \t]*$/;
    if (marker.test(before)) return this.#splice(this.#ownComments(lineStart), this.#lineEnd(Math.max(start, end - 1)), '');
    // The first key of a mapping that starts on a `- ` line: the next key moves up to its place.
    if (step.pair !== null && step.index + 1 < container.items.length) {
      return this.#splice(start, keyRange(container.items[step.index + 1] as Pair<unknown, unknown>)[0], '');
    }
    throw pathError([], 'this item shares its line with another; edit the file by hand');
  }

  /**
   * Where an item's text starts, with the comment lines right above it at its indentation when
   * those follow a sibling's lines (they describe this item); a comment that follows the parent's
   * key or a blank line heads the section and stays.
   */
  #ownComments(lineStart: number): number {
    const indent = /^[ \t]*/.exec(this.#text.slice(lineStart))![0].length;
    let from = lineStart;
    while (from > 0) {
      const above = this.#lineStart(from - 1);
      const line = this.#text.slice(above, from - 1);
      const lead = /^[ \t]*/.exec(line)![0].length;
      if (lead !== indent || line[lead] !== '#') break;
      from = above;
    }
    if (from === lineStart || from === 0) return lineStart;
    const prev = this.#text.slice(this.#lineStart(from - 1), from - 1);
    const lead = /^[ \t]*/.exec(prev)![0].length;
    const sibling = lead < prev.length && prev[lead] !== '#' && lead >= indent;
    return sibling ? from : lineStart;
  }

  #lineStart(pos: number): number {
    return this.#text.lastIndexOf('\n', pos - 1) + 1;
  }

  /** Just past the newline that ends the line holding `pos` (the text's end on the last line). */
  #lineEnd(pos: number): number {
    const nl = this.#text.indexOf('\n', pos);
    return nl < 0 ? this.#text.length : nl + 1;
  }

  #column(pos: number): number {
    return pos - this.#lineStart(pos);
  }

  #afterColon(pair: Pair<unknown, unknown>): number {
    return this.#text.indexOf(':', keyRange(pair)[1]) + 1;
  }
}

function pathError(path: readonly PathKey[], message: string): PbxError {
  return new PbxError('PBX_ERR_CONFIG_EDIT_PATH', path.length === 0 ? message : `${pathText(path)} ${message}`);
}

function keyRange(pair: Pair<unknown, unknown>): Range {
  return (pair.key as Node).range as Range;
}

function keyEnd(pair: Pair<unknown, unknown>): number {
  return keyRange(pair)[1];
}

/** Where a mapping item's text ends: its value's end, or its key's for `key:` alone. */
function itemEnd(pair: Pair<unknown, unknown>): number {
  const value = pair.value as Node | null;
  const range = value?.range as Range | undefined;
  return range === undefined || range[1] <= keyEnd(pair) ? keyEnd(pair) : range[1];
}

function isBlockCollection(node: Node | null): boolean {
  return (isMap(node) || isSeq(node)) && node.flow !== true;
}
