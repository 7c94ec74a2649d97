// Call recordings: list (newest first, paged by `before`), download with range requests, delete.
import { deleteRecording, listRecordings, recordingFile } from '../../media/recording/catalog.js';
import { conflict, notFound } from '../errors.js';
import { downloadResponses, sendFile } from '../file-download.js';
import type { ApiPlugin } from '../plugin.js';
import { arrayOf, LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX } from '../schemas.js';

const RecordingFile = {
  type: 'object',
  description: 'A recording file.',
  properties: {
    id: { type: 'string', description: 'Its path under data_dir/recordings (YYYY/MM/DD/HHMMSS_FROM_TO_HASH.wav): a CDR row\'s `recording` without that directory.' },
    url: { type: 'string', description: 'Where to download it (GET, range requests welcome) or delete it.' },
    bytes: { type: 'integer' },
    modified_at: { type: 'string' },
    started_at: { type: ['string', 'null'] },
  },
  required: ['id', 'url', 'bytes', 'modified_at', 'started_at'],
} as const;

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 5, description: 'The recording\'s id, URL-encoded as one path segment (2026%2F11%2F26%2F231254_1001_1002_5f3a09c1.wav).' } },
  required: ['id'],
} as const;

const urlOf = (id: string): string => `/api/recordings/${encodeURIComponent(id)}`;

export const recordingRoutes: ApiPlugin = async (app, { source, log }) => {
  const dir = (): string => {
    const d = source.recordingsDir?.();
    if (d === undefined) throw notFound('no recordings in this PBX');
    return d;
  };
  const fileOf = (id: string): string => {
    const path = recordingFile(dir(), id);
    if (path === null) throw notFound(`no recording ${id}`);
    return path;
  };

  app.get<{ Querystring: { day?: string; before?: string; limit: number } }>(
    '/api/recordings',
    {
      schema: {
        tags: ['recordings'],
        summary: 'Recording files, newest first',
        description: 'Paging: a full page has a `Link: <...before=LAST_ID>; rel="next"` header for the next one.',
        querystring: {
          type: 'object',
          properties: {
            day: { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\d$', description: 'Only the recordings of this UTC day.' },
            before: { type: 'string', description: 'Only ids before this one: the next page after a page that ended with it.' },
            limit: { type: 'integer', minimum: 1, maximum: LIST_LIMIT_MAX, default: LIST_LIMIT_DEFAULT },
          },
          additionalProperties: false,
        },
        response: { 200: arrayOf(RecordingFile) },
      },
    },
    async (req, reply) => {
      const { day, before, limit } = req.query;
      const files = await listRecordings(dir(), { ...(day === undefined ? {} : { day }), ...(before === undefined ? {} : { before }), limit }, log);
      const last = files.at(-1);
      if (files.length === limit && last !== undefined) {
        const next = new URLSearchParams({ ...(day === undefined ? {} : { day }), before: last.id, limit: String(limit) });
        void reply.header('link', `</api/recordings?${next}>; rel="next"`);
      }
      return files.map((f) => ({ ...f, url: urlOf(f.id) }));
    },
  );
  app.get<{ Params: { id: string } }>(
    '/api/recordings/:id',
    {
      schema: {
        tags: ['recordings'],
        summary: 'Download a recording (audio/wav); `Range: bytes=FIRST-LAST` gets 206 with that part, a bad range 416',
        params: idParams,
        produces: ['audio/wav'],
        response: downloadResponses('The WAV file'),
      },
    },
    (req, reply) => sendFile(req, reply, fileOf(req.params.id), 'audio/wav', req.params.id.split('/').at(-1)!),
  );
  app.delete<{ Params: { id: string } }>(
    '/api/recordings/:id',
    {
      schema: {
        tags: ['recordings'],
        summary: 'Delete a recording; 409 while it is being written (modified in the last minute)',
        params: idParams,
        response: { 200: { type: 'object', properties: { id: { type: 'string' }, deleted: { type: 'boolean', const: true } }, required: ['id', 'deleted'] } },
      },
    },
    async (req) => {
      const { id } = req.params;
      const result = await deleteRecording(dir(), id);
      if (result === 'gone') throw notFound(`no recording ${id}`);
      if (result === 'active') throw conflict(`recording ${id} is being written`);
      log.info({ id }, 'recording deleted through the REST API');
      return { id, deleted: true };
    },
  );
};
