// Recording started and stopped while the call is up, end to end over real UDP on 127.0.0.1: by
// the control API (POST/DELETE /api/calls/{id}/recording), by the built `pbx record` CLI against
// it, and by the feature code *1 pressed as RFC 4733 events by either phone. The WAV holds what
// the caller sent while recording was on and nothing it sent after a stop; the CDR names it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { CallInfo, ControlSource } from '../../src/api/control-types.js';
import { startControlServer } from '../../src/api/control.js';
import { goertzel } from '../helpers/audio.js';
import { concat, dtmfTone, silence } from '../helpers/dtmf-audio.js';
import { quietLog } from '../helpers/log.js';
import { freePort } from '../helpers/ports.js';
import { RtpEndpoint } from '../helpers/rtp-endpoint.js';
import { tempDir } from '../helpers/temp-dir.js';
import { readWavFile, until } from '../helpers/wav-check.js';
import { pbxCli } from '../interop/harness.js';
import { answeredCall, cdrFor, hangUp, phone } from './helpers/flows.js';
import { sdpFor } from './helpers/phone.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';

// The CLI runs as child processes: on a loaded machine this file needs more than tap's default.
t.setTimeout(300_000);

const TOKEN = 'midcall-token';
const PCMU = { name: 'PCMU', payloadType: 0, clockRate: 8000, dtmfPayloadType: 101 };
/** The caller's levels before the start, while recorded, and after the stop: told apart in the WAV. */
const BEFORE = -6000;
const DURING = 12000;
const AFTER = -20000;

interface Setup {
  pbx: TestPbx;
  /** The control API on a free port. */
  api: (method: string, path: string, token?: string) => Promise<{ status: number; body: Record<string, unknown> }>;
  /** A config file whose http.listen and token reach that API, for the CLI. */
  cliConfig: string;
}

/** A PBX with the control API over its CallControl, as src/pbx.ts serves it. */
async function setup(t: Test, yaml = ''): Promise<Setup> {
  const pbx = await startPbx({ extra: yaml, compiledWorker: true });
  t.teardown(() => pbx.close());
  const source: ControlSource = {
    status: () => ({ version: 'test', started_at: new Date().toISOString(), uptime_s: 0, registrations: 0, calls: pbx.calls.list().length }),
    registrations: () => [],
    calls: () => pbx.calls.list(),
    cdr: (q) => pbx.store.listCdr(q),
    reload: async () => ({ ok: true }),
    setRecording: (call, on) => pbx.calls.setRecording(call, on),
    originate: () => ({ error: 'not in this test' }),
  };
  const server = await startControlServer({ host: '127.0.0.1', port: 0, token: TOKEN, source, log: quietLog });
  t.teardown(() => server.close());
  const cliConfig = join(tempDir(t, 'midcall'), 'pbx.yaml');
  writeFileSync(cliConfig, `http: { listen: "127.0.0.1:${server.port}", token: "${TOKEN}" }\nextensions:\n  "1001": { password: secret-1 }\n`);
  const api = async (method: string, path: string, token = TOKEN) => {
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { pbx, api, cliConfig };
}

/**
 * An answered call 1001 -> 1002 whose media ends are RTP endpoints speaking PCMU with RFC 4733
 * (`inband`: the caller's phone has no telephone-event and sends digits as tones).
 */
async function callWithMedia(t: Test, pbx: TestPbx, inband = false) {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const a = await RtpEndpoint.open(inband ? { ...PCMU, dtmfPayloadType: null } : PCMU);
  const b = await RtpEndpoint.open(PCMU);
  t.teardown(() => {
    a.close();
    b.close();
  });
  const offer = inband ? sdpFor(a.port, [[0, 'PCMU']]) : sdpFor(a.port);
  const call = await answeredCall(alice, bob, true, { offer, answer: sdpFor(b.port) });
  const info = pbx.calls.list().find((c) => c.call_id === call.callerDialog.callId)!;
  const toPbx = { a: mediaPort(call.ok.body), b: mediaPort(call.calleeInvite.body) };
  return { alice, bob, a, b, call, info, toPbx };
}

function mediaPort(sdp: Buffer): number {
  return Number(/^m=audio (\d+) /m.exec(sdp.toString())![1]);
}

/** `seconds` of a constant level (DC survives G.711 and the 16 kHz resampling well enough to tell apart). */
function level(value: number, seconds: number): Int16Array {
  return new Int16Array(8000 * seconds).fill(value);
}

/** The caller's (left) channel of a stereo recording, and how many samples sit near each level. */
function leftLevels(path: string): { seconds: number; before: number; during: number; after: number } {
  const wav = readWavFile(path);
  const near = (v: number, target: number): boolean => Math.abs(v - target) < Math.abs(target) * 0.2;
  let before = 0;
  let during = 0;
  let after = 0;
  for (let i = 0; i < wav.samples.length; i += 2) {
    const v = wav.samples[i]!;
    if (near(v, BEFORE)) before++;
    else if (near(v, DURING)) during++;
    else if (near(v, AFTER)) after++;
  }
  const rate = wav.sampleRate;
  return { seconds: wav.samples.length / 2 / rate, before: before / rate, during: during / rate, after: after / rate };
}

/** True when some 20 ms of what the endpoint received is the 1 kHz recording beep. */
function heardBeep(ep: RtpEndpoint): boolean {
  const pcm = ep.received();
  for (let i = 0; i + 160 <= pcm.length; i += 160) if (goertzel(pcm, 8000, 1000, i, i + 160) > 0.005) return true;
  return false;
}

let shared: Setup;
t.before(async () => {
  shared = await setup(t);
});

/** `ep` presses *1 as RFC 4733 events; resolves once the recording is `on` and each phone heard the beep. */
async function pressStarOne(pbx: TestPbx, id: string, ep: RtpEndpoint, port: number, on: boolean, phones: RtpEndpoint[]): Promise<void> {
  for (const p of phones) p.clear();
  await ep.sendDigit(10, port);
  await ep.sendDigit(1, port);
  await until(() => callInfo(pbx, id)?.recording === on, 5000);
  for (const p of phones) await p.waitFor(() => heardBeep(p), 5000, `the beep of recording ${on ? 'on' : 'off'}`);
}

function callInfo(pbx: TestPbx, id: string): CallInfo | undefined {
  return pbx.calls.list().find((c) => c.id === id);
}

t.test('POST /api/calls/{call_id}/recording records the audio sent after it; pbx record stop leaves out what follows; the CDR names the file', async (t) => {
  const { pbx, api, cliConfig } = shared;
  const { alice, bob, a, call, info, toPbx } = await callWithMedia(t, pbx);
  t.equal(info.recording, false, 'pbx calls shows the call unrecorded at first');

  await a.send(level(BEFORE, 0.5), toPbx.a);
  const started = await api('POST', `/api/calls/${encodeURIComponent(info.call_id)}/recording`);
  t.equal(started.status, 200, JSON.stringify(started.body));
  t.match(started.body, { id: info.id, call_id: info.call_id, recording: true, path: /recordings\/\d{4}\/\d\d\/\d\d\/\d{6}_1001_1002_[0-9a-f]{8}\.wav$/ });
  const listed = await pbxCli(cliConfig, ['calls', '--json']);
  t.equal(listed.code, 0, listed.stderr);
  t.match(JSON.parse(listed.stdout), [{ id: info.id, recording: true }], 'pbx calls --json shows the call being recorded');

  await a.send(level(DURING, 1), toPbx.a);
  const stopped = await pbxCli(cliConfig, ['record', 'stop', info.id]);
  t.equal(stopped.code, 0, stopped.stderr);
  t.match(stopped.stdout, `recording of call ${info.id} stopped (${String(started.body.path)})`);
  t.equal(callInfo(pbx, info.id)?.recording, false);
  const again = await pbxCli(cliConfig, ['record', 'stop', info.id]);
  t.equal(again.code, 1, 'stopping a recording that is stopped is refused');
  t.match(again.stderr, /409.*not being recorded/);

  await a.send(level(AFTER, 0.5), toPbx.a);
  await hangUp(alice, call.callerDialog, bob);
  const cdr = await cdrFor(pbx, call.callerDialog.callId);
  t.equal(cdr.recording, started.body.path, 'the CDR names the file');
  const heard = leftLevels(cdr.recording!);
  t.ok(heard.during >= 0.8, `the audio sent while recording is in the file (${heard.during.toFixed(2)} s of ${heard.seconds.toFixed(2)} s)`);
  t.equal(heard.after, 0, 'nothing sent after the stop is in the file');
  t.ok(heard.before <= 0.2, `at most what the jitter buffer held from before the start (${heard.before.toFixed(2)} s)`);
});

t.test('*1 pressed as RFC 4733 starts the recording, *1 from the other phone stops it; both phones hear a beep each time', async (t) => {
  const { pbx } = shared;
  const { alice, bob, a, b, call, info, toPbx } = await callWithMedia(t, pbx);
  await a.send(level(BEFORE, 0.5), toPbx.a);
  await pressStarOne(pbx, info.id, a, toPbx.a, true, [a, b]);

  await a.send(level(DURING, 1), toPbx.a);
  await pressStarOne(pbx, info.id, b, toPbx.b, false, [a, b]);

  await a.send(level(AFTER, 0.5), toPbx.a);
  await hangUp(alice, call.callerDialog, bob);
  const cdr = await cdrFor(pbx, call.callerDialog.callId);
  t.type(cdr.recording, 'string', 'the CDR names the file');
  const heard = leftLevels(cdr.recording!);
  t.ok(heard.during >= 0.8, `the audio sent between the two *1 is in the file (${heard.during.toFixed(2)} s)`);
  t.equal(heard.after, 0, 'nothing sent after the second *1 is in the file');
  t.ok(heard.before <= 0.2, `at most what the jitter buffer held from before the start (${heard.before.toFixed(2)} s)`);
  t.ok(
    pbx.log.some((l) => l.msg === 'recording toggled by feature code' && l.obj.side === 'callee' && l.obj.recording === false),
    'the callee side may toggle too',
  );
});

t.test('*1 pressed as tones by a phone without telephone-event starts the recording too', async (t) => {
  const { pbx } = shared;
  const { alice, bob, a, call, info, toPbx } = await callWithMedia(t, pbx, true);
  await a.send(concat(silence(8000, 200), dtmfTone(8000, '*', 100), silence(8000, 100), dtmfTone(8000, '1', 100), silence(8000, 200)), toPbx.a);
  await until(() => callInfo(pbx, info.id)?.recording === true, 5000);
  await a.waitFor(() => heardBeep(a), 5000, 'the caller hears the start beep');
  await hangUp(alice, call.callerDialog, bob);
  t.type((await cdrFor(pbx, call.callerDialog.callId)).recording, 'string');
});

t.test('with the disk short of recording.min_free_mb the start is refused 507 with the reason, and the call goes on unrecorded', async (t) => {
  const { pbx, api } = await setup(t, 'recording: { min_free_mb: 1000000000 }\n');
  const { alice, bob, a, b, call, info, toPbx } = await callWithMedia(t, pbx);
  const refused = await api('POST', `/api/calls/${info.id}/recording`);
  t.equal(refused.status, 507);
  t.match(refused.body, { refusal: 'disk-full', error: /free/ });
  t.equal(callInfo(pbx, info.id)?.recording, false);

  await a.send(level(DURING, 0.4), toPbx.a);
  await b.waitFor(() => (b.packets.get(0) ?? 0) >= 10, 5000, "the caller's audio still reaches the callee");
  t.equal(callInfo(pbx, info.id)?.state, 'answered', 'the call is still up');
  await hangUp(alice, call.callerDialog, bob);
  const cdr = await cdrFor(pbx, call.callerDialog.callId);
  t.equal(cdr.status, 'answered');
  t.equal(cdr.recording, null);
});

t.test('an unknown call gets 404, a call not answered or already recorded 409, a wrong token 401; the CLI exits 1', async (t) => {
  const { pbx, api, cliConfig } = shared;
  t.match(await api('POST', '/api/calls/no-such-call/recording'), { status: 404, body: { refusal: 'unknown-call' } });
  t.match(await api('DELETE', '/api/calls/no-such-call/recording'), { status: 404 });
  t.match(await api('POST', '/api/calls/%E0%A4%A/recording'), { status: 400 }, 'a path that does not decode is a bad request');
  t.match(await api('PUT', '/api/calls/x/recording'), { status: 405 });
  t.match(await api('POST', '/api/calls/no-such-call/recording', 'wrong'), { status: 401 });
  const unknown = await pbxCli(cliConfig, ['record', 'start', 'no-such-call']);
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /404.*no call in progress/);
  const badAction = await pbxCli(cliConfig, ['record', 'pause', 'x']);
  t.equal(badAction.code, 1, 'an action other than start or stop is bad input');

  const carol = await phone(t, pbx, '1003');
  const dave = await phone(t, pbx, '1004');
  const invite = await carol.dial(dave.user, sdpFor(carol.rtpPort));
  const ringing = await dave.request('INVITE');
  dave.reply(ringing, 180, 'davetag');
  await carol.response(invite, (s) => s === 180);
  const callId = invite.headers.get('call-id')!;
  t.match(await api('POST', `/api/calls/${encodeURIComponent(callId)}/recording`), { status: 409, body: { refusal: 'not-answered' } });
  carol.cancel(invite);
  await cdrFor(pbx, callId);

  const { info } = await callWithMedia(t, pbx);
  t.equal((await api('POST', `/api/calls/${info.id}/recording`)).status, 200);
  t.match(await api('POST', `/api/calls/${info.id}/recording`), { status: 409, body: { refusal: 'already', error: /already being recorded/ } });
  const resumedPath = (await api('DELETE', `/api/calls/${info.id}/recording`)).body.path;
  t.match(await api('POST', `/api/calls/${info.id}/recording`), { status: 200, body: { recording: true, path: resumedPath } }, 'a start after a stop goes on in the same file');
  const wrongToken = await pbxCli(writeWrongToken(t, cliConfig), ['record', 'stop', info.id]);
  t.equal(wrongToken.code, 1);
  t.match(wrongToken.stderr, /refused the token/);
  t.equal(callInfo(pbx, info.id)?.recording, true, 'a refused request changes nothing');
});

t.test('pbx record exits 2 when no PBX answers', async (t) => {
  const file = join(tempDir(t, 'midcall'), 'pbx.yaml');
  writeFileSync(file, `http: { listen: "127.0.0.1:${await freePort()}", token: "${TOKEN}" }\nextensions:\n  "1001": { password: secret-1 }\n`);
  const run = await pbxCli(file, ['record', 'start', 'x']);
  t.equal(run.code, 2);
  t.match(run.stderr, /cannot reach the PBX/);
});

function writeWrongToken(t: Test, file: string): string {
  const other = join(tempDir(t, 'midcall'), 'wrong.yaml');
  writeFileSync(other, readFileSync(file, 'utf8').replace(TOKEN, 'not-the-token'));
  return other;
}
