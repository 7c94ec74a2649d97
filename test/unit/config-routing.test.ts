import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { compileRouting } from '../../src/config/routing.js';
import { configOf } from '../helpers/config-text.js';

const EXAMPLE = fileURLToPath(new URL('../../config.example.yaml', import.meta.url));

t.test('config.example.yaml is valid and routes every CONTRACT number', async (t) => {
  const r = loadConfig(EXAMPLE);
  if (!r.ok) return t.fail(r.errors.join('\n'));
  const routing = compileRouting(r.config);
  t.equal(routing.config, r.config);
  t.same(routing.resolve('1002'), { kind: 'extension', ext: '1002' });
  t.same(routing.resolve('500'), { kind: 'ivr', name: 'main' });
  t.same(routing.resolve('600'), { kind: 'group', name: 'sales' });
  t.same(routing.resolve('700'), { kind: 'conference', name: 'team' });
  t.same(routing.resolve('*97'), { kind: 'voicemail-main' });
  t.equal(routing.resolve('999'), null);
  t.match(r.config.conferences.get('team'), { name: 'team', pin: null, max_members: 0 }, 'an undeclared room exists without a PIN');
  t.same(r.config.extensions.get('1002')!.forward.no_answer, { after: 20, to: '1003' });
  t.same(r.config.groups.get('sales')!.members, ['1001', '1003']);
  t.same(r.config.sip.listen.map((l) => `${l.transport}:${l.host}:${l.port}`), ['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060']);
});

t.test('dialplan numbers resolve through other numbers to their final destination', async (t) => {
  const routing = compileRouting(
    configOf(`http: { token: t }
extensions:
  "1001": { password: a, voicemail: { pin: "1" } }
queues:
  support: { members: ["1001"] }
conferences:
  board: { pin: "99" }
dialplan:
  "0": "100"
  "100": "200"
  "200": "1001"
  "300": "queue:support"
  "301": "300"
  "400": "voicemail:1001"
  "401": "hangup"
  "402": "conference:board"
`),
  );
  t.same(routing.resolve('0'), { kind: 'extension', ext: '1001' });
  t.same(routing.resolve('100'), { kind: 'extension', ext: '1001' });
  t.same(routing.resolve('301'), { kind: 'queue', name: 'support' });
  t.same(routing.resolve('400'), { kind: 'voicemail', ext: '1001' });
  t.same(routing.resolve('401'), { kind: 'hangup' });
  t.same(routing.resolve('402'), { kind: 'conference', name: 'board' });
  t.equal(routing.config.conferences.get('board')!.pin, '99');
});

t.test('each compile is independent: a reload does not change the routing calls already hold', async (t) => {
  const base = 'http: { token: t }\nextensions:\n  "1001": { password: a }\n  "1002": { password: b }\n';
  const before = compileRouting(configOf(base + 'dialplan:\n  "9": "1001"\n'));
  const after = compileRouting(configOf(base + 'dialplan:\n  "9": "1002"\n'));
  t.same(before.resolve('9'), { kind: 'extension', ext: '1001' });
  t.same(after.resolve('9'), { kind: 'extension', ext: '1002' });
});
