// The public callback widget (POST /api/callback, http.callback): a page on an allowed origin posts
// a visitor's number; the PBX rings the configured group or queue first and dials the visitor once
// someone there answered. Public by design, so it guards itself: the Origin must be listed (CORS,
// preflight answered), requests are counted per client address and per number in sliding
// windows (429 with Retry-After), and the number must look like one (400 naming the field).
// No HTTP framework here: the route plugin hands over the origin, address and body.
import type { CallbackWidgetConfig } from '../config/types.js';

/** What the route answers: status, extra headers, JSON body (null: none); errors as {error: code, message}. */
export interface WidgetAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown> | null;
}

/** What the PBX did with a request: a call ringing the group, or a request waiting in a queue's line. */
export type CallbackStarted = { id: string; status: 'ringing' } | { id: string; status: 'queued'; position: number } | { error: string };

export interface CallbackWidgetOptions {
  /** http.callback in force now (a reload may change or remove it). */
  config: () => CallbackWidgetConfig | null;
  /** Rings `target` (group:NAME or queue:NAME), then `number`; `name` is what the visitor typed. */
  start: (target: string, number: string, name: string | null, ringTimeS: number) => CallbackStarted;
  now?: () => number;
}

/** Characters people type inside phone numbers, dropped before the digits are checked. */
const NUMBER_SEPARATORS = /[\s().-]/g;
const NAME_MAX = 64;
/** Keys a limiter keeps at most; the oldest go first (an address flood cannot grow it without bound). */
const LIMITER_MAX_KEYS = 10000;
const PREFLIGHT_MAX_AGE_S = 600;

/** At most `limit` hits per key within `windowMs`, counted in a sliding window. */
export class SlidingWindowLimiter {
  readonly #hits = new Map<string, number[]>();

  /** Counts a hit for `key` at `now` unless the window is full; then the seconds until a hit leaves it. */
  hit(key: string, now: number, limit: number, windowMs: number): { ok: true } | { ok: false; retryAfterS: number } {
    const kept = (this.#hits.get(key) ?? []).filter((t) => t > now - windowMs);
    if (kept.length >= limit) {
      this.#hits.set(key, kept);
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((kept[0]! + windowMs - now) / 1000)) };
    }
    kept.push(now);
    this.#hits.delete(key);
    this.#hits.set(key, kept);
    if (this.#hits.size > LIMITER_MAX_KEYS) this.#hits.delete(this.#hits.keys().next().value!);
    return { ok: true };
  }

  get size(): number {
    return this.#hits.size;
  }
}

/** The number to dial (separators dropped), or why it is not one. */
export function callbackNumber(input: unknown, config: Pick<CallbackWidgetConfig, 'min_digits' | 'max_digits'>): { number: string } | { error: string } {
  if (typeof input !== 'string' && typeof input !== 'number') return { error: 'number: a phone number is required' };
  const number = String(input).replace(NUMBER_SEPARATORS, '');
  const digits = number.startsWith('+') ? number.slice(1) : number;
  if (!/^[0-9]+$/.test(digits)) return { error: 'number: only digits, with an optional leading +' };
  if (digits.length < config.min_digits || digits.length > config.max_digits) {
    return { error: `number: must have ${config.min_digits} to ${config.max_digits} digits` };
  }
  return { number };
}

function visitorName(input: unknown): { name: string | null } | { error: string } {
  if (input === undefined || input === null || input === '') return { name: null };
  if (typeof input !== 'string' || input.length > NAME_MAX || /[\u0000-\u001f\u007f]/.test(input)) {
    return { error: `name: at most ${NAME_MAX} characters of text` };
  }
  return { name: input.trim() === '' ? null : input.trim() };
}

export class CallbackWidget {
  readonly #o: CallbackWidgetOptions;
  readonly #now: () => number;
  readonly #perIp = new SlidingWindowLimiter();
  readonly #perNumber = new SlidingWindowLimiter();

  constructor(options: CallbackWidgetOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The gate every request passes first, the preflight included: the CORS headers to add to
   * whatever is answered when the request may go on; else the refusal (404 off, 403 origin).
   */
  admit(origin: string | undefined): { headers: Record<string, string> } | WidgetAnswer {
    const config = this.#o.config();
    if (config === null) return { status: 404, headers: {}, body: { error: 'not_found', message: 'the callback widget is off (http.callback is not configured)' } };
    if (origin === undefined || !config.allowed_origins.includes(origin)) {
      return { status: 403, headers: { vary: 'Origin' }, body: { error: 'forbidden', message: `origin ${origin ?? '(none)'} is not allowed to ask for callbacks` } };
    }
    return { headers: { 'access-control-allow-origin': origin, vary: 'Origin' } };
  }

  /** OPTIONS /api/callback from an admitted origin: what the browser may send. */
  preflight(headers: Record<string, string>): WidgetAnswer {
    return {
      status: 204,
      headers: {
        ...headers,
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': 'content-type',
        'access-control-max-age': String(PREFLIGHT_MAX_AGE_S),
      },
      body: null,
    };
  }

  /** POST /api/callback from an admitted origin: limits, then the number, then the call. */
  request(ip: string, body: unknown, headers: Record<string, string>): WidgetAnswer {
    const config = this.#o.config();
    if (config === null) return { status: 404, headers, body: { error: 'not_found', message: 'the callback widget is off' } };
    const now = this.#now();
    const byIp = this.#perIp.hit(ip, now, config.per_ip, config.ip_window * 1000);
    if (!byIp.ok) return tooMany(headers, byIp.retryAfterS, 'too many callback requests from this address');
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const number = callbackNumber(fields.number, config);
    if ('error' in number) return { status: 400, headers, body: { error: 'bad_request', message: number.error, field: 'number' } };
    const name = visitorName(fields.name);
    if ('error' in name) return { status: 400, headers, body: { error: 'bad_request', message: name.error, field: 'name' } };
    const byNumber = this.#perNumber.hit(number.number, now, config.per_number, config.number_window * 1000);
    if (!byNumber.ok) return tooMany(headers, byNumber.retryAfterS, 'this number asked for a callback too often');
    const started = this.#o.start(config.target, number.number, name.name, config.ring_time);
    if ('error' in started) return { status: 503, headers, body: { error: 'unavailable', message: started.error } };
    return { status: 202, headers, body: { ...started, number: number.number } };
  }
}

function tooMany(headers: Record<string, string>, retryAfterS: number, message: string): WidgetAnswer {
  return { status: 429, headers: { ...headers, 'retry-after': String(retryAfterS), 'access-control-expose-headers': 'Retry-After' }, body: { error: 'too_many_requests', message, retry_after_s: retryAfterS } };
}
