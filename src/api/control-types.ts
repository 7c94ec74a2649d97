import type { CdrRow } from '../store/types.js';

/** `pbx registrations --json` rows (CONTRACT). */
export interface RegistrationInfo {
  extension: string;
  contact: string;
  transport: string;
  source: string;
  expires_at: string;
  user_agent: string;
}

/** `pbx calls --json` rows. */
export interface CallInfo {
  id: string;
  call_id: string;
  from: string;
  to: string;
  state: 'routing' | 'ringing' | 'answered' | 'ending';
  started_at: string;
  answered_at: string | null;
  duration_s: number;
}

export interface StatusInfo {
  version: string;
  started_at: string;
  uptime_s: number;
  registrations: number;
  calls: number;
}

/** What the control HTTP server asks the running PBX. */
export interface ControlSource {
  status(): StatusInfo;
  registrations(): RegistrationInfo[];
  calls(): CallInfo[];
  cdr(query: { missed: boolean; since: string | null; limit: number }): CdrRow[];
  /** Re-reads the config file; refuses an invalid one with `FILE:LINE:COL: message` lines. */
  reload(): Promise<{ ok: true } | { ok: false; errors: string[] }>;
}
