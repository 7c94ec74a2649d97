// Webhooks: signatures, the events made of call states and CDR rows, and the SQLite outbox
// delivered to a real local HTTP receiver: headers, retries with back-off, per-hook filters, and
// rows pending across a restart.
import t, { type Test } from 'tap';
import type { CallStateEvent } from '../../src/calls/control.js';
import type { CdrRow } from '../../src/store/types.js';
import { WebhookDispatcher, type WebhookHook } from '../../src/webhooks/dispatcher.js';
import { cdrEvents, stateEvent } from '../../src/webhooks/events.js';
import { WebhookOutbox } from '../../src/webhooks/outbox.js';
import { sign, verify } from '../../src/webhooks/signature.js';
import { quietLog } from '../helpers/log.js';
import { tempDir } from '../helpers/temp-dir.js';
import { writeSilenceWav } from '../helpers/wav-file.js';
import { VoicemailStore } from '../../src/store/voicemail-store.js';
import { join } from 'node:path';
import { configErrors, configOf } from '../helpers/config-text.js';
import { receiver } from '../helpers/http-receiver.js';

const SECRET = 'a-secret-of-16-chars';
const ROW: CdrRow = { id: 'r1', call_id: 'c@x', from: '+74951234567', to: '500', status: 'missed', reason: 'cancel', started_at: '2026-01-01T00:00:00.000Z', answered_at: null, ended_at: '2026-01-01T00:00:09.000Z', duration_s: 9, billsec: 0, recording: null };
const RINGING: CallStateEvent = { id: 'x-b', callId: 'c@x', extension: '1002', direction: 'recipient', remote: '+74951234567', remoteName: null, state: 'early', dialled: '500' };

t.test('a signature verifies with the secret and the time it was made, and fails for anything changed', async (t) => {
  const header = sign(SECRET, '{"a":1}', 1_800_000_000);
  t.match(header, /^t=1800000000,v1=[0-9a-f]{64}$/);
  t.ok(verify(SECRET, '{"a":1}', header, 1_800_000_010));
  t.notOk(verify(SECRET, '{"a":2}', header, 1_800_000_010), 'another body');
  t.notOk(verify('another-secret-xxxxx', '{"a":1}', header, 1_800_000_010), 'another secret');
  t.notOk(verify(SECRET, '{"a":1}', header, 1_800_001_000), 'too old: a replay');
  t.notOk(verify(SECRET, '{"a":1}', 'v1=zz', 1_800_000_000), 'malformed');
});

t.test('events: the called extension ringing and answering, the CDR as call.ended plus call.missed when nobody answered', async (t) => {
  t.match(stateEvent(RINGING, 0), { event: 'call.ringing', data: { call_id: 'c@x', from: '+74951234567', to: '500', extension: '1002' } });
  t.match(stateEvent({ ...RINGING, state: 'confirmed' }, 0), { event: 'call.answered' });
  t.equal(stateEvent({ ...RINGING, direction: 'initiator' }, 0), null, "the caller's own side is not an event");
  t.equal(stateEvent({ ...RINGING, state: 'terminated' }, 0), null, 'the end comes with the CDR');
  t.same(cdrEvents(ROW, 0).map((e) => e.event), ['call.ended', 'call.missed']);
  t.same(cdrEvents({ ...ROW, status: 'answered', answered_at: ROW.ended_at }, 0).map((e) => e.event), ['call.ended']);
});

t.test('webhooks in the config: url, secret, events; bad values are errors at FILE:LINE:COL', async (t) => {
  const base = 'http: { token: t }\n';
  t.same(configOf(base).webhooks, []);
  t.same(configOf(`${base}webhooks:\n  - { url: "https://crm.example/hook", secret: "${SECRET}" }\n`).webhooks, [
    { url: 'https://crm.example/hook', secret: SECRET, events: ['call.ringing', 'call.answered', 'call.ended', 'call.missed', 'voicemail.new', 'queue.joined', 'queue.answered', 'queue.abandoned', 'queue.callback_requested'] },
  ]);
  t.same(configErrors(`${base}webhooks:\n  - { url: "ftp://x", secret: "${SECRET}" }\n`), ['pbx.yaml:3:12: webhooks[0].url: a webhook url is http:// or https:// and a host, not "ftp://x"']);
  t.match(configErrors(`${base}webhooks:\n  - { url: "http://x", secret: "short" }\n`), [/^pbx\.yaml:3:\d+: webhooks\[0\]\.secret: a webhook secret needs at least 16 characters/]);
  t.match(configErrors(`${base}webhooks:\n  - { url: "http://x", secret: "${SECRET}", events: [call.rang] }\n`), ['pbx.yaml:3:65: webhooks[0].events[0]: unknown webhook event "call.rang"; expected one of call.ringing, call.answered, call.ended, call.missed, voicemail.new, queue.joined, queue.answered, queue.abandoned, queue.callback_requested']);
});

function dispatcher(t: Test, dir: string, hooks: WebhookHook[]): { d: WebhookDispatcher; outbox: WebhookOutbox } {
  const outbox = WebhookOutbox.open(dir);
  const d = new WebhookDispatcher({ outbox, hooks: () => hooks, log: quietLog, backoffMs: 50 });
  t.teardown(async () => {
    await d.close();
    outbox.close();
  });
  return { d, outbox };
}

t.test('an event is POSTed as signed JSON with its event name and delivery id; a hook gets only its events', async (t) => {
  const crm = await receiver(t);
  const other = await receiver(t);
  const { d, outbox } = dispatcher(t, tempDir(t, 'hooks'), [
    { url: crm.url, secret: SECRET, events: ['call.ringing', 'call.missed'] },
    { url: other.url, secret: SECRET, events: ['call.ended'] },
  ]);
  d.callState(RINGING);
  await crm.next(1);
  const r = crm.got[0]!;
  t.equal(r.headers['content-type'], 'application/json');
  t.equal(r.headers['x-tspbx-event'], 'call.ringing');
  const body = JSON.parse(r.body) as { id: string; event: string; data: Record<string, unknown> };
  t.equal(r.headers['x-tspbx-delivery'], body.id);
  t.ok(verify(SECRET, r.body, String(r.headers['x-tspbx-signature']), Math.floor(Date.now() / 1000)), 'the signature verifies');
  t.match(body.data, { from: '+74951234567', to: '500', extension: '1002' });
  d.cdrWritten(ROW);
  await crm.next(2);
  await other.next(1);
  t.equal(crm.got[1]!.headers['x-tspbx-event'], 'call.missed');
  t.equal(other.got[0]!.headers['x-tspbx-event'], 'call.ended');
  t.equal(other.got.length, 1, 'the other hook got no ringing and no missed');
  for (let i = 0; i < 50 && outbox.counts().pending > 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.same(outbox.counts(), { pending: 0, failed: 0 }, 'delivered rows leave the outbox');
});

t.test('queue events are POSTed to the hooks whose filter takes them, and all of them reach the live stream', async (t) => {
  const crm = await receiver(t);
  const { d } = dispatcher(t, tempDir(t, 'hooks'), [{ url: crm.url, secret: SECRET, events: ['queue.answered', 'queue.abandoned'] }]);
  const live: string[] = [];
  d.on('event', (b) => live.push(b.event));
  d.queueEvent({ event: 'queue.joined', queue: 'support', number: '+74951234567', call_id: 'c@x', position: 1, callback: false });
  d.queueEvent({ event: 'queue.answered', queue: 'support', number: '+74951234567', call_id: 'c@x', agent: '1001', wait_s: 12.5, callback: false });
  d.queueEvent({ event: 'queue.abandoned', queue: 'support', number: '+74951234568', call_id: 'd@x', wait_s: 40, callback: false });
  await crm.next(2);
  t.same(crm.got.map((r) => r.headers['x-tspbx-event']).sort(), ['queue.abandoned', 'queue.answered'], 'queue.joined is filtered out');
  const answered = crm.got.find((r) => r.headers['x-tspbx-event'] === 'queue.answered')!;
  t.ok(verify(SECRET, answered.body, String(answered.headers['x-tspbx-signature']), Math.floor(Date.now() / 1000)), 'signed like the call events');
  t.match(JSON.parse(answered.body), { event: 'queue.answered', data: { queue: 'support', number: '+74951234567', call_id: 'c@x', agent: '1001', wait_s: 12.5 } });
  t.same(live, ['queue.joined', 'queue.answered', 'queue.abandoned'], 'GET /api/events streams every one');
});

t.test('a failing receiver gets the same event again after a back-off, with the same delivery id', async (t) => {
  const crm = await receiver(t, [500, 503]);
  const { d } = dispatcher(t, tempDir(t, 'hooks'), [{ url: crm.url, secret: SECRET, events: ['call.ringing'] }]);
  d.callState(RINGING);
  await crm.next(3);
  const ids = crm.got.map((g) => g.headers['x-tspbx-delivery']);
  t.equal(new Set(ids).size, 1, 'one event, three attempts');
  t.equal(crm.got.length, 3);
});

t.test('an event pending when the PBX stops is delivered after it starts again', async (t) => {
  const dir = tempDir(t, 'hooks');
  const crm = await receiver(t, [503]);
  const hooks = (): WebhookHook[] => [{ url: crm.url, secret: SECRET, events: ['call.missed'] }];
  const first = WebhookOutbox.open(dir);
  const before = new WebhookDispatcher({ outbox: first, hooks, log: quietLog, backoffMs: 60_000 });
  before.cdrWritten(ROW);
  await crm.next(1);
  for (let i = 0; i < 100 && first.due(Date.now() + 120_000, 10)[0]?.attempts !== 1; i++) await new Promise((r) => setTimeout(r, 20));
  await before.close();
  first.close();

  const outbox = WebhookOutbox.open(dir);
  t.equal(outbox.counts().pending, 1, 'the refused event is still in the outbox after the restart');
  // Started again two minutes later: the back-off is over.
  const after = new WebhookDispatcher({ outbox, hooks, log: quietLog, now: () => Date.now() + 120_000 });
  t.teardown(async () => {
    await after.close();
    outbox.close();
  });
  await crm.next(2);
  t.equal(crm.got[1]!.headers['x-tspbx-delivery'], crm.got[0]!.headers['x-tspbx-delivery'], 'the same event');
  for (let i = 0; i < 50 && outbox.counts().pending > 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.same(outbox.counts(), { pending: 0, failed: 0 });
});

t.test('a voicemail message stored (file and row on disk) is a voicemail.new event with its mailbox, caller and length', async (t) => {
  const dir = tempDir(t, 'hooks');
  const crm = await receiver(t);
  const { d } = dispatcher(t, dir, [{ url: crm.url, secret: SECRET, events: ['voicemail.new'] }]);
  const mailboxes = await VoicemailStore.open(dir, quietLog);
  t.teardown(() => mailboxes.close());
  mailboxes.on('added', (m) => d.voicemailAdded(m));
  const message = await mailboxes.add('1002', writeSilenceWav(join(dir, 'left.wav')), { caller: '+74951234567', durationS: 3, callId: 'c@x' });
  await crm.next(1);
  const body = JSON.parse(crm.got[0]!.body) as { event: string; data: Record<string, unknown> };
  t.equal(body.event, 'voicemail.new');
  t.match(body.data, { id: message.id, mailbox: '1002', caller: '+74951234567', duration_s: 3, call_id: 'c@x' });
});
