// The few header forms the dialog and call control read, until src/sip/grammar.ts (sip-parser) is merged.
export function splitList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') angle = true;
    else if (ch === '>') angle = false;
    else if (ch === ',' && !angle) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last !== '') out.push(last);
  return out;
}

export function nameAddrUri(value: string): string | null {
  const lt = value.indexOf('<');
  if (lt >= 0) {
    const gt = value.indexOf('>', lt);
    return gt < 0 ? null : value.slice(lt + 1, gt).trim();
  }
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).trim();
}

function headerParams(value: string): string {
  const gt = value.lastIndexOf('>');
  if (gt >= 0) return value.slice(gt + 1);
  const semi = value.indexOf(';');
  return semi < 0 ? '' : value.slice(semi);
}

export function getTag(value: string): string | null {
  const m = /;\s*tag\s*=\s*([^;\s,]+)/i.exec(headerParams(value));
  return m === null ? null : m[1]!;
}

export function parseCSeq(value: string): { seq: number; method: string } | null {
  const m = /^\s*(\d{1,10})\s+([A-Za-z]+)\s*$/.exec(value);
  if (m === null) return null;
  const seq = Number(m[1]);
  return seq < 2 ** 31 ? { seq, method: m[2]! } : null;
}

export function routeIsLoose(route: string): boolean {
  const uri = nameAddrUri(route) ?? '';
  return /;\s*lr(?:[;=?]|$)/i.test(uri);
}
