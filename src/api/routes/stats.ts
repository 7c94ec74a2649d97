// Statistics for the dashboard: calls per hour, day or extension from the CDR, and the queue
// wallboard (each queue now, with its answered and abandoned callers since a time).
import { badRequest } from '../errors.js';
import type { ApiPlugin } from '../plugin.js';
import { arrayOf, isoTimeOf, isoTimeParam } from '../schemas.js';
import { MAX_SLOTS, SLOT_MS, type StatsGrouping } from '../../store/call-stats.js';

const int = { type: 'integer' } as const;

const CallCounts = {
  answered: { ...int, description: 'Calls answered by a person.' },
  missed: { ...int, description: 'Missed calls (CDR missed: nobody answered a call for people).' },
  total: { ...int, description: 'All calls, refused and failed ones included.' },
} as const;

const StatsRow = {
  type: 'object',
  description: 'One slot (`start`, ISO 8601) or one extension (`extension`).',
  properties: { start: { type: 'string' }, extension: { type: 'string' }, ...CallCounts },
  required: ['answered', 'missed', 'total'],
} as const;

const CallStatsBody = {
  type: 'object',
  properties: { by: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, rows: arrayOf(StatsRow) },
  required: ['by', 'from', 'to', 'rows'],
} as const;

const Wallboard = {
  type: 'object',
  description: 'A queue now, and its callers since `since`.',
  properties: {
    queue: { type: 'string' },
    waiting: { ...int, description: 'Callers waiting now.' },
    callbacks_waiting: { ...int, description: 'Callback requests waiting for an agent.' },
    longest_wait_s: { ...int, description: 'Seconds the longest-waiting caller has waited.' },
    agents: {
      type: 'object',
      properties: { free: int, busy: int, paused: int, logged_out: int, offline: int },
      required: ['free', 'busy', 'paused', 'logged_out', 'offline'],
    },
    answered: int,
    abandoned: int,
    average_wait_s: { type: ['number', 'null'] },
    service_level_pct: { type: ['number', 'null'] },
  },
  required: ['queue', 'waiting', 'callbacks_waiting', 'longest_wait_s', 'agents', 'answered', 'abandoned', 'average_wait_s', 'service_level_pct'],
} as const;

export const statsRoutes: ApiPlugin = async (app, { source }) => {
  app.get<{ Querystring: { from: string; to: string; by: StatsGrouping } }>(
    '/api/stats/calls',
    {
      schema: {
        tags: ['statistics'],
        summary: 'Answered, missed and all calls that started in [from, to), per hour or day slot from `from`, or per extension',
        description: `Slots are whole hours or days from \`from\` (send local midnight to get local hours); at most ${MAX_SLOTS} slots. Per extension: the extension the call was for (the one that answered or was tried last).`,
        querystring: {
          type: 'object',
          properties: { from: isoTimeParam, to: isoTimeParam, by: { type: 'string', enum: ['hour', 'day', 'extension'] } },
          required: ['from', 'to', 'by'],
          additionalProperties: false,
        },
        response: { 200: CallStatsBody },
      },
    },
    (req) => {
      const from = isoTimeOf('from', req.query.from)!;
      const to = isoTimeOf('to', req.query.to)!;
      const fromMs = Date.parse(from);
      const toMs = Date.parse(to);
      if (toMs <= fromMs) throw badRequest('querystring/to must be after querystring/from');
      const { by } = req.query;
      if (by !== 'extension' && Math.ceil((toMs - fromMs) / SLOT_MS[by]) > MAX_SLOTS) throw badRequest(`querystring/to: at most ${MAX_SLOTS} slots of one ${by} from querystring/from`);
      return { by, from, to, rows: source.callStats?.(by, fromMs, toMs) ?? [] };
    },
  );

  app.get<{ Querystring: { since?: string } }>(
    '/api/wallboard',
    {
      schema: {
        tags: ['queues'],
        summary: 'Every queue now (waiting callers, longest wait, agents by state) with its answered and abandoned callers since `since`',
        querystring: { type: 'object', properties: { since: isoTimeParam }, additionalProperties: false },
        response: { 200: arrayOf(Wallboard) },
      },
    },
    (req) => {
      const since = isoTimeOf('since', req.query.since);
      const stats = new Map((source.queueStats?.(null, since) ?? []).map((s) => [s.queue, s]));
      return (source.queueLive?.() ?? []).map((live) => {
        const s = stats.get(live.queue);
        return { ...live, answered: s?.answered ?? 0, abandoned: s?.abandoned ?? 0, average_wait_s: s?.average_wait_s ?? null, service_level_pct: s?.service_level_pct ?? null };
      });
    },
  );
};
