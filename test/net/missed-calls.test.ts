// Missed calls end to end over real UDP on 127.0.0.1, read back with the built `pbx` CLI against
// the control API: a call that rings two phones of one extension and that nobody answers is one
// missed call, in `pbx cdr --missed` once and in the callback list (`pbx missed`) once; so is a
// caller who leaves the IVR menu, and a call to a busy phone; a blacklisted caller and a number
// routed to hangup are not. A later answered call with the number closes its entry; `pbx missed
// done` closes one by hand.
import t from 'tap';
import type { CdrRow, MissedCall } from '../../src/store/types.js';
import { pbxCli, pbxJson } from '../interop/harness.js';
import { answeredCall, callIdOf, cdrFor, hangUp, phone } from './helpers/flows.js';
import { serveControl, type ServedPbx } from './helpers/control.js';
import { sdpFor, type Phone } from './helpers/phone.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';
import type { SipRequest } from '../../src/sip/message.js';

// The CLI runs as child processes and the calls ring for seconds: more than tap's default.
t.setTimeout(300_000);

let pbx: TestPbx;
let served: ServedPbx;
t.before(async () => {
  // compiledWorker: the media worker from dist/ starts without a TypeScript loader (the CLI needs dist/ anyway).
  pbx = await startPbx({ ringTimeoutS: 2, compiledWorker: true, dialplan: { '999': 'hangup' }, extra: 'callers:\n  blacklist: ["+7800*"]\n' });
  served = await serveControl(t, pbx, 'missed-token');
});
t.teardown(() => pbx.close());

const cdrMissed = (): Promise<CdrRow[]> => pbxJson<CdrRow[]>(served.cliConfig, ['cdr', '--missed']);
const callbackList = (...args: string[]): Promise<MissedCall[]> => pbxJson<MissedCall[]>(served.cliConfig, ['missed', ...args]);

/** The phone rings (180) and never answers: the PBX's CANCEL gets 200, the INVITE 487, then the ACK. */
async function ringsUnanswered(p: Phone, tag: string): Promise<SipRequest> {
  const invite = await p.request('INVITE');
  p.reply(invite, 180, tag);
  return invite;
}

async function cancelled(p: Phone, invite: SipRequest, tag: string): Promise<void> {
  const cancel = await p.request('CANCEL');
  p.reply(cancel, 200, tag);
  p.reply(invite, 487, tag);
  await p.request('ACK');
}

t.test('a call that rings two phones of one extension and that nobody answers is in pbx cdr --missed once and in pbx missed once', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const desk = await phone(t, pbx, '1002');
  const mobile = await phone(t, pbx, '1002');
  const invite = await alice.dial('1002', sdpFor(alice.rtpPort));
  const [atDesk, atMobile] = await Promise.all([ringsUnanswered(desk, 'desk'), ringsUnanswered(mobile, 'mobile')]);
  t.not(atDesk.uri, atMobile.uri, 'each registered contact of 1002 rings');
  await Promise.all([cancelled(desk, atDesk, 'desk'), cancelled(mobile, atMobile, 'mobile')]);
  const final = await alice.final(invite);
  alice.ackNon2xx(invite, final);
  t.equal(final.status, 480, 'nobody answered in ring time');
  const row = await cdrFor(pbx, callIdOf(invite));

  const missed = await cdrMissed();
  t.same(missed.map((r) => r.id), [row.id], 'one row for the call, not one per ringing phone');
  t.match(missed[0], { from: '1001', to: '1002', status: 'missed', reason: 'no-answer', answered_at: null, missed: true });
  const list = await callbackList();
  t.match(list, [{ number: '1001', calls: 1, to: '1002', path: null, reason: 'no-answer', cdr_id: row.id, first_at: row.started_at, last_at: row.started_at, done_at: null }]);
  const text = await pbxCli(served.cliConfig, ['missed']);
  t.equal(text.code, 0);
  t.match(text.stdout, new RegExp(`^${list[0]!.id}\\s+1001\\s+1\\s+`, 'm'), 'the table shows the entry');
});

t.test('a caller who leaves the IVR menu and a call to a busy phone are missed; a blacklisted caller and a number routed to hangup are not', async (t) => {
  const carol = await phone(t, pbx, '1003');
  const dave = await phone(t, pbx, '1004');
  const erin = await phone(t, pbx, '1005');

  const toMenu = await carol.dial('500', sdpFor(carol.rtpPort));
  const ok = await carol.final(toMenu);
  t.equal(ok.status, 200, 'the PBX answers for the menu');
  const dialog = carol.dialogFromUac(toMenu, ok);
  carol.inDialog(dialog, 'ACK', undefined, dialog.cseq);
  await carol.waitRtp(5);
  t.equal((await carol.final(carol.inDialog(dialog, 'BYE'))).status, 200, 'the caller hangs up while the menu plays');

  const toBusy = await dave.dial('1005', sdpFor(dave.rtpPort));
  const ringing = await erin.request('INVITE');
  erin.reply(ringing, 486, 'busy');
  await erin.request('ACK');
  const busy = await dave.final(toBusy);
  dave.ackNon2xx(toBusy, busy);
  t.equal(busy.status, 486);

  const blacklisted = await dave.dial('500', sdpFor(dave.rtpPort), { from: '<sip:+78005550000@pbx.test>;tag=bl' });
  const refused = await dave.final(blacklisted);
  dave.ackNon2xx(blacklisted, refused);
  t.equal(refused.status, 603);

  const toHangup = await dave.dial('999', sdpFor(dave.rtpPort));
  const hungUp = await dave.final(toHangup);
  dave.ackNon2xx(toHangup, hungUp);
  t.equal(hungUp.status, 603);

  const [menuRow, busyRow, blacklistedRow, hangupRow] = await Promise.all([toMenu, toBusy, blacklisted, toHangup].map((i) => cdrFor(pbx, callIdOf(i))));
  t.match(menuRow, { status: 'missed', reason: 'caller-bye', path: 'ivr:main', missed: true });
  t.match(busyRow, { status: 'busy', reason: '486', missed: true });
  t.match(blacklistedRow, { reason: 'blacklisted', missed: false });
  t.match(hangupRow, { reason: 'hangup', missed: false });

  const missed = await cdrMissed();
  for (const [row, times] of [[menuRow, 1], [busyRow, 1], [blacklistedRow, 0], [hangupRow, 0]] as const) {
    t.equal(missed.filter((r) => r.call_id === row.call_id).length, times, `${row.reason}: ${times} in pbx cdr --missed`);
  }
  const list = await callbackList();
  t.match(list.find((e) => e.number === '1003'), { calls: 1, to: '500', path: 'ivr:main', reason: 'caller-bye', cdr_id: menuRow.id });
  t.match(list.find((e) => e.number === '1004'), { calls: 1, to: '1005', status: 'busy', cdr_id: busyRow.id }, 'the blacklisted call and the one to hangup added nothing to the entry');
});

t.test('an answered call back to the number closes its entry; pbx missed done closes one by hand', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  t.ok((await callbackList()).some((e) => e.number === '1001'), 'the first test left 1001 to call back');

  const back = await answeredCall(bob, alice);
  await hangUp(bob, back.callerDialog, alice);
  const backRow = await cdrFor(pbx, back.callerDialog.callId);
  t.notOk((await callbackList()).some((e) => e.number === '1001'), 'called back: off the open list');
  t.match((await callbackList('--all')).find((e) => e.number === '1001'), { done_by: 'answered', done_cdr: backRow.id, done_at: backRow.answered_at });
  t.equal((await cdrMissed()).filter((r) => r.id === backRow.id).length, 0, 'an answered call is not missed');

  const done = await pbxCli(served.cliConfig, ['missed', 'done', '1003']);
  t.equal(done.code, 0, done.stderr);
  t.match(done.stdout, /^m\d+ \(1003, 1 missed call\) marked done\n$/);
  const again = await pbxCli(served.cliConfig, ['missed', 'done', '1003']);
  t.equal(again.code, 1, 'nothing open for 1003 any more');
  const open = await callbackList();
  t.same(open.map((e) => e.number), ['1004']);
  const byId = await served.api('POST', `/api/missed/${open[0]!.id}/done`);
  t.match(byId, { status: 200, body: { number: '1004', done_by: 'manual' } });
  t.same(await callbackList(), []);
});
