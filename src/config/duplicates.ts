// Keys written twice in one mapping, and keys that are not plain values. YAML's own check compares scalars strictly, so `1001:` and
// `"1001":` would slip through and silently merge; this one compares them as the text they become.
import { isMap, isScalar, visit, type Document } from 'yaml';

export interface Duplicate {
  key: string;
  /** Offsets of the first and the repeated key. */
  first: number;
  again: number;
}

export function findDuplicateKeys(doc: Document): Duplicate[] {
  const found: Duplicate[] = [];
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return;
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key) || pair.key.range == null) continue;
        const key = String(pair.key.value);
        const first = seen.get(key);
        if (first === undefined) seen.set(key, pair.key.range[0]);
        else found.push({ key, first, again: pair.key.range[0] });
      }
    },
  });
  return found;
}

/** Offsets of mapping keys that are lists or mappings (`? [a, b] : 1`), which a config never needs. */
export function findComplexKeys(doc: Document): number[] {
  const found: number[] = [];
  visit(doc, {
    Pair(_, pair) {
      const key = pair.key as { range?: [number, number, number] | null } | null;
      if (key !== null && !isScalar(key) && key.range != null) found.push(key.range[0]);
    },
  });
  return found;
}

/**
 * Keys of the mapping at `path` that YAML read as numbers other than they are written, as written
 * and where: an unquoted `+74951234567:` or `0049...:` becomes 74951234567 or 49..., losing the +
 * or the zeros (`74951234567:` reads back as written and is fine).
 */
export function findNumberKeys(doc: Document, path: readonly string[]): { written: string; offset: number }[] {
  const map = doc.getIn(path, true);
  if (!isMap(map)) return [];
  const found: { written: string; offset: number }[] = [];
  for (const pair of map.items) {
    if (!isScalar(pair.key) || typeof pair.key.value !== 'number' || pair.key.range == null) continue;
    const written = pair.key.source ?? String(pair.key.value);
    if (written !== String(pair.key.value)) found.push({ written, offset: pair.key.range[0] });
  }
  return found;
}
