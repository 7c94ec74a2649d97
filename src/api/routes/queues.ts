// Call queues as configured, and their statistics (`pbx queue stats`). Changing them is
// config-edit's (its own plugin).
import { notFound } from '../errors.js';
import { runningConfig, type ApiPlugin } from '../plugin.js';
import { arrayOf, isoTimeOf, isoTimeParam, QueueStats } from '../schemas.js';
import { nameParams } from './groups.js';

const strOrNull = { type: ['string', 'null'] } as const;

export const Queue = {
  type: 'object',
  description: 'A call queue. (A queue named "stats" is read at /api/queues/stats only as statistics.)',
  properties: {
    name: { type: 'string' },
    strategy: { type: 'string', enum: ['ringall', 'leastrecent', 'fewestcalls', 'random', 'rrmemory', 'linear'] },
    members: arrayOf({ type: 'string' }),
    max_wait: { type: 'number' },
    default: strOrNull,
    record: { type: 'boolean' },
    announce_position: { type: 'number' },
    member_timeout: { type: 'number' },
    wrapup: { type: 'number' },
    callback: { type: 'boolean' },
    service_level: { type: 'number' },
    music_on_hold: strOrNull,
  },
  required: ['name', 'strategy', 'members', 'max_wait', 'default', 'record', 'announce_position', 'member_timeout', 'wrapup', 'callback', 'service_level', 'music_on_hold'],
} as const;

const sinceQuery = {
  type: 'object',
  properties: { since: { ...isoTimeParam, description: 'Only callers that joined at or after this time (ISO 8601).' } },
  additionalProperties: false,
} as const;

export const queueRoutes: ApiPlugin = async (app, { source }) => {
  app.get('/api/queues', { schema: { tags: ['queues'], summary: 'Every call queue', response: { 200: arrayOf(Queue) } } }, () => [...runningConfig(source).queues.values()]);
  app.get<{ Params: { name: string } }>(
    '/api/queues/:name',
    { schema: { tags: ['queues'], summary: 'One call queue', params: nameParams, response: { 200: Queue } } },
    (req) => {
      const queue = runningConfig(source).queues.get(req.params.name);
      if (queue === undefined) throw notFound(`no queue named "${req.params.name}"`);
      return queue;
    },
  );
  app.get<{ Querystring: { since?: string } }>(
    '/api/queues/stats',
    { schema: { tags: ['queues'], summary: 'Answered, abandoned, waits and service level of every queue (`pbx queue stats`)', querystring: sinceQuery, response: { 200: arrayOf(QueueStats) } } },
    (req) => source.queueStats?.(null, isoTimeOf('since', req.query.since)) ?? [],
  );
  app.get<{ Params: { name: string }; Querystring: { since?: string } }>(
    '/api/queues/:name/stats',
    {
      schema: {
        tags: ['queues'],
        summary: 'Answered, abandoned, waits and service level of one queue (`pbx queue stats NAME`)',
        params: nameParams,
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
