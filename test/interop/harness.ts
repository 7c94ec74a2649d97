// Drives the real PBX (node dist/cli/main.js start -c FILE, so `npm run build` must have run) and
// real SIP peers (SIPp, baresip) on 127.0.0.1. Every wait is on an event (a log line, a process
// exit, a packet) with a deadline; nothing sleeps for a fixed time.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import type { CdrRow } from '../../src/store/types.js';
import { Conditions } from '../helpers/conditions.js';
import { freePort, freeRange } from '../helpers/ports.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
export const SIPP_DIR = join(ROOT, 'test', 'sipp');
export const TOKEN = 'interop-token';

export { freePort, freeRange };

export interface Extension {
  name: string;
  password: string;
  /** extensions.NUM.dtmf_mode; auto when absent. */
  dtmf_mode?: string;
  /** extensions.NUM.outbound as a YAML flow mapping, e.g. '{ caller_id: "+74951110002" }'. */
  outbound?: string;
  /** More keys of the extension as YAML flow entries, e.g. 'forward: { always: "74951234" }'. */
  more?: string;
}

/** The extensions every interop config has. */
export const EXTENSIONS: Readonly<Record<string, Extension>> = {
  '1001': { name: 'Alice', password: 'alice-pass' },
  '1002': { name: 'Bob', password: 'bob-pass' },
  '1003': { name: 'Carol', password: 'carol-pass' },
};

/** A temporary directory removed by `cleanup()`. */
export function tempDir(prefix: string): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), `tspbx-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export interface PbxConfigOptions {
  extensions?: Record<string, Extension>;
  /** YAML appended at the end (dialplan, groups, security...). */
  extraYaml?: string;
  /** More keys of the http mapping, as YAML lines indented two spaces ("  callback: {...}"). */
  httpYaml?: string;
  logLevel?: 'debug' | 'info';
  /** sip.listen entries; PORT stands for the setup's SIP port. Default UDP and TCP on 127.0.0.1. */
  listen?: string[];
  /** rtp.address (default 127.0.0.1). */
  rtpAddress?: string;
  /** sip.tls certificate and key files. */
  tls?: { cert: string; key: string };
}

export interface PbxSetup {
  dir: string;
  file: string;
  dataDir: string;
  sipPort: number;
  httpPort: number;
  rtp: { min: number; max: number };
}

function yamlQuote(s: string): string {
  return JSON.stringify(s);
}

/** The config text for a setup; tests rewrite the file with it to reload. */
export function configText(setup: PbxSetup, opts: PbxConfigOptions = {}): string {
  const exts = opts.extensions ?? EXTENSIONS;
  const lines = [
    `data_dir: ${yamlQuote(setup.dataDir)}`,
    'sip:',
    `  listen: ${JSON.stringify((opts.listen ?? ['udp:127.0.0.1:PORT', 'tcp:127.0.0.1:PORT']).map((l) => l.replace('PORT', String(setup.sipPort))))}`,
    '  domain: pbx.test',
    ...(opts.tls === undefined ? [] : ['  tls:', `    cert: ${yamlQuote(opts.tls.cert)}`, `    key: ${yamlQuote(opts.tls.key)}`]),
    'rtp:',
    `  address: ${yamlQuote(opts.rtpAddress ?? '127.0.0.1')}`,
    `  ports: "${setup.rtp.min}-${setup.rtp.max}"`,
    'http:',
    `  listen: "127.0.0.1:${setup.httpPort}"`,
    `  token: ${yamlQuote(TOKEN)}`,
    ...(opts.httpYaml === undefined ? [] : [opts.httpYaml]),
    'log:',
    `  level: ${opts.logLevel ?? 'debug'}`,
    'extensions:',
    ...Object.entries(exts).map(
      ([n, e]) => `  ${yamlQuote(n)}: { name: ${yamlQuote(e.name)}, password: ${yamlQuote(e.password)}${e.dtmf_mode === undefined ? '' : `, dtmf_mode: ${e.dtmf_mode}`}${e.outbound === undefined ? '' : `, outbound: ${e.outbound}`}${e.more === undefined ? '' : `, ${e.more}`} }`,
    ),
  ];
  return `${lines.join('\n')}\n${opts.extraYaml ?? ''}`;
}

/** Free ports, a temp dir with data_dir inside, and the config file written. */
export async function preparePbx(opts: PbxConfigOptions = {}): Promise<PbxSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'tspbx-interop-'));
  const setup: PbxSetup = {
    dir,
    file: join(dir, 'pbx.yaml'),
    dataDir: join(dir, 'data'),
    sipPort: await freePort(),
    httpPort: await freePort(),
    rtp: await freeRange(40),
  };
  writeFileSync(setup.file, configText(setup, opts));
  return setup;
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** One running `pbx start`. Its JSON log lines are kept; waitForLog() resolves on the first match. */
export class PbxProcess {
  readonly setup: PbxSetup;
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #logWaiters = new Conditions<LogLine>();

  /** `prefix` runs the PBX through another command, e.g. `['ip', 'netns', 'exec', NAME]`. */
  private constructor(setup: PbxSetup, prefix: readonly string[]) {
    this.setup = setup;
    const argv = [...prefix, process.execPath, CLI, 'start', '-c', setup.file];
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    let buf = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        this.#line(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
  }

  #line(text: string): void {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { level: 30, msg: text };
    }
    this.logs.push(line);
    this.#logWaiters.check(line);
  }

  /** Starts the PBX on a prepared setup and resolves once it logged "started" (every socket bound). */
  static async start(setup: PbxSetup, timeoutMs = 15000, prefix: readonly string[] = []): Promise<PbxProcess> {
    const pbx = new PbxProcess(setup, prefix);
    const started = pbx.waitForLog((l) => l.msg === 'started', timeoutMs);
    const failed = pbx.exited.then(({ code, signal }) => {
      throw new Error(`pbx exited (${code ?? signal}) before it started:\n${pbx.stderr.join('')}\n${pbx.logs.map((l) => JSON.stringify(l)).join('\n')}`);
    });
    // Whichever loses the race settles later with nobody awaiting it.
    started.catch(() => undefined);
    failed.catch(() => undefined);
    try {
      await Promise.race([started, failed]);
    } catch (err) {
      await pbx.stop(2000); // a PBX that did not start in time is not left running
      throw err;
    }
    return pbx;
  }

  /** Resolves with the first log line (already seen or coming) that matches; rejects after timeoutMs. */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs = 10000): Promise<LogLine> {
    const seen = this.logs.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return this.#logWaiters.wait(pred, timeoutMs, () => `no log line matched within ${timeoutMs} ms`);
  }

  /** SIGTERM and wait for the exit (bounded; SIGKILL after timeoutMs). */
  async stop(timeoutMs = 10000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const r = await this.exited;
    clearTimeout(timer);
    return r;
  }

  async kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `pbx ARGS -c FILE` (the CLI finds the running PBX through http.listen of FILE). */
export function pbxCli(file: string, args: string[], timeoutMs = 15000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pbx ${args.join(' ')} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `pbx ARGS --json -c FILE` parsed; throws with the output when it fails. */
export async function pbxJson<T>(file: string, args: string[]): Promise<T> {
  const r = await pbxCli(file, [...args, '--json']);
  if (r.code !== 0) throw new Error(`pbx ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as T;
}

/** SIPp's -t: one UDP socket or one TCP connection. */
export type SippTransport = 'u1' | 't1';

export interface SippOptions {
  scenario: string;
  /** -t (default u1). */
  transport?: SippTransport;
  /** -i: the local address (default 127.0.0.1); ::1 makes SIPp speak IPv6. */
  localIp?: string;
  /** The PBX (or peer) address:port; omitted for a UAS that only waits. */
  remote?: string;
  /** -p: local SIP port (a UAS registers from the port it will listen on). */
  localPort?: number;
  /** -mp: media port (with -rtp_echo SIPp binds it and the port two above). */
  mediaPort?: number;
  rtpEcho?: boolean;
  /** -s: the number dialled. */
  service?: string;
  /** Injection file rows: extension and password, made into [authentication ...] fields. */
  credentials?: [string, string][];
  calls?: number;
  rate?: number;
  /** -l: concurrent calls limit. */
  limit?: number;
  /** -d: pause length in ms for <pause/>. */
  durationMs?: number;
  /** -set NAME VALUE for <Global> variables. */
  set?: Record<string, string | number>;
  timeoutS?: number;
  extra?: string[];
  /** Keep SIPp's trace directory (the caller removes `dir`); removed by default. */
  keepTraces?: boolean;
}

export interface SippResult {
  code: number | null;
  successful: number;
  failed: number;
  /** Contents of the -trace_err file (unexpected messages and why calls failed). */
  errors: string;
  stdout: string;
  /** Directory holding SIPp's traces (kept only with keepTraces). */
  dir: string;
}

export interface RunningSipp {
  done: Promise<SippResult>;
  kill(): void;
}

/** The SIPp command line for the options (also used by the benchmarks). */
export function sippArgs(o: SippOptions, dir: string): string[] {
  const args = ['-nostdin', '-sf', join(SIPP_DIR, o.scenario), '-i', o.localIp ?? '127.0.0.1', '-t', o.transport ?? 'u1'];
  if (o.remote !== undefined) args.push(o.remote);
  if (o.localPort !== undefined) args.push('-p', String(o.localPort));
  if (o.mediaPort !== undefined) args.push('-mp', String(o.mediaPort));
  if (o.rtpEcho === true) args.push('-rtp_echo');
  if (o.service !== undefined) args.push('-s', o.service);
  if (o.credentials !== undefined) {
    const csv = join(dir, 'credentials.csv');
    const rows = o.credentials.map(([u, p]) => `${u};[authentication username=${u} password=${p}]`);
    writeFileSync(csv, `SEQUENTIAL\n${rows.join('\n')}\n`);
    args.push('-inf', csv);
  }
  args.push('-m', String(o.calls ?? 1));
  if (o.rate !== undefined) args.push('-r', String(o.rate));
  if (o.limit !== undefined) args.push('-l', String(o.limit));
  if (o.durationMs !== undefined) args.push('-d', String(o.durationMs));
  for (const [k, v] of Object.entries(o.set ?? {})) args.push('-set', k, String(v));
  args.push('-timeout', `${o.timeoutS ?? 30}s`, '-timeout_error');
  args.push('-trace_err', '-error_file', join(dir, 'errors.log'));
  args.push('-trace_stat', '-stf', join(dir, 'stat.csv'));
  args.push(...(o.extra ?? []));
  return args;
}

/** The last cumulative success/failure counts in a -trace_stat file. */
function readStats(file: string): { successful: number; failed: number } {
  if (!existsSync(file)) return { successful: 0, failed: 0 };
  const rows = readFileSync(file, 'utf8').trim().split('\n');
  if (rows.length < 2) return { successful: 0, failed: 0 };
  const head = rows[0]!.split(';');
  const last = rows[rows.length - 1]!.split(';');
  const col = (name: string): number => Number(last[head.indexOf(name)] ?? 0);
  return { successful: col('SuccessfulCall(C)'), failed: col('FailedCall(C)') };
}

/** Starts SIPp; `done` resolves when it exits (SIPp: 0 every call succeeded, 1 some failed). */
export function startSipp(o: SippOptions): RunningSipp {
  const dir = mkdtempSync(join(tmpdir(), 'tspbx-sipp-'));
  const child = spawn('sipp', sippArgs(o, dir), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  const hardStop = setTimeout(() => child.kill('SIGKILL'), ((o.timeoutS ?? 30) + 15) * 1000);
  const done = new Promise<SippResult>((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(hardStop);
      const errFile = join(dir, 'errors.log');
      resolve({
        code,
        ...readStats(join(dir, 'stat.csv')),
        errors: existsSync(errFile) ? readFileSync(errFile, 'utf8') : '',
        stdout: stdout.slice(-4000),
        dir,
      });
      if (o.keepTraces !== true) rmSync(dir, { recursive: true, force: true });
    });
  });
  return { done, kill: () => child.kill('SIGTERM') };
}

export function runSipp(o: SippOptions): Promise<SippResult> {
  return startSipp(o).done;
}

/** Where a SIPp endpoint runs: its transport and local address (the PBX is reached on the same family). */
export interface SippPlace {
  transport?: SippTransport;
  localIp?: string;
}

/** "address:port" of the PBX as seen from a SIPp at `localIp` (IPv6 in brackets). */
export function pbxAddress(pbx: PbxSetup, localIp = '127.0.0.1'): string {
  return localIp.includes(':') ? `[${localIp}]:${pbx.sipPort}` : `${localIp}:${pbx.sipPort}`;
}

/** Registers `ext` from `localPort` (where its UAS will listen) with digest; resolves with SIPp's result. */
export function registerFrom(pbx: PbxSetup, ext: string, localPort: number, expires = 3600, place: SippPlace = {}): Promise<SippResult> {
  const password = EXTENSIONS[ext]?.password ?? '';
  return runSipp({
    scenario: 'register.xml',
    ...place,
    remote: pbxAddress(pbx, place.localIp),
    localPort,
    credentials: [[ext, password]],
    set: { expires },
    timeoutS: 10,
  });
}

/** A summary of the RTP a probe saw, per payload type, split by whose SSRC it carries. */
export interface ProbeCounts {
  /** Packets with a foreign SSRC (sent by the other side), by payload type. */
  fromPeer: Map<number, number>;
  /** Packets carrying the probe's own SSRC: they went out, through the far end's echo, and back. */
  echoedBack: number;
  /** Source addresses "address:port" the packets came from. */
  sources: Set<string>;
  /** RFC 4733 event codes seen (first payload byte of telephone-event packets). */
  events: Set<number>;
}

export const PROBE_SSRC = 0x7e57ab1e;
/** The SSRC of what RtpProbe.play() sends. */
export const TONE_SSRC = 0x70e50001;

/**
 * The media end of a SIPp callee: its SDP points here (`-set rtp_port`). Every packet from the
 * peer is counted and sent back to where it came from with the probe's own SSRC, so a caller
 * running -rtp_echo returns it and the probe sees it again: proof of both directions.
 */
export class RtpProbe {
  readonly counts: ProbeCounts = { fromPeer: new Map(), echoedBack: 0, sources: new Set(), events: new Set() };
  /** The payloads of the peer's PCMA packets, in arrival order (to check the audio itself). */
  readonly pcma: Buffer[] = [];
  readonly #socket: dgram.Socket;
  #telephoneEventPt: number;
  readonly #waiters = new Conditions<ProbeCounts>();
  #closed = false;

  private constructor(socket: dgram.Socket, telephoneEventPt: number) {
    this.#socket = socket;
    this.#telephoneEventPt = telephoneEventPt;
    socket.on('message', (msg, rinfo) => this.#packet(msg, rinfo));
  }

  static async open(telephoneEventPt = 101, address = '127.0.0.1'): Promise<RtpProbe> {
    const s = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, address, () => resolve());
    });
    return new RtpProbe(s, telephoneEventPt);
  }

  get port(): number {
    return (this.#socket.address() as { port: number }).port;
  }

  #packet(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length < 12 || msg[0]! >> 6 !== 2) return;
    const pt = msg[1]! & 0x7f;
    if (pt >= 72 && pt <= 76) return; // RTCP (RFC 5761 4)
    this.counts.sources.add(`${rinfo.address}:${rinfo.port}`);
    if (msg.readUInt32BE(8) === PROBE_SSRC) {
      this.counts.echoedBack++;
    } else {
      this.counts.fromPeer.set(pt, (this.counts.fromPeer.get(pt) ?? 0) + 1);
      if (pt === 8) this.pcma.push(Buffer.from(msg.subarray(12)));
      if (pt === this.#telephoneEventPt && msg.length > 12) this.counts.events.add(msg[12]!);
      const out = Buffer.from(msg);
      out.writeUInt32BE(PROBE_SSRC, 8);
      if (!this.#closed) this.#socket.send(out, rinfo.port, rinfo.address);
    }
    this.#waiters.check(this.counts);
  }

  /**
   * Plays `count` PCMA packets (SSRC TONE_SSRC, silence) to address:port, one every 20 ms, from the
   * probe's own socket: for a probe that stands for a caller whose peer only echoes.
   */
  async play(address: string, port: number, count: number): Promise<void> {
    const packet = Buffer.alloc(12 + 160, 0xd5);
    packet[0] = 0x80;
    packet[1] = 8;
    packet.writeUInt32BE(TONE_SSRC, 8);
    for (let seq = 0; seq < count && !this.#closed; seq++) {
      packet.writeUInt16BE(seq, 2);
      packet.writeUInt32BE(seq * 160, 4);
      this.#socket.send(packet, port, address);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resolves when the counts satisfy pred; rejects after timeoutMs. */
  waitFor(pred: (c: ProbeCounts) => boolean, timeoutMs = 10000): Promise<void> {
    if (pred(this.counts)) return Promise.resolve();
    return this.#waiters
      .wait(pred, timeoutMs, () => `RTP probe: condition not met within ${timeoutMs} ms; saw ${describe(this.counts)}`)
      .then(() => undefined);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
  }
}

export function describe(c: ProbeCounts): string {
  return JSON.stringify({ fromPeer: Object.fromEntries(c.fromPeer), echoedBack: c.echoedBack, sources: [...c.sources], events: [...c.events] });
}

/** True when "address:port" is the PBX's rtp.address (127.0.0.1 by default) and inside its rtp.ports range. */
export function isPbxMediaSource(source: string, rtp: { min: number; max: number }, rtpAddress = '127.0.0.1'): boolean {
  const colon = source.lastIndexOf(':');
  const p = Number(source.slice(colon + 1));
  return source.slice(0, colon) === rtpAddress && p >= rtp.min && p <= rtp.max;
}

/** Stops the PBX if it still runs and removes its temp dir. */
export async function teardown(pbx: PbxProcess | null, setup: PbxSetup): Promise<void> {
  if (pbx !== null && pbx.child.exitCode === null && pbx.child.signalCode === null) await pbx.stop();
  rmSync(setup.dir, { recursive: true, force: true });
}

export function processIsRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

export interface CallRun {
  caller: SippResult;
  callee: SippResult;
  probe: RtpProbe;
}

export interface CallOptions {
  callerScenario: string;
  calleeScenario: string;
  caller?: string;
  callee?: string;
  /** The number the caller dials (default: the callee's extension). */
  dial?: string;
  /** -d for both sides (the caller's talk time, the callee's time before its BYE). */
  durationMs?: number;
  /** The callee's SIP port; a free one by default. */
  calleePort?: number;
  /** The callee registered earlier (from calleePort): do not register again. */
  registered?: boolean;
  /** Runs while both SIPp processes are up, e.g. to look at `pbx calls` while the call lasts. */
  during?: (probe: RtpProbe) => Promise<void>;
  /** How the caller reaches the PBX (default UDP on 127.0.0.1). */
  callerPlace?: SippPlace;
  /** How the callee registers and listens (default UDP on 127.0.0.1). */
  calleePlace?: SippPlace;
}

/**
 * One call through the PBX between two SIPp endpoints: the callee's UAS registers from the port it
 * then listens on, its SDP points at an RtpProbe; the caller authenticates by digest and runs
 * -rtp_echo. Resolves when both SIPp processes have exited (the probe stays open for the test).
 */
export async function callThrough(setup: PbxSetup, o: CallOptions): Promise<CallRun> {
  const caller = o.caller ?? '1001';
  const callee = o.callee ?? '1002';
  const calleePort = o.calleePort ?? (await freePort());
  if (o.registered !== true) {
    const reg = await registerFrom(setup, callee, calleePort, 3600, o.calleePlace);
    if (reg.code !== 0) throw new Error(`the callee could not register (sipp ${reg.code}): ${reg.errors}`);
  }
  const probe = await RtpProbe.open(101, o.calleePlace?.localIp);
  const calleeRun = startSipp({
    scenario: o.calleeScenario,
    ...o.calleePlace,
    localPort: calleePort,
    durationMs: o.durationMs ?? 1000,
    ...(readFileSync(join(SIPP_DIR, o.calleeScenario), 'utf8').includes('rtp_port') ? { set: { rtp_port: probe.port } } : {}),
    timeoutS: 30,
  });
  const callerRun = startSipp({
    scenario: o.callerScenario,
    ...o.callerPlace,
    remote: pbxAddress(setup, o.callerPlace?.localIp),
    localPort: await freePort(),
    mediaPort: await freePort(3),
    rtpEcho: true,
    service: o.dial ?? callee,
    credentials: [[caller, EXTENSIONS[caller]?.password ?? '']],
    durationMs: o.durationMs ?? 1000,
    timeoutS: 30,
  });
  try {
    if (o.during !== undefined) await o.during(probe);
    const [callerResult, calleeResult] = await Promise.all([callerRun.done, calleeRun.done]);
    return { caller: callerResult, callee: calleeResult, probe };
  } catch (err) {
    callerRun.kill();
    calleeRun.kill();
    probe.close();
    throw err;
  }
}

/**
 * A test file's whole body for one call between two SIPp scenarios, on a PBX of its own: the call
 * test (both scenarios pass, one CDR row from 1001 to 1002 with `cdrStatus`), then SIGTERM exits 0.
 */
export async function scenarioCallTests(
  t: Test,
  name: string,
  o: { callerScenario: string; calleeScenario: string; cdrStatus: CdrRow['status'] },
): Promise<void> {
  const setup = await preparePbx();
  const pbx = await PbxProcess.start(setup);
  t.teardown(() => teardown(pbx, setup));

  t.test(name, async (t) => {
    const run = await callThrough(setup, { callerScenario: o.callerScenario, calleeScenario: o.calleeScenario, durationMs: 500 });
    run.probe.close();
    t.equal(run.caller.code, 0, `caller: ${run.caller.errors}`);
    t.equal(run.callee.code, 0, `callee: ${run.callee.errors}`);
    const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
    t.equal(rows.length, 1, 'one CDR row');
    t.match(rows[0], { from: /1001/, to: /1002/, status: o.cdrStatus });
  });

  t.test('SIGTERM exits 0', async (t) => {
    t.same(await pbx.stop(), { code: 0, signal: null });
  });
}

/** A mono 16-bit 8 kHz WAV with a 440 Hz tone (what baresip's aufile source plays). */
export function toneWav(seconds: number): Buffer {
  const pcm = new Int16Array(8000 * seconds);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  return pcmWav(pcm);
}

/** A mono 16-bit 8 kHz WAV file of `pcm` (what baresip's aufile plays). */
export function pcmWav(pcm: Int16Array): Buffer {
  const wav = Buffer.alloc(44 + pcm.length * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + pcm.length * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(16000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(pcm.length * 2, 40);
  for (let i = 0; i < pcm.length; i++) wav.writeInt16LE(pcm[i]!, 44 + 2 * i);
  return wav;
}

/**
 * A baresip configuration in `dir`: SIP on 127.0.0.1:sipPort, a 12 s tone as its microphone,
 * what it hears to heard.wav, G.711 only, and the one account line given.
 */
export function writeBaresipConfig(dir: string, sipPort: number, account: string, extraConfig: readonly string[] = []): void {
  writeFileSync(join(dir, 'tone.wav'), toneWav(12));
  writeFileSync(
    join(dir, 'config'),
    [
      `sip_listen 127.0.0.1:${sipPort}`,
      `audio_source aufile,${join(dir, 'tone.wav')}`,
      `audio_player aufile,${join(dir, 'heard.wav')}`,
      'audio_alert aufile,/dev/null',
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module_app account.so',
      'module_app menu.so',
      ...extraConfig,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'accounts'), `${account}\n`);
}
