// What transaction matching reads from a message (RFC 3261 17.1.3, 17.2.3).
import { parseCSeq, topVia as topViaOf, type CSeq, type Via } from '../grammar.js';
import type { SipMessage } from '../message.js';

export interface TopVia {
  parsed: Via;
  /** host[:port], host lower case. */
  sentBy: string;
  branch: string | null;
}

/** The first via-parm of the first Via line, or null when absent or malformed. */
export function topVia(msg: SipMessage): TopVia | null {
  const parsed = topViaOf(msg.headers);
  if (parsed === null) return null;
  const host = parsed.host.toLowerCase();
  return {
    parsed,
    sentBy: parsed.port === null ? host : `${host}:${parsed.port}`,
    branch: parsed.params.get('branch') ?? null,
  };
}

export function cseqOf(msg: SipMessage): CSeq | null {
  const v = msg.headers.get('cseq');
  return v === null ? null : parseCSeq(v);
}
