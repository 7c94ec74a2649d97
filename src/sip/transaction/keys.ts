// What transaction matching reads from a message (RFC 3261 17.1.3, 17.2.3).
import type { SipMessage } from '../message.js';

export interface TopVia {
  /** The whole first via-parm as written (for the RFC 2543 fallback). */
  raw: string;
  transport: string;
  /** host[:port], lower case. */
  sentBy: string;
  branch: string | null;
  /** Port written in sent-by, or null. */
  port: number | null;
  /** RFC 3581: the rport parameter is present (with or without a value). */
  rport: boolean;
}

/** The first via-parm of the first Via line: everything up to a comma outside quotes. */
function firstViaParm(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line.charCodeAt(i);
    if (ch === 0x22) quoted = !quoted;
    else if (ch === 0x5c && quoted) i++;
    else if (ch === 0x2c && !quoted) return line.slice(0, i).trim();
  }
  return line.trim();
}

const VIA = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z0-9.!%*_+`'~-]+)\s+(\[[0-9A-Fa-f:.]+\]|[^\s;:]+)(?:\s*:\s*(\d+))?\s*(;.*)?$/;
const BRANCH = /;\s*branch\s*=\s*([^\s;,]+)/i;
const RPORT = /;\s*rport\b/i;

export function topVia(msg: SipMessage): TopVia | null {
  const line = msg.headers.get('via');
  if (line === null) return null;
  const raw = firstViaParm(line);
  const m = VIA.exec(raw);
  if (m === null) return null;
  const host = m[2]!.toLowerCase();
  const branch = m[4] === undefined ? null : (BRANCH.exec(m[4])?.[1] ?? null);
  const port = m[3] === undefined ? null : Number(m[3]);
  return {
    raw,
    transport: m[1]!.toUpperCase(),
    sentBy: port === null ? host : `${host}:${port}`,
    branch,
    port,
    rport: m[4] !== undefined && RPORT.test(m[4]),
  };
}

export interface CSeqValue {
  seq: number;
  method: string;
}

const CSEQ = /^\s*(\d{1,10})\s+([A-Za-z0-9.!%*_+`'~-]+)\s*$/;

export function cseqOf(msg: SipMessage): CSeqValue | null {
  const v = msg.headers.get('cseq');
  if (v === null) return null;
  const m = CSEQ.exec(v);
  return m === null ? null : { seq: Number(m[1]), method: m[2]! };
}

const TAG = /;\s*tag\s*=\s*([^\s;,>]+)/i;

/** The tag parameter of a From or To value (outside the <...> URI), or ''. */
export function tagOf(value: string | null): string {
  if (value === null) return '';
  const gt = value.lastIndexOf('>');
  const m = TAG.exec(gt < 0 ? value : value.slice(gt + 1));
  return m === null ? '' : m[1]!;
}
