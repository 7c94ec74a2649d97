// Queues over real UDP on 127.0.0.1: the PBX answers a queue caller with music on hold, rings
// agents as the strategy says (ringall: every free one at once; linear: in member order), reads
// out the caller's position, takes "1" (RFC 4733) as a callback request, and dials the callback
// once the busy agent is free: the agent first, then the customer. After max_wait the caller goes
// to the queue's default.
import t, { type Test } from 'tap';
import { RtpEndpoint } from '../helpers/rtp-endpoint.js';
import type { PlaySource } from '../../src/media/engine.js';
import { answeredCall, callIdOf, cdrFor, hangUp, phone } from './helpers/flows.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';
import { sdpFor, sdpMedia, type Addr, type Phone, type PhoneDialog } from './helpers/phone.js';
import { basename } from 'node:path';

const CODECS: Array<[number, string]> = [[0, 'PCMU'], [101, 'telephone-event']];

const QUEUES = `queues:
  all: { strategy: ringall, members: ["1001", "1002"], announce_position: 0, member_timeout: 5, wrapup: 0 }
  line: { strategy: linear, members: ["1002", "1001"], announce_position: 0, member_timeout: 1, wrapup: 0 }
  back: { strategy: linear, members: ["1001"], announce_position: 30, callback: true, wrapup: 1 }
  short: { strategy: ringall, members: ["1004"], announce_position: 0, max_wait: 2, default: "1003" }
`;

t.setTimeout(120_000);

let pbx: TestPbx;
/** The prompt files played to each media leg, in order (engine play requests). */
const played = new Map<string, string[]>();

t.before(async () => {
  pbx = await startPbx({
    dialplan: { '801': 'queue:all', '802': 'queue:line', '803': 'queue:back', '804': 'queue:short' },
    extra: QUEUES,
    queueRetryMs: 3000,
  });
  const play = pbx.media.play.bind(pbx.media);
  pbx.media.play = (legId: string, items: readonly PlaySource[], options) => {
    const list = played.get(legId) ?? [];
    for (const item of items) if ('file' in item) list.push(basename(item.file, '.wav'));
    played.set(legId, list);
    return play(legId, items, options);
  };
});
t.teardown(() => pbx.close());

/** Resolves once the PBX logged `msg` (polled, bounded to 5 s). */
async function logged(msg: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (pbx.log.some((l) => l.msg === msg)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the PBX did not log "${msg}" within 5 s`);
}

interface QueueCall {
  dialog: PhoneDialog;
  callId: string;
  pbxMedia: Addr;
  ep: RtpEndpoint;
}

/** `caller` dials a queue; the PBX answers and music on hold (or an announcement) reaches the caller's RTP socket. */
async function callQueue(t: Test, caller: Phone, number: string): Promise<QueueCall> {
  const ep = await RtpEndpoint.open({ name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: 101 });
  t.teardown(() => ep.close());
  const invite = await caller.dial(number, sdpFor(ep.port, CODECS));
  const ok = await caller.final(invite);
  if (ok.status !== 200) throw new Error(`the queue answered ${ok.status}`);
  const dialog = caller.dialogFromUac(invite, ok);
  caller.inDialog(dialog, 'ACK', undefined, dialog.cseq);
  await ep.waitFor(() => (ep.packets.get(0) ?? 0) >= 25, 8000, 'audio from the queue');
  return { dialog, callId: callIdOf(invite), pbxMedia: sdpMedia(ok.body), ep };
}

/** The power of the audio received, to tell music from silence. */
function loud(pcm: Int16Array): boolean {
  let peak = 0;
  for (const s of pcm) peak = Math.max(peak, Math.abs(s));
  return peak > 500;
}

t.test('ringall: the caller hears music on hold while every free agent rings at once; the first to answer gets the call', async (t) => {
  const caller = await phone(t, pbx, '1005');
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const c = await callQueue(t, caller, '801');
  t.ok(loud(c.ep.received()), 'the caller hears music on hold');
  const [atAlice, atBob] = await Promise.all([alice.request('INVITE'), bob.request('INVITE')]);
  t.pass('both agents ring');
  alice.reply(atAlice, 180, 'alicetag');
  bob.reply(atBob, 180, 'bobtag');
  c.ep.clear();
  await c.ep.waitFor(() => (c.ep.packets.get(0) ?? 0) >= 25, 5000, 'music while the agents ring');
  t.ok(loud(c.ep.received()), 'the music goes on while the agents ring (no ringback)');
  const aliceEp = await RtpEndpoint.open({ name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: 101 });
  t.teardown(() => aliceEp.close());
  alice.reply(atAlice, 200, 'alicetag', sdpFor(aliceEp.port, CODECS));
  await alice.request('ACK');
  const cancel = await bob.request('CANCEL');
  bob.reply(cancel, 200, 'bobtag');
  bob.reply(atBob, 487, 'bobtag');
  t.pass('the other agent is cancelled');
  await hangUp(caller, c.dialog, alice);
  t.match(await cdrFor(pbx, c.callId), { status: 'answered', path: 'queue:all>1001' });
});

t.test('linear: the first member rings for member_timeout, then the next one', async (t) => {
  const caller = await phone(t, pbx, '1005');
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const c = await callQueue(t, caller, '802');
  const first = await bob.request('INVITE');
  bob.reply(first, 180, 'bobtag');
  t.equal(alice.pending.filter((m) => m.kind === 'request' && m.method === 'INVITE').length, 0, 'only the first member rings');
  const cancel = await bob.request('CANCEL');
  bob.reply(cancel, 200, 'bobtag');
  bob.reply(first, 487, 'bobtag');
  const second = await alice.request('INVITE');
  t.pass('after member_timeout the next member rings');
  const aliceEp = await RtpEndpoint.open({ name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: 101 });
  t.teardown(() => aliceEp.close());
  alice.reply(second, 200, 'alicetag', sdpFor(aliceEp.port, CODECS));
  await alice.request('ACK');
  await hangUp(caller, c.dialog, alice);
  t.match(await cdrFor(pbx, c.callId), { status: 'answered', path: 'queue:line>1001' });
});

t.test('a queue caller hears the position, presses 1, hangs up, and the callback arrives when an agent frees up', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const carol = await phone(t, pbx, '1003');
  const caller = await phone(t, pbx, '1005');
  // The only agent is busy on another call.
  const busy = await answeredCall(alice, carol);
  const c = await callQueue(t, caller, '803');
  const leg = [...played.keys()].find((l) => (played.get(l) ?? []).includes('you-are-caller-number'));
  t.ok(leg !== undefined, 'the position prompt is played');
  const heard = played.get(leg!)!;
  const at = heard.indexOf('you-are-caller-number');
  t.same(heard.slice(at, at + 2), ['you-are-caller-number', 'num-1'], 'the caller hears "you are caller number one"');
  t.ok(heard.includes('queue-press-1-callback'), 'and is offered a callback');
  await c.ep.sendDigit(1, c.pbxMedia.port);
  const bye = await caller.request('BYE');
  caller.reply(bye, 200, '');
  t.ok((played.get(leg!) ?? []).includes('queue-callback-confirmed'), 'the callback is confirmed before the PBX hangs up');
  t.equal(pbx.queues.stats('back').callbacks_pending, 1, 'the request waits in the queue while the agent is busy');
  t.notOk(alice.pending.some((m) => m.kind === 'request' && m.method === 'INVITE'), 'the busy agent is not rung');
  await hangUp(carol, busy.calleeDialog, alice);
  // The agent is free: the callback rings it first...
  const atAgent = await alice.request('INVITE');
  t.match(atAgent.headers.get('from'), /^"Callback 1005" /, 'the agent sees whom it calls back');
  t.notOk(caller.pending.some((m) => m.kind === 'request' && m.method === 'INVITE'), 'the customer is not dialled before the agent answers');
  const agentEp = await RtpEndpoint.open({ name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: 101 });
  t.teardown(() => agentEp.close());
  alice.reply(atAgent, 200, 'agenttag', sdpFor(agentEp.port, CODECS));
  await alice.request('ACK');
  // ...then the customer.
  const atCustomer = await caller.request('INVITE');
  t.match(atCustomer.headers.get('to'), /sip:1005@/, 'then the customer is dialled');
  const customerEp = await RtpEndpoint.open({ name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: 101 });
  t.teardown(() => customerEp.close());
  caller.reply(atCustomer, 200, 'customertag', sdpFor(customerEp.port, CODECS));
  await caller.request('ACK');
  await logged('callback dialled');
  t.match(pbx.queues.stats('back'), { answered: 1, abandoned: 0, callbacks: 1, callbacks_pending: 0 });
  await hangUp(caller, caller.dialogFromUas(atCustomer, 'customertag'), alice);
  t.match(await cdrFor(pbx, c.callId), { status: 'missed', path: 'queue:back' });
});

t.test('max_wait passed: the caller goes to the queue default', async (t) => {
  const caller = await phone(t, pbx, '1005');
  const carol = await phone(t, pbx, '1003');
  const c = await callQueue(t, caller, '804');
  const started = Date.now();
  const inv = await carol.request('INVITE');
  t.ok(Date.now() - started >= 1000, 'not before max_wait');
  const ep = await RtpEndpoint.open({ name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: 101 });
  t.teardown(() => ep.close());
  carol.reply(inv, 200, 'caroltag', sdpFor(ep.port, CODECS));
  await carol.request('ACK');
  await hangUp(caller, c.dialog, carol);
  t.match(await cdrFor(pbx, c.callId), { status: 'answered', path: 'queue:short>1003' });
  t.match(pbx.queues.stats('short'), { timed_out: 1, answered: 0 });
});

/** `agent` dials a feature code; the PBX answers, says what it did, and hangs up. Returns the prompts played. */
async function featureCode(t: Test, agent: Phone, code: string): Promise<string[]> {
  const ep = await RtpEndpoint.open({ name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: 101 });
  t.teardown(() => ep.close());
  const invite = await agent.dial(code, sdpFor(ep.port, CODECS));
  const ok = await agent.final(invite);
  t.equal(ok.status, 200, `${code} is answered`);
  const dialog = agent.dialogFromUac(invite, ok);
  agent.inDialog(dialog, 'ACK', undefined, dialog.cseq);
  const bye = await agent.request('BYE');
  agent.reply(bye, 200, '');
  const leg = [...played.entries()].filter(([, files]) => files.some((f) => f.startsWith('agent-') || f === 'invalid-option')).map(([, files]) => files);
  return leg[leg.length - 1] ?? [];
}

t.test('*47 pauses an agent: the queue rings only the others; *47 again resumes it; *46 + a number that is no queue is refused', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const caller = await phone(t, pbx, '1005');
  t.same(await featureCode(t, alice, '*47'), ['agent-paused']);
  const c = await callQueue(t, caller, '801');
  const atBob = await bob.request('INVITE');
  t.notOk(alice.pending.some((m) => m.kind === 'request' && m.method === 'INVITE'), 'the paused agent is not rung');
  const bobEp = await RtpEndpoint.open({ name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: 101 });
  t.teardown(() => bobEp.close());
  bob.reply(atBob, 200, 'bobtag', sdpFor(bobEp.port, CODECS));
  await bob.request('ACK');
  await hangUp(caller, c.dialog, bob);
  t.same(await featureCode(t, alice, '*47801'), ['agent-resumed'], 'resumed in the queue dialled as 801');
  t.same(await featureCode(t, alice, '*461001'), ['invalid-option'], '1001 is an extension, not a queue');
});
