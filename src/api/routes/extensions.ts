// Extensions as configured (secrets left out) with their registered contacts, and the do not
// disturb and forwards in force. Changing them is config-edit's (its own plugin).
import type { ExtensionConfig } from '../../config/types.js';
import { notFound } from '../errors.js';
import { runningConfig, type ApiPlugin } from '../plugin.js';
import { arrayOf, ForwardingInfo } from '../schemas.js';

export const extensionParams = {
  type: 'object',
  properties: { ext: { type: 'string', pattern: '^[0-9]{1,20}$', description: 'The extension number.' } },
  required: ['ext'],
} as const;

const strOrNull = { type: ['string', 'null'] } as const;

export const Extension = {
  type: 'object',
  description: 'An extension as configured; its password and voicemail PIN are never shown.',
  properties: {
    number: { type: 'string' },
    name: { type: 'string' },
    voicemail: { type: ['object', 'null'], properties: { email: strOrNull }, required: ['email'], description: 'Its mailbox; null when it has none.' },
    forward: {
      type: 'object',
      properties: {
        always: strOrNull,
        busy: strOrNull,
        no_answer: { type: ['object', 'null'], properties: { after: { type: 'number' }, to: { type: 'string' } }, required: ['after', 'to'] },
        unavailable: strOrNull,
      },
      required: ['always', 'busy', 'no_answer', 'unavailable'],
    },
    max_calls: { type: 'integer', description: '0: no limit.' },
    record: { type: 'boolean' },
    language: strOrNull,
    dtmf_mode: { type: 'string', enum: ['auto', 'rfc4733', 'info', 'inband'] },
    follow_me: {
      type: ['object', 'null'],
      properties: { numbers: arrayOf({ type: 'string' }), after: { type: 'number' }, ring: { type: 'string', enum: ['together', 'in_turn'] }, ring_time: { type: 'number' } },
      required: ['numbers', 'after', 'ring', 'ring_time'],
    },
    speed_dial: { type: 'object', additionalProperties: { type: 'string' } },
    outbound: {
      type: 'object',
      properties: {
        allow: arrayOf({ type: 'string' }),
        caller_id: strOrNull,
        anonymous: { type: 'boolean' },
        max_calls_per_hour: { type: 'integer' },
        max_concurrent: { type: 'integer' },
      },
      required: ['allow', 'caller_id', 'anonymous', 'max_calls_per_hour', 'max_concurrent'],
    },
    registered: { type: 'integer', description: 'Contacts registered now.' },
  },
  required: ['number', 'name', 'voicemail', 'forward', 'max_calls', 'record', 'language', 'dtmf_mode', 'follow_me', 'speed_dial', 'outbound', 'registered'],
} as const;

function view(e: ExtensionConfig, registered: number) {
  return {
    number: e.number,
    name: e.name,
    voicemail: e.voicemail === null ? null : { email: e.voicemail.email },
    forward: e.forward,
    max_calls: e.max_calls,
    record: e.record,
    language: e.language,
    dtmf_mode: e.dtmf_mode,
    follow_me: e.follow_me,
    speed_dial: Object.fromEntries(e.speed_dial),
    outbound: { ...e.outbound, allow: [...e.outbound.allow] },
    registered,
  };
}

export const extensionRoutes: ApiPlugin = async (app, { source }) => {
  const registeredCounts = (): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const r of source.registrations()) counts.set(r.extension, (counts.get(r.extension) ?? 0) + 1);
    return counts;
  };
  app.get('/api/extensions', { schema: { tags: ['extensions'], summary: 'Every extension, by number', response: { 200: arrayOf(Extension) } } }, () => {
    const counts = registeredCounts();
    return [...runningConfig(source).extensions.values()].sort((a, b) => (a.number < b.number ? -1 : 1)).map((e) => view(e, counts.get(e.number) ?? 0));
  });
  app.get<{ Params: { ext: string } }>(
    '/api/extensions/:ext',
    { schema: { tags: ['extensions'], summary: 'One extension', params: extensionParams, response: { 200: Extension } } },
    (req) => {
      const e = runningConfig(source).extensions.get(req.params.ext);
      if (e === undefined) throw notFound(`no extension ${req.params.ext}`);
      return view(e, registeredCounts().get(e.number) ?? 0);
    },
  );
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
