// Finished calls (call detail records).
import type { ApiPlugin } from '../plugin.js';
import { arrayOf, CdrRow, flagOn, flagParam, isoTimeOf, isoTimeParam, limitParam } from '../schemas.js';

interface CdrQuery {
  missed?: string;
  since?: string;
  limit: number;
}

export const cdrRoutes: ApiPlugin = async (app, { source }) => {
  app.get<{ Querystring: CdrQuery }>(
    '/api/cdr',
    {
      schema: {
        tags: ['cdr'],
        summary: 'Finished calls, newest first (`pbx cdr`)',
        querystring: {
          type: 'object',
          properties: {
            missed: { ...flagParam, description: 'Only calls nobody answered.' },
            since: { ...isoTimeParam, description: 'Only calls that started at or after this time (ISO 8601).' },
            limit: limitParam,
          },
          additionalProperties: false,
        },
        response: { 200: arrayOf(CdrRow) },
      },
    },
    (req) => source.cdr({ missed: flagOn(req.query.missed), since: isoTimeOf('since', req.query.since), limit: req.query.limit }),
  );
};
