// DTMF in SIP INFO bodies (no RFC; the de-facto formats phones and SBCs send):
//   application/dtmf-relay   "Signal=5\r\nDuration=160\r\n"   (Signal 0-9 * # A-D, or 10/11 for * and #)
//   application/dtmf         "5"
import { PbxError } from '../../util/errors.js';
import { DTMF_DIGITS, dtmfEventCode } from './digits.js';

export const DTMF_RELAY = 'application/dtmf-relay';
export const DTMF_PLAIN = 'application/dtmf';

export interface InfoDtmf {
  digit: string;
  /** Duration in ms from the body, null when it gave none (application/dtmf never does). */
  durationMs: number | null;
}

/** Longer bodies are not DTMF (a few short lines at most). */
const MAX_BODY = 256;
const MAX_DURATION_MS = 60_000;

/** The media type of a Content-Type value, lower case, without parameters ("" when absent). */
export function mediaType(contentType: string | null | undefined): string {
  if (contentType === undefined || contentType === null) return '';
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** True for the Content-Types whose INFO bodies carry a digit. */
export function isDtmfInfo(contentType: string | null | undefined): boolean {
  const type = mediaType(contentType);
  return type === DTMF_RELAY || type === DTMF_PLAIN;
}

/** The digit in an INFO body of either type; null for another type or a malformed body. */
export function parseDtmfInfo(contentType: string | null | undefined, body: Uint8Array | string): InfoDtmf | null {
  if (body.length > MAX_BODY) return null;
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  const type = mediaType(contentType);
  if (type === DTMF_PLAIN) {
    const digit = signal(text.trim());
    return digit === null ? null : { digit, durationMs: null };
  }
  if (type === DTMF_RELAY) return parseRelay(text);
  return null;
}

/** An INFO body for `digit` lasting `durationMs`; throws on a digit that is not DTMF. */
export function buildDtmfInfo(type: typeof DTMF_RELAY | typeof DTMF_PLAIN, digit: string, durationMs: number): { contentType: string; body: Buffer } {
  const code = dtmfEventCode(digit);
  if (code < 0 || !(durationMs >= 0)) throw new PbxError('PBX_ERR_DTMF_DIGIT', `not a DTMF digit and duration: ${JSON.stringify(digit)}, ${durationMs}`);
  const d = DTMF_DIGITS[code]!;
  if (type === DTMF_PLAIN) return { contentType: DTMF_PLAIN, body: Buffer.from(d) };
  return { contentType: DTMF_RELAY, body: Buffer.from(`Signal=${d}\r\nDuration=${Math.round(durationMs)}\r\n`) };
}

function parseRelay(text: string): InfoDtmf | null {
  let digit: string | null = null;
  let durationMs: number | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return null;
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (key === 'signal') {
      if (digit !== null) return null;
      digit = signal(value);
      if (digit === null) return null;
    } else if (key === 'duration') {
      if (durationMs !== null || !/^\d{1,6}$/.test(value)) return null;
      durationMs = Number(value);
      if (durationMs > MAX_DURATION_MS) return null;
    }
  }
  return digit === null ? null : { digit, durationMs };
}

/** A Signal value: one of 0-9 * # A-D (either case), or 10 and 11 for * and #. */
function signal(value: string): string | null {
  if (value === '10') return '*';
  if (value === '11') return '#';
  const code = dtmfEventCode(value);
  return code < 0 ? null : DTMF_DIGITS[code]!;
}
