// Delivers the webhook outbox: POST of the JSON body to the hook's url with
//   Content-Type: application/json, X-Tspbx-Event, X-Tspbx-Delivery (the event id), X-Tspbx-Signature
// A 2xx is delivered (row deleted); anything else (status, timeout, refused connection) is tried
// again after a back-off that doubles from 5 s up to 1 h, at most MAX_ATTEMPTS times. Rows are
// taken from SQLite, so what was pending before a restart is sent after it. Hooks come from the
// config in force at each round (`webhooks:`), so a reload changes urls, secrets and filters;
// rows for a url no longer configured are dropped with a warning.
import { EventEmitter } from 'node:events';
import type { CallStateEvent } from '../calls/control.js';
import type { CdrRow, OutboxEntry } from '../store/types.js';
import type { VoicemailMessage } from '../store/voicemail-store.js';
import type { Log } from '../util/log.js';
import type { WebhookEvent } from '../config/webhooks.js';
import { cdrEvents, queueEvent, stateEvent, voicemailEvent, type WebhookBody } from './events.js';
import type { QueueEvent } from '../queues/service.js';
import type { WebhookOutbox } from './outbox.js';
import { sign } from './signature.js';

export interface WebhookHook {
  url: string;
  secret: string;
  /** The events sent to it (all when the config lists none). */
  events: readonly WebhookEvent[];
}

export interface DispatcherOptions {
  outbox: WebhookOutbox;
  hooks: () => readonly WebhookHook[];
  log: Log;
  /** ms since the epoch; tests fix it. */
  now?: () => number;
  /** How long one POST may take (default 10 s). */
  timeoutMs?: number;
  /** First retry delay (default 5 s); doubles up to 1 h. */
  backoffMs?: number;
}

export const MAX_ATTEMPTS = 15;
const MAX_BACKOFF_MS = 3_600_000;
/** Rows posted at once. */
const BATCH = 8;
/** How often the outbox is looked at when nothing woke it. */
const POLL_MS = 1000;

export interface DispatcherEvents {
  /** Every event, whether or not a hook takes it (the live stream, GET /api/events). */
  event: [WebhookBody];
}

export class WebhookDispatcher extends EventEmitter<DispatcherEvents> {
  readonly #o: DispatcherOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #closed = false;

  constructor(options: DispatcherOptions) {
    super();
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#schedule(0);
  }

  /** A call's state changed (CallControl 'state'): call.ringing / call.answered. */
  callState(e: CallStateEvent): void {
    const body = stateEvent(e, this.#now());
    if (body !== null) this.#queue(body);
  }

  /** A CDR row was committed without its deliveries (a store that cannot take them): call.ended (and call.missed) queued now. */
  cdrWritten(row: CdrRow): void {
    for (const body of cdrEvents(row, this.#now())) this.#queue(body);
  }

  /**
   * call.ended (and call.missed) of a CDR row about to be stored: the deliveries to write in the
   * row's own transaction (Store.insertCdr), and `committed` to call once it is (the live stream
   * gets the events, delivery starts).
   */
  forCdr(row: CdrRow): { outbox: OutboxEntry[]; committed: () => void } {
    const at = this.#now();
    const bodies = cdrEvents(row, at);
    const outbox = bodies.flatMap((body) => this.#urls(body).map((url) => ({ url, event: body.event, body: JSON.stringify(body), at })));
    return {
      outbox,
      committed: () => {
        if (this.#closed) return;
        for (const body of bodies) this.#live(body);
        if (outbox.length > 0) this.#schedule(0);
      },
    };
  }

  /** Something happened to a caller in a queue: queue.joined, queue.callback_requested, queue.answered, queue.abandoned. */
  queueEvent(e: QueueEvent): void {
    this.#queue(queueEvent(e, this.#now()));
  }

  /** A voicemail message was stored: voicemail.new. */
  voicemailAdded(message: VoicemailMessage): void {
    this.#queue(voicemailEvent(message, this.#now()));
  }

  #live(body: WebhookBody): void {
    try {
      this.emit('event', body);
    } catch (err) {
      this.#o.log.error({ err, event: body.event }, 'a live event listener failed');
    }
  }

  /** The urls of the hooks whose filter takes the event. */
  #urls(body: WebhookBody): string[] {
    return this.#o.hooks().filter((h) => h.events.includes(body.event)).map((h) => h.url);
  }

  #queue(body: WebhookBody): void {
    if (this.#closed) return;
    this.#live(body);
    const urls = this.#urls(body);
    if (urls.length === 0) return;
    try {
      this.#o.outbox.add(urls, body.event, JSON.stringify(body), this.#now());
    } catch (err) {
      this.#o.log.error({ err, event: body.event }, 'a webhook event could not be queued');
      return;
    }
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    if (this.#timer !== null) {
      if (ms > 0) return;
      clearTimeout(this.#timer);
    }
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#running ??= this.#round()
        .catch((err: unknown) => this.#o.log.error({ err }, 'webhook round failed'))
        .finally(() => {
        this.#running = null;
        this.#schedule(POLL_MS);
      });
    }, ms);
    this.#timer.unref();
  }

  /** Posts every due row, a batch at a time. */
  async #round(): Promise<void> {
    const hooks = new Map(this.#o.hooks().map((h) => [h.url, h]));
    for (;;) {
      if (this.#closed) return;
      const rows = this.#o.outbox.due(this.#now(), BATCH);
      if (rows.length === 0) return;
      await Promise.all(
        rows.map(async (row) => {
          const hook = hooks.get(row.url);
          if (hook === undefined) {
            const n = this.#o.outbox.dropUrl(row.url);
            this.#o.log.warn({ url: row.url, dropped: n }, 'webhook no longer configured; its pending events are dropped');
            return;
          }
          const error = await this.#post(hook, row.event, row.body);
          if (this.#closed) return;
          if (error === null) this.#o.outbox.delivered(row.seq);
          else this.#failed(row.seq, row.attempts + 1, row.url, error);
        }),
      );
    }
  }

  #failed(seq: number, attempts: number, url: string, error: string): void {
    if (attempts >= MAX_ATTEMPTS) {
      this.#o.log.error({ url, attempts, error }, 'webhook gave up after its last attempt');
      this.#o.outbox.failed(seq, error);
      return;
    }
    const delay = Math.min(MAX_BACKOFF_MS, (this.#o.backoffMs ?? 5000) * 2 ** (attempts - 1));
    this.#o.log.warn({ url, attempts, error, retryInMs: delay }, 'webhook delivery failed; will retry');
    this.#o.outbox.retryAt(seq, this.#now() + delay, error);
  }

  /** null when the receiver took it (2xx), else why not. */
  async #post(hook: WebhookHook, event: string, body: string): Promise<string | null> {
    const id = (JSON.parse(body) as WebhookBody).id;
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-tspbx-event': event,
          'x-tspbx-delivery': id,
          'x-tspbx-signature': sign(hook.secret, body, Math.floor(this.#now() / 1000)),
          'user-agent': 'tspbx-webhooks',
        },
        body,
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 10_000),
        redirect: 'error',
      });
      await res.body?.cancel();
      return res.ok ? null : `HTTP ${res.status}`;
    } catch (err) {
      return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
  }

  /** Stops posting; waits for the round in progress. Rows left are sent after the next start. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
