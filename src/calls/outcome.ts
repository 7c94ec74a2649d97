// How a call ended, for the caller's final response and the CDR.
import type { CdrRow } from '../store/types.js';

/**
 * RFC 3261 16.7 step 6, as a B2BUA forking to several contacts applies it: a 6xx wins over
 * everything; then busy (486), then other 4xx, then 5xx; 408 (nobody answered) comes last.
 * Returns the better of two final statuses.
 */
export function betterFinal(a: number, b: number): number {
  return rank(b) < rank(a) ? b : a;
}

function rank(status: number): number {
  if (status >= 600) return 0;
  if (status === 486) return 1;
  if (status === 408) return 5;
  if (status >= 400 && status < 500) return 2;
  if (status >= 500) return 3;
  return 4;
}

/** The CDR status of a call that was never answered, from the final status its caller got. */
export function unansweredStatus(finalStatus: number): CdrRow['status'] {
  if (finalStatus === 486 || finalStatus === 600 || finalStatus === 603) return 'busy';
  if (finalStatus === 487 || finalStatus === 480 || finalStatus === 408) return 'missed';
  return 'failed';
}

/** Whole seconds between two epoch-ms times (never negative). */
export function secondsBetween(from: number, to: number): number {
  return Math.max(0, Math.round((to - from) / 1000));
}
