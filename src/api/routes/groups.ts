// Ring groups as configured. Changing them is config-edit's (its own plugin).
import { notFound } from '../errors.js';
import { runningConfig, type ApiPlugin } from '../plugin.js';
import { arrayOf } from '../schemas.js';

const strOrNull = { type: ['string', 'null'] } as const;

export const Group = {
  type: 'object',
  description: 'A ring group.',
  properties: {
    name: { type: 'string' },
    strategy: { type: 'string', enum: ['simultaneous', 'sequential', 'next_available', 'round_robin'] },
    members: arrayOf({ type: 'string' }),
    ring_time: { type: 'number' },
    member_timeout: { type: 'number' },
    default: { ...strOrNull, description: 'Where unanswered calls go.' },
    record: { type: 'boolean' },
  },
  required: ['name', 'strategy', 'members', 'ring_time', 'member_timeout', 'default', 'record'],
} as const;

export const nameParams = { type: 'object', properties: { name: { type: 'string', minLength: 1 } }, required: ['name'] } as const;

export const groupRoutes: ApiPlugin = async (app, { source }) => {
  app.get('/api/groups', { schema: { tags: ['groups'], summary: 'Every ring group', response: { 200: arrayOf(Group) } } }, () => [...runningConfig(source).groups.values()]);
  app.get<{ Params: { name: string } }>(
    '/api/groups/:name',
    { schema: { tags: ['groups'], summary: 'One ring group', params: nameParams, response: { 200: Group } } },
    (req) => {
      const group = runningConfig(source).groups.get(req.params.name);
      if (group === undefined) throw notFound(`no group named "${req.params.name}"`);
      return group;
    },
  );
};
