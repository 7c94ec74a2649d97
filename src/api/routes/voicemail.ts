// Voicemail messages: list, download with range requests, delete.
import { basename } from 'node:path';
import type { VoicemailFolder, VoicemailMessage } from '../../store/voicemail-store.js';
import type { VoicemailAccess } from '../control-types.js';
import { notFound } from '../errors.js';
import { downloadResponses, sendFile } from '../file-download.js';
import type { ApiPlugin } from '../plugin.js';
import { arrayOf } from '../schemas.js';

const FOLDERS = ['new', 'old', 'saved'] as const;

const Message = {
  type: 'object',
  description: 'A voicemail message.',
  properties: {
    id: { type: 'string' },
    mailbox: { type: 'string' },
    folder: { type: 'string', enum: FOLDERS },
    caller: { type: 'string' },
    caller_name: { type: ['string', 'null'] },
    duration_s: { type: 'number' },
    urgent: { type: 'boolean' },
    created_at: { type: 'string' },
    call_id: { type: ['string', 'null'] },
    url: { type: 'string', description: 'Where to download the audio (GET, range requests welcome).' },
  },
  required: ['id', 'mailbox', 'folder', 'caller', 'caller_name', 'duration_s', 'urgent', 'created_at', 'call_id', 'url'],
} as const;

const idParams = { type: 'object', properties: { id: { type: 'string', minLength: 1 } }, required: ['id'] } as const;

function view(m: VoicemailMessage) {
  const { path: _path, ...rest } = m;
  return { ...rest, url: `/api/voicemail/${encodeURIComponent(m.id)}/audio` };
}

export const voicemailRoutes: ApiPlugin = async (app, { source, log }) => {
  const box = (): VoicemailAccess => {
    if (source.voicemail === undefined) throw notFound('no voicemail in this PBX');
    return source.voicemail;
  };
  const message = (id: string): VoicemailMessage => {
    const m = box().get(id);
    if (m === null) throw notFound(`no voicemail message ${id}`);
    return m;
  };

  app.get<{ Querystring: { mailbox?: string; folder?: VoicemailFolder } }>(
    '/api/voicemail',
    {
      schema: {
        tags: ['voicemail'],
        summary: 'Voicemail messages, by mailbox, oldest first',
        querystring: {
          type: 'object',
          properties: {
            mailbox: { type: 'string', pattern: '^[0-9]{1,20}$', description: 'One mailbox (default: every mailbox holding messages).' },
            folder: { type: 'string', enum: FOLDERS },
          },
          additionalProperties: false,
        },
        response: { 200: arrayOf(Message) },
      },
    },
    (req) => {
      const { mailbox, folder } = req.query;
      const boxes = mailbox === undefined ? box().mailboxes().sort() : [mailbox];
      return boxes.flatMap((b) => box().list(b, folder)).map(view);
    },
  );
  app.get<{ Params: { id: string } }>(
    '/api/voicemail/:id',
    { schema: { tags: ['voicemail'], summary: 'One voicemail message', params: idParams, response: { 200: Message } } },
    (req) => view(message(req.params.id)),
  );
  app.get<{ Params: { id: string } }>(
    '/api/voicemail/:id/audio',
    {
      schema: {
        tags: ['voicemail'],
        summary: 'Download a message (audio/wav); `Range: bytes=FIRST-LAST` gets 206 with that part, a bad range 416',
        params: idParams,
        produces: ['audio/wav'],
        response: downloadResponses('The WAV file'),
      },
    },
    (req, reply) => {
      const m = message(req.params.id);
      return sendFile(req, reply, m.path, 'audio/wav', basename(m.path));
    },
  );
  app.delete<{ Params: { id: string } }>(
    '/api/voicemail/:id',
    { schema: { tags: ['voicemail'], summary: 'Delete a message (file and index)', params: idParams, response: { 200: Message } } },
    async (req) => {
      const m = message(req.params.id);
      if (!(await box().delete(m.id))) throw notFound(`no voicemail message ${m.id}`);
      log.info({ id: m.id, mailbox: m.mailbox }, 'voicemail deleted through the REST API');
      return view(m);
    },
  );
};
