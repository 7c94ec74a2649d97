import t from 'tap';
import { configErrors, configOf } from '../helpers/config-text.js';

const BASE = 'http: { token: t }\nextensions:\n  "1001": { password: a }\n';

t.test('features.record_toggle is *1 unless set; null turns the feature code off', async (t) => {
  t.same(configOf(BASE).features, { record_toggle: '*1' });
  t.same(configOf(`${BASE}features: { record_toggle: "#9" }\n`).features, { record_toggle: '#9' });
  t.same(configOf(`${BASE}features: { record_toggle: 55 }\n`).features, { record_toggle: '55' }, 'digits YAML reads as a number stay digits');
  t.same(configOf(`${BASE}features: { record_toggle: null }\n`).features, { record_toggle: null });
});

t.test('a bad feature code or an unknown features key is an error at FILE:LINE:COL', async (t) => {
  t.same(configErrors(`${BASE}features:\n  record_toggle: "*x"\n`), ['pbx.yaml:5:18: features.record_toggle: a feature code is 1 to 8 keys of 0-9 * # A-D, not "*x"']);
  t.same(configErrors(`${BASE}features: { record_toggle: "" }\n`), ['pbx.yaml:4:28: features.record_toggle: a feature code is 1 to 8 keys of 0-9 * # A-D, not ""']);
  t.same(configErrors(`${BASE}features: { record_toggle: "*123456789" }\n`).length, 1, 'at most 8 keys');
  t.same(configErrors(`${BASE}features: { record_togle: "*1" }\n`), ['pbx.yaml:4:13: features: unknown key "record_togle"; did you mean "record_toggle"?']);
});
