import t from 'tap';
import { compileRouting } from '../../src/config/routing.js';
import { recordingPathFor, retentionPolicy, shouldRecord } from '../../src/media/recording/policy.js';
import { configErrors, configOf } from '../helpers/config-text.js';

const BASE = `http:
  token: t
extensions:
  "1001": { password: a, record: true }
  "1002": { password: b }
  "1003": { password: c }
`;

t.test('recording: defaults are stereo, keep forever, no size limit, 500 MB free space guard, no numbers', async (t) => {
  const c = configOf(BASE);
  t.same(c.recording, { format: 'stereo', retention_days: 0, max_total_mb: 0, min_free_mb: 500, numbers: [] });
  t.same(retentionPolicy(c.recording), { retentionDays: 0, maxTotalBytes: 0 });
  const set = configOf(BASE + 'dialplan: { "500": "1002" }\nrecording: { format: mono, retention_days: 90, max_total_mb: 2048, min_free_mb: 0, numbers: [500] }\n');
  t.same(set.recording, { format: 'mono', retention_days: 90, max_total_mb: 2048, min_free_mb: 0, numbers: ['500'] });
  t.same(retentionPolicy(set.recording), { retentionDays: 90, maxTotalBytes: 2048 * 1024 * 1024 });
});

t.test('bad recording keys are errors at their position', async (t) => {
  t.same(configErrors(BASE + 'recording:\n  format: surround\n  retention_days: -1\n  max_total: 5\n'), [
    'pbx.yaml:8:11: recording.format: must be one of stereo, mono (got "surround")',
    'pbx.yaml:9:19: recording.retention_days: must be at least 0 (got -1)',
    'pbx.yaml:10:3: recording: unknown key "max_total"; did you mean "max_total_mb"?',
  ]);
});

t.test('recording.numbers must be dialplan numbers, each error at its position', async (t) => {
  const text = BASE + `dialplan:
  "500": "ivr:main"
  "600": "1002"
ivr:
  main: { prompt: welcome }
recording:
  numbers: ["500", "501", "1001", "600", "5a"]
`;
  t.same(configErrors(text), [
    'pbx.yaml:13:20: recording.numbers[1]: 501 is not a dialplan number; did you mean "500"?',
    'pbx.yaml:13:27: recording.numbers[2]: 1001 is an extension, not a dialplan number; record its calls with extensions.1001.record: true',
    'pbx.yaml:13:42: recording.numbers[4]: dialplan number "5a" may only use 0-9 * # +',
  ]);
});

t.test('groups and queues take record: true', async (t) => {
  const c = configOf(BASE + 'groups:\n  sales: { members: ["1002"], record: true }\n  support: { members: ["1003"] }\nqueues:\n  q: { members: ["1002"], record: true }\n');
  t.same([c.groups.get('sales')!.record, c.groups.get('support')!.record, c.queues.get('q')!.record], [true, false, true]);
  t.same(configErrors(BASE + 'groups:\n  g: { members: ["1002"], record: yes please }\n'), ['pbx.yaml:8:35: groups.g.record: expected true or false, got "yes please"']);
});

t.test('shouldRecord: an extension with record, a recorded number or what it leads to, a recorded group or queue', async (t) => {
  const routing = compileRouting(
    configOf(
      BASE +
        `dialplan:
  "500": "group:sales"
  "501": "500"
  "502": "1002"
  "600": "queue:q"
  "700": "group:support"
groups:
  sales: { members: ["1002"] }
  support: { members: ["1003"], record: true }
queues:
  q: { members: ["1003"], record: true }
recording:
  numbers: ["500"]
`,
    ),
  );
  const q = (from: string | null, to: string | null, dialled: string | null, extra: { group?: string; queue?: string } = {}): boolean =>
    shouldRecord(routing, { from, to, dialled, ...extra });
  t.equal(q('1001', '1002', '1002'), true, 'the caller records');
  t.equal(q('1002', '1001', '1001'), true, 'the callee records');
  t.equal(q('1002', '1003', '1003'), false, 'neither records');
  t.equal(q('0612345678', '1002', '500'), true, 'a recorded number (DID)');
  t.equal(q('0612345678', '1002', '501'), true, 'a number that leads through a recorded one');
  t.equal(q('0612345678', '1002', '502'), false);
  t.equal(q('1002', '1003', '700'), true, 'a number that rings a recorded group');
  t.equal(q('1002', '1003', '600'), true, 'a number that rings a recorded queue');
  t.equal(q('1002', '1003', null, { group: 'support' }), true, 'the group the call went through');
  t.equal(q('1002', '1003', null, { queue: 'q' }), true, 'the queue the call went through');
  t.equal(q('1002', '1003', null, { group: 'sales' }), false);
  t.equal(q(null, null, '999'), false, 'an unknown number');
});

t.test('recordingPathFor: data_dir/recordings/YYYY/MM/DD (UTC) and a name from the call', async (t) => {
  const startedAt = new Date('2026-11-25T23:12:54.123Z');
  const path = recordingPathFor('/var/lib/pbx', { startedAt, from: '1001', to: '+4930123456', callId: 'a84b4c76e66710@pc33.atlanta.com' });
  t.match(path, /^\/var\/lib\/pbx\/recordings\/2026\/11\/25\/231254_1001_\+4930123456_[0-9a-f]{8}\.wav$/);
  t.equal(recordingPathFor('/d', { startedAt, from: '1001', to: '1002', callId: 'x' }), recordingPathFor('/d', { startedAt, from: '1001', to: '1002', callId: 'x' }));
  t.not(recordingPathFor('/d', { startedAt, from: '1001', to: '1002', callId: 'x' }), recordingPathFor('/d', { startedAt, from: '1001', to: '1002', callId: 'y' }), 'the Call-ID tells two calls apart');
  const odd = recordingPathFor('/d', { startedAt, from: '../../etc/passwd', to: '', callId: 'z' });
  t.match(odd, /^\/d\/recordings\/2026\/11\/25\/231254_\.\._\.\._etc_passwd_unknown_[0-9a-f]{8}\.wav$/, 'no path separators from a caller; empty parts named');
  t.match(recordingPathFor('/d', { startedAt, from: '..', to: '*97', callId: 'z' }), /231254_unknown__97_/);
});
