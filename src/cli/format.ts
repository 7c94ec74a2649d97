// Tables and summaries for people; programs use --json.
import type { CallInfo, CallRecordingInfo, QueueStats, RegistrationInfo, StatusInfo } from '../api/control-types.js';
import type { CdrRow, LegQuality, MissedCall } from '../store/types.js';

/** Columns padded to the widest cell; the last column is not padded. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function seconds(s: number): string {
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

/** ISO time as local-looking `YYYY-MM-DD HH:MM:SS` (UTC), or `-`. */
function when(iso: string | null): string {
  return iso === null ? '-' : iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

export function statusText(s: StatusInfo): string {
  const head =
    [
      `version        ${s.version}`,
      `started        ${when(s.started_at)} UTC`,
      `uptime         ${seconds(s.uptime_s)}`,
      `registrations  ${s.registrations}`,
      `calls          ${s.calls}`,
    ].join('\n') + '\n';
  const trunks = s.trunks ?? [];
  if (trunks.length === 0) return head;
  return (
    head +
    '\n' +
    table(
      ['TRUNK', 'TYPE', 'HOST', 'STATE', 'EXPIRES (UTC)', 'NEXT ATTEMPT (UTC)', 'CHANNELS', 'LAST ERROR'],
      trunks.map((t) => [t.name, t.type, t.host, t.state, when(t.expires_at), when(t.next_attempt_at), `${t.channels}/${t.max_channels === 0 ? '-' : t.max_channels}`, t.last_error ?? '-']),
    )
  );
}

export function registrationsText(rows: RegistrationInfo[]): string {
  if (rows.length === 0) return 'no registrations\n';
  return table(
    ['EXTENSION', 'CONTACT', 'TRANSPORT', 'SOURCE', 'EXPIRES (UTC)', 'USER AGENT'],
    rows.map((r) => [r.extension, r.contact, r.transport, r.source, when(r.expires_at), r.user_agent]),
  );
}

export function callsText(rows: CallInfo[]): string {
  if (rows.length === 0) return 'no calls in progress\n';
  return table(
    ['ID', 'FROM', 'TO', 'STATE', 'STARTED (UTC)', 'DURATION', 'REC'],
    rows.map((c) => [c.id, c.from, c.to, c.state, when(c.started_at), seconds(c.duration_s), c.recording ? 'yes' : '-']),
  );
}

/** What `pbx record start|stop` did. */
export function recordingText(r: CallRecordingInfo): string {
  return r.recording ? `recording call ${r.id} to ${r.path ?? '-'}\n` : `recording of call ${r.id} stopped (${r.path ?? 'nothing recorded'})\n`;
}

/** MOS of each leg as `caller/callee` (e.g. `4.4/3.9`), `-` where not measured. */
function mos(r: CdrRow): string {
  const q = r.quality ?? null;
  if (q === null) return '-';
  const one = (l: LegQuality | null): string => (l === null ? '-' : l.mos.toFixed(1));
  return `${one(q.caller)}/${one(q.callee)}`;
}

export function cdrText(rows: CdrRow[]): string {
  if (rows.length === 0) return 'no calls recorded\n';
  return table(
    ['STARTED (UTC)', 'FROM', 'TO', 'STATUS', 'DURATION', 'TALK', 'REASON', 'MOS', 'RECORDING'],
    rows.map((r) => [when(r.started_at), r.from, r.to, r.status, seconds(r.duration_s), seconds(r.billsec), r.reason, mos(r), r.recording ?? '-']),
  );
}

/** The callback list; a DONE column when some entry is closed (`--all`). */
export function missedText(rows: MissedCall[]): string {
  if (rows.length === 0) return 'no missed calls to return\n';
  const done = rows.some((r) => r.done_at !== null);
  const header = ['ID', 'NUMBER', 'CALLS', 'FIRST (UTC)', 'LAST (UTC)', 'TO', 'PATH', 'REASON'];
  return table(
    done ? [...header, 'DONE'] : header,
    rows.map((r) => {
      const cells = [r.id, r.number, String(r.calls), when(r.first_at), when(r.last_at), r.to, r.path ?? '-', r.reason];
      return done ? [...cells, r.done_at === null ? '-' : `${r.done_by ?? ''} ${when(r.done_at)}`] : cells;
    }),
  );
}

/** What `pbx missed done` closed. */
export function missedDoneText(r: MissedCall): string {
  return `${r.id} (${r.number}, ${r.calls} missed ${r.calls === 1 ? 'call' : 'calls'}) marked done\n`;
}

/** `pbx queue stats`: one row per queue. */
export function queueStatsText(rows: QueueStats[]): string {
  if (rows.length === 0) return 'no queues\n';
  const num = (x: number | null, suffix = ''): string => (x === null ? '-' : `${x}${suffix}`);
  return table(
    ['QUEUE', 'ANSWERED', 'ABANDONED', 'TIMED OUT', 'CALLBACKS', 'PENDING', 'FAILED', 'AVG WAIT', 'MAX WAIT', 'SERVICE LEVEL'],
    rows.map((r) => [
      r.queue,
      String(r.answered),
      String(r.abandoned),
      String(r.timed_out),
      String(r.callbacks),
      String(r.callbacks_pending),
      String(r.callbacks_failed),
      r.average_wait_s === null ? '-' : seconds(r.average_wait_s),
      r.max_wait_s === null ? '-' : seconds(r.max_wait_s),
      `${num(r.service_level_pct, '%')} within ${r.service_level_s} s`,
    ]),
  );
}
