// Do not disturb and forwards set from the phone: stored in SQLite, over the config's forwards.
import t from 'tap';
import { forwardsOf } from '../../src/apps/extension.js';
import { ringOrder } from '../../src/apps/group.js';
import { ExtensionSettings, SETTINGS_ERRORS } from '../../src/store/extension-settings.js';
import { configOf } from '../helpers/config-text.js';
import { throwsPbxError } from '../helpers/pbx-error.js';
import { tempDir } from '../helpers/temp-dir.js';

t.test('settings made from the phone survive a restart', async (t) => {
  const dir = tempDir(t, 'settings');
  const first = ExtensionSettings.open(dir);
  t.same(first.of('1001'), { dnd: false, forward: {} }, 'nothing set: no DND, the config forwards');
  first.setDnd('1001', true);
  first.setForward('1001', 'always', '1003');
  first.setForward('1002', 'busy', null);
  first.setDnd('1002', true);
  first.setDnd('1002', false);
  first.close();
  first.close();
  const again = ExtensionSettings.open(dir);
  t.teardown(() => again.close());
  t.same(again.of('1001'), { dnd: true, forward: { always: '1003' } });
  t.same(again.of('1002'), { dnd: false, forward: { busy: null } }, 'a forward turned off stays off');
  t.same([...again.all().keys()].sort(), ['1001', '1002']);
  throwsPbxError(t, () => again.setDnd('10 01', true), SETTINGS_ERRORS.EXTENSION, /not an extension number/);
});

t.test("the phone's forward of a kind overrides the config's, including turning it off", async (t) => {
  const c = configOf('http: { token: t }\nextensions:\n  "1001": { password: a, forward: { busy: "1002", no_answer: { after: 7, to: "1002" }, unavailable: "1002" } }\n  "1002": { password: b }\n');
  const cfg = c.extensions.get('1001')!;
  t.same(forwardsOf(cfg, {}), { always: null, busy: '1002', no_answer: { after: 7, to: '1002' }, unavailable: '1002' });
  t.same(forwardsOf(cfg, { always: '1002', busy: null, no_answer: '1003' }), { always: '1002', busy: null, no_answer: { after: 7, to: '1003' }, unavailable: '1002' });
  t.same(forwardsOf(c.extensions.get('1002')!, { no_answer: '1001' }).no_answer, { after: 20, to: '1001' }, 'no config time: 20 s');
});

t.test('round robin starts after the member who answered last; other strategies keep the list order', async (t) => {
  const g = { name: 'g', strategy: 'round_robin' as const, members: ['1', '2', '3'], ring_time: 20, member_timeout: 5, default: null, record: false, caller_id: null, caller_id_name: null };
  t.same(ringOrder(g, undefined), ['1', '2', '3']);
  t.same(ringOrder(g, '1'), ['2', '3', '1']);
  t.same(ringOrder(g, '3'), ['1', '2', '3']);
  t.same(ringOrder(g, '9'), ['1', '2', '3'], 'a member no longer in the list: from the start');
  t.same(ringOrder({ ...g, strategy: 'sequential' }, '1'), ['1', '2', '3']);
});
