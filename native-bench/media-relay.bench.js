// Media relay: N concurrent G.711 calls (20 ms packets of 172 bytes, both directions) through
// tspbx's MediaEngine, and the same streams through rtpengine (userspace forwarding, driven by its
// ng protocol) as the baseline. The load runs in a child process so it does not share the relay's
// thread. For each N: received %, added p99 jitter (delay above the stream's lowest), relayed
// packets/s, relay CPU. Needs `npm run build` (dist/).
//
//   node native-bench/media-relay.bench.js
//   MEDIA_BENCH_CALLS=100,300,600,900 MEDIA_BENCH_SECONDS=10 MEDIA_BENCH_WORKERS=2 node native-bench/media-relay.bench.js
import { fork, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PACKET = 172; // 12 bytes of RTP header + 160 bytes of G.711 (20 ms at 8 kHz)
const PTIME_MS = 20;

if (process.argv[2] === 'load') runLoad();
else await main();

// ---------------------------------------------------------------------------------------------
// The load: 2 phones per call, each a UDP socket sending one packet every 20 ms, phases spread
// over the 20 ms. Each packet carries its send time; the receiving phone records its delay.

function runLoad() {
  process.on('disconnect', () => process.exit(0));
  let phones = [];
  process.on('message', async (msg) => {
    if (msg.op === 'bind') {
      phones = [];
      for (let i = 0; i < msg.phones; i++) {
        const s = createSocket('udp4');
        await new Promise((resolve) => s.bind(0, '127.0.0.1', resolve));
        try {
          s.setRecvBufferSize(1 << 20);
        } catch {}
        phones.push(s);
      }
      process.send({ ports: phones.map((s) => s.address().port) });
    } else if (msg.op === 'run') {
      process.send(await load(phones, msg.targets, msg.seconds));
      for (const s of phones) s.close();
      phones = [];
    } else if (msg.op === 'exit') {
      process.exit(0);
    }
  });
}

async function load(phones, targets, seconds) {
  const n = phones.length;
  const warmupMs = 1000;
  const runMs = warmupMs + seconds * 1000;
  const perStream = Math.ceil(runMs / PTIME_MS) + 2;
  const delays = new Float64Array(n * perStream);
  const counts = new Uint32Array(n);
  const minDelay = new Float64Array(n).fill(Infinity);
  let sent = 0;
  let received = 0;
  let t0 = performance.now();
  const windowStart = () => t0 + warmupMs;
  const bufs = phones.map((_, i) => {
    const b = Buffer.alloc(PACKET, 0xff);
    b[0] = 0x80;
    b[1] = 0;
    b.writeUInt32BE(0x10000 + i, 8);
    b.writeUInt32LE(i, 20);
    return b;
  });
  const seq = new Uint16Array(n);
  phones.forEach((s, i) => {
    s.on('message', (m) => {
      const at = performance.now();
      const sentAt = m.readDoubleLE(12);
      if (sentAt < windowStart()) return;
      const stream = m.readUInt32LE(20);
      const d = at - sentAt;
      if (counts[stream] < perStream) delays[stream * perStream + counts[stream]++] = d;
      if (d < minDelay[stream]) minDelay[stream] = d;
      received++;
    });
  });
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  const next = new Float64Array(PTIME_MS).map((_, k) => t0 + k);
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      if (now - t0 >= runMs) {
        clearInterval(timer);
        resolve();
        return;
      }
      for (let slot = 0; slot < PTIME_MS; slot++) {
        while (next[slot] <= now) {
          next[slot] += PTIME_MS;
          for (let i = slot; i < n; i += PTIME_MS) {
            const b = bufs[i];
            seq[i]++;
            b.writeUInt16BE(seq[i], 2);
            b.writeUInt32BE(seq[i] * 160, 4);
            const at = performance.now();
            b.writeDoubleLE(at, 12);
            phones[i].send(b, targets[i], '127.0.0.1');
            if (at >= windowStart()) sent++;
          }
        }
      }
    }, 1);
  });
  await new Promise((r) => setTimeout(r, 300));
  const cpu = process.cpuUsage(cpu0);
  const added = [];
  for (let s = 0; s < n; s++) {
    for (let k = 0; k < counts[s]; k++) added.push(delays[s * perStream + k] - minDelay[s]);
  }
  added.sort((a, b) => a - b);
  const pct = (p) => (added.length === 0 ? NaN : added[Math.min(added.length - 1, Math.floor(p * added.length))]);
  return {
    sent,
    received,
    p50: pct(0.5),
    p99: pct(0.99),
    loadCpu: (cpu.user + cpu.system) / 1000 / (runMs + 300),
  };
}

// ---------------------------------------------------------------------------------------------
// The relays under test. Each sets up N calls between given phone ports and gives back, per
// phone, the relay port that phone sends to.

async function tspbxRelay(workers) {
  const url = new URL('../dist/media/engine.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) throw new Error('dist/ is missing: run `npm run build` first');
  const { MediaEngine } = await import(url.href);
  const engine = await MediaEngine.start({
    address: '127.0.0.1',
    portMin: 50000,
    portMax: 54999,
    workers,
    rtpTimeoutS: 0,
  });
  let legs = [];
  return {
    name: `tspbx (${workers} workers)`,
    cpu: () => {
      const c = process.cpuUsage();
      return (c.user + c.system) / 1000;
    },
    async setup(ports) {
      const targets = new Array(ports.length);
      for (let c = 0; c < ports.length / 2; c++) {
        const a = await engine.openLeg(`call-${c}`);
        const b = await engine.openLeg(`call-${c}`);
        await engine.setRemote(a.legId, { address: '127.0.0.1', port: ports[2 * c] });
        await engine.setRemote(b.legId, { address: '127.0.0.1', port: ports[2 * c + 1] });
        await engine.bridge(a.legId, b.legId);
        targets[2 * c] = a.port;
        targets[2 * c + 1] = b.port;
        legs.push(a.legId, b.legId);
      }
      return targets;
    },
    async teardown() {
      for (const l of legs) await engine.closeLeg(l);
      legs = [];
    },
    close: () => engine.close(),
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

async function rtpengineRelay() {
  if (spawnSync('rtpengine', ['--version']).status !== 0) return null;
  const ngPort = 22000 + (process.pid % 1000);
  const proc = spawn(
    'rtpengine',
    [
      '--table=-1',
      '--interface=127.0.0.1',
      `--listen-ng=127.0.0.1:${ngPort}`,
      '--foreground',
      '--port-min=55000',
      '--port-max=59999',
      '--log-level=3',
      '--log-stderr',
      '--num-threads=2',
      '--delete-delay=0',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const stop = () => proc.kill('SIGTERM');
  process.on('exit', stop);
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => process.exit(130));
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
  const request = (dict) =>
    new Promise((resolve, reject) => {
      const id = `c${++cookie}`;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`rtpengine did not answer ${dict.command}: ${stderr.slice(-500)}`));
      }, 2000);
      waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      ng.send(`${id} ${bencode(dict)}`, ngPort, '127.0.0.1');
    });
  for (let k = 0; ; k++) {
    try {
      const r = await request({ command: 'ping' });
      if (r.result === 'pong') break;
    } catch (e) {
      if (k > 10) throw e;
    }
  }
  const sdp = (port, id) =>
    `v=0\r\no=- ${id} 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n`;
  const portOf = (r) => {
    if (r.result !== 'ok') throw new Error(`rtpengine: ${r.result} ${r['error-reason'] ?? ''}`);
    return Number(/^m=audio (\d+)/m.exec(r.sdp)[1]);
  };
  let calls = 0;
  const ticks = () => {
    const f = readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, 100 Hz ticks → ms
  };
  return {
    name: 'rtpengine (userspace, 2 threads)',
    cpu: ticks,
    async setup(ports) {
      const targets = new Array(ports.length);
      calls = ports.length / 2;
      for (let c = 0; c < calls; c++) {
        const callId = `bench-${c}`;
        const offer = await request({ command: 'offer', 'call-id': callId, 'from-tag': `a${c}`, sdp: sdp(ports[2 * c], c) });
        const answer = await request({
          command: 'answer',
          'call-id': callId,
          'from-tag': `a${c}`,
          'to-tag': `b${c}`,
          sdp: sdp(ports[2 * c + 1], c + 1e6),
        });
        targets[2 * c + 1] = portOf(offer); // B sends to the port rtpengine offered B
        targets[2 * c] = portOf(answer); // A sends to the port in the answer A gets
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

// ---------------------------------------------------------------------------------------------

async function step(relay, child, calls, seconds) {
  child.send({ op: 'bind', phones: 2 * calls });
  const [{ ports }] = await once(child, 'message');
  const targets = await relay.setup(ports);
  const cpu0 = relay.cpu();
  const t0 = performance.now();
  child.send({ op: 'run', targets, seconds });
  const [r] = await once(child, 'message');
  const wall = performance.now() - t0;
  const cpu = (relay.cpu() - cpu0) / wall;
  await relay.teardown();
  return {
    calls,
    receivedPct: (100 * r.received) / Math.max(1, r.sent),
    // Share of the nominal packets the load managed to send; a starved load makes a step void.
    loadPct: (100 * r.sent) / (2 * calls * (1000 / PTIME_MS) * seconds),
    p99: r.p99,
    pps: r.received / seconds,
    cpuPct: 100 * cpu,
    loadCpuPct: 100 * r.loadCpu,
    // CPU time per relayed packet: the figure least moved by other load on a shared machine.
    cpuMs: cpu * wall,
    packets: r.received,
    received: r.received,
    usPerPacket: r.received === 0 ? NaN : (cpu * wall * 1000) / r.received,
  };
}

/** No relay at all: the phones send to each other. Its jitter is the floor the load itself adds. */
function directRelay() {
  return {
    name: 'direct (no relay)',
    cpu: () => 0,
    async setup(ports) {
      return ports.map((_, i) => ports[i ^ 1]);
    },
    async teardown() {},
    async close() {},
  };
}

function row(s) {
  return `${String(s.calls).padStart(5)}  ${s.name.padEnd(34)} ${s.loadPct.toFixed(1).padStart(5)}  ${s.receivedPct.toFixed(3).padStart(9)}  ${s.p99.toFixed(2).padStart(9)}  ${s.added.toFixed(2).padStart(9)}  ${Math.round(s.pps).toString().padStart(11)}  ${s.cpuPct.toFixed(0).padStart(9)}  ${s.loadCpuPct.toFixed(0).padStart(8)}  ${s.cpuPct === 0 ? '     -' : s.usPerPacket.toFixed(1).padStart(6)}`;
}

function good(s) {
  return s.loadPct >= 99 && s.receivedPct >= 99.9 && s.added < 5;
}

async function main() {
  const steps = (process.env.MEDIA_BENCH_CALLS ?? '100,300,600,900').split(',').map(Number);
  const seconds = Number(process.env.MEDIA_BENCH_SECONDS ?? 10);
  const workers = Number(process.env.MEDIA_BENCH_WORKERS ?? 2);
  const child = fork(fileURLToPath(import.meta.url), ['load']);
  const relays = [directRelay(), await tspbxRelay(workers)];
  const baseline = await rtpengineRelay();
  if (baseline === null) console.log('rtpengine is not installed: no baseline');
  else relays.push(baseline);
  const results = new Map(relays.map((r) => [r.name, []]));
  // Steps interleave the relays so that each N meets the same background load on a shared machine.
  console.log(`${seconds} s per step after 1 s of warm-up; G.711, ${PACKET}-byte packets every ${PTIME_MS} ms, both directions`);
  console.log(`calls  ${'relay'.padEnd(34)} load%  received%  p99_ms  +p99_ms  relayed_pps  relay_cpu%  load_cpu%  cpu_us/pkt`);
  for (const calls of steps) {
    let floor = 0;
    for (const relay of relays) {
      const s = { name: relay.name, ...(await step(relay, child, calls, seconds)) };
      if (relay.name.startsWith('direct')) floor = s.p99;
      s.added = Math.max(0, s.p99 - floor);
      results.get(relay.name).push(s);
      console.log(row(s));
    }
  }
  child.send({ op: 'exit' });
  for (const r of relays) await r.close();
  const best = (name) => Math.max(0, ...results.get(name).filter(good).map((s) => s.calls));
  console.log('\nmost calls with < 0.1% loss and < 5 ms added p99 jitter (+p99: above the direct run at the same N;');
  console.log('load%: share of the nominal packets the load sent; a step under 99% does not count):');
  for (const r of relays.slice(1)) console.log(`  ${r.name}: ${best(r.name)}`);
  if (baseline !== null) {
    const a = best(relays[1].name);
    const b = best(baseline.name);
    console.log(`ratio tspbx / rtpengine: ${b === 0 ? 'n/a' : (a / b).toFixed(2)} (goal: 600 calls)`);
    const at = (name) => results.get(name).at(-1);
    const ta = at(relays[1].name);
    const tb = at(baseline.name);
    console.log(
      `at ${ta.calls} calls: relayed packets/s ${Math.round(ta.pps)} vs ${Math.round(tb.pps)} (ratio ${(ta.pps / tb.pps).toFixed(2)}), relay CPU ${ta.cpuPct.toFixed(0)}% vs ${tb.cpuPct.toFixed(0)}%`,
    );
    const cost = (name) => {
      const all = results.get(name).filter((s) => s.received > 0);
      const cpuMs = all.reduce((n, s) => n + s.cpuMs, 0);
      const packets = all.reduce((n, s) => n + s.packets, 0);
      return (cpuMs * 1000) / packets;
    };
    const ca = cost(relays[1].name);
    const cb = cost(baseline.name);
    console.log(
      `CPU per relayed packet over all steps: ${ca.toFixed(1)} us vs ${cb.toFixed(1)} us (rtpengine / tspbx ${(cb / ca).toFixed(2)}); ` +
        `one core at that cost: ${Math.round(1e6 / ca / 100)} vs ${Math.round(1e6 / cb / 100)} calls`,
    );
  }
}
