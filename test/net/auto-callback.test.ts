// Automatic callback of a missed call (missed_calls.auto_callback) over real UDP on 127.0.0.1:
// 1001 calls 1002, which refuses (busy): a missed call. The PBX then rings a free member of
// missed_calls.ring first (1003), and once it answers dials 1001 back and bridges the two; the
// callback list entry for 1001 is closed by that answered call.
import t from 'tap';
import { callIdOf, cdrFor, phone } from './helpers/flows.js';
import { sdpFor } from './helpers/phone.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';

let pbx: TestPbx;
t.before(async () => {
  pbx = await startPbx({ extra: 'missed_calls: { auto_callback: true, ring: "group:sales", delay: 0 }\n' });
});
t.teardown(() => pbx.close());

t.test('a missed call is called back: a free member of the group rings first, then the caller, and its entry closes', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const carol = await phone(t, pbx, '1003');
  const invite = await alice.dial('1002', sdpFor(alice.rtpPort));
  const atBob = await bob.request('INVITE');
  bob.reply(atBob, 486, 'bobtag');
  await bob.request('ACK');
  const final = await alice.final(invite);
  alice.ackNon2xx(invite, final);
  t.equal(final.status, 486);
  t.match(await cdrFor(pbx, callIdOf(invite)), { missed: true });
  t.equal(pbx.store.listMissed({ all: false, limit: 10 }).length, 1, 'the missed call is on the callback list');

  // group:sales is 1001 and 1003 in the test config; 1001 is the caller itself, so 1003 rings.
  const toCarol = await carol.request('INVITE');
  t.match(toCarol.headers.get('from'), /Callback 1001/, 'the member sees whom it calls back');
  carol.reply(toCarol, 200, 'caroltag', sdpFor(carol.rtpPort));
  await carol.request('ACK');
  const toAlice = await alice.request('INVITE');
  alice.reply(toAlice, 200, 'alicetag', sdpFor(alice.rtpPort));
  await alice.request('ACK');

  const bye = carol.inDialog(carol.dialogFromUas(toCarol, 'caroltag'), 'BYE');
  const relayed = await alice.request('BYE');
  alice.reply(relayed, 200, '');
  t.equal((await carol.final(bye)).status, 200);
  const callback = await cdrFor(pbx, toCarol.headers.get('call-id')!);
  t.match(callback, { from: '1003', to: '1001', status: 'answered', path: 'originate' });
  t.same(pbx.store.listMissed({ all: false, limit: 10 }), [], 'the answered callback closed the entry');
});
