// The FILE:LINE:COL lines of an edited text that was refused, moved to where they are in the
// file as it is on disk (which the refusal left unchanged): a line that an edit shifted points at
// its place in the file, a problem inside inserted text at the place of the insertion.
import type { YamlText } from './yaml-text.js';

export function errorsInFile(errors: readonly string[], file: string, original: string, edited: YamlText): string[] {
  const editedStarts = lineStarts(edited.text);
  const originalStarts = lineStarts(original);
  return errors.map((line) => {
    if (!line.startsWith(`${file}:`)) return line;
    const m = /^(\d+):(\d+): /.exec(line.slice(file.length + 1));
    if (m === null) return line;
    const start = editedStarts[Number(m[1]) - 1];
    if (start === undefined) return line;
    const offset = edited.originalOffset(start + Number(m[2]) - 1);
    const row = lastAtOrBefore(originalStarts, offset);
    return `${file}:${row + 1}:${offset - originalStarts[row]! + 1}: ${line.slice(file.length + 1 + m[0].length)}`;
  });
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** Index of the last start <= offset (binary search over ascending starts). */
function lastAtOrBefore(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
