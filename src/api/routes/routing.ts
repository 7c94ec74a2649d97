// Call routing as configured: the dialplan, trunk DIDs (inbound) and outbound routes. Changing
// them is config-edit's (its own plugin).
import { runningConfig, type ApiPlugin } from '../plugin.js';
import { arrayOf } from '../schemas.js';

const numberTo = (what: string) =>
  arrayOf({ type: 'object', properties: { number: { type: 'string' }, destination: { type: 'string' } }, required: ['number', 'destination'] }, what);

export const Routes = {
  type: 'object',
  description: 'Where numbers go. Destinations are strings: an extension, ivr:NAME, group:NAME, queue:NAME, conference:NAME, voicemail:EXT, voicemail-main, hangup, or a dialplan number.',
  properties: {
    dialplan: numberTo('Numbers dialled by extensions or arriving on trunks.'),
    inbound: {
      type: 'object',
      properties: {
        dids: numberTo('Trunk calls by the number dialled (DID).'),
        default: { type: ['string', 'null'], description: 'Where other DIDs go; null: refused (404).' },
      },
      required: ['dids', 'default'],
    },
    outbound: arrayOf(
      {
        type: 'object',
        properties: {
          name: { type: 'string' },
          pattern: { type: 'string' },
          strip: { type: 'integer' },
          prepend: { type: 'string' },
          trunks: arrayOf({ type: 'string' }),
          class: { type: 'string', enum: ['local', 'national', 'international', 'emergency'] },
          caller_id: { type: ['string', 'null'] },
        },
        required: ['name', 'pattern', 'strip', 'prepend', 'trunks', 'class', 'caller_id'],
      },
      'Outside numbers: the first route whose pattern matches, through its trunks in order.',
    ),
  },
  required: ['dialplan', 'inbound', 'outbound'],
} as const;

const entries = (m: ReadonlyMap<string, string>) => [...m].map(([number, destination]) => ({ number, destination }));

export const routingRoutes: ApiPlugin = async (app, { source }) => {
  app.get('/api/routes', { schema: { tags: ['routes'], summary: 'The dialplan, inbound DIDs and outbound routes', response: { 200: Routes } } }, () => {
    const c = runningConfig(source);
    return { dialplan: entries(c.dialplan), inbound: { dids: entries(c.inbound.dids), default: c.inbound.default }, outbound: c.outbound };
  });
};
