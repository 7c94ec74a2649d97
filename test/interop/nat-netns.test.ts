// A phone behind NAT, for real: three network namespaces made for this run. "wan" holds the PBX
// (`pbx start`, 198.51.100.1) and extension 1002; "lan" holds extension 1001 at 192.168.77.2;
// "rtr" joins them and masquerades the lan behind 198.51.100.2 (iptables MASQUERADE). The wan has
// no route to 192.168.77.0/24, so whatever the PBX sends to the address the phone writes in its
// Via, Contact or SDP is lost: the call works only through rport/received, the registration's
// real source, keep-alives and RTP latching. 1002 calls 1001 and each side hears the other's tone.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import t from 'tap';
import { Conditions } from '../helpers/conditions.js';
import { EXTENSIONS, PbxProcess, preparePbx, ROOT, teardown } from './harness.js';

const PBX_IP = '198.51.100.1';
const ROUTER_WAN_IP = '198.51.100.2';
const PHONE_IP = '192.168.77.2';
const AGENT = join(ROOT, 'test', 'interop', 'nat-phone.ts');
const TONE_A = 440;
const TONE_B = 1000;
/** How long a phone process may take to start and register. */
const STARTUP_MS = 60000;

/** Names unique to this run: the namespaces of parallel or crashed runs never collide. */
const id = `tspbx-${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
const ns = { wan: `${id}-wan`, rtr: `${id}-rtr`, lan: `${id}-lan` };
const made: string[] = [];
const children: ChildProcess[] = [];

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function inNs(name: string, ...cmd: string[]): void {
  ip('netns', 'exec', name, ...cmd);
}

t.teardown(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const name of made) {
    try {
      ip('netns', 'del', name);
    } catch {
      // Already gone.
    }
  }
});

interface AgentEvent {
  event: string;
  [key: string]: unknown;
}

/** A nat-phone.ts process in a namespace; next() waits for one of its JSON lines. */
class Agent {
  readonly child: ChildProcess;
  readonly events: AgentEvent[] = [];
  readonly #conditions = new Conditions<AgentEvent>();
  #stderr = '';

  constructor(namespace: string, role: Record<string, unknown>) {
    this.child = spawn('ip', ['netns', 'exec', namespace, process.execPath, ...process.execArgv, AGENT, JSON.stringify(role)], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(this.child);
    let buf = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let e: AgentEvent;
        try {
          e = JSON.parse(line) as AgentEvent;
        } catch {
          continue;
        }
        this.events.push(e);
        this.#conditions.check(e);
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.#stderr += c));
  }

  /** The first line with `event` (already printed or to come); an 'error' line fails it at once. */
  next(event: string, ms = 20000): Promise<AgentEvent> {
    const seen = this.events.find((e) => e.event === event || e.event === 'error');
    const got = seen !== undefined ? Promise.resolve(seen) : this.#conditions.wait((e) => e.event === event || e.event === 'error', ms, () => `no "${event}" within ${ms} ms; stderr: ${this.#stderr}`);
    return got.then((e) => {
      if (e.event === 'error') throw new Error(`phone failed: ${String(e.message)}\n${this.#stderr}`);
      return e;
    });
  }
}

async function run(): Promise<void> {
  const setup = await preparePbx({
    listen: [`udp:${PBX_IP}:PORT`],
    rtpAddress: PBX_IP,
    extraYaml: 'registration:\n  keepalive_interval: 1\n',
  });
  const pbx = await PbxProcess.start(setup, 20000, ['ip', 'netns', 'exec', ns.wan]);
  t.teardown(() => teardown(pbx, setup));
  const server = { address: PBX_IP, port: setup.sipPort };

  t.test('a phone behind NAT registers, is kept alive and gets a call from an extension with audio both ways', async (t) => {
    // Both phones start at once: a TypeScript process takes a while to start on a busy machine.
    const alice = new Agent(ns.lan, { role: 'callee', user: '1001', password: EXTENSIONS['1001']!.password, host: PHONE_IP, pbx: server, toneHz: TONE_A, keepAlive: true });
    const bob = new Agent(ns.wan, { role: 'caller', user: '1002', password: EXTENSIONS['1002']!.password, host: PBX_IP, pbx: server, toneHz: TONE_B, dial: '1001' });
    const aliceRegistered = await alice.next('registered', STARTUP_MS);
    t.match(aliceRegistered.contact, /;expires=60$/, 'the REGISTER answers reached the phone behind NAT (rport), granting registration.nat_max_expires (60 s)');
    const registered = await pbx.waitForLog((l) => l.msg === 'registered' && l.extension === '1001');
    t.match(registered, { address: ROUTER_WAN_IP, natted: true }, 'the binding holds the NAT public source, not 192.168.77.2');
    const bobRegistered = await bob.next('registered', STARTUP_MS);
    t.match(bobRegistered.contact, /;expires=3600$/, 'a phone on the PBX network keeps the expiry it asked for');

    const keepAlive = await alice.next('keepalive');
    t.match(keepAlive.uri, `sip:1001@${PHONE_IP}:`, 'the keep-alive OPTIONS reached the phone through the NAT mapping');
    bob.child.stdin!.write('call\n');

    const answered = await alice.next('answered');
    t.match(answered.sdp, `c=IN IP4 ${PBX_IP}`, 'the INVITE reached the phone behind NAT at its registration source, offering the PBX media address');
    const bobAnswered = await bob.next('answered');
    t.match(bobAnswered.sdp, `c=IN IP4 ${PBX_IP}`);

    const [aliceHeard, bobHeard] = await Promise.all([alice.next('heard'), bob.next('heard')]);
    t.ok(Math.abs(Number(aliceHeard.hz) - TONE_B) < TONE_B * 0.03, `the phone behind NAT, whose SDP says ${PHONE_IP}, hears the ${TONE_B} Hz tone (heard ${aliceHeard.hz} Hz): RTP latched to its public source`);
    t.ok(Math.abs(Number(bobHeard.hz) - TONE_A) < TONE_A * 0.03, `the extension hears the ${TONE_A} Hz tone of the phone behind NAT (heard ${bobHeard.hz} Hz)`);
    t.ok((aliceHeard.sources as string[]).every((s) => s.startsWith(`${PBX_IP}:`)), 'all of it from the PBX');

    bob.child.stdin!.write('bye\n');
    t.match(await bob.next('bye'), { status: 200 });
    await alice.next('bye');
    t.notOk(
      pbx.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('no RTP received from the phone')),
      'no one-way-audio warning for either leg',
    );
  });
}

let permitted = true;
try {
  ip('netns', 'add', ns.wan);
  made.push(ns.wan);
} catch (err) {
  permitted = false;
  t.comment(`ip netns add failed: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
}

if (!permitted) {
  t.plan(0, 'skipped: network namespaces cannot be made here (`ip netns add` needs root or CAP_SYS_ADMIN)');
} else {
  ip('netns', 'add', ns.rtr);
  made.push(ns.rtr);
  ip('netns', 'add', ns.lan);
  made.push(ns.lan);
  // Each veth pair is made straight inside its namespaces: no name is ever taken on the host.
  ip('link', 'add', 'w0', 'netns', ns.wan, 'type', 'veth', 'peer', 'name', 'w1', 'netns', ns.rtr);
  ip('link', 'add', 'l0', 'netns', ns.lan, 'type', 'veth', 'peer', 'name', 'l1', 'netns', ns.rtr);
  ip('-n', ns.wan, 'addr', 'add', `${PBX_IP}/24`, 'dev', 'w0');
  ip('-n', ns.rtr, 'addr', 'add', `${ROUTER_WAN_IP}/24`, 'dev', 'w1');
  ip('-n', ns.rtr, 'addr', 'add', '192.168.77.1/24', 'dev', 'l1');
  ip('-n', ns.lan, 'addr', 'add', `${PHONE_IP}/24`, 'dev', 'l0');
  for (const [name, devs] of [[ns.wan, ['lo', 'w0']], [ns.rtr, ['lo', 'w1', 'l1']], [ns.lan, ['lo', 'l0']]] as const) {
    for (const dev of devs) ip('-n', name, 'link', 'set', dev, 'up');
  }
  ip('-n', ns.lan, 'route', 'add', 'default', 'via', '192.168.77.1');
  inNs(ns.rtr, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  inNs(ns.rtr, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'w1', '-j', 'MASQUERADE');
  await run();
}
