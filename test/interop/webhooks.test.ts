// Webhooks from the real `pbx start`: a SIPp call from 1001 to 1002 reaches a local CRM receiver
// as call.ringing (while 1002 rings), call.answered and call.ended, signed with the hook's secret.
import t from 'tap';
import { receiver } from '../helpers/http-receiver.js';
import { callThrough, PbxProcess, preparePbx, teardown, TOKEN } from './harness.js';
import { verify } from '../../src/webhooks/signature.js';

const SECRET = 'crm-secret-0123456789';

const crm = await receiver(t);
const setup = await preparePbx({ extraYaml: `webhooks:\n  - { url: "${crm.url}", secret: "${SECRET}" }\n` });
const pbx = await PbxProcess.start(setup, 40_000);
t.teardown(() => teardown(pbx, setup));

/**
 * Opens GET /api/events (resolved once its headers came: the PBX listens from then on) and reads
 * the names of the next `count` events.
 */
async function liveEvents(count: number): Promise<{ names: Promise<string[]> }> {
  const res = await fetch(`http://127.0.0.1:${setup.httpPort}/api/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(30_000) });
  if (res.status !== 200 || res.body === null) throw new Error(`GET /api/events answered ${res.status}`);
  return { names: eventNames(res.body, count) };
}

async function eventNames(body: ReadableStream<Uint8Array>, count: number): Promise<string[]> {
  const names: string[] = [];
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    text += decoder.decode(chunk as Uint8Array, { stream: true });
    // Whole events only: each ends with a blank line.
    const end = text.lastIndexOf('\n\n');
    if (end < 0) continue;
    for (const m of text.slice(0, end).matchAll(/^event: (\S+)$/gm)) names.push(m[1]!);
    text = text.slice(end + 2);
    if (names.length >= count) break;
  }
  await body.cancel().catch(() => undefined);
  return names;
}

t.test('a call between two SIPp phones: call.ringing, call.answered, call.ended reach the CRM, signed, and the live stream', async (t) => {
  const live = await liveEvents(3);
  const run = await callThrough(setup, { callerScenario: 'uac-call.xml', calleeScenario: 'uas.xml', durationMs: 500 });
  run.probe.close();
  t.equal(run.caller.code, 0, `caller: ${run.caller.errors}`);
  await crm.next(3);
  const events = crm.got.map((g) => JSON.parse(g.body) as { event: string; data: Record<string, unknown> });
  t.same(events.map((e) => e.event), ['call.ringing', 'call.answered', 'call.ended']);
  t.match(events[0]!.data, { from: '1001', to: '1002', extension: '1002' });
  t.match(events[2]!.data, { from: '1001', to: '1002', status: 'answered' });
  t.same(await live.names, ['call.ringing', 'call.answered', 'call.ended'], 'GET /api/events streamed the same events');
  for (const g of crm.got) t.ok(verify(SECRET, g.body, String(g.headers['x-tspbx-signature']), Math.floor(Date.now() / 1000)), `${g.headers['x-tspbx-event']} is signed`);
});

t.test('GET /metrics: Prometheus text with the finished call, registrations, the outbox, RTP loss and queue wait histograms, event-loop delay', async (t) => {
  const res = await fetch(`http://127.0.0.1:${setup.httpPort}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  t.match(text, /^tspbx_calls_finished_total\{status="answered"\} 1$/m);
  t.match(text, /^tspbx_registrations \d+$/m);
  t.match(text, /^tspbx_webhook_outbox\{state="pending"\} \d+$/m);
  t.match(text, /^tspbx_event_loop_delay_seconds\{quantile="0\.99"\} [0-9.e-]+$/m);
  t.match(text, /^# TYPE tspbx_calls gauge$/m);
  t.match(text, /^# TYPE tspbx_rtp_loss_percent histogram$/m);
  t.match(text, /^tspbx_rtp_loss_percent_bucket\{le="\+Inf"\} \d+$/m);
  t.match(text, /^# TYPE tspbx_queue_wait_seconds histogram$/m);
  const unauthorized = await fetch(`http://127.0.0.1:${setup.httpPort}/metrics`);
  t.equal(unauthorized.status, 401, 'the token guards it like the rest of the API');
});

t.test('SIGTERM exits 0', async (t) => {
  t.same(await pbx.stop(), { code: 0, signal: null });
});
