// The webhook events a hook may subscribe to (`webhooks[].events`); src/webhooks/events.ts builds them.
export const WEBHOOK_EVENTS = ['call.ringing', 'call.answered', 'call.ended', 'call.missed', 'voicemail.new'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
