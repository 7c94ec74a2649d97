// A call between two SIPp endpoints through the PBX with G.711 A-law and RFC 4733 events:
// RTP flows both ways through the PBX's own media ports, `pbx calls` shows the call while it
// lasts and `pbx cdr` has it afterwards.
import t from 'tap';
import type { CallInfo } from '../../src/api/control-types.js';
import type { CdrRow } from '../../src/store/types.js';
import { callThrough, describe, isPbxMediaSource, PbxProcess, pbxJson, preparePbx, teardown, type CallRun } from './harness.js';

const setup = await preparePbx();
const pbx = await PbxProcess.start(setup);
t.teardown(() => teardown(pbx, setup));

let during: CallInfo[] = [];
const run: CallRun = await callThrough(setup, {
  callerScenario: 'uac-call.xml',
  calleeScenario: 'uas.xml',
  durationMs: 3000,
  during: async (probe) => {
    await probe.waitFor((c) => (c.fromPeer.get(8) ?? 0) >= 20 && c.echoedBack >= 20, 15000);
    during = await pbxJson<CallInfo[]>(setup.file, ['calls']);
  },
});
t.teardown(() => run.probe.close());
const counts = run.probe.counts;

t.test('both SIPp endpoints finish their scenarios', async (t) => {
  t.equal(run.caller.code, 0, run.caller.errors);
  t.equal(run.callee.code, 0, run.callee.errors);
});

t.test('G.711 A-law from the caller reaches the callee from a PBX media port', async (t) => {
  t.ok((counts.fromPeer.get(8) ?? 0) >= 20, describe(counts));
  t.ok(counts.sources.size > 0 && [...counts.sources].every((s) => isPbxMediaSource(s, setup.rtp)), `every packet came from rtp.ports: ${[...counts.sources].join(', ')}`);
});

t.test("the callee's RTP reaches the caller: the caller's echo of it comes back through the PBX", async (t) => {
  t.ok(counts.echoedBack >= 20, describe(counts));
});

t.test('RFC 4733 telephone-event packets (digit 1) pass through', async (t) => {
  t.ok((counts.fromPeer.get(101) ?? 0) > 0, describe(counts));
  t.ok(counts.events.has(1), 'event code 1 seen');
});

t.test('pbx calls --json shows the call while it lasts', async (t) => {
  t.equal(during.length, 1);
  t.match(during[0], { from: /1001/, to: /1002/, state: 'answered' });
});

t.test('pbx calls --json is empty afterwards and pbx cdr --json has the call with the contract fields', async (t) => {
  t.same(await pbxJson<CallInfo[]>(setup.file, ['calls']), []);
  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.equal(rows.length, 1);
  const row = rows[0]!;
  t.match(row, { from: /1001/, to: /1002/, status: 'answered', recording: null });
  for (const key of ['id', 'from', 'to', 'status', 'started_at', 'answered_at', 'ended_at', 'duration_s', 'billsec', 'recording']) t.ok(key in row, `has ${key}`);
  t.ok(Date.parse(row.started_at) <= Date.parse(row.answered_at!) && Date.parse(row.answered_at!) <= Date.parse(row.ended_at), 'started <= answered <= ended');
  t.ok(row.billsec >= 3 && row.duration_s >= row.billsec, `billsec ${row.billsec}, duration ${row.duration_s}`);
  const caller = row.quality?.caller ?? null;
  t.ok(caller !== null, 'the CDR carries the quality of the caller leg');
  t.equal(caller?.loss_pct, 0, 'the recorded G.711 stream has no gaps');
  t.ok(caller !== null && caller.mos > 4 && caller.mos <= 4.5, `caller MOS ${caller?.mos}`);
});

t.test('SIGTERM after the call exits 0', async (t) => {
  t.same(await pbx.stop(), { code: 0, signal: null });
});
