// SUBSCRIBE/NOTIFY over UDP on 127.0.0.1 through the PBX's transaction layer, registrar, call
// control, voicemail store and event services (wired as src/pbx.ts wires them): MWI (RFC 3842)
// driven by the voicemail store, BLF (RFC 4235 dialog) driven by a real call between two phones,
// presence (RFC 3856), refresh, unsubscribe, expiry and the refusals.
import { join } from 'node:path';
import t from 'tap';
import { tempDir } from '../helpers/temp-dir.js';
import { writeSilenceWav } from '../helpers/wav-file.js';
import { answeredCall, hangUp, phone } from './helpers/flows.js';
import { sdpFor } from './helpers/phone.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';
import { bodyOf, Subscriber } from './helpers/subscriber.js';

let pbx: TestPbx;
let dir: string;

t.before(async () => {
  dir = tempDir(t, 'events');
  pbx = await startPbx();
});

t.teardown(() => pbx.close());

let recordings = 0;
/** A recorded message as the voicemail app would hand it over: a WAV in a temp place. */
function recorded(): string {
  return writeSilenceWav(join(dir, `rec-${++recordings}.wav`));
}

t.test('message-summary: 401, then 200 with Expires and at once a NOTIFY active with Messages-Waiting: no', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const sub = new Subscriber(alice, 'message-summary', 'sip:1001@pbx.test');
  const ok = await sub.subscribe(300);
  t.equal(ok.status, 200);
  t.equal(ok.headers.get('expires'), '300');
  t.ok(ok.headers.get('contact'), 'the 200 carries the notifier Contact');
  const n = await sub.notify();
  t.equal(n.headers.get('event'), 'message-summary');
  t.match(n.headers.get('subscription-state'), /^active;expires=(300|299)$/);
  t.equal(n.headers.get('content-type'), 'application/simple-message-summary');
  t.match(bodyOf(n), /^Messages-Waiting: no\r\nMessage-Account: sip:1001@pbx\.test\r\nVoice-Message: 0\/0 \(0\/0\)\r\n$/);
  t.equal((await sub.refresh(0)).status, 200);
  t.match((await sub.notify()).headers.get('subscription-state'), /^terminated/);
});

t.test('a message stored for the mailbox lights the lamp; heard and deleted put it out', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const sub = new Subscriber(alice, 'message-summary', 'sip:1001@pbx.test');
  t.equal((await sub.subscribe(300)).status, 200);
  await sub.notify();

  const msg = await pbx.voicemail.add('1001', recorded(), { caller: '1002', callerName: 'Bob', durationS: 1, urgent: true });
  const yes = await sub.notify();
  t.match(bodyOf(yes), /Messages-Waiting: yes\r\n/);
  t.match(bodyOf(yes), /Voice-Message: 1\/0 \(1\/0\)/);

  t.equal(pbx.voicemail.markHeard(msg.id), true);
  const heard = await sub.notify();
  t.match(bodyOf(heard), /Messages-Waiting: no\r\n/);
  t.match(bodyOf(heard), /Voice-Message: 0\/1 \(0\/1\)/);

  t.equal(await pbx.voicemail.delete(msg.id), true);
  const gone = await sub.notify();
  t.match(bodyOf(gone), /Voice-Message: 0\/0 \(0\/0\)/);
  t.equal((await sub.refresh(0)).status, 200);
  await sub.notify();
});

t.test('refresh in the dialog: 200 and a NOTIFY; Expires 0: terminated NOTIFY; the dialog then gets 481', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const sub = new Subscriber(alice, 'message-summary', 'sip:1001@pbx.test');
  t.equal((await sub.subscribe(60)).status, 200);
  await sub.notify();
  const refreshed = await sub.refresh(120);
  t.equal(refreshed.status, 200);
  t.equal(refreshed.headers.get('expires'), '120');
  t.match((await sub.notify()).headers.get('subscription-state'), /^active;expires=1[12]\d$/);
  t.equal((await sub.refresh(0)).status, 200);
  const last = await sub.notify();
  t.equal(last.headers.get('subscription-state'), 'terminated;reason=timeout');
  t.match(bodyOf(last), /Messages-Waiting: no/, 'the final NOTIFY carries the state');
  t.equal((await sub.refresh(60)).status, 481);
});

t.test('a subscription ends by itself when it expires: NOTIFY terminated;reason=timeout', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const sub = new Subscriber(alice, 'message-summary', 'sip:1001@pbx.test');
  t.equal((await sub.subscribe(2)).status, 200);
  await sub.notify();
  t.equal((await sub.notify()).headers.get('subscription-state'), 'terminated;reason=timeout');
});

t.test('refusals: unknown event 489 with Allow-Events, another mailbox 403, no such extension 404, a body type not accepted 406', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const unknown = await new Subscriber(alice, 'conference', 'sip:1002@pbx.test').subscribe(60);
  t.equal(unknown.status, 489);
  t.match(unknown.headers.get('allow-events'), /message-summary.*dialog.*presence/);
  t.equal((await new Subscriber(alice, 'message-summary', 'sip:1002@pbx.test').subscribe(60)).status, 403);
  t.equal((await new Subscriber(alice, 'dialog', 'sip:1099@pbx.test').subscribe(60)).status, 404);
  const short = await new Subscriber(alice, 'dialog', 'sip:1002@pbx.test').subscribe(0, [['Accept', 'text/plain']]);
  t.equal(short.status, 406, 'a body type the package does not write');
});

t.test('Expires below subscriptions.min_expires is 423 Interval Too Brief with Min-Expires', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const res = await new Subscriber(alice, 'message-summary', 'sip:1001@pbx.test').subscribe(1);
  t.equal(res.status, 423);
  t.equal(res.headers.get('min-expires'), '2');
});

t.test('a NOTIFY answered 481 drops the subscription: its refresh then gets 481', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const sub = new Subscriber(alice, 'message-summary', 'sip:1001@pbx.test');
  t.equal((await sub.subscribe(300)).status, 200);
  await sub.notify(481);
  t.equal((await sub.refresh(300)).status, 481);
});

t.test('BLF: a dialog subscription to 1002 sees early, confirmed and terminated as 1001 calls 1002, versions growing', async (t) => {
  const carol = await phone(t, pbx, '1003');
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const blf = new Subscriber(carol, 'dialog', 'sip:1002@pbx.test');
  t.equal((await blf.subscribe(300, [['Accept', 'application/dialog-info+xml']])).status, 200);
  const idle = await blf.notify();
  t.equal(idle.headers.get('content-type'), 'application/dialog-info+xml');
  t.match(bodyOf(idle), /<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0" state="full" entity="sip:1002@pbx\.test">\r\n<\/dialog-info>/);

  const call = await answeredCall(alice, bob);
  const bodies: string[] = [];
  for (let i = 0; i < 10 && !/<state>confirmed</.test(bodies.at(-1) ?? ''); i++) bodies.push(bodyOf(await blf.notify()));
  t.ok(bodies.some((b) => /<state>early<\/state>/.test(b)), 'ringing shows as early');
  const confirmed = bodies.at(-1)!;
  t.match(confirmed, /<dialog id="[^"]+" call-id="[^"]+" direction="recipient">/);
  t.match(confirmed, /<identity display="Alice">sip:1001@pbx\.test<\/identity>/);
  const versions = bodies.map((b) => Number(/version="(\d+)"/.exec(b)![1]));
  t.same(versions, versions.map((_, i) => i + 1), 'one version more per NOTIFY');

  await hangUp(alice, call.callerDialog, bob);
  const ended = bodyOf(await blf.notify());
  t.match(ended, /<state>terminated<\/state>/);
  t.equal((await blf.refresh(0)).status, 200);
  t.notMatch(bodyOf(await blf.notify()), /<dialog /, 'an ended dialog is shown once, then forgotten');
});

t.test('BLF: a caller in the IVR shows as confirmed (in a call), not idle', async (t) => {
  const carol = await phone(t, pbx, '1003');
  const alice = await phone(t, pbx, '1001');
  const blf = new Subscriber(carol, 'dialog', 'sip:1001@pbx.test');
  t.equal((await blf.subscribe(300, [['Accept', 'application/dialog-info+xml']])).status, 200);
  await blf.notify();
  const invite = await alice.dial('500', sdpFor(alice.rtpPort));
  const ok = await alice.final(invite);
  t.equal(ok.status, 200, 'the IVR answered');
  const dialog = alice.dialogFromUac(invite, ok);
  alice.inDialog(dialog, 'ACK', undefined, dialog.cseq);
  const bodies: string[] = [];
  for (let i = 0; i < 5 && !/<state>confirmed</.test(bodies.at(-1) ?? ''); i++) bodies.push(bodyOf(await blf.notify()));
  t.match(bodies.at(-1), /direction="initiator">[\s\S]*<state>confirmed<\/state>/, '1001 is in a call while the menu plays');
  const bye = alice.inDialog(dialog, 'BYE');
  t.equal((await alice.final(bye)).status, 200);
  t.match(bodyOf(await blf.notify()), /<state>terminated<\/state>/);
  t.equal((await blf.refresh(0)).status, 200);
  await blf.notify();
});

t.test('presence: open with the phone registered, on the phone during a call', async (t) => {
  const carol = await phone(t, pbx, '1003');
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const watch = new Subscriber(carol, 'presence', 'sip:1002@pbx.test');
  t.equal((await watch.subscribe(300)).status, 200);
  const first = await watch.notify();
  t.equal(first.headers.get('content-type'), 'application/pidf+xml');
  t.match(bodyOf(first), /<basic>open<\/basic>/);
  t.match(bodyOf(first), /<note>Available<\/note>/);
  const call = await answeredCall(alice, bob);
  t.match(bodyOf(await watch.notify()), /<note>On the phone<\/note>/);
  await hangUp(alice, call.callerDialog, bob);
  t.match(bodyOf(await watch.notify()), /<note>Available<\/note>/);
  t.equal((await watch.refresh(0)).status, 200);
  await watch.notify();
});

t.test('unsolicited MWI: a phone that never subscribed gets a message-summary NOTIFY; unsolicited_mwi: false gets none', async (t) => {
  const erin = await phone(t, pbx, '1005');
  const dave = await phone(t, pbx, '1004');
  const erinMsg = await pbx.voicemail.add('1005', recorded(), { caller: '1001', durationS: 1 });
  const daveMsg = await pbx.voicemail.add('1004', recorded(), { caller: '1001', durationS: 1 });
  const n = await dave.request('NOTIFY');
  dave.reply(n, 200, '');
  t.equal(n.headers.get('event'), 'message-summary');
  t.equal(n.uri, dave.contact, 'sent to the registered contact');
  t.match(bodyOf(n), /Messages-Waiting: yes\r\nMessage-Account: sip:1004@pbx\.test\r\nVoice-Message: 1\/0 \(0\/0\)/);
  t.notOk(erin.pending.some((m) => m.kind === 'request' && m.method === 'NOTIFY'), '1005 (unsolicited_mwi: false) got no NOTIFY');
  const desk = await phone(t, pbx, '1004');
  const atRegistration = await desk.request('NOTIFY');
  desk.reply(atRegistration, 200, '');
  t.match(bodyOf(atRegistration), /Messages-Waiting: yes/, 'a phone registering while messages wait is told at once');
  await pbx.voicemail.delete(daveMsg.id);
  for (const p of [dave, desk]) {
    const off = await p.request('NOTIFY');
    p.reply(off, 200, '');
    t.match(bodyOf(off), /Messages-Waiting: no/, 'every contact of the mailbox is told');
  }
  await pbx.voicemail.delete(erinMsg.id);
});
