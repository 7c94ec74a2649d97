import t from 'tap';
import { configErrors, configOf } from '../helpers/config-text.js';

const BASE = 'http: { token: t }\nextensions:\n  "1001": { password: a }\ngroups:\n  sales: { members: ["1001"] }\n';

t.test('missed_calls: off by default; ring is an extension or group:NAME, delay in seconds', async (t) => {
  t.same(configOf(BASE).missed_calls, { auto_callback: false, ring: null, delay: 10, attempts: 3, pause: 300 });
  t.same(configOf(`${BASE}missed_calls: { auto_callback: true, ring: "group:sales", delay: 0 }\n`).missed_calls, { auto_callback: true, ring: 'group:sales', delay: 0, attempts: 3, pause: 300 });
  t.same(configOf(`${BASE}missed_calls: { auto_callback: true, ring: "1001" }\n`).missed_calls.ring, '1001');
});

t.test('a ring target that is no extension or group, or auto_callback without one, is an error at FILE:LINE:COL', async (t) => {
  t.same(configErrors(`${BASE}missed_calls: { auto_callback: true, ring: "group:support" }\n`), [
    'pbx.yaml:6:44: missed_calls.ring: missed_calls.ring is an extension or group:NAME that exists, not "group:support"',
  ]);
  t.same(configErrors(`${BASE}missed_calls: { auto_callback: true }\n`), ['pbx.yaml:6:1: missed_calls: auto_callback needs ring: the extension or group:NAME rung first']);
  t.equal(configErrors(`${BASE}missed_calls: { delay: -1 }\n`).length, 1, 'a negative delay');
});
