// An IVR over real SIP peers: a SIPp caller dials the menu (500), the PBX answers and plays the
// prompt, the caller presses 1 by RFC 4733 and the PBX hands it over to 1001 (a registered SIPp
// UAS): media then flows both ways through the PBX, and the CDR shows the path and when a person
// answered.
import t from 'tap';
import type { CdrRow } from '../../src/store/types.js';
import { callThrough, describe, isPbxMediaSource, PbxProcess, pbxJson, preparePbx, teardown } from './harness.js';

const setup = await preparePbx({
  extraYaml: [
    'ivr:',
    '  main: { prompt: welcome, options: { "1": "1001" }, timeout: 5, default: "1003" }',
    'dialplan:',
    '  "500": "ivr:main"',
    '',
  ].join('\n'),
});
const pbx = await PbxProcess.start(setup);
t.teardown(() => teardown(pbx, setup));

const run = await callThrough(setup, { callerScenario: 'uac-ivr.xml', calleeScenario: 'uas.xml', caller: '1002', callee: '1001', dial: '500', durationMs: 3000 });
t.teardown(() => run.probe.close());
const counts = run.probe.counts;

t.test('the caller and the extension finish their scenarios', async (t) => {
  t.equal(run.caller.code, 0, run.caller.errors);
  t.equal(run.callee.code, 0, run.callee.errors);
});

t.test('after the hand-over the caller’s audio reaches 1001 from a PBX media port, and 1001’s comes back', async (t) => {
  t.ok((counts.fromPeer.get(8) ?? 0) >= 50, describe(counts));
  t.ok([...counts.sources].every((s) => isPbxMediaSource(s, setup.rtp)), `every packet came from rtp.ports: ${[...counts.sources].join(', ')}`);
  t.ok(counts.echoedBack >= 50, describe(counts));
});

t.test('the PBX heard the RFC 4733 digit and logged the menu choice', async (t) => {
  const line = await pbx.waitForLog((l) => l.msg === 'menu input');
  t.match(line, { choice: 'option', ivr: 'main' });
});

t.test('the CDR: answered, the path through the menu, answered_at after the IVR answered', async (t) => {
  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.equal(rows.length, 1);
  const row = rows[0]!;
  t.match(row, { from: '1002', to: '500', status: 'answered', path: 'ivr:main>1001' });
  // The caller listens 1.5 s before pressing 1, and the menu waits 2 s more for a second digit.
  const waited = Date.parse(row.answered_at!) - Date.parse(row.started_at);
  t.ok(waited >= 3000, `answered_at is 1001 answering, not the menu (${waited} ms after the start)`);
});

t.test('SIGTERM after the call exits 0', async (t) => {
  t.same(await pbx.stop(), { code: 0, signal: null });
});
