// Builds the native addons with the system C compiler against the running Node's headers:
//   native/build/relay.node  the native RTP relay (native/relay.c);
//   native/build/opus.node   libopus in the caller's typed arrays, with FEC (native/opus.c), linked
//                            against the static libopus that @discordjs/opus builds at install.
// Run by `npm install` (after the dependencies are built); it never fails the install: an addon
// that cannot be built is skipped with the reason, and tspbx uses its fallback (the node:dgram
// relay; Opus on @discordjs/opus, else opusscript) and says so at start-up.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const headers = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'].find((d) =>
  existsSync(join(d, 'node_api.h')),
);
const cc = process.env.CC || 'cc';

/** Compiles one addon; returns why it was not built, or null when it was. */
function build(name, sources, flags) {
  const out = join(here, 'build', `${name}.node`);
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const args = ['-O2', '-Wall', '-fPIC', '-shared', `-I${headers}`, '-o', tmp, ...sources, ...flags];
  const r = spawnSync(cc, args, { encoding: 'utf8' });
  if (r.error !== undefined) return `${cc}: ${r.error.message}`;
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    return `${cc} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  }
  renameSync(tmp, out);
  console.log(`tspbx: native ${name} built: ${out}`);
  return null;
}

/** The static libopus and its headers from @discordjs/opus's source build, or why there are none. */
function findLibopus() {
  let pkg;
  try {
    pkg = dirname(createRequire(import.meta.url).resolve('@discordjs/opus/package.json'));
  } catch (err) {
    return { why: `@discordjs/opus not installed (${err.code ?? err.message})` };
  }
  const include = join(pkg, 'deps', 'opus', 'include');
  if (!existsSync(join(include, 'opus.h'))) return { why: `no libopus headers in ${include}` };
  // node-pre-gyp builds into build-tmp-napi-vN/Release; plain node-gyp into build/Release.
  const dirs = readdirSync(pkg)
    .filter((d) => d.startsWith('build-tmp-napi-v'))
    .sort()
    .reverse()
    .concat('build');
  const archive = dirs.map((d) => join(pkg, d, 'Release', 'opus.a')).find((f) => existsSync(f));
  if (archive === undefined) return { why: `no opus.a under ${pkg} (was @discordjs/opus installed prebuilt?)` };
  return { include, archive };
}

if (headers === undefined) {
  console.log('tspbx: native addons not built (Node headers, node_api.h, not found); media workers use the node:dgram relay and Opus on @discordjs/opus or opusscript');
  process.exit(0);
}

const relay =
  process.platform !== 'linux' ? `recvmmsg/sendmmsg need Linux, this is ${process.platform}` : build('relay', [join(here, 'relay.c')], []);
if (relay !== null) console.log(`tspbx: native RTP relay not built (${relay}); media workers will use the node:dgram relay`);

const libopus = findLibopus();
const opus = libopus.why ?? build('opus', [join(here, 'opus.c')], [`-I${libopus.include}`, libopus.archive, '-lm', '-Wl,--exclude-libs,ALL']);
if (opus !== null) console.log(`tspbx: native Opus not built (${opus}); Opus will run on @discordjs/opus, else opusscript`);
