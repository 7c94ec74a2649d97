import type { CallbackWidgetConfig, Config } from '../config/types.js';
import type { QueueLive } from '../queues/service.js';
import type { QueueStats } from '../queues/store.js';
import type { ExtensionCounts, SlotCounts, StatsGrouping } from '../store/call-stats.js';
import type { CdrRow, MissedCall } from '../store/types.js';
import type { CallbackStarted } from './callback-widget.js';
import type { VoicemailFolder, VoicemailMessage } from '../store/voicemail-store.js';

export type { CallbackStarted, CallbackWidgetConfig, ExtensionCounts, QueueLive, QueueStats, SlotCounts, StatsGrouping };

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

/**
 * Why a transfer was refused: no such call (404), `to` leads nowhere (400), the call is not
 * answered with two parties (409).
 */
export type TransferRefusal = 'unknown-call' | 'unknown-number' | 'not-answered';

export type TransferResult = { ok: true; call: CallInfo } | { ok: false; refusal: TransferRefusal; error: string };

export interface StatusInfo {
  version: string;
  started_at: string;
  uptime_s: number;
  registrations: number;
  calls: number;
  /** The SIP trunks and their registration state (absent from PBXs without trunk support). */
  trunks?: TrunkInfo[];
}

/** One trunk in `pbx status` and GET /api/trunks. */
export interface TrunkInfo {
  name: string;
  type: 'register' | 'ip';
  /** host:port of the provider. */
  host: string;
  /** Registration state; `ip` for trunks that do not register. */
  state: 'registering' | 'registered' | 'failed' | 'stopped' | 'ip';
  expires_at: string | null;
  next_attempt_at: string | null;
  last_error: string | null;
  /** Calls on the trunk now, and its limit (0 = none). */
  channels: number;
  max_channels: number;
}

/** What the control HTTP server asks the running PBX. */
export interface ControlSource {
  status(): StatusInfo;
  registrations(): RegistrationInfo[];
  calls(): CallInfo[];
  /** The SIP trunks (GET /api/trunks). */
  trunks?(): TrunkInfo[];
  /** Finished calls, newest first. */
  cdr(query: CdrListQuery): CdrRow[];
  /** How many finished calls match the filters of `query` (its limit and offset aside): paging's total. */
  cdrCount?(query: CdrListQuery): number;
  /** The callback list (`pbx missed`): the open entries, or all with `all`; newest last call first. */
  missed(query: { all: boolean; limit: number }): MissedCall[];
  /** Closes by hand the open callback entry with this id ("m7") or number; null when there is none. */
  missedDone(which: string): MissedCall | null;
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
  /** Hangs up the call in progress whose id or Call-ID is `call`; its info before, null when there is none. */
  hangup?(call: string): CallInfo | null;
  /** Blind transfer of an answered call: the party on the `keep` side is carried to `to`, the other hung up. */
  transfer?(call: string, to: string, keep: 'caller' | 'callee'): TransferResult;
  /** The config in force: extensions, groups, queues and routes are read from it. */
  readonly config?: Config;
  /** The directory of the recording files (data_dir/recordings). */
  recordingsDir?(): string;
  /** The voicemail messages (the PBX's VoicemailStore). */
  readonly voicemail?: VoicemailAccess;
  /** Prometheus text for GET /metrics. */
  metrics?(): string;
  /** Calls `listener` with each live event (the webhook bodies); returns the unsubscribe. */
  subscribe?(listener: (event: { event: string; id: string; at: string; data: unknown }) => void): () => void;
  /** Re-reads the config file; refuses an invalid one with `FILE:LINE:COL: message` lines. */
  reload(): Promise<{ ok: true } | { ok: false; errors: string[] }>;
  /** An extension's do not disturb and forwards in force; null when there is no such extension. */
  forwarding?(ext: string): ForwardingInfo | null;
  /**
   * Statistics of one queue (`name`) or of every queue (null), for callers that joined at or
   * after `since` (ISO 8601; null: all); null when there is no queue `name`.
   */
  queueStats?(name: string | null, since: string | null): QueueStats[] | null;
  /** Every queue now (the wallboard): waiting callers, the longest wait, agents by state. */
  queueLive?(): QueueLive[];
  /** Answered, missed and all calls that started in [fromMs, toMs), per hour or day slot from fromMs, or per extension. */
  callStats?(by: StatsGrouping, fromMs: number, toMs: number): SlotCounts[] | ExtensionCounts[];
  /** http.callback in force now; null: the widget is off. */
  callbackConfig?(): CallbackWidgetConfig | null;
  /** The widget's request: rings `target` (group:NAME or queue:NAME) first, then `number`. */
  startCallback?(target: string, number: string, name: string | null, ringTimeS: number): CallbackStarted;
}

/** GET /api/extensions/{n}/forward: what a call to the extension meets, config and phone settings merged. */
export interface ForwardingInfo {
  extension: string;
  dnd: boolean;
  always: string | null;
  busy: string | null;
  no_answer: { after: number; to: string } | null;
  unavailable: string | null;
  /** The kinds set from the phone (feature codes), which override the config. */
  set_by_phone: Array<'dnd' | 'always' | 'busy' | 'no_answer'>;
}

/**
 * GET /api/cdr: `missed`, `since` and `limit` always; the other filters and `offset` only when
 * asked for. Times are ISO 8601 UTC; `until` is exclusive.
 */
export interface CdrListQuery {
  missed: boolean;
  since: string | null;
  limit: number;
  until?: string;
  status?: CdrRow['status'];
  /** Calls from or to the extension, or that rang it on their way (CDR path). */
  extension?: string;
  /** Calls whose from or to contains these digits. */
  number?: string;
  /** The rows after the first `offset` ones. */
  offset?: number;
}

/** What the API does with voicemail messages (VoicemailStore has it). */
export interface VoicemailAccess {
  /** Mailboxes that hold at least one message. */
  mailboxes(): string[];
  /** A mailbox's messages, oldest first. */
  list(mailbox: string, folder?: VoicemailFolder): VoicemailMessage[];
  get(id: string): VoicemailMessage | null;
  /** False when there is no such message. */
  delete(id: string): Promise<boolean>;
}
