// Any key of the config file: GET /api/config?path=P reads it as the file holds it (with the
// file's revision as ETag), PATCH /api/config sets or removes it; the edit keeps comments and
// layout, is checked as `pbx check` checks, honours If-Match, and reloads the PBX.
import { readConfigFile } from '../../config/edit/config-file.js';
import { parsePath, pathText } from '../../config/edit/path.js';
import { YamlText } from '../../config/edit/yaml-text.js';
import type { PathKey } from '../../config/positions.js';
import { PbxError } from '../../util/errors.js';
import { applyEdit, configFileOf, EditReplySchema, ifMatchHeader } from '../config-edit.js';
import { badRequest, HttpError, notFound } from '../errors.js';
import type { ApiPlugin } from '../plugin.js';

const path = { type: 'string', description: 'A dotted path: extensions.1001.name, sip.listen[0], callers.known."+7495*"; empty for the whole file.' } as const;

function pathOf(text: string): PathKey[] {
  try {
    return parsePath(text);
  } catch (err) {
    if (err instanceof PbxError) throw badRequest(err.message);
    throw err;
  }
}

export const configRoutes: ApiPlugin = async (app, { source, log }) => {
  app.get<{ Querystring: { path?: string } }>(
    '/api/config',
    {
      schema: {
        tags: ['config'],
        summary: 'A key of the config file as the file holds it (defaults not filled in), and the file revision (ETag)',
        querystring: { type: 'object', properties: { path }, additionalProperties: false },
        response: {
          200: {
            type: 'object',
            properties: { path: { type: 'string' }, value: { description: 'Any JSON value.' }, revision: { type: 'string' } },
            required: ['path', 'value', 'revision'],
          },
        },
      },
    },
    async (req, reply) => {
      const keys = pathOf(req.query.path ?? '');
      const file = configFileOf(source);
      let doc: YamlText;
      let revision: string;
      try {
        const read = await readConfigFile(file);
        revision = read.revision;
        doc = new YamlText(read.text);
      } catch (err) {
        if (err instanceof PbxError) throw new HttpError(500, 'internal_error', err.message);
        throw err;
      }
      const value = doc.get(keys);
      if (value === undefined) throw notFound(`${pathText(keys)} is not set in ${file}`);
      void reply.header('etag', `"${revision}"`);
      return { path: pathText(keys), value, revision };
    },
  );

  app.patch<{ Body: { path: string; value?: unknown; remove?: boolean } }>(
    '/api/config',
    {
      schema: {
        tags: ['config'],
        summary: 'Set a key of the config file (keys missing on the way are added) or remove it, then reload',
        headers: ifMatchHeader,
        body: {
          type: 'object',
          properties: { path: { ...path, minLength: 1 }, value: { description: 'The new value, any JSON.' }, remove: { type: 'boolean', description: 'true: remove the key (its default applies).' } },
          required: ['path'],
          additionalProperties: false,
        },
        response: { 200: EditReplySchema },
      },
    },
    async (req, reply) => {
      const keys = pathOf(req.body.path);
      const remove = req.body.remove === true;
      const hasValue = Object.hasOwn(req.body, 'value');
      if (remove === hasValue) throw badRequest('body: give value, or remove: true (not both)');
      const done = await applyEdit({
        source,
        log,
        req,
        reply,
        change: (doc) => (remove ? doc.delete(keys) : doc.set(keys, req.body.value)),
        what: `${remove ? 'removed' : 'set'} ${pathText(keys)}`,
        removal: remove,
      });
      return done.reply;
    },
  );
};
