// Shared by the SIPp-driven benchmarks: free ports, a PBX child process on a generated config,
// SIPp runs with their statistics and response times, and SIPp stand-ins for the baseline.
// Needs `npm run build` (dist/) and sipp.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SIPP_DIR = join(ROOT, 'test', 'sipp');
export const TOKEN = 'bench-token';

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `tspbx-bench-${prefix}-`));
}

/** A free UDP port (bound to 0, then released). */
export async function freePort() {
  const s = dgram.createSocket('udp4');
  await new Promise((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** The YAML of a bench PBX: extensions is [[number, password], ...]. */
export function pbxConfig({ dataDir, sipPort, httpPort, rtpMin, rtpMax, extensions }) {
  return [
    `data_dir: ${JSON.stringify(dataDir)}`,
    'sip:',
    `  listen: ["udp:127.0.0.1:${sipPort}"]`,
    '  domain: pbx.test',
    'rtp:',
    '  address: 127.0.0.1',
    `  ports: "${rtpMin}-${rtpMax}"`,
    'http:',
    `  listen: "127.0.0.1:${httpPort}"`,
    `  token: "${TOKEN}"`,
    'security:',
    '  slow_after: 10000',
    '  ban_after: 10000',
    'log:',
    '  level: warn',
    'extensions:',
    ...extensions.map(([n, p]) => `  "${n}": { password: "${p}" }`),
    '',
  ].join('\n');
}

/**
 * Starts `pbx start -c FILE` (log level warn, so no "started" line) and resolves once its control
 * API answers, which it does last in start-up (bounded: 60 s). BENCH_PBX_NODE_ARGS adds node
 * options to the PBX child, e.g. BENCH_PBX_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
 */
export async function startPbx(file, httpPort) {
  const nodeArgs = (process.env.BENCH_PBX_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist', 'cli', 'main.js'), 'start', '-c', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  let exit = null;
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve((exit = { code, signal }))));
  const deadline = Date.now() + 60000;
  for (;;) {
    if (exit !== null) throw new Error(`the PBX exited before it started: ${JSON.stringify(exit)}`);
    if (Date.now() > deadline) throw new Error('the PBX did not start within 60 s');
    const up = await control(httpPort, '/api/status').then(() => true, () => false);
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 15000);
      const r = await exited;
      clearTimeout(kill);
      return r;
    },
  };
}

/** Resident memory of a process in bytes (Linux). */
export function rss(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** GET on the control API. */
export async function control(httpPort, path) {
  const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return res.json();
}

/** Writes a SIPp injection file: rows of [user, password]. */
export function credentialsCsv(dir, rows) {
  const file = join(dir, `credentials-${rows.length}.csv`);
  writeFileSync(file, `SEQUENTIAL\n${rows.map(([u, p]) => `${u};[authentication username=${u} password=${p}]`).join('\n')}\n`);
  return file;
}

/**
 * Runs SIPp to completion in `dir` (bounded by -timeout plus a margin). Resolves with the exit code,
 * successful/failed calls and the response times (ms) of the scenario's rtd.
 */
export function runSipp(args, dir, timeoutS) {
  const run = join(dir, `run-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
  const stat = `${run}-stat.csv`;
  const full = ['-nostdin', '-i', '127.0.0.1', ...args, '-timeout', `${timeoutS}s`, '-trace_stat', '-stf', stat, '-trace_rtt', '-rtt_freq', '1', '-trace_err', '-error_file', `${run}-errors.log`];
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('sipp', full, { cwd: dir, stdio: 'ignore' });
    const hard = setTimeout(() => child.kill('SIGKILL'), (timeoutS + 20) * 1000);
    child.once('exit', (code) => {
      clearTimeout(hard);
      const ms = Date.now() - started;
      let successful = 0;
      let failed = 0;
      if (existsSync(stat)) {
        const rows = readFileSync(stat, 'utf8').trim().split('\n');
        const head = rows[0].split(';');
        const last = rows[rows.length - 1].split(';');
        successful = Number(last[head.indexOf('SuccessfulCall(C)')]);
        failed = Number(last[head.indexOf('FailedCall(C)')]);
      }
      const times = [];
      for (const f of readdirSync(dir).filter((n) => n.endsWith('_rtt.csv'))) {
        for (const line of readFileSync(join(dir, f), 'utf8').split('\n').slice(1)) {
          const t = Number(line.split(';')[1]);
          if (line !== '' && Number.isFinite(t)) times.push(t);
        }
        writeFileSync(join(dir, f), '');
      }
      resolve({ code, successful, failed, times, ms });
    });
  });
}

/** Starts a SIPp process that runs until stop() (a UAS). */
export function startSippServer(args, dir) {
  const child = spawn('sipp', ['-nostdin', '-i', '127.0.0.1', ...args], { cwd: dir, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    async stop() {
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(kill);
    },
  };
}

/** p-th percentile of numbers (nearest rank). */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * A copy of a test/sipp UAS scenario that first challenges the INVITE with 407 (no check of the
 * answer): the baseline callee that does what the PBX does on the wire, minus the PBX.
 */
export function challengingUas(dir, scenario) {
  const challenge = `
  <recv request="INVITE"/>
  <send>
    <![CDATA[
      SIP/2.0 407 Proxy Authentication Required
      [last_Via:]
      [last_From:]
      [last_To:];tag=challenge[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Proxy-Authenticate: Digest realm="pbx.test", nonce="[call_number]-bench", algorithm=MD5, qop="auth"
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
`;
  const text = readFileSync(join(SIPP_DIR, scenario), 'utf8').replace(/(<scenario[^>]*>\n(?:\s*<Global[^>]*>\n)?)/, `$1${challenge}`);
  const file = join(dir, `challenging-${scenario}`);
  writeFileSync(file, text);
  return file;
}

/** A registrar stand-in: 401 with an MD5 challenge, then 200 to the answer (no check). */
export function challengingRegistrar(dir) {
  const reply = (status, extra) => `
  <send>
    <![CDATA[
      SIP/2.0 ${status}
      [last_Via:]
      [last_From:]
      [last_To:];tag=reg[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      ${extra}
      Content-Length: 0

    ]]>
  </send>`;
  const text = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="registrar stand-in">
  <recv request="REGISTER"/>${reply('401 Unauthorized', 'WWW-Authenticate: Digest realm="pbx.test", nonce="[call_number]-bench", algorithm=MD5, qop="auth"')}
  <recv request="REGISTER"/>${reply('200 OK', '[last_Contact:]')}
</scenario>
`;
  const file = join(dir, 'registrar-stand-in.xml');
  writeFileSync(file, text);
  return file;
}
