// Finished calls (call detail records): filters and paging.
import type { CdrListQuery } from '../control-types.js';
import type { ApiPlugin } from '../plugin.js';
import { arrayOf, CdrRow, flagOn, flagParam, isoTimeOf, isoTimeParam, limitParam } from '../schemas.js';

interface CdrQuerystring {
  missed?: string;
  since?: string;
  until?: string;
  status?: CdrListQuery['status'];
  extension?: string;
  number?: string;
  limit: number;
  offset?: number;
}

export const cdrRoutes: ApiPlugin = async (app, { source }) => {
  app.get<{ Querystring: CdrQuerystring }>(
    '/api/cdr',
    {
      schema: {
        tags: ['cdr'],
        summary: 'Finished calls, newest first (`pbx cdr`), filtered and paged',
        description:
          'Paging: `limit` rows from `offset`. The answer carries `X-Total-Count` (rows matching the filters) and, when more follow, `Link: </api/cdr?...&offset=N>; rel="next"` (RFC 8288). Rows written meanwhile shift the pages: page from a fixed `until` for a stable list.',
        querystring: {
          type: 'object',
          properties: {
            missed: { ...flagParam, description: 'Only missed calls (no person answered a call for people).' },
            since: { ...isoTimeParam, description: 'Only calls that started at or after this time (ISO 8601).' },
            until: { ...isoTimeParam, description: 'Only calls that started before this time (ISO 8601).' },
            status: { type: 'string', enum: ['answered', 'missed', 'busy', 'failed', 'voicemail'] },
            extension: { type: 'string', pattern: '^[0-9]{1,20}$', description: 'Calls from or to this extension, or that rang it on their way.' },
            number: { type: 'string', pattern: '^\\+?[0-9*#]{1,32}$', description: 'Calls whose from or to contains these digits.' },
            limit: limitParam,
            offset: { type: 'integer', minimum: 0, maximum: 1_000_000, description: 'Rows skipped (default 0).' },
          },
          additionalProperties: false,
        },
        response: { 200: arrayOf(CdrRow) },
      },
    },
    (req, reply) => {
      const q = req.query;
      const query: CdrListQuery = { missed: flagOn(q.missed), since: isoTimeOf('since', q.since), limit: q.limit };
      const until = isoTimeOf('until', q.until);
      if (until !== null) query.until = until;
      if (q.status !== undefined) query.status = q.status;
      if (q.extension !== undefined) query.extension = q.extension;
      if (q.number !== undefined) query.number = q.number;
      if (q.offset !== undefined && q.offset > 0) query.offset = q.offset;
      const rows = source.cdr(query);
      const total = source.cdrCount?.(query);
      if (total !== undefined) {
        void reply.header('x-total-count', String(total));
        const nextOffset = (query.offset ?? 0) + rows.length;
        if (rows.length > 0 && nextOffset < total) {
          const next = new URLSearchParams(req.url.split('?', 2)[1] ?? '');
          next.set('offset', String(nextOffset));
          void reply.header('link', `</api/cdr?${next}>; rel="next"`);
        }
      }
      return rows;
    },
  );
};
