// Webhook events (what a CRM subscribes to) and their JSON bodies. Every body has the same
// envelope: { event, id, at, data }; `id` is unique per event and repeats on retries (receivers
// de-duplicate by it).
//   call.ringing   an extension's phone rings: data { call_id, from, to, extension } (`from` the
//                  caller's number, `to` the number dialled: the DID of a trunk call), so a CRM
//                  shows the caller's card while it rings
//   call.answered  a person answered: the same fields
//   call.ended     the call's CDR was committed: data = the CDR row (duration, billsec, status,
//                  reason, path, recording)
//   voicemail.new  a message was stored: data { id, mailbox, caller, caller_name, duration_s,
//                  created_at, call_id } (the WAV itself stays on the PBX)
//   call.missed    the same CDR, for a missed call (no person answered a call for people; the
//                  CDR's `missed`), sent besides call.ended
//   queue.joined   a caller joined a queue: data { queue, number, call_id, position, callback }
//   queue.callback_requested  it pressed 1 to be called back: the same, its position kept
//   queue.answered an agent answered it (or a callback reached the customer): data { queue,
//                  number, call_id, agent, wait_s, callback }
//   queue.abandoned it hung up while waiting: data { queue, number, call_id, wait_s, callback }
import { randomUUID } from 'node:crypto';
import type { CallStateEvent } from '../calls/control.js';
import type { WebhookEvent } from '../config/webhooks.js';
import type { CdrRow } from '../store/types.js';
import type { VoicemailMessage } from '../store/voicemail-store.js';
import type { QueueEvent } from '../queues/service.js';


export interface WebhookBody {
  event: WebhookEvent;
  id: string;
  at: string;
  data: Record<string, unknown>;
}

function envelope(event: WebhookEvent, at: number, data: Record<string, unknown>): WebhookBody {
  return { event, id: randomUUID(), at: new Date(at).toISOString(), data };
}

/**
 * The webhook of a call state change, or null when it is none: the side of the extension called
 * ringing (early) or answering (confirmed). The caller's own side and other states are not sent.
 */
export function stateEvent(e: CallStateEvent, at: number): WebhookBody | null {
  if (e.direction !== 'recipient') return null;
  const data = { call_id: e.callId, from: e.remote, from_name: e.remoteName, to: e.dialled ?? e.extension, extension: e.extension };
  if (e.state === 'early') return envelope('call.ringing', at, data);
  if (e.state === 'confirmed') return envelope('call.answered', at, data);
  return null;
}

/** The webhooks of a committed CDR row: call.ended, and call.missed when no person answered. */
export function cdrEvents(row: CdrRow, at: number): WebhookBody[] {
  const data = { ...row } as Record<string, unknown>;
  const events = [envelope('call.ended', at, data)];
  if (row.answered_at === null && (row.missed ?? row.status === 'missed')) events.push(envelope('call.missed', at, data));
  return events;
}

/** The webhook of what happened to a caller in a queue (QueueEvent): data is the event without its name. */
export function queueEvent(e: QueueEvent, at: number): WebhookBody {
  const { event, ...data } = e;
  return envelope(event, at, { ...data });
}

/** The webhook of a voicemail message stored (file and row on disk). */
export function voicemailEvent(m: VoicemailMessage, at: number): WebhookBody {
  return envelope('voicemail.new', at, {
    id: m.id,
    mailbox: m.mailbox,
    caller: m.caller,
    caller_name: m.caller_name,
    duration_s: m.duration_s,
    created_at: m.created_at,
    call_id: m.call_id,
  });
}
