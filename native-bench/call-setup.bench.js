// Call setup rate: a SIPp caller authenticated by digest calls a registered SIPp callee through the
// PBX (no media, hang-up at once), at rising rates until calls fail. Reports the highest rate with
// zero failures and the p99 setup time (first INVITE to 200, digest round trip included). Baseline
// in the same run: the same SIPp caller against a SIPp callee that challenges like the PBX, directly
// (the bound of the load generator on this machine). Needs `npm run build` and sipp.
//
//   node native-bench/call-setup.bench.js
//   CALL_BENCH_RATES=100,200,300,400,600,800 CALL_BENCH_SECONDS=4 node native-bench/call-setup.bench.js
import { join } from 'node:path';
import { rmSync, writeFileSync } from 'node:fs';
import { challengingUas, credentialsCsv, freePort, pbxConfig, percentile, runSipp, SIPP_DIR, startPbx, startSippServer, tempDir } from './sipp-lib.js';

const RATES = (process.env.CALL_BENCH_RATES ?? '50,100,200,300,400,600').split(',').map(Number);
const SECONDS = Number(process.env.CALL_BENCH_SECONDS ?? 3);

/** Runs the rising steps against `remote`; stops at the first step with a failure. */
async function steps(label, remote, dir, creds) {
  const rows = [];
  for (const rate of RATES) {
    const calls = rate * SECONDS;
    const r = await runSipp(
      ['-sf', join(SIPP_DIR, 'uac-nomedia.xml'), remote, '-p', String(await freePort()), '-s', '1002', '-inf', creds, '-m', String(calls), '-r', String(rate), '-d', '0', '-l', String(rate * 10)],
      dir,
      SECONDS * 4 + 20,
    );
    const row = { label, rate, calls, ok: r.successful, failed: r.failed + (calls - r.successful - r.failed), p50: percentile(r.times, 50), p99: percentile(r.times, 99) };
    rows.push(row);
    console.log(`${label.padEnd(9)} ${String(rate).padStart(5)}/s  ${String(row.ok).padStart(6)} ok  ${String(row.failed).padStart(5)} failed  setup p50 ${row.p50} ms  p99 ${row.p99} ms`);
    if (row.failed > 0) break;
  }
  const clean = rows.filter((r) => r.failed === 0);
  return clean.length > 0 ? clean[clean.length - 1] : { rate: 0, p99: NaN };
}

const dir = tempDir('call-setup');
const creds = credentialsCsv(dir, [['1001', 'alice-pass']]);
const calleeCreds = credentialsCsv(dir, [['1002', 'bob-pass']]);

// Baseline: SIPp caller -> SIPp callee that challenges once, no PBX.
const basePort = await freePort();
const baseUas = startSippServer(['-sf', challengingUas(dir, 'uas.xml'), '-p', String(basePort), '-set', 'rtp_port', '9', '-m', '10000000'], dir);
const base = await steps('direct', `127.0.0.1:${basePort}`, dir, creds);
await baseUas.stop();

// The PBX.
const sipPort = await freePort();
const httpPort = await freePort();
const file = join(dir, 'pbx.yaml');
writeFileSync(file, pbxConfig({ dataDir: join(dir, 'data'), sipPort, httpPort, rtpMin: 40000, rtpMax: 47999, extensions: [['1001', 'alice-pass'], ['1002', 'bob-pass']] }));
const pbx = await startPbx(file, httpPort);
const uasPort = await freePort();
const reg = await runSipp(['-sf', join(SIPP_DIR, 'register.xml'), `127.0.0.1:${sipPort}`, '-p', String(uasPort), '-inf', calleeCreds, '-set', 'expires', '3600', '-m', '1'], dir, 10);
if (reg.code !== 0) throw new Error('the callee could not register');
const uas = startSippServer(['-sf', join(SIPP_DIR, 'uas.xml'), '-p', String(uasPort), '-set', 'rtp_port', '9', '-m', '10000000'], dir);
const best = await steps('tspbx', `127.0.0.1:${sipPort}`, dir, creds);
await uas.stop();
const stopped = await pbx.stop();
rmSync(dir, { recursive: true, force: true });

console.log(`\ntspbx: ${best.rate} calls/s with zero failures, setup p99 ${best.p99} ms (steps of ${SECONDS} s: ${RATES.join(', ')})`);
console.log(`direct SIPp caller -> callee (bound of the load generator): ${base.rate} calls/s, p99 ${base.p99} ms`);
console.log(`ratio tspbx / direct: ${(best.rate / base.rate).toFixed(2)}  (goal: 600 calls/s; Asterisk 20 measured 300/s here)`);
if (stopped.code !== 0) {
  console.error(`the PBX exited ${JSON.stringify(stopped)} on SIGTERM`);
  process.exitCode = 1;
}
