// The callback list: numbers whose calls nobody answered, until someone calls them back.
import { notFound } from '../errors.js';
import type { ApiPlugin } from '../plugin.js';
import { arrayOf, flagOn, flagParam, limitParam, MissedCall } from '../schemas.js';

export const missedRoutes: ApiPlugin = async (app, { source }) => {
  app.get<{ Querystring: { all?: string; limit: number } }>(
    '/api/missed',
    {
      schema: {
        tags: ['missed'],
        summary: 'The callback list (`pbx missed`): open entries, newest last call first',
        querystring: {
          type: 'object',
          properties: { all: { ...flagParam, description: 'Closed entries too.' }, limit: limitParam },
          additionalProperties: false,
        },
        response: { 200: arrayOf(MissedCall) },
      },
    },
    (req) => source.missed({ all: flagOn(req.query.all), limit: req.query.limit }),
  );
  app.post<{ Params: { id: string } }>(
    '/api/missed/:id/done',
    {
      schema: {
        tags: ['missed'],
        summary: 'Mark an open entry called back by hand (`pbx missed done`)',
        params: { type: 'object', properties: { id: { type: 'string', minLength: 1, description: 'The entry\'s id ("m7") or its number.' } }, required: ['id'] },
        response: { 200: MissedCall },
      },
    },
    (req) => {
      const closed = source.missedDone(req.params.id);
      if (closed === null) throw notFound(`no open missed-call entry with id or number ${req.params.id}`);
      return closed;
    },
  );
};
