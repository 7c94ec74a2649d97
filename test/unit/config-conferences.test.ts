import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { compileRouting } from '../../src/config/routing.js';
import { configErrors, configOf } from '../helpers/config-text.js';

const BASE = 'http: { token: t }\nextensions:\n  "1001": { password: a }\ndialplan:\n  "700": "conference:team"\n';
const OPEN = { pin: null, admin_pin: null, max_members: 0, muted: false, announce_count: true, quiet: false, language: null };

t.test('a room named only by a destination is open with every option at its default', async (t) => {
  t.same(configOf(BASE).conferences.get('team'), { name: 'team', ...OPEN });
  t.same(configOf(`${BASE}conferences:\n  team:\n`).conferences.get('team'), { name: 'team', ...OPEN }, 'an empty entry too');
});

t.test('conferences.NAME takes a PIN, an admin PIN, a member limit, muted entry, the count announcement, beeps and a language', async (t) => {
  const room = configOf(`${BASE}conferences:
  team: { pin: 4321, admin_pin: "0099", max_members: 10, muted: true, announce_count: false, quiet: true, language: ru }
`).conferences.get('team');
  t.same(room, { name: 'team', pin: '4321', admin_pin: '0099', max_members: 10, muted: true, announce_count: false, quiet: true, language: 'ru' });
});

t.test('a bad conference value is an error at FILE:LINE:COL', async (t) => {
  t.same(configErrors(`${BASE}conferences:\n  team: { pin: "12a4" }\n`), ['pbx.yaml:7:16: conferences.team.pin: a PIN is 1 to 16 digits']);
  t.same(configErrors(`${BASE}conferences:\n  team:\n    pin: ""\n`), ['pbx.yaml:8:10: conferences.team.pin: a PIN is 1 to 16 digits']);
  t.same(configErrors(`${BASE}conferences:\n  team: { pin: "12345678901234567" }\n`), ['pbx.yaml:7:16: conferences.team.pin: a PIN is 1 to 16 digits'], 'at most 16 digits');
  t.same(configErrors(`${BASE}conferences:\n  team: { max_members: -1 }\n`), ['pbx.yaml:7:24: conferences.team.max_members: must be at least 0 (got -1)']);
  t.same(configErrors(`${BASE}conferences:\n  team: { muted: "yes" }\n`).length, 1, 'muted is true or false');
  t.same(configErrors(`${BASE}conferences:\n  team: { pn: "1" }\n`), ['pbx.yaml:7:11: conferences.team: unknown key "pn"; did you mean "pin"?']);
  t.same(configErrors(`${BASE}conferences:\n  team: { pin: "1", language: xx }\n`).length, 1, 'a language without prompts');
});

t.test('admin_pin needs a pin and must differ from it', async (t) => {
  t.same(configErrors(`${BASE}conferences:\n  team: { admin_pin: "9" }\n`), [
    'pbx.yaml:7:22: conferences.team.admin_pin: admin_pin needs a pin for the other callers (without one the room would let in admins only)',
  ]);
  t.same(configErrors(`${BASE}conferences:\n  team: { pin: "9", admin_pin: 9 }\n`), ['pbx.yaml:7:32: conferences.team.admin_pin: admin_pin must differ from pin']);
});

t.test('examples/conference.yaml routes its numbers to rooms with their options', async (t) => {
  const r = loadConfig(fileURLToPath(new URL('../../examples/conference.yaml', import.meta.url)));
  if (!r.ok) return t.fail(r.errors.join('\n'));
  const routing = compileRouting(r.config);
  t.same(routing.resolve('701'), { kind: 'conference', name: 'board' });
  t.match(r.config.conferences.get('board'), { pin: '2468', admin_pin: '8642', muted: true, language: 'ru' });
  t.match(r.config.conferences.get('lobby'), { pin: null, max_members: 5, quiet: true, announce_count: false });
});
