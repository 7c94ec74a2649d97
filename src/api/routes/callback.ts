// POST /api/callback, the public callback widget (callback-widget.ts): no bearer token, but only
// from the origins of http.callback.allowed_origins (CORS, the preflight answered here), within
// its rate limits. Off (404) unless http.callback is configured.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CallbackWidget, type WidgetAnswer } from '../callback-widget.js';
import type { ApiPlugin } from '../plugin.js';

const WidgetError = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    field: { type: 'string', description: 'The body field a 400 is about (number, name).' },
    retry_after_s: { type: 'integer', description: 'Seconds to wait after a 429 (also in Retry-After).' },
  },
  required: ['error', 'message'],
} as const;

const Started = {
  type: 'object',
  description: '`ringing`: the group rings now, the number is dialled once someone answered; `queued`: a callback request at `position` in the queue.',
  properties: { id: { type: 'string' }, status: { type: 'string', enum: ['ringing', 'queued'] }, position: { type: 'integer' }, number: { type: 'string' } },
  required: ['id', 'status', 'number'],
} as const;

function answer(reply: FastifyReply, a: WidgetAnswer): FastifyReply {
  void reply.code(a.status).headers(a.headers);
  return a.body === null ? reply.send() : reply.send(a.body);
}

export const callbackRoutes: ApiPlugin = async (app, { source }) => {
  const widget = new CallbackWidget({
    config: () => source.callbackConfig?.() ?? null,
    start: (target, number, name, ringTimeS) => source.startCallback?.(target, number, name, ringTimeS) ?? { error: 'callbacks are not available in this PBX' },
  });
  /** Refuses other origins before the body is read; an admitted one gets its CORS headers on every answer, a 400 included. */
  const admit = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const admitted = widget.admit(req.headers.origin);
    if ('status' in admitted) return void answer(reply, admitted);
    void reply.headers(admitted.headers);
  };

  app.options('/api/callback', { config: { public: true }, onRequest: admit, schema: { hide: true } }, (_req, reply) => answer(reply, widget.preflight(reply.getHeaders() as Record<string, string>)));
  app.post<{ Body: { number: string | number; name?: string } }>(
    '/api/callback',
    {
      config: { public: true },
      onRequest: admit,
      schema: {
        tags: ['callback'],
        summary: 'Public callback widget: rings http.callback.target, then dials `number`',
        description: 'No bearer token; the Origin must be in http.callback.allowed_origins (else 403), requests are limited per number and per client address (429 with Retry-After). Off (404) unless http.callback is set.',
        security: [],
        body: {
          type: 'object',
          properties: { number: { type: ['string', 'number'], maxLength: 40 }, name: { type: 'string', maxLength: 64 } },
          required: ['number'],
          additionalProperties: false,
        },
        response: { 202: Started, 400: WidgetError, 403: WidgetError, 404: WidgetError, 429: WidgetError, 503: WidgetError },
      },
    },
    (req, reply) => {
      const headers = reply.getHeaders() as Record<string, string>;
      return answer(reply, widget.request(req.ip, req.body, headers));
    },
  );
};
