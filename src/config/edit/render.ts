// YAML text for values the editor inserts: one-line flow (`{ name: Dave, password: "x" }`,
// `["1001", "1003"]`) or block lines, in the style the shipped configs use.
import { stringify } from 'yaml';

const SCALAR_OPTIONS = { collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 } as const;

/** One scalar, quoted where YAML (in a flow collection too) would read it otherwise: "1001", "*97", Dave. */
export function scalarText(value: unknown): string {
  if (typeof value === 'string' && /[\u0000-\u001f\u007f\u2028\u2029]/.test(value)) return JSON.stringify(value);
  // Rendered as the item of a flow sequence, so that the quoting also holds inside `{ }` and `[ ]`.
  return stringify([value], SCALAR_OPTIONS).trimEnd().slice(1, -1);
}

function isCollection(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function entries(value: object): [string, unknown][] {
  return Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
}

/** The value on one line: a scalar, or a flow collection. */
export function flowText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flowText).join(', ')}]`;
  if (isCollection(value)) {
    const pairs = entries(value).map(([k, v]) => `${scalarText(k)}: ${flowText(v)}`);
    return pairs.length === 0 ? '{}' : `{ ${pairs.join(', ')} }`;
  }
  return scalarText(value);
}

/** A value that reads best on one line: a scalar, an empty collection, a list of scalars. */
export function staysFlow(value: unknown): boolean {
  if (!isCollection(value)) return true;
  const items = entries(value);
  return items.length === 0 || (Array.isArray(value) && items.every(([, v]) => !isCollection(v)));
}

/**
 * A collection as block lines indented by `indent` spaces, each ending in a newline; short lists
 * of scalars stay on one line. `firstIndent` is the first line's (0 where the text continues a
 * line that already holds the indentation, or a `- `).
 */
export function blockText(value: object, indent: number, firstIndent = indent, step = 2): string {
  let out = '';
  let pad = ' '.repeat(firstIndent);
  for (const [k, v] of entries(value)) {
    const head = Array.isArray(value) ? '-' : `${scalarText(k)}:`;
    if (staysFlow(v)) out += `${pad}${head} ${flowText(v)}\n`;
    else if (Array.isArray(value)) out += `${pad}- ${blockText(v as object, indent + 2, 0, step)}`;
    else out += `${pad}${head}\n${blockText(v as object, indent + step, indent + step, step)}`;
    pad = ' '.repeat(indent);
  }
  return out;
}
