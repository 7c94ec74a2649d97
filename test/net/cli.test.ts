// The `pbx` command run as a user runs it: a child process on the built dist/ (npm test builds first).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import type { ControlSource, QueueStats } from '../../src/api/control-types.js';
import { startControlServer } from '../../src/api/control.js';
import { createLogger } from '../../src/log.js';
import type { CdrRow, MissedCall } from '../../src/store/types.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';

// About twenty node processes: on a loaded machine this file needs more than tap's default.
t.setTimeout(300_000);

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');
const EXAMPLE = join(ROOT, 'config.example.yaml');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function pbx(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 90_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

function writeConfig(dir: string, port: number, token = 'cli-token'): string {
  const file = join(dir, 'pbx.yaml');
  writeFileSync(file, `http: { listen: "127.0.0.1:${port}", token: "${token}" }\nextensions:\n  "1001": { password: secret-1 }\n`);
  return file;
}

const CDR: CdrRow = { id: 'r1', call_id: 'x@y', from: '1001', to: '1002', status: 'missed', reason: 'cancel', started_at: '2026-01-01T00:00:00.000Z', answered_at: null, ended_at: '2026-01-01T00:00:09.000Z', duration_s: 9, billsec: 0, recording: null, quality: null };
const CDR_QUALITY: CdrRow = {
  ...CDR,
  id: 'r2',
  status: 'answered',
  reason: 'caller-bye',
  answered_at: '2026-01-01T00:00:01.000Z',
  billsec: 8,
  quality: { caller: { loss_pct: 0, jitter_ms: 1.2, rtt_ms: 20, mos: 4.38 }, callee: { loss_pct: 5, jitter_ms: 3, rtt_ms: null, mos: 3.91 } },
};

const MISSED: MissedCall = {
  id: 'm4',
  number: '1001',
  calls: 2,
  first_at: '2026-01-01T00:00:00.000Z',
  last_at: '2026-01-01T00:07:00.000Z',
  to: '500',
  path: 'ivr:main>1002',
  status: 'missed',
  reason: 'no-answer',
  cdr_id: 'r1',
  done_at: null,
  done_by: null,
  done_cdr: null,
};
const MISSED_DONE: MissedCall = { ...MISSED, id: 'm2', number: '1003', calls: 1, path: null, done_at: '2026-01-01T00:09:00.000Z', done_by: 'answered', done_cdr: 'r9' };

const QUEUE_STATS: QueueStats = {
  queue: 'support',
  answered: 12,
  abandoned: 2,
  timed_out: 1,
  callbacks: 3,
  callbacks_pending: 1,
  callbacks_failed: 0,
  average_wait_s: 42.5,
  max_wait_s: 130,
  service_level_s: 60,
  service_level_pct: 80,
};

async function fakePbx(t: Test, reload: Awaited<ReturnType<ControlSource['reload']>>) {
  const cdrQueries: unknown[] = [];
  const missedQueries: unknown[] = [];
  const queueQueries: unknown[] = [];
  const source: ControlSource = {
    status: () => ({ version: '0.1.0', started_at: '2026-01-01T00:00:00.000Z', uptime_s: 3725, registrations: 1, calls: 0 }),
    registrations: () => [{ extension: '1001', contact: 'sip:1001@127.0.0.1:5070', transport: 'udp', source: '127.0.0.1:5070', expires_at: '2026-01-01T01:00:00.000Z', user_agent: 'SIPp' }],
    calls: () => [],
    cdr: (q) => (cdrQueries.push(q), [CDR, CDR_QUALITY]),
    reload: async () => reload,
    setRecording: async () => ({ ok: false as const, refusal: 'unknown-call' as const, error: 'no such call' }),
    missed: (q) => (missedQueries.push(q), q.all ? [MISSED, MISSED_DONE] : [MISSED]),
    missedDone: (which) => (which === 'm4' || which === '1001' ? { ...MISSED, done_at: '2026-01-01T01:00:00.000Z', done_by: 'manual' } : null),
    queueStats: (name, since) => (queueQueries.push({ name, since }), name === null || name === 'support' ? [QUEUE_STATS] : null),
    originate: () => ({ error: 'not in this test' }),
  };
  const log = createLogger({ level: 'error', destination: new Writable({ write: (_c, _e, done) => done() }) });
  const server = await startControlServer({ host: '127.0.0.1', port: 0, token: 'cli-token', source, log });
  t.teardown(() => server.close());
  return { port: server.port, cdrQueries, missedQueries, queueQueries };
}

t.test('pbx check accepts config.example.yaml with exit 0', async (t) => {
  const run = await pbx('check', '-c', EXAMPLE);
  t.equal(run.code, 0);
  t.equal(run.stdout, '');
});

t.test('pbx check prints one FILE:LINE:COL line per problem and exits 1', async (t) => {
  const file = join(tempDir(t, 'cli'), 'bad.yaml');
  writeFileSync(file, 'sip:\n  lisen: ["udp:127.0.0.1:5060"]\nhttp: { token: t }\ndialplan:\n  "500": "ivr:nope"\n');
  const run = await pbx('check', '-c', file);
  t.equal(run.code, 1);
  t.same(run.stdout.trimEnd().split('\n'), [
    `${file}:2:3: sip: unknown key "lisen"; did you mean "listen"?`,
    `${file}:5:10: dialplan.500: destination "ivr:nope" points nowhere: no ivr named "nope"`,
  ]);
});

t.test('pbx check accepts examples/office-hours.yaml and reports bad schedules and caller rules', async (t) => {
  const example = await pbx('check', '-c', join(ROOT, 'examples/office-hours.yaml'));
  t.equal(example.code, 0, example.stdout);
  const file = join(tempDir(t, 'cli'), 'hours.yaml');
  writeFileSync(
    file,
    'http: { token: t }\nextensions: { "1001": { password: a } }\nschedules:\n  office:\n    timezone: Europe/Moscw\n    hours: { mon-fry: "09:00-18:00" }\n    open: "1001"\n    closed: "schedule:office"\ncallers: { blacklist: [+78001234567] }\n',
  );
  const run = await pbx('check', '-c', file);
  t.equal(run.code, 1);
  t.same(run.stdout.trimEnd().split('\n'), [
    `${file}:5:15: schedules.office.timezone: unknown time zone "Europe/Moscw"; did you mean "Europe/Moscow"?`,
    `${file}:6:14: schedules.office.hours: unknown day "fry" in "mon-fry"; days are mon tue wed thu fri sat sun, ranges like mon-fri`,
    `${file}:8:13: schedules.office.closed: schedule loop: office -> office`,
    `${file}:9:24: callers.blacklist[0]: write caller numbers in quotes ("+74951234567"): YAML reads 78001234567 as a number and drops a leading + or 0`,
  ]);
});

t.test('pbx check without -c, or on a missing file, exits 1', async (t) => {
  const [noConfig, run] = await Promise.all([pbx('check'), pbx('check', '-c', join(tempDir(t, 'cli'), 'none.yaml'))]);
  t.equal(noConfig.code, 1);
  t.equal(run.code, 1);
  t.match(run.stdout, /none\.yaml:1:1: cannot read the config: no such file/);
});

t.test('every command that needs the PBX exits 2 when nothing listens on http.listen', async (t) => {
  const file = writeConfig(tempDir(t, 'cli'), await freePort());
  const commands = [['status'], ['registrations', '--json'], ['calls'], ['cdr', '--missed'], ['missed'], ['missed', 'done', 'm1'], ['reload']];
  const runs = await Promise.all(commands.map((args) => pbx(args[0]!, '-c', file, ...args.slice(1))));
  runs.forEach((run, i) => {
    t.equal(run.code, 2, commands[i]!.join(' '));
    t.match(run.stderr, /cannot reach the PBX at http:\/\/127\.0\.0\.1:\d+/, commands[i]!.join(' '));
  });
});

t.test('status, registrations and cdr print tables, or arrays of objects with --json', async (t) => {
  const { port, cdrQueries } = await fakePbx(t, { ok: true });
  const file = writeConfig(tempDir(t, 'cli'), port);
  const [status, statusText, regs, regsText, calls, callsText, cdr, cdrText] = await Promise.all([
    pbx('status', '-c', file, '--json'),
    pbx('status', '-c', file),
    pbx('registrations', '-c', file, '--json'),
    pbx('registrations', '-c', file),
    pbx('calls', '-c', file, '--json'),
    pbx('calls', '-c', file),
    pbx('cdr', '-c', file, '--missed', '--since', '2026-01-01T00:00:00Z', '--json'),
    pbx('cdr', '-c', file),
  ]);
  t.equal(status.code, 0);
  t.same(JSON.parse(status.stdout), [{ version: '0.1.0', started_at: '2026-01-01T00:00:00.000Z', uptime_s: 3725, registrations: 1, calls: 0 }]);
  t.match(statusText.stdout, /uptime\s+1:02:05/);
  t.match(JSON.parse(regs.stdout), [{ extension: '1001', contact: 'sip:1001@127.0.0.1:5070', transport: 'udp', expires_at: String, user_agent: 'SIPp' }]);
  t.match(regsText.stdout, /^EXTENSION\s+CONTACT.*\n1001\s+sip:1001@127\.0\.0\.1:5070\s+udp/);
  t.same(JSON.parse(calls.stdout), []);
  t.equal(callsText.stdout, 'no calls in progress\n');
  t.equal(cdr.code, 0);
  t.same(JSON.parse(cdr.stdout), [CDR, CDR_QUALITY]);
  const byMissed = (q: unknown): number => ((q as { missed: boolean }).missed ? 1 : 0);
  t.same([...cdrQueries].sort((a, b) => byMissed(a) - byMissed(b)), [
    { missed: false, since: null, limit: 100 },
    { missed: true, since: '2026-01-01T00:00:00.000Z', limit: 100 },
  ]);
  t.match(cdrText.stdout, /1001\s+1002\s+missed\s+0:09/);
  t.match(cdrText.stdout, /REASON\s+MOS\s+RECORDING/);
  t.match(cdrText.stdout, /caller-bye\s+4\.4\/3\.9\s+-/, 'MOS of the caller and callee legs');
  t.match(cdrText.stdout, /cancel\s+-\s+-/, 'no MOS for a call without media');
});

t.test('pbx missed prints the callback list (with --all the closed entries too), --json the entries', async (t) => {
  const { port, missedQueries } = await fakePbx(t, { ok: true });
  const file = writeConfig(tempDir(t, 'cli'), port);
  const [json, text, all] = await Promise.all([pbx('missed', '-c', file, '--json'), pbx('missed', '-c', file), pbx('missed', '-c', file, '--all', '--limit', '5')]);
  t.equal(json.code, 0);
  t.same(JSON.parse(json.stdout), [MISSED]);
  t.match(text.stdout, /^ID\s+NUMBER\s+CALLS\s+FIRST \(UTC\)\s+LAST \(UTC\)\s+TO\s+PATH\s+REASON\n/);
  t.match(text.stdout, /m4\s+1001\s+2\s+2026-01-01 00:00:00\s+2026-01-01 00:07:00\s+500\s+ivr:main>1002\s+no-answer\n/);
  t.notMatch(text.stdout, /DONE/, 'no DONE column when every entry is open');
  t.match(all.stdout, /REASON\s+DONE\n/);
  t.match(all.stdout, /m2\s+1003\s+1\s+.*\s+-\s+no-answer\s+answered 2026-01-01 00:09:00\n/);
  const byAll = (q: unknown): number => ((q as { all: boolean }).all ? 1 : 0);
  t.same([...missedQueries].sort((a, b) => byAll(a) - byAll(b)), [
    { all: false, limit: 100 },
    { all: false, limit: 100 },
    { all: true, limit: 5 },
  ]);
});

t.test('pbx missed done ENTRY marks it done (exit 0); an entry with nothing open, or none given, exits 1', async (t) => {
  const { port } = await fakePbx(t, { ok: true });
  const file = writeConfig(tempDir(t, 'cli'), port);
  const [byId, byNumber, json, unknown, missing, stray] = await Promise.all([
    pbx('missed', 'done', 'm4', '-c', file),
    pbx('missed', 'done', '1001', '-c', file),
    pbx('missed', 'done', 'm4', '-c', file, '--json'),
    pbx('missed', 'done', '1002', '-c', file),
    pbx('missed', 'done', '-c', file),
    pbx('missed', '1001', '-c', file),
  ]);
  t.equal(byId.code, 0);
  t.equal(byId.stdout, 'm4 (1001, 2 missed calls) marked done\n');
  t.equal(byNumber.code, 0);
  t.match(JSON.parse(json.stdout), [{ id: 'm4', done_by: 'manual', done_at: '2026-01-01T01:00:00.000Z' }]);
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /refused to mark 1002 done \(404\): no open missed-call entry/);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /needs the entry/);
  t.equal(stray.code, 1);
  t.match(stray.stderr, /'1001' is invalid for argument 'action'/, 'a number alone is no action');
});

t.test('pbx queue stats prints answered, abandoned, average wait and service level per queue; --json an array', async (t) => {
  const { port, queueQueries } = await fakePbx(t, { ok: true });
  const file = writeConfig(tempDir(t, 'cli'), port);
  const [text, json, unknown] = await Promise.all([
    pbx('queue', 'stats', '-c', file),
    pbx('queue', 'stats', 'support', '-c', file, '--since', '2026-01-01T00:00:00Z', '--json'),
    pbx('queue', 'stats', 'nope', '-c', file),
  ]);
  t.equal(text.code, 0);
  t.match(text.stdout, /^QUEUE\s+ANSWERED\s+ABANDONED.*SERVICE LEVEL\nsupport\s+12\s+2\s+1\s+3\s+1\s+0\s+0:43\s+2:10\s+80% within 60 s\n$/);
  t.equal(json.code, 0);
  t.same(JSON.parse(json.stdout), [QUEUE_STATS]);
  t.equal(unknown.code, 1, 'an unknown queue is refused');
  t.match(unknown.stderr, /no queue named "nope"/);
  t.same(
    [...queueQueries].map((q) => JSON.stringify(q)).sort(),
    [{ name: 'nope', since: null }, { name: 'support', since: '2026-01-01T00:00:00.000Z' }, { name: null, since: null }].map((q) => JSON.stringify(q)),
  );
});

t.test('pbx cdr --since with a value that is not a time exits 1 without asking the PBX', async (t) => {
  const { port, cdrQueries } = await fakePbx(t, { ok: true });
  const run = await pbx('cdr', '-c', writeConfig(tempDir(t, 'cli'), port), '--since', 'yesterday');
  t.equal(run.code, 1);
  t.same(cdrQueries, []);
});

t.test('pbx reload exits 0 when the PBX accepts, 1 with the error lines when it refuses', async (t) => {
  const accepted = await fakePbx(t, { ok: true });
  const refused = await fakePbx(t, { ok: false, errors: ['/etc/pbx.yaml:3:3: sip: unknown key "lisen"; did you mean "listen"?'] });
  const [ok, run] = await Promise.all([pbx('reload', '-c', writeConfig(tempDir(t, 'cli'), accepted.port)), pbx('reload', '-c', writeConfig(tempDir(t, 'cli'), refused.port))]);
  t.equal(ok.code, 0);
  t.equal(run.code, 1);
  t.equal(run.stdout, '/etc/pbx.yaml:3:3: sip: unknown key "lisen"; did you mean "listen"?\n');
});

t.test('a wrong token is refused with exit 1', async (t) => {
  const { port } = await fakePbx(t, { ok: true });
  const run = await pbx('status', '-c', writeConfig(tempDir(t, 'cli'), port, 'wrong-token'));
  t.equal(run.code, 1);
  t.match(run.stderr, /refused the token/);
});

t.test('pbx start refuses an invalid config with the check lines and exit 1', async (t) => {
  const file = join(tempDir(t, 'cli'), 'bad.yaml');
  writeFileSync(file, 'http: { token: t }\nrtp: { ports: "5-1" }\n');
  const run = await pbx('start', '-c', file);
  t.equal(run.code, 1);
  t.equal(run.stdout, `${file}:2:15: rtp.ports: bad port range "5-1"; expected "MIN-MAX" with 1 <= MIN < MAX <= 65535, e.g. "20000-20999"\n`);
});
