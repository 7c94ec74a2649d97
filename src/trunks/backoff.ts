// When a failed registration to a provider is tried again: 30 s after the first failure,
// doubling with each failure in a row, at most 10 minutes.
export const BACKOFF_MIN_MS = 30_000;
export const BACKOFF_MAX_MS = 600_000;

/** The wait before the next attempt after `failures` failures in a row (failures >= 1). */
export function backoffMs(failures: number): number {
  const n = Math.max(1, Math.floor(failures));
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(n - 1, 16));
}

/** When a granted registration is refreshed: at half its lifetime (at least 5 s before it ends). */
export function refreshMs(grantedS: number): number {
  return Math.max(1000, Math.min(grantedS * 500, (grantedS - 5) * 1000));
}
