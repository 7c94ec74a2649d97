import t from 'tap';
import { configErrors, configOf } from '../helpers/config-text.js';
import { featureMatcher } from '../../src/config/feature-numbers.js';
import { compileRouting } from '../../src/config/routing.js';

const BASE = 'http: { token: t }\nextensions:\n  "1001": { password: a }\n';

t.test('features.record_toggle is *1 unless set; null turns the feature code off', async (t) => {
  t.equal(configOf(BASE).features.record_toggle, '*1');
  t.equal(configOf(`${BASE}features: { record_toggle: "#9" }\n`).features.record_toggle, '#9');
  t.equal(configOf(`${BASE}features: { record_toggle: 55 }\n`).features.record_toggle, '55', 'digits YAML reads as a number stay digits');
  t.equal(configOf(`${BASE}features: { record_toggle: null }\n`).features.record_toggle, null);
});

t.test('a bad feature code or an unknown features key is an error at FILE:LINE:COL', async (t) => {
  t.same(configErrors(`${BASE}features:\n  record_toggle: "*x"\n`), ['pbx.yaml:5:18: features.record_toggle: a feature code is 1 to 8 keys of 0-9 * # A-D, not "*x"']);
  t.same(configErrors(`${BASE}features: { record_toggle: "" }\n`), ['pbx.yaml:4:28: features.record_toggle: a feature code is 1 to 8 keys of 0-9 * # A-D, not ""']);
  t.same(configErrors(`${BASE}features: { record_toggle: "*123456789" }\n`).length, 1, 'at most 8 keys');
  t.same(configErrors(`${BASE}features: { record_togle: "*1" }\n`), ['pbx.yaml:4:13: features: unknown key "record_togle"; did you mean "record_toggle"?']);
});

t.test('dialled feature codes route to their feature unless an extension or dialplan number has the same digits', async (t) => {
  const routing = compileRouting(configOf(`${BASE}dialplan:\n  "*98": "1001"\n`));
  t.same(routing.resolve('*97'), { kind: 'feature', name: 'voicemail', arg: null }, 'the default *97');
  t.same(routing.resolve('*98'), { kind: 'extension', ext: '1001' }, 'the dialplan number wins over the code');
  t.equal(routing.resolve('*970'), null, 'a code without an argument matches exactly');
  const moved = compileRouting(configOf(`${BASE}features: { voicemail: "*500", voicemail_any: null }\n`));
  t.same(moved.resolve('*500'), { kind: 'feature', name: 'voicemail', arg: null }, 'a code set in the config');
  t.equal(moved.resolve('*97'), null, 'the default is gone once another code is set');
  t.equal(moved.resolve('*98'), null, 'null turns a code off');
});

t.test('a feature code that takes an argument matches the longest code with digits after it', async (t) => {
  const codes = { record_toggle: null, blind_transfer: null, park: null, voicemail: '*97', voicemail_any: '*98', pickup: '*8', pickup_directed: '**' } as const;
  const match = featureMatcher(codes);
  t.same(match('*97'), { name: 'voicemail', arg: null });
  t.same(match('**1002'), { name: 'pickup_directed', arg: '1002' }, 'directed pickup: the extension after the code');
  t.equal(match('**'), null, 'a code that takes an argument needs digits after it');
  t.same(match('*8'), { name: 'pickup', arg: null });
  t.equal(match('*9'), null);
  t.equal(match(''), null);
});
