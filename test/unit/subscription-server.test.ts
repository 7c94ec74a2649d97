import t from 'tap';
import { dialogInfoBody } from '../../src/events/dialog-package.js';
import { accepts, parseEvent } from '../../src/events/fields.js';
import { messageSummaryBody } from '../../src/events/message-summary.js';
import type { EventPackage } from '../../src/events/package.js';
import { pidfBody } from '../../src/events/presence.js';
import { SubscriptionServer } from '../../src/events/server.js';
import type { SipRequest, SipResponse } from '../../src/sip/message.js';
import { responseTo } from '../../src/sip/message.js';
import { createTransactionLayer } from '../../src/sip/transaction/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeTransport } from '../helpers/fake-transport.js';
import { quietLog } from '../helpers/log.js';
import { incoming, PHONE } from '../helpers/sip-messages.js';

/** A package whose state is a counter the test bumps. */
class CounterPackage implements EventPackage {
  readonly event = 'counter';
  readonly contentType = 'text/plain';
  value = 0;
  resolve(_user: string, requested: string | null): string | number {
    return requested ?? 404;
  }
  snapshot(): (version: number) => Buffer {
    const v = this.value;
    return (version) => Buffer.from(`value=${v} version=${version}`);
  }
}

function setup() {
  const clock = new FakeClock();
  const transport = new FakeTransport(() => clock.now());
  const layer = createTransactionLayer(transport, { clock, timers: { t1: 500, t2: 4000, t4: 5000 } });
  const pkg = new CounterPackage();
  const server = new SubscriptionServer({
    transactions: layer,
    authenticate: () => '1001',
    packages: [pkg],
    limits: () => ({ min_expires: 60, max_expires: 3600, default_expires: 600 }),
    localContact: () => 'sip:pbx@192.0.2.1:5060',
    userAgent: () => 'tspbx-test',
    log: quietLog,
    clock,
  });
  layer.onRequest = (st) => {
    if (!server.handleSubscribe(st)) st.respond(responseTo(st.request, 481));
  };
  let n = 0;
  const subscribe = (expires: number): void => {
    n++;
    const req = incoming('SUBSCRIBE', { uri: 'sip:1002@pbx.test', branch: `z9hG4bKsub${n}`, callId: `sub-${n}@test` });
    req.headers.add('event', 'counter').add('contact', '<sip:1001@198.51.100.7:5062>').add('expires', String(expires));
    transport.deliver(req, PHONE);
  };
  const notifies = (): SipRequest[] => transport.sent.map((s) => s.message).filter((m): m is SipRequest => m.kind === 'request' && m.method === 'NOTIFY');
  const responses = (): SipResponse[] => transport.sent.map((s) => s.message).filter((m): m is SipResponse => m.kind === 'response');
  const answer = (req: SipRequest, status: number): void => transport.deliver(responseTo(req, status), PHONE);
  return { clock, transport, layer, pkg, server, subscribe, notifies, responses, answer };
}

t.test('a NOTIFY over UDP is retransmitted (Timer E) until answered; no answer at all ends the subscription (408)', async (t) => {
  const s = setup();
  s.subscribe(600);
  t.equal(s.responses()[0]!.status, 200);
  t.equal(s.notifies().length, 1);
  s.clock.advance(500);
  t.equal(s.notifies().length, 2, 'retransmitted after T1');
  s.clock.advance(1000);
  t.equal(s.notifies().length, 3, 'then after 2*T1');
  t.equal(s.server.count(), 1);
  s.clock.advance(64 * 500);
  t.equal(s.server.count(), 0, 'Timer F: the subscriber is gone, so is the subscription');
  const before = s.notifies().length;
  s.pkg.value = 1;
  s.server.notify('counter', '1002');
  t.equal(s.notifies().length, before, 'nothing more is sent to it');
  await s.layer.close();
});

t.test('NOTIFYs go one at a time, in order, each with the next version; an answer releases the next', async (t) => {
  const s = setup();
  s.subscribe(600);
  const first = s.notifies()[0]!;
  s.pkg.value = 1;
  s.server.notify('counter', '1002');
  s.pkg.value = 2;
  s.server.notify('counter', '1002');
  t.equal(s.notifies().length, 1, 'the second waits for the first');
  s.answer(first, 200);
  const second = s.notifies()[1]!;
  t.equal(second.body.toString(), 'value=1 version=1');
  s.answer(second, 200);
  t.equal(s.notifies()[2]!.body.toString(), 'value=2 version=2');
  t.match(s.notifies()[2]!.headers.get('cseq'), /^3 NOTIFY$/, 'CSeq grows in the dialog');
  await s.layer.close();
});

t.test('the expiry timer ends a subscription with a terminated NOTIFY; close() ends the rest as deactivated', async (t) => {
  const s = setup();
  s.subscribe(60);
  s.answer(s.notifies()[0]!, 200);
  s.clock.advance(60_000);
  t.equal(s.notifies()[1]!.headers.get('subscription-state'), 'terminated;reason=timeout');
  t.equal(s.server.count(), 0);
  s.subscribe(600);
  t.equal(s.server.count(), 1);
  s.answer(s.notifies().at(-1)!, 200);
  s.server.close();
  s.server.close();
  t.equal(s.notifies().at(-1)!.headers.get('subscription-state'), 'terminated;reason=deactivated');
  t.equal(s.server.count(), 0);
  await s.layer.close();
});

t.test('Expires 0 on a new SUBSCRIBE is a fetch: 200, one terminated NOTIFY, nothing kept', async (t) => {
  const s = setup();
  s.subscribe(0);
  t.equal(s.responses()[0]!.headers.get('expires'), '0');
  t.equal(s.notifies()[0]!.headers.get('subscription-state'), 'terminated;reason=timeout');
  t.equal(s.server.count(), 0);
  await s.layer.close();
});

t.test('Expires above max_expires is granted max_expires', async (t) => {
  const s = setup();
  s.subscribe(86400);
  t.equal(s.responses()[0]!.headers.get('expires'), '3600');
  t.equal(s.notifies()[0]!.headers.get('subscription-state'), 'active;expires=3600');
  await s.layer.close();
});

t.test('one extension holds at most 500 subscriptions; the next is refused 403', async (t) => {
  const s = setup();
  for (let i = 0; i < 500; i++) s.subscribe(600);
  t.equal(s.server.count(), 500);
  s.subscribe(600);
  const last = s.responses().at(-1)!;
  t.equal(last.status, 403);
  t.equal(last.reason, 'Too Many Subscriptions');
  t.equal(s.server.count(), 500);
  s.subscribe(0);
  t.equal(s.responses().at(-1)!.status, 200, 'a fetch (Expires 0) holds nothing and is still served');
  await s.layer.close();
});

t.test('Event header parsing: type and id, malformed is null', async (t) => {
  t.same(parseEvent('message-summary'), { type: 'message-summary', id: null });
  t.same(parseEvent('dialog;id=7'), { type: 'dialog', id: '7' });
  t.same(parseEvent(' presence.winfo '), { type: 'presence.winfo', id: null });
  t.equal(parseEvent(''), null);
  t.equal(parseEvent('dia log'), null);
  t.equal(parseEvent(null), null);
});

t.test('Accept: absent, exact, type/* and */* accept; another type does not', async (t) => {
  t.ok(accepts([], 'application/pidf+xml'));
  t.ok(accepts(['application/pidf+xml;q=1'], 'application/pidf+xml'));
  t.ok(accepts(['text/plain, application/*'], 'application/pidf+xml'));
  t.ok(accepts(['*/*'], 'application/pidf+xml'));
  t.notOk(accepts(['application/xpidf+xml'], 'application/pidf+xml'));
});

t.test('RFC 3842 body: Messages-Waiting, Message-Account, Voice-Message new/old (urgent)', async (t) => {
  t.equal(
    messageSummaryBody({ new: 2, old: 5, urgentNew: 1, urgentOld: 0 }, 'sip:1002@pbx.test').toString(),
    'Messages-Waiting: yes\r\nMessage-Account: sip:1002@pbx.test\r\nVoice-Message: 2/5 (1/0)\r\n',
  );
  t.match(messageSummaryBody({ new: 0, old: 5, urgentNew: 0, urgentOld: 0 }, 'sip:1002@pbx.test').toString(), /^Messages-Waiting: no\r\n/);
});

t.test('RFC 4235 body: full state, version, direction, names escaped', async (t) => {
  const xml = dialogInfoBody('sip:1002@pbx.test', 4, [
    { id: 'c1-b', callId: 'abc@x', extension: '1002', direction: 'recipient', remote: '1001', remoteName: 'A & "B"', state: 'early' },
  ], 'pbx.test').toString();
  t.match(xml, /version="4" state="full" entity="sip:1002@pbx\.test"/);
  t.match(xml, /<dialog id="c1-b" call-id="abc@x" direction="recipient">/);
  t.match(xml, /<state>early<\/state>/);
  t.match(xml, /display="A &amp; &quot;B&quot;"/);
});

t.test('RFC 3863 body: basic open or closed, and the note', async (t) => {
  const open = pidfBody('sip:1002@pbx.test', 't1002', true, 'On the phone').toString();
  t.match(open, /<basic>open<\/basic>/);
  t.match(open, /<note>On the phone<\/note>/);
  t.match(pidfBody('sip:1002@pbx.test', 't1002', false, 'Offline').toString(), /<basic>closed<\/basic>/);
});
