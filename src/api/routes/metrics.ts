// Prometheus text exposition (src/api/metrics.ts builds it); Prometheus sends the bearer token too.
import { notFound } from '../errors.js';
import type { ApiPlugin } from '../plugin.js';

export const metricsRoutes: ApiPlugin = async (app, { source }) => {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['status'],
        summary: 'Prometheus metrics: registrations, calls, finished calls, webhook outbox, event-loop delay',
        produces: ['text/plain'],
        response: { 200: { type: 'string', description: 'Prometheus text format 0.0.4' } },
      },
    },
    (_req, reply) => {
      if (source.metrics === undefined) throw notFound('no metrics in this PBX');
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(source.metrics());
    },
  );
};
