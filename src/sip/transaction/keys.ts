// What transaction matching reads from a message (RFC 3261 17.1.3, 17.2.3).
import { getTag, parseCSeq, parseVia, splitList, type CSeq } from '../grammar.js';
import type { SipMessage } from '../message.js';

export interface TopVia {
  /** The whole first via-parm as written (for the RFC 2543 fallback). */
  raw: string;
  /** host[:port], host lower case. */
  sentBy: string;
  branch: string | null;
  /** Port written in sent-by, or null. */
  port: number | null;
  /** RFC 3581: the rport parameter is present (with or without a value). */
  rport: boolean;
}

/** The first via-parm of the first Via line, or null when absent or malformed. */
export function topVia(msg: SipMessage): TopVia | null {
  const line = msg.headers.get('via');
  if (line === null) return null;
  const raw = line.indexOf(',') < 0 ? line.trim() : splitList(line)[0];
  if (raw === undefined) return null;
  const via = parseVia(raw);
  if (via === null) return null;
  const host = via.host.toLowerCase();
  return {
    raw,
    sentBy: via.port === null ? host : `${host}:${via.port}`,
    branch: via.params.get('branch') ?? null,
    port: via.port,
    rport: via.params.has('rport'),
  };
}

export function cseqOf(msg: SipMessage): CSeq | null {
  const v = msg.headers.get('cseq');
  return v === null ? null : parseCSeq(v);
}

/** The tag parameter of a From or To value, or ''. */
export function tagOf(value: string | null): string {
  return value === null ? '' : (getTag(value) ?? '');
}
