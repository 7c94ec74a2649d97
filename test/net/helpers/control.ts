// The control API over an in-process test PBX, answered as src/pbx.ts answers it, and a config file
// through which the built `pbx` CLI (dist/) finds it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { ControlSource } from '../../../src/api/control-types.js';
import { startControlServer } from '../../../src/api/control.js';
import { quietLog } from '../../helpers/log.js';
import { tempDir } from '../../helpers/temp-dir.js';
import type { TestPbx } from './pbx.js';

export interface ServedPbx {
  /** A request to the control API with the bearer token (or `token`) and a JSON body; the JSON it answered. */
  api: (method: string, path: string, token?: string, body?: unknown) => Promise<{ status: number; body: Record<string, unknown> }>;
  /** A config file whose http.listen and token reach that API, for the CLI. */
  cliConfig: string;
}

/** Serves the control API of `pbx` on a free port, with `token`, for the length of the test. */
export async function serveControl(t: Test, pbx: TestPbx, token: string): Promise<ServedPbx> {
  const source: ControlSource = {
    status: () => ({ version: 'test', started_at: new Date().toISOString(), uptime_s: 0, registrations: 0, calls: pbx.calls.list().length }),
    registrations: () => [],
    calls: () => pbx.calls.list(),
    cdr: (q) => pbx.store.listCdr(q),
    missed: (q) => pbx.store.listMissed(q),
    missedDone: (which) => pbx.store.closeMissed(which),
    reload: async () => ({ ok: true }),
    setRecording: (call, on) => pbx.calls.setRecording(call, on),
    hangup: (call) => pbx.calls.hangupCall(call),
    transfer: (call, to, keep) => pbx.calls.transfer(call, to, keep),
    originate: () => ({ error: 'not served by this test helper' }),
  };
  const server = await startControlServer({ host: '127.0.0.1', port: 0, token, source, log: quietLog });
  t.teardown(() => server.close());
  const cliConfig = join(tempDir(t, 'control'), 'pbx.yaml');
  writeFileSync(cliConfig, `http: { listen: "127.0.0.1:${server.port}", token: "${token}" }\nextensions:\n  "1001": { password: secret-1 }\n`);
  const api = async (method: string, path: string, auth = token, body?: unknown) => {
    const headers: Record<string, string> = { authorization: `Bearer ${auth}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { api, cliConfig };
}
