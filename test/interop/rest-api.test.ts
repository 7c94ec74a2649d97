// The REST API of the real `pbx start`: a SIPp call from 1001 to 1002 is found in GET /api/calls,
// recorded from POST /api/calls/{id}/recording on, and hung up by DELETE /api/calls/{id} (both
// SIPp phones get the BYE); its CDR row names the recording, which downloads by byte range.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative, sep } from 'node:path';
import t from 'tap';
import type { CallInfo } from '../../src/api/control-types.js';
import type { CdrRow } from '../../src/store/types.js';
import { sseEvents, type SseEvent } from '../helpers/sse.js';
import { until } from '../helpers/wav-check.js';
import { callThrough, PbxProcess, preparePbx, teardown, TOKEN } from './harness.js';

const setup = await preparePbx();
const pbx = await PbxProcess.start(setup, 40_000);
t.teardown(() => teardown(pbx, setup));

const WAV_HEADER = 44;
const base = `http://127.0.0.1:${setup.httpPort}`;
const auth = { authorization: `Bearer ${TOKEN}` };

async function api(method: string, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(base + path, { method, headers: { ...auth, ...headers }, signal: AbortSignal.timeout(10_000) });
}

/** The live events from now on (resolves once the stream's headers came, so that none is missed). */
async function liveEvents(): Promise<{ next(name: string): Promise<SseEvent>; close(): void }> {
  const abort = new AbortController();
  const res = await fetch(`${base}/api/events`, { headers: auth, signal: abort.signal });
  if (res.status !== 200 || res.body === null) throw new Error(`GET /api/events answered ${res.status}`);
  const events = sseEvents(res.body);
  return {
    async next(name) {
      const timer = setTimeout(() => abort.abort(), 20_000);
      try {
        // next() by hand: a for-await that returns would close the stream for the following calls.
        for (let r = await events.next(); r.done !== true; r = await events.next()) if (r.value.event === name) return r.value;
      } finally {
        clearTimeout(timer);
      }
      throw new Error(`the event stream ended before ${name}`);
    },
    close: () => abort.abort(),
  };
}

t.test('DELETE /api/calls/{id} hangs up a SIPp call in progress that POST .../recording recorded; the recording downloads by range', async (t) => {
  const live = await liveEvents();
  t.teardown(() => live.close());
  let hungUp: CallInfo | null = null;
  let recordingStatus = 0;
  const run = await callThrough(setup, {
    callerScenario: 'uac-callee-bye.xml',
    calleeScenario: 'uas.xml',
    durationMs: 30_000,
    during: async () => {
      await live.next('call.answered');
      const calls = (await (await api('GET', '/api/calls')).json()) as CallInfo[];
      const call = calls.find((c) => c.from === '1001' && c.state === 'answered');
      if (call === undefined) throw new Error(`no answered call in ${JSON.stringify(calls)}`);
      const started = await api('POST', `/api/calls/${encodeURIComponent(call.id)}/recording`);
      recordingStatus = started.status;
      const { path } = (await started.json()) as { path: string };
      // Audio in the file before the hang-up, so that a 100-byte range lies within it.
      await until(() => existsSync(path) && statSync(path).size > WAV_HEADER + 16_000, 10_000);
      const res = await api('DELETE', `/api/calls/${encodeURIComponent(call.id)}`);
      t.equal(res.status, 202);
      hungUp = (await res.json()) as CallInfo;
    },
  });
  run.probe.close();
  t.equal(recordingStatus, 200, 'the recording started');
  t.match(hungUp, { from: '1001', to: '1002', state: 'answered' });
  t.equal(run.caller.code, 0, `the caller got the BYE: ${run.caller.errors}`);
  t.equal(run.callee.code, 0, `the callee got the BYE: ${run.callee.errors}`);

  const ended = await live.next('call.ended');
  const row = ended.data.data as unknown as CdrRow;
  t.match(row, { from: '1001', to: '1002', status: 'answered', reason: 'hangup-api', recording: String });
  t.same(await (await api('GET', '/api/calls')).json(), [], 'the call is gone');

  const cdr = await api('GET', '/api/cdr?extension=1002&limit=1');
  t.equal(cdr.headers.get('x-total-count'), '1');
  t.match(await cdr.json(), [{ id: row.id, recording: row.recording }]);

  const id = relative(`${setup.dataDir}${sep}recordings`, row.recording!).split(sep).join('/');
  const listed = (await (await api('GET', '/api/recordings')).json()) as Array<{ id: string; url: string; bytes: number }>;
  t.match(listed, [{ id, url: `/api/recordings/${encodeURIComponent(id)}` }], 'the recording is listed under its path');
  const file = readFileSync(row.recording!);
  t.equal(listed[0]!.bytes, file.length);
  const part = await api('GET', listed[0]!.url, { range: 'bytes=0-99' });
  t.equal(part.status, 206);
  t.equal(part.headers.get('content-range'), `bytes 0-99/${file.length}`);
  t.same(Buffer.from(await part.arrayBuffer()), file.subarray(0, 100), 'the first 100 bytes of the WAV');
  t.equal((await api('GET', listed[0]!.url, { range: `bytes=${file.length}-` })).status, 416);
});

t.test('the real PBX serves its OpenAPI document and its extensions without secrets', async (t) => {
  const doc = (await (await api('GET', '/api/openapi.json')).json()) as { paths: Record<string, unknown> };
  t.ok(doc.paths['/api/calls/{id}/transfer']);
  const exts = await (await api('GET', '/api/extensions')).text();
  t.match(JSON.parse(exts), [{ number: '1001' }, { number: '1002' }]);
  t.notMatch(exts, /password/);
});

t.test('SIGTERM exits 0', async (t) => {
  t.same(await pbx.stop(), { code: 0, signal: null });
});
