// Extensions, groups, queues and routes changed in the config file: POST adds an entry (409 when
// it exists), PUT adds or replaces one, DELETE removes one (409 while the rest of the config still
// needs it). Each edit keeps the file's comments and layout, is checked as `pbx check` checks
// (400 with the FILE:LINE:COL lines otherwise, the file untouched), honours If-Match, and reloads
// the PBX. The bodies are the entries as the YAML holds them (docs/config.md); the schemas below
// name the common keys, and the config check refuses an unknown one by name.
import { addEntry, entryName, entryNoun, putEntry, removeEntry, type EntrySection } from '../../config/edit/entries.js';
import { generatePassword } from '../../config/edit/password.js';
import { applyEdit, EditReplySchema, ifMatchHeader } from '../config-edit.js';
import type { ApiPlugin } from '../plugin.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const members = { type: 'array', items: str, minItems: 1, description: 'Extension numbers.' } as const;
const destination = { type: ['string', 'null'], description: 'A destination: an extension, ivr:NAME, group:NAME, queue:NAME, voicemail:EXT, hangup, a dialplan number...' } as const;

const ExtensionEntry = {
  type: 'object',
  description: 'An extension as `extensions.NUMBER` of the config (docs/config.md).',
  properties: {
    name: str,
    password: { ...str, minLength: 1, description: 'The SIP password.' },
    voicemail: { description: '`{ pin, email }`, or false to turn the mailbox off.' },
    forward: { type: 'object', description: '`always`, `busy`, `unavailable` (destinations) and `no_answer: { after, to }`.' },
    max_calls: int,
    record: bool,
    language: { type: ['string', 'null'] },
    dtmf_mode: { ...str, description: 'auto, rfc4733, info or inband.' },
    unsolicited_mwi: { type: ['boolean', 'null'] },
    follow_me: { type: ['object', 'null'] },
    speed_dial: { type: 'object' },
    outbound: { type: 'object', description: '`allow`, `caller_id`, `anonymous`, `max_calls_per_hour`, `max_concurrent`.' },
  },
} as const;

const GroupEntry = {
  type: 'object',
  description: 'A ring group as `groups.NAME` of the config.',
  properties: { strategy: { ...str, description: 'simultaneous, sequential, next_available or round_robin.' }, members, ring_time: int, member_timeout: int, default: destination, record: bool },
} as const;

const QueueEntry = {
  type: 'object',
  description: 'A call queue as `queues.NAME` of the config.',
  properties: {
    strategy: { ...str, description: 'ringall, leastrecent, fewestcalls, random, rrmemory or linear.' },
    members,
    max_wait: int,
    default: destination,
    record: bool,
    announce_position: int,
    member_timeout: int,
    wrapup: int,
    callback: bool,
    service_level: int,
    music_on_hold: { type: ['string', 'null'] },
  },
} as const;

const OutboundRoute = {
  type: 'object',
  description: 'An outbound route as an item of `outbound` (its name is the key in the path).',
  properties: {
    pattern: { ...str, description: 'Dial pattern: X any digit, Z 1-9, N 2-9, [1-5], and a trailing . for one or more more.' },
    strip: int,
    prepend: str,
    trunks: { type: 'array', items: str, minItems: 1 },
    class: { ...str, description: 'local, national, international or emergency.' },
    caller_id: { type: ['string', 'null'] },
  },
} as const;

const DestinationBody = {
  type: 'object',
  properties: { destination: { ...str, minLength: 1, description: destination.description } },
  required: ['destination'],
  additionalProperties: false,
} as const;

const NAME = '^[A-Za-z0-9_-]{1,64}$';

interface EntryRoutes {
  section: EntrySection;
  tag: string;
  /** `/api/extensions`. */
  base: string;
  /** The key's path parameter and body field (POST). */
  key: string;
  keySchema: { type: 'string'; pattern: string; description: string };
  /** The entry's schema; a destination map (dialplan, inbound) takes `{ destination }`. */
  entry: { type: 'object'; properties: object; description: string } | null;
  /** POST on the collection (a new entry, 409 when it exists). */
  post: boolean;
}

const KINDS: readonly EntryRoutes[] = [
  { section: 'extensions', tag: 'extensions', base: '/api/extensions', key: 'ext', keySchema: { type: 'string', pattern: '^[0-9]{1,20}$', description: 'The extension number.' }, entry: ExtensionEntry, post: true },
  { section: 'groups', tag: 'groups', base: '/api/groups', key: 'name', keySchema: { type: 'string', pattern: NAME, description: 'The group name.' }, entry: GroupEntry, post: true },
  { section: 'queues', tag: 'queues', base: '/api/queues', key: 'name', keySchema: { type: 'string', pattern: NAME, description: 'The queue name.' }, entry: QueueEntry, post: true },
  { section: 'outbound', tag: 'routes', base: '/api/routes/outbound', key: 'name', keySchema: { type: 'string', pattern: NAME, description: 'The route name (route1, route2... for an unnamed one).' }, entry: OutboundRoute, post: true },
  { section: 'inbound', tag: 'routes', base: '/api/routes/inbound', key: 'did', keySchema: { type: 'string', pattern: '^(?:default|\\+?[0-9*#]{1,32})$', description: 'The DID called on a trunk, or default.' }, entry: null, post: false },
  { section: 'dialplan', tag: 'routes', base: '/api/dialplan', key: 'number', keySchema: { type: 'string', pattern: '^[0-9*#+]{1,32}$', description: 'The dialplan number (URL-encode # as %23).' }, entry: null, post: false },
];

const CreatedReply = {
  ...EditReplySchema,
  properties: { ...EditReplySchema.properties, created: bool, password: { ...str, description: 'The generated SIP password of a new extension, shown this once.' } },
} as const;

export const configEntryRoutes: ApiPlugin = async (app, { source, log }) => {
  for (const kind of KINDS) {
    const params = { type: 'object', properties: { [kind.key]: kind.keySchema }, required: [kind.key] } as const;
    const body = kind.entry ?? DestinationBody;
    const valueOf = (b: Record<string, unknown>): unknown => (kind.entry === null ? b.destination : b);
    const noun = (key: string): string => entryName(kind.section, key);

    if (kind.post) {
      const postBody = { ...body, properties: { [kind.key]: kind.keySchema, ...body.properties }, required: [kind.key] };
      app.post<{ Body: Record<string, unknown> }>(
        kind.base,
        { schema: { tags: [kind.tag], summary: `Add a ${entryNoun(kind.section)} to the config (409 when it exists) and reload`, headers: ifMatchHeader, body: postBody, response: { 201: CreatedReply } } },
        async (req, reply) => {
          const { [kind.key]: keyValue, ...entry } = req.body;
          const key = String(keyValue);
          const generated = kind.section === 'extensions' && entry.password === undefined ? generatePassword() : undefined;
          if (generated !== undefined) entry.password = generated;
          const done = await applyEdit({ source, log, req, reply, change: (doc) => addEntry(doc, kind.section, key, entry), what: `${noun(key)} added` });
          return reply.code(201).send({ ...done.reply, created: true, ...(generated === undefined ? {} : { password: generated }) });
        },
      );
    }

    app.put<{ Params: Record<string, string>; Body: Record<string, unknown> }>(
      `${kind.base}/:${kind.key}`,
      { schema: { tags: [kind.tag], summary: `Add or replace a ${entryNoun(kind.section)} in the config and reload`, params, headers: ifMatchHeader, body, response: { 200: CreatedReply, 201: CreatedReply } } },
      async (req, reply) => {
        const key = req.params[kind.key]!;
        const done = await applyEdit({ source, log, req, reply, change: (doc) => putEntry(doc, kind.section, key, valueOf(req.body)), what: `${noun(key)} put` });
        const created = done.value === 'created';
        return reply.code(created ? 201 : 200).send({ ...done.reply, created });
      },
    );

    app.delete<{ Params: Record<string, string> }>(
      `${kind.base}/:${kind.key}`,
      {
        schema: {
          tags: [kind.tag],
          summary: `Remove a ${entryNoun(kind.section)} from the config and reload (409 while the config still uses it)`,
          params,
          headers: ifMatchHeader,
          response: { 200: EditReplySchema },
        },
      },
      async (req, reply) => {
        const key = req.params[kind.key]!;
        const done = await applyEdit({ source, log, req, reply, change: (doc) => removeEntry(doc, kind.section, key), what: `${noun(key)} removed`, removal: true });
        return done.reply;
      },
    );
  }
};
