// Dial patterns of outbound routes, Asterisk-like: X any digit, Z 1-9, N 2-9, [1-5] or [137] a
// set of digits, `.` one or more of anything, `!` zero or more; any other character (0-9 * # +)
// stands for itself. A leading `_` (Asterisk's marker of a pattern) is allowed and ignored.
// Patterns are compiled once per config load into anchored regular expressions.

/** A compiled pattern: test(number) is true when the whole number matches. */
export interface DialPattern {
  readonly source: string;
  test(number: string): boolean;
}

/** Compiles a pattern, or returns an error message. */
export function compilePattern(pattern: string): DialPattern | string {
  const body = pattern.startsWith('_') ? pattern.slice(1) : pattern;
  if (body === '') return 'a pattern needs at least one character';
  let re = '^';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    switch (c.toUpperCase()) {
      case 'X':
        re += '[0-9]';
        break;
      case 'Z':
        re += '[1-9]';
        break;
      case 'N':
        re += '[2-9]';
        break;
      case '.':
        if (i !== body.length - 1) return `"." matches the rest of the number: it must come last in ${pattern}`;
        re += '[0-9*#+]+';
        break;
      case '!':
        if (i !== body.length - 1) return `"!" matches the rest of the number: it must come last in ${pattern}`;
        re += '[0-9*#+]*';
        break;
      case '[': {
        const end = body.indexOf(']', i);
        if (end < 0) return `unclosed [ in ${pattern}`;
        const set = body.slice(i + 1, end);
        if (!/^(?:[0-9](?:-[0-9])?)+$/.test(set)) return `[${set}] must list digits or ranges of digits, e.g. [1-5] or [137]`;
        re += `[${set}]`;
        i = end;
        break;
      }
      default:
        if (!/^[0-9*#+]$/.test(c)) return `"${c}" is not allowed in a pattern; use digits, * # +, X Z N, [1-5], . or !`;
        re += c === '*' || c === '+' ? `\\${c}` : c;
    }
  }
  const compiled = new RegExp(`${re}$`);
  return { source: pattern, test: (number) => compiled.test(number) };
}

/** The number sent to the trunk: `strip` digits removed from the front, then `prepend` added. */
export function rewriteNumber(number: string, strip: number, prepend: string): string {
  return prepend + number.slice(Math.min(strip, number.length));
}
