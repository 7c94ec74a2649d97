// Extensions: do not disturb and forwards in force.
import { notFound } from '../errors.js';
import type { ApiPlugin } from '../plugin.js';
import { ForwardingInfo } from '../schemas.js';

export const extensionParams = {
  type: 'object',
  properties: { ext: { type: 'string', pattern: '^[0-9]{1,20}$', description: 'The extension number.' } },
  required: ['ext'],
} as const;

export const extensionRoutes: ApiPlugin = async (app, { source }) => {
  app.get<{ Params: { ext: string } }>(
    '/api/extensions/:ext/forward',
    { schema: { tags: ['extensions'], summary: "An extension's do not disturb and forwards, config and phone settings merged", params: extensionParams, response: { 200: ForwardingInfo } } },
    (req) => {
      const info = source.forwarding?.(req.params.ext) ?? null;
      if (info === null) throw notFound(`no extension ${req.params.ext}`);
      return info;
    },
  );
};
