// One subscription (RFC 6665 4.2): its dialog, until when it holds, and its NOTIFYs, sent one at a
// time in order. States queued while a NOTIFY is in flight are sent after it; past a few the
// newest replaces the last queued (each body is full state, so nothing a watcher needs is lost).
import type { Dialog } from '../sip/dialog.js';
import type { NotifyBody } from './package.js';

/** NOTIFYs waiting behind the one in flight, at most. */
const MAX_QUEUED = 8;

export interface QueuedNotify {
  body: NotifyBody;
  /** The Subscription-State value is computed when the NOTIFY goes out; 'terminated' carries its reason. */
  terminated: string | null;
}

export class Subscription {
  readonly dialog: Dialog;
  readonly event: string;
  readonly eventId: string | null;
  readonly resource: string;
  /** The authenticated subscriber. */
  readonly user: string;
  /** Epoch ms. */
  expiresAt: number;
  timer: unknown = null;
  /** RFC 4235 4.1: the version of the next NOTIFY body, from 0. */
  version = 0;
  inFlight = false;
  /** Set once the terminating NOTIFY is queued: nothing more is sent. */
  ended = false;
  readonly queue: QueuedNotify[] = [];

  constructor(init: { dialog: Dialog; event: string; eventId: string | null; resource: string; user: string; expiresAt: number }) {
    this.dialog = init.dialog;
    this.event = init.event;
    this.eventId = init.eventId;
    this.resource = init.resource;
    this.user = init.user;
    this.expiresAt = init.expiresAt;
  }

  get key(): string {
    return this.dialog.key;
  }

  /** The Event header value of its NOTIFYs (RFC 6665 8.2.1: the id parameter echoed). */
  get eventHeader(): string {
    return this.eventId === null ? this.event : `${this.event};id=${this.eventId}`;
  }

  enqueue(n: QueuedNotify): void {
    if (this.ended) return;
    if (n.terminated !== null) this.ended = true;
    if (this.queue.length >= MAX_QUEUED) this.queue[this.queue.length - 1] = n;
    else this.queue.push(n);
  }
}
