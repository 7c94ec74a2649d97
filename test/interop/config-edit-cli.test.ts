// `pbx ext add|set|rm` and `pbx config get|set` on a copy of the shipped, commented config: the
// comments and every untouched byte stay, and a refused change leaves the file byte-identical.
// (config-edit-api.test.ts edits a running PBX.)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { pbxCli, preparePbx, teardown } from './harness.js';
import { shippedConfig } from './shipped-config.js';

const setup = await preparePbx();
t.teardown(() => teardown(null, setup));

const original = shippedConfig(setup);
writeFileSync(setup.file, original);

function leftovers(): string[] {
  return readdirSync(setup.dir).filter((f) => /\.(tmp|lock)$/.test(f));
}

t.test('pbx ext add keeps every comment and byte; one line is added; the password is printed once', async (t) => {
  const r = await pbxCli(setup.file, ['ext', 'add', '1004', '--name', 'Dave', '--voicemail-pin', '0123']);
  t.equal(r.code, 0, r.stderr);
  const password = /^password: (\S{20,})\n$/.exec(r.stdout)?.[1];
  t.ok(password !== undefined, `a generated password on stdout: ${r.stdout}`);
  const line = `  "1004": { name: Dave, password: ${password}, voicemail: { pin: "0123" } }\n`;
  const after = readFileSync(setup.file, 'utf8');
  t.ok(after.includes(line), 'the new extension is one flow line');
  t.equal(after.replace(line, ''), original, 'without the new line the file is what it was, comments and all');
  t.match(r.stderr, /added extension 1004 \(Dave\)/);
  t.match(r.stderr, /was changed; the PBX is not running/);
  t.same(leftovers(), [], 'no temp or lock file left');
});

t.test('pbx ext rm of an extension the IVR and a group still use is refused; the file is byte-identical', async (t) => {
  const before = readFileSync(setup.file);
  const r = await pbxCli(setup.file, ['ext', 'rm', '1003']);
  t.equal(r.code, 1);
  const lines = r.stdout.trimEnd().split('\n');
  t.ok(lines.every((l) => l.startsWith(`${setup.file}:`) && /^:\d+:\d+: /.test(l.slice(setup.file.length))), r.stdout);
  t.match(r.stdout, /ivr\.main\.default: destination "1003" points nowhere/);
  t.match(r.stdout, /groups\.sales\.members\[1\]: member "1003" is not an extension/);
  t.match(r.stderr, /refused: the change would leave .* invalid .* is unchanged/);
  t.same(readFileSync(setup.file), before);
  t.same(leftovers(), []);
});

t.test('pbx ext set changes keys inside an extension; --unset removes one', async (t) => {
  const set = await pbxCli(setup.file, ['ext', 'set', '1004', 'name=Dave Smith', 'forward.busy="1001"']);
  t.equal(set.code, 0, set.stderr);
  t.match(readFileSync(setup.file, 'utf8'), /"1004": \{ name: Dave Smith, password: \S+, voicemail: \{ pin: "0123" \}, forward: \{ busy: "1001" \} \}\n/);
  const unset = await pbxCli(setup.file, ['ext', 'set', '1004', '--unset', 'forward']);
  t.equal(unset.code, 0, unset.stderr);
  t.match(readFileSync(setup.file, 'utf8'), /"1004": \{ name: Dave Smith, password: \S+, voicemail: \{ pin: "0123" \} \}\n/);
  const missing = await pbxCli(setup.file, ['ext', 'set', '1999', 'name=Nobody']);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /refused: there is no extension 1999/);
  const usage = await pbxCli(setup.file, ['ext', 'set', '1004', 'name']);
  t.equal(usage.code, 1);
  t.match(usage.stderr, /expected KEY=VALUE/);
});

t.test('pbx config get prints YAML or JSON of a node; pbx config set validates and writes', async (t) => {
  const json = await pbxCli(setup.file, ['config', 'get', 'extensions.1002', '--json']);
  t.equal(json.code, 0, json.stderr);
  t.same(JSON.parse(json.stdout), { name: 'Bob', password: 'bob-pass', voicemail: { pin: '4321' }, forward: { no_answer: { after: 20, to: '1003' } } });
  const yaml = await pbxCli(setup.file, ['config', 'get', 'ivr.main.options']);
  t.equal(yaml.stdout, '"1": "1001"\n"2": "1002"\n"9": voicemail:1002\n');
  const set = await pbxCli(setup.file, ['config', 'set', 'groups.sales.ring_time', '30']);
  t.equal(set.code, 0, set.stderr);
  t.equal((await pbxCli(setup.file, ['config', 'get', 'groups.sales.ring_time'])).stdout, '30\n');
  const before = readFileSync(setup.file);
  const bad = await pbxCli(setup.file, ['config', 'set', 'groups.sales.ring_time', 'soon']);
  t.equal(bad.code, 1);
  t.match(bad.stdout, new RegExp(`^${setup.file}:\\d+:\\d+: groups\\.sales\\.ring_time: expected a number, got "soon"\\n$`));
  t.same(readFileSync(setup.file), before);
  const absent = await pbxCli(setup.file, ['config', 'get', 'queues.support']);
  t.equal(absent.code, 1);
  t.match(absent.stderr, /queues\.support is not set in/);
});
