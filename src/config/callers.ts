// Caller number patterns of `callers:`: an exact number ("+74951234567") or a prefix ending in `*`
// ("+7495*"). The most specific pattern wins: an exact number before any prefix, then the longest
// prefix.

/** What a caller pattern may look like: an optional +, digits, an optional trailing *. */
export const CALLER_PATTERN = /^\+?[0-9]+\*?$/;

/** The most specific of `patterns` that matches `number`, or null. */
export function matchCaller(patterns: Iterable<string>, number: string): string | null {
  let best: string | null = null;
  for (const p of patterns) {
    if (p.endsWith('*')) {
      const prefix = p.slice(0, -1);
      if (!number.startsWith(prefix)) continue;
      if (best === null || (best.endsWith('*') && prefix.length > best.length - 1)) best = p;
    } else if (p === number) {
      return p;
    }
  }
  return best;
}
