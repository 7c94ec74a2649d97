import t from 'tap';
import { configErrors, configOf } from '../helpers/config-text.js';
import { defaultFeatureCodes, featureMatcher } from '../../src/config/feature-numbers.js';
import { compileRouting } from '../../src/config/routing.js';

const BASE = 'http: { token: t }\nextensions:\n  "1001": { password: a }\n';

t.test('features.record_toggle is *1 unless set; null turns the feature code off', async (t) => {
  t.equal(configOf(BASE).features.record_toggle, '*1');
  t.equal(configOf(`${BASE}features: { record_toggle: "#9" }\n`).features.record_toggle, '#9');
  t.equal(configOf(`${BASE}features: { record_toggle: 55 }\n`).features.record_toggle, '55', 'digits YAML reads as a number stay digits');
  t.equal(configOf(`${BASE}features: { record_toggle: null }\n`).features.record_toggle, null);
  t.equal(configOf(BASE).features.attended_transfer, '*2', 'attended transfer is *2 unless set');
  t.equal(configOf(`${BASE}features: { attended_transfer: null }\n`).features.attended_transfer, null);
});

t.test('a bad feature code or an unknown features key is an error at FILE:LINE:COL', async (t) => {
  t.same(configErrors(`${BASE}features:\n  record_toggle: "*x"\n`), ['pbx.yaml:5:18: features.record_toggle: a feature code is 1 to 8 keys of 0-9 * # A-D, not "*x"']);
  t.same(configErrors(`${BASE}features: { record_toggle: "" }\n`), ['pbx.yaml:4:28: features.record_toggle: a feature code is 1 to 8 keys of 0-9 * # A-D, not ""']);
  t.same(configErrors(`${BASE}features: { record_toggle: "*123456789" }\n`).length, 1, 'at most 8 keys');
  t.same(configErrors(`${BASE}features:\n  attended_transfer: "*2x"\n`), ['pbx.yaml:5:22: features.attended_transfer: a feature code is 1 to 8 keys of 0-9 * # A-D, not "*2x"']);
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
  const codes = { record_toggle: null, blind_transfer: null, attended_transfer: null, park: null, ...defaultFeatureCodes(), forward_busy_on: '*7' };
  const match = featureMatcher(codes);
  t.same(match('*97'), { name: 'voicemail', arg: null });
  t.same(match('*721003'), { name: 'forward_always_on', arg: '1003' }, '*72 is longer than *7: it wins');
  t.same(match('*71003'), { name: 'forward_busy_on', arg: '1003' });
  t.same(match('*72'), { name: 'forward_busy_on', arg: '2' }, 'the shorter code with digits after it');
  t.same(match('*78'), { name: 'dnd_on', arg: null }, 'an exact code before a prefix');
  t.same(match('*45'), { name: 'queue_login', arg: null }, 'a code whose argument is optional matches alone');
  t.same(match('*45800'), { name: 'queue_login', arg: '800' }, 'and with digits after it');
  const defaults = featureMatcher({ record_toggle: null, blind_transfer: null, attended_transfer: null, park: null, ...defaultFeatureCodes() });
  t.equal(defaults('*72'), null, 'a code that takes an argument needs digits after it');
  t.same(defaults('*901003'), { name: 'forward_busy_on', arg: '1003' });
  t.same(match('**1002'), { name: 'pickup_directed', arg: '1002' }, 'directed pickup: the extension after the code');
  t.equal(match('**'), null, 'a code that takes an argument needs digits after it');
  t.same(match('*8'), { name: 'pickup', arg: null });
  t.equal(match('*9'), null);
  t.equal(match(''), null);
});

t.test('a feature number that is an extension, or a bad one, is an error at FILE:LINE:COL', async (t) => {
  t.same(configErrors(`${BASE}features:\n  voicemail: "1001"\n`), ['pbx.yaml:5:14: features.voicemail: feature number 1001 is also an extension; pick a number no extension has (such as *97)']);
  t.same(configErrors(`${BASE}features: { voicemail_any: "*9x" }\n`), ['pbx.yaml:4:28: features.voicemail_any: a feature code is 1 to 8 keys of 0-9 * # A-D, not "*9x"']);
});

t.test('voicemail.max_message is 180 s, min_message 1 s and max_silence 10 s unless set; out of range is an error', async (t) => {
  t.same(configOf(BASE).voicemail, { max_message: 180, min_message: 1, max_silence: 10 });
  t.same(configOf(`${BASE}voicemail: { max_message: 60, min_message: 0, max_silence: 0 }\n`).voicemail, { max_message: 60, min_message: 0, max_silence: 0 });
  t.same(configErrors(`${BASE}voicemail:\n  max_message: 2\n`), ['pbx.yaml:5:16: voicemail.max_message: must be at least 5 (got 2)']);
});
