// The CDR store call control writes to, with the webhooks of each row (call.ended, call.missed)
// written into the outbox in the row's own transaction: a crash keeps both or neither. Once the row
// is committed the dispatcher streams the events live and starts delivering them.
import type { CallStore } from '../calls/deps.js';
import type { CdrRow, OutboxEntry } from '../store/types.js';
import type { WebhookDispatcher } from './dispatcher.js';

/** A CDR store that takes the outbox rows of a CDR into its transaction (Store, CdrWriter). */
export interface OutboxCdrStore {
  insertCdr(row: CdrRow, outbox: readonly OutboxEntry[]): void | Promise<void>;
}

export function withWebhooks(store: OutboxCdrStore, webhooks: Pick<WebhookDispatcher, 'forCdr'>): CallStore {
  return {
    insertCdr(row) {
      const events = webhooks.forCdr(row);
      const pending = store.insertCdr(row, events.outbox);
      if (pending === undefined) {
        events.committed();
        return undefined;
      }
      return pending.then(events.committed);
    },
  };
}
