// A call the PBX starts itself (CallControl.originate: click-to-call, queue callbacks): the first
// extension rings with the PBX's own offer, then the second, and the two are bridged.
import t from 'tap';
import { cdrFor, phone } from './helpers/flows.js';
import { sdpFor, sdpMedia } from './helpers/phone.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';

let pbx: TestPbx;

t.before(async () => {
  pbx = await startPbx();
});

t.teardown(() => pbx.close());

t.test('originate rings the first extension, then the second once it answered, and bridges them', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const started = pbx.calls.originate({ first: '1001', then: '1002', ringTimeoutMs: 5000 });

  const toAlice = await alice.request('INVITE');
  t.match(toAlice.headers.get('from'), /<sip:1002@pbx\.test>/, 'the first party sees whom it will be connected to');
  const aliceOffer = sdpMedia(toAlice.body);
  t.equal(aliceOffer.address, '127.0.0.1', 'the PBX offers its own media address');
  t.equal(bob.pending.filter((m) => 'method' in m && m.method === 'INVITE').length, 0, 'the second party does not ring before the first answered');
  alice.reply(toAlice, 200, 'alicetag', sdpFor(alice.rtpPort));
  await alice.request('ACK');

  const toBob = await bob.request('INVITE');
  t.match(toBob.headers.get('from'), /"Alice" <sip:1001@pbx\.test>/, 'the second party sees the first as the caller');
  bob.reply(toBob, 200, 'bobtag', sdpFor(bob.rtpPort));
  await bob.request('ACK');
  t.same(await started.then((r) => r.result), 'answered');
  t.match(pbx.calls.list(), [{ from: '1001', to: '1002', state: 'answered' }], 'pbx calls lists the originated call');

  const bobSide = sdpMedia(toBob.body);
  for (let i = 0; i < 5; i++) alice.sendRtp(aliceOffer, 0, i);
  await bob.waitRtp(3);
  for (let i = 0; i < 5; i++) bob.sendRtp(bobSide, 0, i);
  await alice.waitRtp(3);

  const bye = bob.inDialog(bob.dialogFromUas(toBob, 'bobtag'), 'BYE');
  const relayed = await alice.request('BYE');
  alice.reply(relayed, 200, '');
  t.equal((await bob.final(bye)).status, 200);
  const cdr = await cdrFor(pbx, toAlice.headers.get('call-id')!);
  t.equal(cdr.status, 'answered');
  t.equal(cdr.from, '1001');
  t.equal(cdr.to, '1002');
  t.equal(cdr.path, 'originate');
});

t.test('a busy first extension ends the originate before the second rings', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const started = pbx.calls.originate({ first: '1001', then: '1002', ringTimeoutMs: 5000 });
  const toAlice = await alice.request('INVITE');
  alice.reply(toAlice, 486, 'alicetag');
  t.same((await started).result, 'first-busy');
  t.equal(bob.pending.filter((m) => 'method' in m && m.method === 'INVITE').length, 0, 'the second party never rang');
  const cdr = await cdrFor(pbx, toAlice.headers.get('call-id')!);
  t.equal(cdr.status, 'busy');
});

t.test('originate can ring a group first: its members at once; the one who answers is connected to the second party', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const carol = await phone(t, pbx, '1003');
  const bob = await phone(t, pbx, '1002');
  const started = pbx.calls.originate({ first: 'group:sales', then: '1002', ringTimeoutMs: 5000, callerId: 'Callback 1002' });
  const [toAlice, toCarol] = await Promise.all([alice.request('INVITE'), carol.request('INVITE')]);
  t.match(toCarol.headers.get('from'), /"Callback 1002" <sip:1002@pbx\.test>/);
  t.match(toCarol.headers.get('to'), /<sip:sales@pbx\.test>/);
  alice.reply(toAlice, 180, 'alicetag');
  carol.reply(toCarol, 200, 'caroltag', sdpFor(carol.rtpPort));
  await carol.request('ACK');
  const cancel = await alice.request('CANCEL');
  alice.reply(cancel, 200, 'alicetag');
  alice.reply(toAlice, 487, 'alicetag');
  await alice.request('ACK');

  const toBob = await bob.request('INVITE');
  t.match(toBob.headers.get('from'), /"sales" <sip:sales@pbx\.test>/, 'the second party sees the group');
  bob.reply(toBob, 200, 'bobtag', sdpFor(bob.rtpPort));
  await bob.request('ACK');
  t.equal((await started).result, 'answered');
  const bye = bob.inDialog(bob.dialogFromUas(toBob, 'bobtag'), 'BYE');
  const relayed = await carol.request('BYE');
  carol.reply(relayed, 200, '');
  t.equal((await bob.final(bye)).status, 200);
});

t.test('originate refuses a first party that is no extension or group', async (t) => {
  await t.rejects(pbx.calls.originate({ first: '9999', then: '1002' }), { code: 'PBX_ERR_ORIGINATE_FIRST' });
  await t.rejects(pbx.calls.originate({ first: 'group:nosuch', then: '1002' }), { code: 'PBX_ERR_ORIGINATE_FIRST' });
  await t.rejects(pbx.calls.originate({ first: '1001', then: '9999' }), { code: 'PBX_ERR_ORIGINATE_THEN' });
});
