// Authorization / Proxy-Authorization values (RFC 3261 25.1 "credentials", RFC 7616 3.4):
// `Digest name=value, name="quoted \"value\"", ...`. Names are lower-cased; quotes and escapes removed.

export interface AuthHeader {
  /** Lower case, e.g. "digest". */
  scheme: string;
  params: Map<string, string>;
}

/** Parses a credentials value; null when it is not `scheme param, param...`. */
export function parseAuthHeader(value: string): AuthHeader | null {
  const m = /^\s*([A-Za-z][A-Za-z0-9._-]*)\s+/.exec(value);
  if (m === null) return null;
  const params = new Map<string, string>();
  let i = m[0].length;
  const n = value.length;
  while (i < n) {
    const nameMatch = /^\s*([A-Za-z0-9._*-]+)\s*=\s*/.exec(value.slice(i));
    if (nameMatch === null) return null;
    const name = nameMatch[1]!.toLowerCase();
    i += nameMatch[0].length;
    let v = '';
    if (value[i] === '"') {
      i++;
      while (i < n && value[i] !== '"') {
        if (value[i] === '\\' && i + 1 < n) i++;
        v += value[i];
        i++;
      }
      if (i >= n) return null;
      i++;
    } else {
      const start = i;
      while (i < n && value[i] !== ',' && value[i] !== ' ' && value[i] !== '\t') i++;
      v = value.slice(start, i);
    }
    if (!params.has(name)) params.set(name, v);
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
    if (i < n) {
      if (value[i] !== ',') return null;
      i++;
    }
  }
  return { scheme: m[1]!.toLowerCase(), params };
}
