// DTMF by SIP INFO through the B2BUA over real UDP on 127.0.0.1: the INFO is answered and the digit
// reaches CallControl's 'dtmf' event, the one apps also get RFC 4733 and in-band digits from.
import t from 'tap';
import type { CallDtmf } from '../../src/calls/dtmf.js';
import { answeredCall, hangUp, phone } from './helpers/flows.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';

let pbx: TestPbx;
let heard: CallDtmf[] = [];

t.before(async () => {
  pbx = await startPbx();
  pbx.calls.on('dtmf', (e) => heard.push(e));
});

t.teardown(() => pbx.close());

t.beforeEach(() => {
  heard = [];
});

t.test('INFO application/dtmf-relay and application/dtmf get 200 and become dtmf events of the side that sent them', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await answeredCall(alice, bob);
  const id = pbx.calls.list().find((c) => c.call_id === call.callerDialog.callId)!.id;

  const relay = alice.inDialog(call.callerDialog, 'INFO', Buffer.from('Signal=5\r\nDuration=160\r\n'), undefined, 'application/dtmf-relay');
  t.equal((await alice.final(relay)).status, 200);
  const plain = bob.inDialog(call.calleeDialog, 'INFO', Buffer.from('#'), undefined, 'application/dtmf');
  t.equal((await bob.final(plain)).status, 200);
  const star = alice.inDialog(call.callerDialog, 'INFO', Buffer.from('Signal=10\r\n'), undefined, 'application/dtmf-relay');
  t.equal((await alice.final(star)).status, 200);

  t.same(heard, [
    { callId: id, side: 'caller', digit: '5', method: 'info', durationMs: 160 },
    { callId: id, side: 'callee', digit: '#', method: 'info', durationMs: null },
    { callId: id, side: 'caller', digit: '*', method: 'info', durationMs: null },
  ]);
  const lines = pbx.log.filter((l) => l.msg === 'DTMF digit' && l.obj.callId === call.callerDialog.callId);
  t.equal(lines.length, 3, 'each digit is logged');
  t.notOk(lines.some((l) => 'digit' in l.obj), 'without the digit itself (it may be a PIN)');
  await hangUp(alice, call.callerDialog, bob);
});

t.test('a malformed DTMF INFO gets 400 with a Warning and no event; the call goes on; other INFO stays 200', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await answeredCall(alice, bob);

  for (const [type, body] of [
    ['application/dtmf-relay', 'Signal=X\r\nDuration=160\r\n'],
    ['application/dtmf-relay', 'Duration=160\r\n'],
    ['application/dtmf-relay', 'Signal=5\r\nDuration=forever\r\n'],
    ['application/dtmf', 'hello'],
    ['application/dtmf', '\u00ff\u0000\u0001'],
  ] as const) {
    const res = await alice.final(alice.inDialog(call.callerDialog, 'INFO', Buffer.from(body, 'latin1'), undefined, type));
    t.equal(res.status, 400, `${type} ${JSON.stringify(body)}`);
    t.match(res.headers.get('warning'), /malformed DTMF body/);
  }
  const other = await alice.final(alice.inDialog(call.callerDialog, 'INFO', Buffer.from('<media_control/>'), undefined, 'application/media_control+xml'));
  t.equal(other.status, 200, 'an INFO of another type is answered 200 as before');
  const empty = await alice.final(alice.inDialog(call.callerDialog, 'INFO'));
  t.equal(empty.status, 200, 'an empty INFO (keep-alive) too');
  t.same(heard, [], 'no digit came of any of them');

  const after = await alice.final(alice.inDialog(call.callerDialog, 'INFO', Buffer.from('Signal=1\r\n'), undefined, 'application/dtmf-relay'));
  t.equal(after.status, 200, 'the dialog still works');
  t.equal(heard.length, 1);
  await hangUp(alice, call.callerDialog, bob);
});

t.test('a media digit on a leg no call owns is refused', async (t) => {
  t.equal(pbx.calls.mediaDtmf('no-such-leg', '1', 'rfc4733'), false);
  t.same(heard, []);
});
