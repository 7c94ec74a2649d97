// The call.ended webhook is written into the outbox in the CDR row's own transaction (through the
// CDR writer thread): both are stored, or neither.
import t, { type Test } from 'tap';
import type { CdrRow, OutboxEntry } from '../../src/store/types.js';
import { CdrWriter } from '../../src/store/cdr-writer.js';
import { Store } from '../../src/store/store.js';
import { withWebhooks } from '../../src/webhooks/cdr-outbox.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import type { WebhookBody } from '../../src/webhooks/events.js';
import { WebhookOutbox } from '../../src/webhooks/outbox.js';
import { quietLog } from '../helpers/log.js';
import { tempDir } from '../helpers/temp-dir.js';

const SECRET = 'a-secret-of-16-chars-or-more';
const ROW: CdrRow = { id: 'r1', call_id: 'c@x', from: '+74951234567', to: '500', status: 'missed', reason: 'cancel', started_at: '2026-01-01T00:00:00.000Z', answered_at: null, ended_at: '2026-01-01T00:00:09.000Z', duration_s: 9, billsec: 0, recording: null, missed: true };

function open(t: Test): { dir: string; store: Store; writer: CdrWriter; outbox: WebhookOutbox; d: WebhookDispatcher; live: WebhookBody[] } {
  const dir = tempDir(t, 'tspbx-cdr-outbox-');
  const store = Store.open(dir);
  const writer = CdrWriter.start(dir);
  const outbox = WebhookOutbox.open(dir);
  // Port 9 refuses: a delivery fails and its row stays pending, retried only after an hour.
  const d = new WebhookDispatcher({ outbox, hooks: () => [{ url: 'http://127.0.0.1:9/hook', secret: SECRET, events: ['call.ended', 'call.missed'] }], log: quietLog, backoffMs: 3_600_000 });
  const live: WebhookBody[] = [];
  d.on('event', (b) => live.push(b));
  t.teardown(async () => {
    await d.close();
    await writer.close();
    outbox.close();
    store.close();
  });
  return { dir, store, writer, outbox, d, live };
}

t.test('a CDR row and its call.ended and call.missed deliveries are committed together; the live events come after the commit', async (t) => {
  const { store, writer, outbox, d, live } = open(t);
  const calls = withWebhooks(writer, d);
  const written = calls.insertCdr(ROW);
  t.same(live, [], 'nothing is streamed before the commit');
  await written;
  t.equal(store.listCdr().length, 1, 'the row is stored');
  t.equal(outbox.counts().pending, 2, 'and both deliveries with it');
  t.same(live.map((b) => b.event), ['call.ended', 'call.missed']);
});

t.test('a CDR row that cannot be stored leaves no delivery behind', async (t) => {
  const { store, writer, outbox, d, live } = open(t);
  const calls = withWebhooks(writer, d);
  await calls.insertCdr(ROW);
  await t.rejects(Promise.resolve(calls.insertCdr({ ...ROW, call_id: 'other@x' })), 'the same id again is refused');
  t.equal(store.listCdr().length, 1);
  t.equal(outbox.counts().pending, 2, 'no delivery of the refused row');
  t.equal(live.length, 2, 'and no live event');
});

t.test('a delivery that cannot be stored leaves no CDR row behind', async (t) => {
  const { store, writer, outbox } = open(t);
  const bad = { url: null, event: 'call.ended', body: '{}', at: 0 } as unknown as OutboxEntry;
  await t.rejects(writer.insertCdr(ROW, [bad]));
  t.equal(store.listCdr().length, 0, 'the row was rolled back');
  t.equal(outbox.counts().pending, 0);
  await writer.insertCdr({ ...ROW, id: 'r2' }, [{ url: 'http://127.0.0.1:9/hook', event: 'call.ended', body: '{}', at: 0 }]);
  t.equal(store.listCdr().length, 1, 'the next row of the writer is stored');
  t.equal(outbox.counts().pending, 1, 'with its delivery');
});
