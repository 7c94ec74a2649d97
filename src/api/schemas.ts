// JSON schemas of what the REST API answers and takes, shared by the route plugins: fastify's ajv
// checks requests against them, fast-json-stringify writes responses by them (a property missing
// here is not sent) and @fastify/swagger turns them into /api/openapi.json.
import { HttpError } from './errors.js';

const str = { type: 'string' } as const;
const strOrNull = { type: ['string', 'null'] } as const;
const num = { type: 'number' } as const;
const numOrNull = { type: ['number', 'null'] } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;

/** An object schema whose properties are all required. */
function object<P extends Record<string, object>>(description: string, properties: P, optional: readonly (keyof P & string)[] = []) {
  return {
    type: 'object',
    description,
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
  } as const;
}

export function arrayOf<S extends object>(items: S, description?: string) {
  return { type: 'array', items, ...(description === undefined ? {} : { description }) } as const;
}

export const ErrorBody = {
  type: 'object',
  description: '`error`: a short code (bad_request, unauthorized, not_found, method_not_allowed, conflict, ...); `message`: what went wrong, naming the field of a 400.',
  properties: {
    error: str,
    message: str,
    refusal: { ...str, description: 'Why a recording was not started or stopped (recording routes).' },
    errors: { type: 'array', items: str, description: 'FILE:LINE:COL lines of a refused config.' },
  },
  required: ['error', 'message'],
} as const;

export const TrunkInfo = object('A SIP trunk and its registration state.', {
  name: str,
  type: { type: 'string', enum: ['register', 'ip'] },
  host: { ...str, description: 'host:port of the provider.' },
  state: { type: 'string', enum: ['registering', 'registered', 'failed', 'stopped', 'ip'] },
  expires_at: strOrNull,
  next_attempt_at: strOrNull,
  last_error: strOrNull,
  channels: int,
  max_channels: { ...int, description: '0: no limit.' },
});

export const StatusInfo = object(
  'The running PBX.',
  {
    version: str,
    started_at: str,
    uptime_s: int,
    registrations: int,
    calls: int,
    trunks: arrayOf(TrunkInfo),
  },
  ['trunks'],
);

export const RegistrationInfo = object('A registered phone contact.', {
  extension: str,
  contact: str,
  transport: str,
  source: { ...str, description: 'address:port the registration came from.' },
  expires_at: str,
  user_agent: str,
});

export const CallInfo = object('A call in progress.', {
  id: str,
  call_id: { ...str, description: 'The SIP Call-ID of the caller leg.' },
  from: str,
  to: str,
  state: { type: 'string', enum: ['routing', 'ringing', 'answered', 'ending'] },
  started_at: str,
  answered_at: strOrNull,
  duration_s: num,
  recording: { ...bool, description: 'True while the audio is being written to a recording.' },
});

export const CallRecordingInfo = object("A call's recording after it was started or stopped.", {
  id: str,
  call_id: str,
  recording: bool,
  path: { ...strOrNull, description: 'The recording file (the CDR row\'s `recording`); null when nothing was recorded.' },
});

const LegQuality = {
  type: ['object', 'null'],
  properties: { loss_pct: num, jitter_ms: num, rtt_ms: numOrNull, mos: num },
  required: ['loss_pct', 'jitter_ms', 'rtt_ms', 'mos'],
} as const;

export const CdrRow = object(
  'A finished call.',
  {
    id: str,
    call_id: str,
    from: str,
    to: str,
    status: { type: 'string', enum: ['answered', 'missed', 'busy', 'failed', 'voicemail'] },
    reason: str,
    started_at: str,
    answered_at: strOrNull,
    ended_at: str,
    duration_s: num,
    billsec: num,
    recording: { ...strOrNull, description: 'The recording file, null when the call was not recorded.' },
    quality: { type: ['object', 'null'], properties: { caller: LegQuality, callee: LegQuality }, required: ['caller', 'callee'] },
    path: { ...strOrNull, description: 'Where the call went, steps joined by ">".' },
    missed: { ...bool, description: 'No person answered a call that was for people.' },
  },
  ['quality', 'path', 'missed'],
);

export const MissedCall = object('An entry of the callback list: a number whose calls nobody answered.', {
  id: { ...str, description: '"m" and a sequence number.' },
  number: str,
  calls: int,
  first_at: str,
  last_at: str,
  to: str,
  path: strOrNull,
  status: str,
  reason: str,
  cdr_id: str,
  done_at: strOrNull,
  done_by: { type: ['string', 'null'], enum: ['answered', 'manual', null] },
  done_cdr: strOrNull,
});

export const QueueStats = object('Statistics of a queue.', {
  queue: str,
  answered: int,
  abandoned: int,
  timed_out: int,
  callbacks: int,
  callbacks_pending: int,
  callbacks_failed: int,
  average_wait_s: numOrNull,
  max_wait_s: numOrNull,
  service_level_s: num,
  service_level_pct: numOrNull,
});

export const ForwardingInfo = object("What a call to the extension meets: do not disturb and forwards, config and phone settings merged.", {
  extension: str,
  dnd: bool,
  always: strOrNull,
  busy: strOrNull,
  no_answer: { type: ['object', 'null'], properties: { after: num, to: str }, required: ['after', 'to'] },
  unavailable: strOrNull,
  set_by_phone: arrayOf({ type: 'string', enum: ['dnd', 'always', 'busy', 'no_answer'] }),
});

/** Query parameter flags: absent or 0/false is off; 1, true or empty is on. */
export const flagParam = { type: 'string', enum: ['1', '0', 'true', 'false', ''] } as const;

export function flagOn(value: string | undefined): boolean {
  return value === '1' || value === 'true' || value === '';
}

/** `limit` of the lists (CDR, callback list): default and most. */
export const LIST_LIMIT_DEFAULT = 100;
export const LIST_LIMIT_MAX = 10000;

export const limitParam = { type: 'integer', minimum: 1, maximum: LIST_LIMIT_MAX, default: LIST_LIMIT_DEFAULT } as const;

/** An ISO 8601 time (a date alone or with the time and offset). */
export const isoTimeParam = { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\d', description: 'ISO 8601, such as 2026-01-31 or 2026-01-31T08:00:00Z' } as const;

/** The ISO 8601 time of query parameter `name` in UTC, null when absent; a bad one is a 400 naming it. */
export function isoTimeOf(name: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new HttpError(400, 'bad_request', `querystring/${name} must be an ISO 8601 time such as 2026-01-31 or 2026-01-31T08:00:00Z, not "${value}"`);
  return new Date(ms).toISOString();
}
