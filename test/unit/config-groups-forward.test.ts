// Config of ring groups (member_timeout), follow-me and speed dial: defaults, and every bad value
// reported at FILE:LINE:COL.
import t from 'tap';
import { configErrors, configOf } from '../helpers/config-text.js';

const BASE = 'http: { token: t }\nextensions:\n  "1001": { password: a }\n  "1002": { password: b }\n';

t.test('a group rings each member 15 s in turn unless member_timeout says otherwise', async (t) => {
  const c = configOf(`${BASE}groups:\n  a: { strategy: sequential, members: ["1001"] }\n  b: { strategy: round_robin, members: ["1001"], member_timeout: 7 }\n`);
  t.equal(c.groups.get('a')?.member_timeout, 15);
  t.equal(c.groups.get('b')?.member_timeout, 7);
  t.same(configErrors(`${BASE}groups:\n  a: { members: ["1001"], member_timeout: 0 }\n`), ['pbx.yaml:6:43: groups.a.member_timeout: must be at least 1 (got 0)']);
  t.same(configErrors(`${BASE}groups:\n  a: { members: ["1001", "1009"] }\n`), ['pbx.yaml:6:26: groups.a.members[1]: member "1009" is not an extension']);
});

t.test('follow_me: defaults, and numbers that are not extensions are errors at FILE:LINE:COL', async (t) => {
  const c = configOf(`${BASE}  "1003": { password: c, follow_me: { numbers: ["1001", 1002] } }\n`);
  t.same(c.extensions.get('1003')?.follow_me, { numbers: ['1001', '1002'], after: 10, ring: 'together', ring_time: 20 });
  t.equal(c.extensions.get('1001')?.follow_me, null);
  t.same(configErrors(`${BASE}  "1003": { password: c, follow_me: { numbers: ["1009"] } }\n`), [
    'pbx.yaml:5:49: extensions.1003.follow_me.numbers[0]: follow-me number 1009 is not an extension, a dialplan number that leads to one, nor an outside number an outbound route matches',
  ]);
  t.same(configErrors(`${BASE}  "1003": { password: c, follow_me: { numbers: ["1003"] } }\n`), ['pbx.yaml:5:49: extensions.1003.follow_me.numbers[0]: follow-me number 1003 is extension 1003 itself']);
  t.same(configErrors(`${BASE}  "1003": { password: c, follow_me: { numbers: [], ring: all } }\n`), [
    'pbx.yaml:5:48: extensions.1003.follow_me.numbers: follow_me needs at least one number',
    'pbx.yaml:5:58: extensions.1003.follow_me.ring: must be one of together, in_turn (got "all")',
  ]);
});

t.test('speed_dial: global and per extension; a short number hiding a number, or a target pointing nowhere, is an error', async (t) => {
  const c = configOf(`${BASE}  "1003": { password: c, speed_dial: { "11": "+74951234567" } }\nspeed_dial: { "11": "1002", "*5": "group:g" }\ngroups: { g: { members: ["1001"] } }\n`);
  t.same([...c.speed_dial], [['11', '1002'], ['*5', 'group:g']]);
  t.same([...c.extensions.get('1003')!.speed_dial], [['11', '+74951234567']], 'an outside number is kept for trunks');
  t.same(configErrors(`${BASE}speed_dial: { "1001": "1002" }\n`), ['pbx.yaml:5:15: speed_dial.1001: speed-dial number 1001 hides extension 1001']);
  t.same(configErrors(`${BASE}speed_dial:\n  "11": "ivr:nope"\n`), ['pbx.yaml:6:9: speed_dial.11: destination "ivr:nope" points nowhere: no ivr named "nope"']);
  t.same(configErrors(`${BASE}  "1003": { password: c, speed_dial: { "1x": "1001" } }\n`), ['pbx.yaml:5:40: extensions.1003.speed_dial: speed-dial number 1x must be 1 to 8 keys of 0-9 * #']);
});
