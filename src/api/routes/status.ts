// The running PBX: status, registered phones, trunks, and reload of the config file.
import type { ApiPlugin } from '../plugin.js';
import { arrayOf, ErrorBody, RegistrationInfo, StatusInfo, TrunkInfo } from '../schemas.js';

export const statusRoutes: ApiPlugin = async (app, { source, log }) => {
  app.get('/api/status', { schema: { tags: ['status'], summary: 'Uptime, registrations, calls in progress, version (`pbx status`)', response: { 200: StatusInfo } } }, () =>
    source.status(),
  );
  app.get(
    '/api/registrations',
    { schema: { tags: ['status'], summary: 'Registered phone contacts (`pbx registrations`)', response: { 200: arrayOf(RegistrationInfo) } } },
    () => source.registrations(),
  );
  app.get('/api/trunks', { schema: { tags: ['status'], summary: 'SIP trunks and their registration state', response: { 200: arrayOf(TrunkInfo) } } }, () => source.trunks?.() ?? []);
  app.post(
    '/api/reload',
    {
      schema: {
        tags: ['status'],
        summary: 'Load the config file again (`pbx reload`); an invalid file is refused with its FILE:LINE:COL lines and the old config stays',
        response: {
          200: { type: 'object', properties: { ok: { type: 'boolean', const: true } }, required: ['ok'] },
          422: { type: 'object', properties: { ok: { type: 'boolean', const: false }, errors: ErrorBody.properties.errors }, required: ['ok', 'errors'] },
        },
      },
    },
    async (_req, reply) => {
      const result = await source.reload();
      log.info({ ok: result.ok, errors: result.ok ? 0 : result.errors.length }, 'reload requested through the REST API');
      return reply.code(result.ok ? 200 : 422).send(result);
    },
  );
};
