import t from 'tap';
import { configErrors, configOf } from '../helpers/config-text.js';

const BASE = `http:
  token: t
extensions:
  "1001": { password: a }
`;

t.test('subscriptions: defaults are 60..3600 s, 3600 when the SUBSCRIBE names none, unsolicited MWI on', async (t) => {
  const c = configOf(BASE);
  t.same(c.subscriptions, { min_expires: 60, max_expires: 3600, default_expires: 3600, unsolicited_mwi: true });
  t.equal(c.extensions.get('1001')!.unsolicited_mwi, null, 'an extension follows subscriptions.unsolicited_mwi unless it says otherwise');
});

t.test('subscriptions and unsolicited_mwi are read as written', async (t) => {
  const c = configOf(BASE.replace('{ password: a }', '{ password: a, unsolicited_mwi: false }') + 'subscriptions: { min_expires: 30, max_expires: 7200, default_expires: 1800, unsolicited_mwi: false }\n');
  t.same(c.subscriptions, { min_expires: 30, max_expires: 7200, default_expires: 1800, unsolicited_mwi: false });
  t.equal(c.extensions.get('1001')!.unsolicited_mwi, false);
});

t.test('bad subscription values name FILE:LINE:COL', async (t) => {
  t.same(configErrors(BASE + 'subscriptions: { min_expires: 600, default_expires: 300 }\n'), [
    'pbx.yaml:5:53: subscriptions.default_expires: default_expires (300) must lie between min_expires (600) and max_expires (3600)',
  ]);
  t.same(configErrors(BASE + 'subscriptions: { min_expires: 0 }\n'), ['pbx.yaml:5:31: subscriptions.min_expires: must be at least 1 (got 0)']);
  t.same(configErrors(BASE + 'subscriptions: { unsolicted_mwi: true }\n'), ['pbx.yaml:5:18: subscriptions: unknown key "unsolicted_mwi"; did you mean "unsolicited_mwi"?']);
  t.same(configErrors(BASE.replace('{ password: a }', '{ password: a, unsolicited_mwi: "yes" }')), [
    'pbx.yaml:4:43: extensions.1001.unsolicited_mwi: expected true or false, got "yes"',
  ]);
});
