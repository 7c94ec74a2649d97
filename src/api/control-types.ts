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
  /** True while the call's audio is being written to a recording. */
  recording: boolean;
}

/** A call's recording after `POST|DELETE /api/calls/{id}/recording`. */
export interface CallRecordingInfo {
  id: string;
  call_id: string;
  /** True while the audio is being written. */
  recording: boolean;
  /** The file (the CDR's `recording`), null when nothing was recorded. */
  path: string | null;
}

/**
 * Why a recording was not started or stopped: no such call (404), the call is not answered or
 * is already in that state (409), the disk is short of recording.min_free_mb (507), the call
 * cannot be recorded (its recording failed, the media engine refused: 409).
 */
export type RecordingRefusal = 'unknown-call' | 'not-answered' | 'already' | 'disk-full' | 'unavailable';

export type RecordingResult = { ok: true; call: CallRecordingInfo } | { ok: false; refusal: RecordingRefusal; error: string };

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
  /**
   * Starts (`on`) or stops the recording of the call whose `id` or SIP Call-ID (`call_id`) is
   * `call`, as `pbx calls` shows them.
   */
  setRecording(call: string, on: boolean): Promise<RecordingResult>;
  /**
   * Click-to-call: rings extension `from`, then dials `to` once it answered. Null when the call
   * started (its id), an error message naming the field otherwise.
   */
  originate(from: string, to: string): { id: string } | { error: string };
  /** Re-reads the config file; refuses an invalid one with `FILE:LINE:COL: message` lines. */
  reload(): Promise<{ ok: true } | { ok: false; errors: string[] }>;
}
