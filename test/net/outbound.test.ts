// Calls out over real UDP on 127.0.0.1 through the in-process PBX, which starts its trunks as the
// real one does (startTrunks): a test phone plays the provider. The PBX-wide spend guard
// (outbound_limits) refuses a call over its concurrent or hourly limit with 403 and a Warning, and
// a route's ring_timeout ends an unanswered call out.
import t from 'tap';
import { hangUp, logged, phone } from './helpers/flows.js';
import { Phone, sdpFor } from './helpers/phone.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';

t.setTimeout(60_000);

let pbx: TestPbx;
let provider: Phone;
t.before(async () => {
  provider = await Phone.open('carrier', 'unused', { address: '127.0.0.1', port: 9 });
  pbx = await startPbx({
    extra: [
      'trunks:',
      `  up: { type: ip, host: 127.0.0.1, port: ${provider.port} }`,
      'outbound:',
      '  - { name: city, pattern: "9XXXXXXX", strip: 1, prepend: "+7495", trunks: [up], class: local, ring_timeout: 1 }',
      'outbound_limits: { max_calls_per_hour: 2, max_concurrent: 1 }',
      '',
    ].join('\n'),
  });
});
t.teardown(async () => {
  await pbx.close();
  provider.close();
});

t.test('the PBX-wide spend guard: one outside call at once, two per hour; a refused call is 403 with a Warning and never reaches the provider', async (t) => {
  const [alice, bob] = await Promise.all([phone(t, pbx, '1001'), phone(t, pbx, '1002')]);

  const first = await alice.dial('94951234', sdpFor(alice.rtpPort));
  const out = await provider.request('INVITE');
  t.equal(out.uri, `sip:+74954951234@127.0.0.1:${provider.port}`, 'the number as the route rewrites it');
  provider.reply(out, 200, 'prov1', sdpFor(provider.rtpPort));
  await provider.request('ACK');
  const ok = await alice.final(first);
  t.equal(ok.status, 200, '1001’s call out is answered');
  const dialog = alice.dialogFromUac(first, ok);
  alice.inDialog(dialog, 'ACK', undefined, dialog.cseq);
  t.equal(pbx.trunks.limits.activeOnPbx(), 1);

  const second = await bob.dial('94951235', sdpFor(bob.rtpPort));
  const busy = await bob.final(second);
  bob.ackNon2xx(second, busy);
  t.equal(busy.status, 403, 'a second call while one is in progress is refused');
  t.equal(busy.headers.get('warning'), '399 tspbx "the PBX has as many outside calls as it may"');
  await logged(pbx, (l) => l.msg === 'outside call refused' && l.level === 'warn' && l.obj.reason === 'pbx-concurrent' && l.obj.from === '1002' && l.obj.scope === 'pbx', 'the refusal');

  await hangUp(alice, dialog, provider);
  for (let i = 0; i < 100 && pbx.trunks.limits.activeOnPbx() > 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(pbx.trunks.limits.activeOnPbx(), 0, 'the ended call freed its place');

  // The second call of the hour rings at the provider until the route's 1 s ring_timeout.
  const third = await bob.dial('94951236', sdpFor(bob.rtpPort));
  const ringing = await provider.request('INVITE');
  provider.reply(ringing, 180, 'prov2');
  const cancel = await provider.request('CANCEL');
  provider.reply(cancel, 200, '');
  provider.reply(ringing, 487, 'prov2');
  await provider.request('ACK');
  const unanswered = await bob.final(third);
  bob.ackNon2xx(third, unanswered);
  t.equal(unanswered.status, 480, 'the unanswered call out ends after ring_timeout with 480');
  await logged(pbx, (l) => l.msg === 'nobody answered in time', 'the ring timeout');

  const fourth = await alice.dial('94951237', sdpFor(alice.rtpPort));
  const hourly = await alice.final(fourth);
  alice.ackNon2xx(fourth, hourly);
  t.equal(hourly.status, 403, 'a third call within the hour is refused');
  t.equal(hourly.headers.get('warning'), '399 tspbx "the PBX reached its outside calls per hour"');
  t.equal(provider.pending.filter((m) => m.kind === 'request' && m.method === 'INVITE').length, 0, 'no refused call reached the provider');
  t.same(
    pbx.trunks.limits.refusals().map((r) => `${r.scope} ${r.reason} ${r.count}`).sort(),
    ['pbx calls-per-hour 1', 'pbx concurrent 1'],
  );
});
