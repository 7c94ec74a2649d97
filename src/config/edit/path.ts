// A config path as people write it: `extensions.1001.voicemail.pin`, `sip.listen[0]`,
// `callers.known."+7495*"` (quotes for a key holding a dot, a bracket or a quote).
import { PbxError } from '../../util/errors.js';
import type { PathKey } from '../positions.js';

/** `a.b[2]."c.d"` -> ['a', 'b', 2, 'c.d']; '' and '.' are the whole config. Throws PBX_ERR_CONFIG_EDIT_PATH. */
export function parsePath(text: string): PathKey[] {
  if (text === '' || text === '.') return [];
  const path: PathKey[] = [];
  let i = 0;
  const bad = (why: string): PbxError => new PbxError('PBX_ERR_CONFIG_EDIT_PATH', `bad path "${text}" at character ${i + 1}: ${why}`);
  while (i < text.length) {
    if (text[i] === '[') {
      const m = /^\[([0-9]{1,6})\]/.exec(text.slice(i));
      if (m === null) throw bad('expected an index such as [0]');
      path.push(Number(m[1]));
      i += m[0].length;
    } else if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw bad('the quote is not closed');
      if (end === i + 1) throw bad('a key is not empty');
      path.push(text.slice(i + 1, end));
      i = end + 1;
    } else {
      const m = /^[^.[\]"]+/.exec(text.slice(i));
      if (m === null) throw bad('expected a key');
      path.push(m[0]);
      i += m[0].length;
    }
    if (i === text.length) break;
    if (text[i] === '.') {
      i++;
      if (i === text.length) throw bad('the path ends with a dot');
    } else if (text[i] !== '[') throw bad('expected . or [ after a key');
  }
  return path;
}

/** The inverse of parsePath, for messages: `extensions.1001.name`, `sip.listen[0]`. */
export function pathText(path: readonly PathKey[]): string {
  if (path.length === 0) return '.';
  return path
    .map((k, i) => {
      if (typeof k === 'number') return `[${k}]`;
      const key = /[.[\]"]/.test(k) ? `"${k}"` : k;
      return i === 0 ? key : `.${key}`;
    })
    .join('');
}
