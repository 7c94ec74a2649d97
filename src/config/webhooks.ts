// The webhook events a hook may subscribe to (`webhooks[].events`); src/webhooks/events.ts builds them.
export const WEBHOOK_EVENTS = [
  'call.ringing',
  'call.answered',
  'call.ended',
  'call.missed',
  'voicemail.new',
  'queue.joined',
  'queue.answered',
  'queue.abandoned',
  'queue.callback_requested',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
