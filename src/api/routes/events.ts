// Live events: the webhook events as server-sent events (text/event-stream).
import { notFound } from '../errors.js';
import type { ApiPlugin } from '../plugin.js';

/** A comment line this often keeps proxies from closing an idle stream. */
const PING_MS = 15_000;

export const eventRoutes: ApiPlugin = async (app, { source }) => {
  app.get(
    '/api/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Server-sent events: one `event: NAME` + `data: JSON` block per event (call.ringing, call.answered, call.ended, call.missed, voicemail.new, ...)',
        produces: ['text/event-stream'],
        response: { 200: { type: 'string', description: 'text/event-stream; each data line is the webhook body {event, id, at, data}' } },
      },
    },
    (_req, reply) => {
      if (source.subscribe === undefined) throw notFound('no live events in this PBX');
      const res = reply.hijack().raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': tspbx live events\n\n');
      const off = source.subscribe((e) => res.write(`id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e)}\n\n`));
      const ping = setInterval(() => res.write(': ping\n\n'), PING_MS);
      // The response's close, not the request's: a GET's request closes as soon as it is read.
      res.once('close', () => {
        clearInterval(ping);
        off();
      });
    },
  );
};
