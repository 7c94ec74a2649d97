// Media relay: N concurrent G.711 calls (20 ms packets of 172 bytes, both directions) through
// tspbx's MediaEngine, and the same streams through rtpengine (userspace forwarding, driven by its
// ng protocol) as the baseline, with a direct run (phones send to each other) as the floor.
//
// The load is native-bench/rtpload.c, compiled here with `cc -O2` into a temp dir: one C process
// pacing with clock_nanosleep, sending with sendmmsg and reading with recvmmsg (see its header).
// Load and relay are pinned to different cores with taskset (load on MEDIA_BENCH_LOAD_CPUS,
// relay on MEDIA_BENCH_RELAY_CPUS). The tspbx relay runs in a child process of its own, so its CPU
// (all threads, from /proc/PID/stat) is the relay's alone. Needs `npm run build` (dist/).
//
//   node native-bench/media-relay.bench.js
//   MEDIA_BENCH_CALLS=100,300,600,800,1000 MEDIA_BENCH_SECONDS=8 MEDIA_BENCH_WORKERS=1 node native-bench/media-relay.bench.js
import { fork, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PACKET = 172; // 12 bytes of RTP header + 160 bytes of G.711 (20 ms at 8 kHz)
const PTIME_MS = 20;
const WARMUP_MS = 1000;
const CLK_TCK = 100; // /proc/PID/stat ticks per second on Linux

if (process.argv[2] === 'relay') await relayHost(Number(process.argv[3]));
else await main();

/** Phone i of the load is this loopback address (see rtpload.c). */
function phoneAddress(i) {
  return `127.1.${Math.floor(i / 200) + 1}.${(i % 200) + 1}`;
}

function cpuMsOf(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // utime + stime
}

function pin(pid, cpus) {
  if (cpus === '') return;
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)]);
  if (r.status !== 0) console.log(`taskset ${cpus} ${pid} failed: ${r.stderr}`);
}

// ---------------------------------------------------------------------------------------------
// The load: one rtpload process per step.

function compileLoad() {
  const dir = mkdtempSync(join(tmpdir(), 'rtpload-'));
  const bin = join(dir, 'rtpload');
  const src = fileURLToPath(new URL('./rtpload.c', import.meta.url));
  const r = spawnSync('cc', ['-O2', '-Wall', '-pthread', '-o', bin, src], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { error: r.error !== undefined ? `cc is missing (${r.error.message})` : `cc failed: ${r.stderr}` };
  }
  return { bin, dir };
}

async function runLoad(bin, loadCpus, calls, seconds, setup) {
  const args = [bin, String(calls), String(seconds), String(WARMUP_MS)];
  const proc = loadCpus === '' ? spawn(args[0], args.slice(1)) : spawn('taskset', ['-c', loadCpus, ...args]);
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error(`rtpload: ${stderr}`);
  const { port } = JSON.parse(first.value);
  const phones = Array.from({ length: 2 * calls }, (_, i) => phoneAddress(i));
  const targets = await setup(phones, port);
  const cpu0 = setup.cpu();
  const t0 = performance.now();
  proc.stdin.end(`${targets.join(' ')}\n`);
  const last = await lines.next();
  const wall = performance.now() - t0;
  const cpuMs = setup.cpu() - cpu0;
  if (last.done) throw new Error(`rtpload: ${stderr}`);
  await once(proc, 'close').catch(() => {});
  return { ...JSON.parse(last.value), relayCpuMs: cpuMs, wallMs: wall };
}

// ---------------------------------------------------------------------------------------------
// The relays under test. Each sets up N calls between given phones and gives back, per phone, the
// "address:port" that phone sends to.

/** The tspbx relay, in a child process: MediaEngine from dist/, driven over IPC. */
async function relayHost(workers) {
  const url = new URL('../dist/media/engine.js', import.meta.url);
  const { MediaEngine } = await import(url.href);
  // A long deadline: an overloaded worker answers control requests only after its packet backlog.
  const engine = await MediaEngine.start({ address: '127.0.0.1', portMin: 50000, portMax: 54999, workers, rtpTimeoutS: 0, requestTimeoutMs: 60_000 });
  let legs = [];
  process.on('message', async (msg) => {
    if (msg.op === 'setup') {
      const targets = new Array(msg.phones.length);
      for (let c = 0; c < msg.phones.length / 2; c++) {
        const a = await engine.openLeg(`call-${c}`);
        const b = await engine.openLeg(`call-${c}`);
        await engine.setRemote(a.legId, { address: msg.phones[2 * c], port: msg.port });
        await engine.setRemote(b.legId, { address: msg.phones[2 * c + 1], port: msg.port });
        await engine.bridge(a.legId, b.legId);
        targets[2 * c] = `127.0.0.1:${a.port}`;
        targets[2 * c + 1] = `127.0.0.1:${b.port}`;
        legs.push(a.legId, b.legId);
      }
      process.send({ targets });
    } else if (msg.op === 'teardown') {
      for (const l of legs) await engine.closeLeg(l);
      legs = [];
      process.send({ done: true });
    } else if (msg.op === 'exit') {
      await engine.close();
      process.exit(0);
    }
  });
  process.send({ ready: true });
}

async function tspbxRelay(workers, relayCpus) {
  if (!existsSync(fileURLToPath(new URL('../dist/media/engine.js', import.meta.url)))) {
    throw new Error('dist/ is missing: run `npm run build` first');
  }
  const child = fork(fileURLToPath(import.meta.url), ['relay', String(workers)]);
  await once(child, 'message');
  pin(child.pid, relayCpus);
  const ask = async (msg) => {
    child.send(msg);
    const [r] = await once(child, 'message');
    return r;
  };
  return {
    name: `tspbx (${workers} worker${workers === 1 ? '' : 's'})`,
    cpu: () => cpuMsOf(child.pid),
    setup: async (phones, port) => (await ask({ op: 'setup', phones, port })).targets,
    teardown: () => ask({ op: 'teardown' }),
    async close() {
      child.send({ op: 'exit' });
      await once(child, 'exit');
    },
  };
}

function bencode(v) {
  if (typeof v === 'number') return `i${v}e`;
  if (typeof v === 'string') return `${Buffer.byteLength(v)}:${v}`;
  if (Array.isArray(v)) return `l${v.map(bencode).join('')}e`;
  return `d${Object.keys(v)
    .sort()
    .map((k) => bencode(k) + bencode(v[k]))
    .join('')}e`;
}

function bdecode(buf) {
  let i = 0;
  const value = () => {
    const c = String.fromCharCode(buf[i]);
    if (c === 'i') {
      const end = buf.indexOf(0x65, i);
      const n = Number(buf.subarray(i + 1, end).toString());
      i = end + 1;
      return n;
    }
    if (c === 'l' || c === 'd') {
      i++;
      const items = [];
      while (buf[i] !== 0x65) items.push(value());
      i++;
      if (c === 'l') return items;
      const o = {};
      for (let k = 0; k < items.length; k += 2) o[items[k]] = items[k + 1];
      return o;
    }
    const colon = buf.indexOf(0x3a, i);
    const len = Number(buf.subarray(i, colon).toString());
    const s = buf.subarray(colon + 1, colon + 1 + len).toString();
    i = colon + 1 + len;
    return s;
  };
  return value();
}

async function rtpengineRelay(relayCpus, threads) {
  if (spawnSync('rtpengine', ['--version']).status !== 0) return null;
  const ngPort = 22000 + (process.pid % 1000);
  const args = [
    'rtpengine',
    '--table=-1',
    '--interface=127.0.0.1',
    `--listen-ng=127.0.0.1:${ngPort}`,
    '--foreground',
    '--port-min=55000',
    '--port-max=59999',
    '--log-level=3',
    '--log-stderr',
    `--num-threads=${threads}`,
    '--delete-delay=0',
  ];
  const proc = relayCpus === '' ? spawn(args[0], args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] }) : spawn('taskset', ['-c', relayCpus, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const stop = () => proc.kill('SIGTERM');
  process.on('exit', stop);
  const ng = createSocket('udp4');
  await new Promise((r) => ng.bind(0, '127.0.0.1', r));
  const waiting = new Map();
  let cookie = 0;
  ng.on('message', (m) => {
    const sp = m.indexOf(0x20);
    const w = waiting.get(m.subarray(0, sp).toString());
    if (w) {
      waiting.delete(m.subarray(0, sp).toString());
      w(bdecode(m.subarray(sp + 1)));
    }
  });
  const request = (dict, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const id = `c${++cookie}`;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`rtpengine did not answer ${dict.command}: ${stderr.slice(-500)}`));
      }, timeoutMs);
      waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      ng.send(`${id} ${bencode(dict)}`, ngPort, '127.0.0.1');
    });
  for (let k = 0; ; k++) {
    try {
      const r = await request({ command: 'ping' }, 500);
      if (r.result === 'pong') break;
    } catch (e) {
      if (k > 10) throw e;
    }
  }
  const sdp = (address, port, id) =>
    `v=0\r\no=- ${id} 1 IN IP4 ${address}\r\ns=-\r\nc=IN IP4 ${address}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n`;
  const portOf = (r) => {
    if (r.result !== 'ok') throw new Error(`rtpengine: ${r.result} ${r['error-reason'] ?? ''}`);
    return Number(/^m=audio (\d+)/m.exec(r.sdp)[1]);
  };
  let calls = 0;
  return {
    name: `rtpengine (userspace, ${threads} thread${threads === 1 ? '' : 's'})`,
    cpu: () => cpuMsOf(proc.pid),
    async setup(phones, port) {
      const targets = new Array(phones.length);
      calls = phones.length / 2;
      for (let c = 0; c < calls; c++) {
        const callId = `bench-${c}`;
        const offer = await request({ command: 'offer', 'call-id': callId, 'from-tag': `a${c}`, sdp: sdp(phones[2 * c], port, c) });
        const answer = await request({
          command: 'answer',
          'call-id': callId,
          'from-tag': `a${c}`,
          'to-tag': `b${c}`,
          sdp: sdp(phones[2 * c + 1], port, c + 1e6),
        });
        targets[2 * c + 1] = `127.0.0.1:${portOf(offer)}`; // B sends to the port rtpengine offered B
        targets[2 * c] = `127.0.0.1:${portOf(answer)}`; // A sends to the port in the answer A gets
      }
      return targets;
    },
    async teardown() {
      for (let c = 0; c < calls; c++) await request({ command: 'delete', 'call-id': `bench-${c}`, 'from-tag': `a${c}` });
    },
    async close() {
      ng.close();
      process.off('exit', stop);
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    },
  };
}

/** No relay at all: the phones send to each other. Its jitter is the floor the load itself adds. */
function directRelay() {
  return {
    name: 'direct (no relay)',
    cpu: () => 0,
    setup: async (phones, port) => phones.map((_, i) => `${phones[i ^ 1]}:${port}`),
    async teardown() {},
    async close() {},
  };
}

// ---------------------------------------------------------------------------------------------

async function step(bin, loadCpus, relay, calls, seconds) {
  const setup = (phones, port) => relay.setup(phones, port);
  setup.cpu = relay.cpu;
  const r = await runLoad(bin, loadCpus, calls, seconds, setup);
  await relay.teardown();
  return {
    name: relay.name,
    calls,
    // Share of the nominal packets the load sent in the window; a starved load makes a step void.
    loadPct: (100 * r.sent) / r.expected,
    receivedPct: (100 * r.received) / Math.max(1, r.sent),
    worstStreamPct: r.worstStreamPct,
    p99: r.addedP99Ms,
    jitterMax: r.jitterMaxMs,
    lateMax: r.lateMaxMs,
    pps: r.received / seconds,
    cpuPct: (100 * r.relayCpuMs) / r.wallMs,
    loadCpuPct: r.loadCpuPct,
    // Relay CPU per relayed packet, the packets of the whole run (warm-up and drain too) at the measured rate.
    usPerPacket: r.received === 0 ? NaN : (1000 * r.relayCpuMs) / ((r.received / seconds) * (r.wallMs / 1000)),
  };
}

function row(s) {
  return (
    `${String(s.calls).padStart(5)}  ${s.name.padEnd(30)} ${s.loadPct.toFixed(1).padStart(5)}  ${s.receivedPct.toFixed(3).padStart(9)}` +
    `  ${s.worstStreamPct.toFixed(1).padStart(6)}  ${s.p99.toFixed(2).padStart(7)}  ${s.added.toFixed(2).padStart(7)}  ${s.jitterMax.toFixed(2).padStart(7)}` +
    `  ${Math.round(s.pps).toString().padStart(8)}  ${s.cpuPct.toFixed(0).padStart(6)}  ${s.loadCpuPct.toFixed(0).padStart(5)}` +
    `  ${s.cpuPct === 0 ? '     -' : s.usPerPacket.toFixed(1).padStart(6)}  ${s.lateMax.toFixed(1).padStart(7)}`
  );
}

function good(s) {
  return s.loadPct >= 99 && s.lateMax < PTIME_MS && s.receivedPct >= 99.9 && s.added < 5;
}

async function main() {
  const steps = (process.env.MEDIA_BENCH_CALLS ?? '100,300,600,800,1000').split(',').map(Number);
  const seconds = Number(process.env.MEDIA_BENCH_SECONDS ?? 8);
  const workers = Number(process.env.MEDIA_BENCH_WORKERS ?? 1);
  const pinning = availableParallelism() >= 2;
  const loadCpus = process.env.MEDIA_BENCH_LOAD_CPUS ?? (pinning ? '0' : '');
  const relayCpus = process.env.MEDIA_BENCH_RELAY_CPUS ?? (pinning ? '1' : '');
  const load = compileLoad();
  if (load.error !== undefined) {
    console.log(`media-relay: ${load.error}; the native load cannot run, so no figures (install a C compiler)`);
    return;
  }
  const relays = [directRelay(), await tspbxRelay(workers, relayCpus)];
  const baseline = await rtpengineRelay(relayCpus, Number(process.env.MEDIA_BENCH_RTPENGINE_THREADS ?? 1));
  if (baseline === null) console.log('rtpengine is not installed: no baseline');
  else relays.push(baseline);
  const results = new Map(relays.map((r) => [r.name, []]));
  console.log(
    `${seconds} s per step after ${WARMUP_MS} ms of warm-up; G.711, ${PACKET}-byte packets every ${PTIME_MS} ms, both directions; ` +
      `load on cpu ${loadCpus || 'any'}, relay on cpu ${relayCpus || 'any'}`,
  );
  console.log(
    `calls  ${'relay'.padEnd(30)} load%  received%  worst%  p99_ms  +p99_ms  jit_max  relay_pps  relay%  load%  us/pkt  late_ms`,
  );
  try {
    // Steps interleave the relays so that each N meets the same background load on a shared machine.
    for (const calls of steps) {
      let floor = 0;
      for (const relay of relays) {
        const s = await step(load.bin, loadCpus, relay, calls, seconds);
        if (relay === relays[0]) floor = s.p99;
        s.added = Math.max(0, s.p99 - floor);
        results.get(relay.name).push(s);
        console.log(row(s));
      }
    }
  } finally {
    for (const r of relays) await r.close();
    rmSync(load.dir, { recursive: true, force: true });
  }
  const best = (name) => Math.max(0, ...results.get(name).filter(good).map((s) => s.calls));
  console.log('\nreceived%: of the packets sent in the window; worst%: the worst stream; +p99: p99 delay above each');
  console.log("stream's lowest, less the direct run's at the same N; jit_max: highest RFC 3550 jitter of a stream (ms).");
  console.log('late_ms: how late the load sent at worst; a step whose load sent under 99% or over 20 ms late does not count.');
  console.log('most calls with < 0.1% loss and < 5 ms added p99:');
  for (const r of relays.slice(1)) console.log(`  ${r.name}: ${best(r.name)}`);
  if (baseline !== null) {
    const a = best(relays[1].name);
    const b = best(baseline.name);
    console.log(`ratio tspbx / rtpengine: ${b === 0 ? 'n/a' : (a / b).toFixed(2)} (goal: 600 calls)`);
    for (const calls of steps) {
      const ta = results.get(relays[1].name).find((s) => s.calls === calls);
      const tb = results.get(baseline.name).find((s) => s.calls === calls);
      console.log(
        `  ${String(calls).padStart(5)} calls: relayed pps ratio ${(ta.pps / tb.pps).toFixed(2)}, CPU ${ta.cpuPct.toFixed(0)}% vs ${tb.cpuPct.toFixed(0)}% ` +
          `(tspbx / rtpengine per packet ${(ta.usPerPacket / tb.usPerPacket).toFixed(2)}; ` +
          `calls one core carries at that cost: ${Math.round(1e6 / ta.usPerPacket / 100)} vs ${Math.round(1e6 / tb.usPerPacket / 100)})`,
      );
    }
  }
}
