// Builds native/build/relay.node (the native RTP relay, native/relay.c) with the system C compiler
// against the running Node's headers. Run by `npm install`; it never fails the install: without a
// compiler or headers tspbx relays with node:dgram (src/media/relay.ts) and says so at start-up.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build', 'relay.node');
const headers = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'].find((d) =>
  existsSync(join(d, 'node_api.h')),
);

function skip(why) {
  console.log(`tspbx: native RTP relay not built (${why}); media workers will use the node:dgram relay`);
  process.exit(0);
}

if (process.platform !== 'linux') skip(`recvmmsg/sendmmsg need Linux, this is ${process.platform}`);
if (headers === undefined) skip('Node headers (node_api.h) not found');
mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
const cc = process.env.CC || 'cc';
const args = ['-O2', '-Wall', '-fPIC', '-shared', `-I${headers}`, '-o', tmp, join(here, 'relay.c')];
const r = spawnSync(cc, args, { encoding: 'utf8' });
if (r.error !== undefined) skip(`${cc}: ${r.error.message}`);
if (r.status !== 0) {
  rmSync(tmp, { force: true });
  skip(`${cc} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
}
renameSync(tmp, out);
console.log(`tspbx: native RTP relay built: ${out}`);
