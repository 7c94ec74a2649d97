// Registration storm: 10,000 extensions registering with digest (401, then 200) at a rate rising
// to 2,000/s. Reports failures, the p99 REGISTER time (first REGISTER to 200) and the PBX's memory
// per registration from its RSS before and after. Baseline in the same run: the same SIPp load
// against a SIPp registrar stand-in (challenge, then 200, no checks), the bound of the load
// generator. Needs `npm run build` and sipp.
//
//   node native-bench/register-storm.bench.js
//   STORM_EXTENSIONS=10000 STORM_RATE_MAX=2000 node native-bench/register-storm.bench.js
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { challengingRegistrar, control, credentialsCsv, freePort, pbxConfig, percentile, rss, runSipp, SIPP_DIR, startPbx, startSippServer, tempDir } from './sipp-lib.js';

const COUNT = Number(process.env.STORM_EXTENSIONS ?? 10000);
const RATE_MAX = Number(process.env.STORM_RATE_MAX ?? 2000);
const STEP = Math.max(1, Math.round(RATE_MAX / 10));

const dir = tempDir('register-storm');
const extensions = Array.from({ length: COUNT }, (_, i) => [String(100000 + i), `pw-${i}-secret`]);
const creds = credentialsCsv(dir, extensions);

/** The storm: rate STEP/s rising by STEP every second up to RATE_MAX, COUNT registrations. */
function storm(remote) {
  return freePort().then((port) =>
    runSipp(
      ['-sf', join(SIPP_DIR, 'register.xml'), remote, '-p', String(port), '-inf', creds, '-set', 'expires', '3600', '-m', String(COUNT), '-r', String(STEP), '-rate_increase', String(STEP), '-rate_interval', '1', '-rate_max', String(RATE_MAX), '-no_rate_quit', '-l', String(RATE_MAX * 4)],
      dir,
      120,
    ),
  );
}

function report(label, r) {
  const failed = COUNT - r.successful;
  console.log(`${label.padEnd(20)} ${String(r.successful).padStart(6)} registered  ${String(failed).padStart(5)} failed  in ${(r.ms / 1000).toFixed(1)} s  REGISTER p50 ${percentile(r.times, 50)} ms  p99 ${percentile(r.times, 99)} ms`);
  return failed;
}

// Baseline: the registrar stand-in.
const basePort = await freePort();
const stand = startSippServer(['-sf', challengingRegistrar(dir), '-p', String(basePort), '-m', '100000000'], dir);
const base = await storm(`127.0.0.1:${basePort}`);
await stand.stop();
report('stand-in (direct)', base);

// The PBX with COUNT extensions.
const sipPort = await freePort();
const httpPort = await freePort();
const file = join(dir, 'pbx.yaml');
writeFileSync(file, pbxConfig({ dataDir: join(dir, 'data'), sipPort, httpPort, rtpMin: 40000, rtpMax: 40099, extensions }));
const pbx = await startPbx(file, httpPort);
const before = rss(pbx.pid);
const r = await storm(`127.0.0.1:${sipPort}`);
const status = await control(httpPort, '/api/status');
const after = rss(pbx.pid);
const failed = report('tspbx', r);
const stopped = await pbx.stop();
rmSync(dir, { recursive: true, force: true });

console.log(`\ntspbx: ${COUNT} extensions, rate rising by ${STEP}/s to ${RATE_MAX}/s: ${failed} failures, ${status.registrations} bindings live`);
console.log(`memory: RSS ${(before / 2 ** 20).toFixed(1)} MiB before, ${(after / 2 ** 20).toFixed(1)} MiB after: ${((after - before) / Math.max(1, status.registrations)).toFixed(0)} bytes per registration`);
console.log(`ratio tspbx / stand-in: duration ${(r.ms / base.ms).toFixed(2)}, p99 ${percentile(r.times, 99)} / ${percentile(base.times, 99)} ms`);
if (failed > 0 || stopped.code !== 0) process.exitCode = 1;
