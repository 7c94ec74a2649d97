// Webhooks from the real `pbx start`: a SIPp call from 1001 to 1002 reaches a local CRM receiver
// as call.ringing (while 1002 rings), call.answered and call.ended, signed with the hook's secret.
import t from 'tap';
import { receiver } from '../helpers/http-receiver.js';
import { callThrough, PbxProcess, preparePbx, teardown } from './harness.js';
import { verify } from '../../src/webhooks/signature.js';

const SECRET = 'crm-secret-0123456789';

const crm = await receiver(t);
const setup = await preparePbx({ extraYaml: `webhooks:\n  - { url: "${crm.url}", secret: "${SECRET}" }\n` });
const pbx = await PbxProcess.start(setup);
t.teardown(() => teardown(pbx, setup));

t.test('a call between two SIPp phones: call.ringing, call.answered, call.ended reach the CRM, signed', async (t) => {
  const run = await callThrough(setup, { callerScenario: 'uac-call.xml', calleeScenario: 'uas.xml', durationMs: 500 });
  run.probe.close();
  t.equal(run.caller.code, 0, `caller: ${run.caller.errors}`);
  await crm.next(3);
  const events = crm.got.map((g) => JSON.parse(g.body) as { event: string; data: Record<string, unknown> });
  t.same(events.map((e) => e.event), ['call.ringing', 'call.answered', 'call.ended']);
  t.match(events[0]!.data, { from: '1001', to: '1002', extension: '1002' });
  t.match(events[2]!.data, { from: '1001', to: '1002', status: 'answered' });
  for (const g of crm.got) t.ok(verify(SECRET, g.body, String(g.headers['x-tspbx-signature']), Math.floor(Date.now() / 1000)), `${g.headers['x-tspbx-event']} is signed`);
});

t.test('SIGTERM exits 0', async (t) => {
  t.same(await pbx.stop(), { code: 0, signal: null });
});
