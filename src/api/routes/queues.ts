// Call queues: statistics (`pbx queue stats`).
import { notFound } from '../errors.js';
import type { ApiPlugin } from '../plugin.js';
import { arrayOf, isoTimeOf, isoTimeParam, QueueStats } from '../schemas.js';

const sinceQuery = {
  type: 'object',
  properties: { since: { ...isoTimeParam, description: 'Only callers that joined at or after this time (ISO 8601).' } },
  additionalProperties: false,
} as const;

export const queueRoutes: ApiPlugin = async (app, { source }) => {
  app.get<{ Querystring: { since?: string } }>(
    '/api/queues/stats',
    { schema: { tags: ['queues'], summary: 'Answered, abandoned, waits and service level of every queue', querystring: sinceQuery, response: { 200: arrayOf(QueueStats) } } },
    (req) => source.queueStats?.(null, isoTimeOf('since', req.query.since)) ?? [],
  );
  app.get<{ Params: { name: string }; Querystring: { since?: string } }>(
    '/api/queues/:name/stats',
    {
      schema: {
        tags: ['queues'],
        summary: 'Answered, abandoned, waits and service level of one queue',
        params: { type: 'object', properties: { name: { type: 'string', minLength: 1 } }, required: ['name'] },
        querystring: sinceQuery,
        response: { 200: QueueStats },
      },
    },
    (req) => {
      const stats = source.queueStats?.(req.params.name, isoTimeOf('since', req.query.since)) ?? null;
      if (stats === null || stats[0] === undefined) throw notFound(`no queue named "${req.params.name}"`);
      return stats[0];
    },
  );
};
