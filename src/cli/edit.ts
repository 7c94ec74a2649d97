// `pbx ext add|set|rm` and `pbx config get|set|unset`: change the config file (comments and
// layout kept, the result validated as `pbx check` does, written atomically), then make the
// running PBX reload it. A refused change prints the FILE:LINE:COL lines and leaves the file as it was.
import { InvalidArgumentError, type Command } from 'commander';
import { stringify } from 'yaml';
import { editConfigFile, readConfigFile, type EditResult } from '../config/edit/config-file.js';
import { addEntry, changeEntry, entryName, removeEntry, type EntryChange } from '../config/edit/entries.js';
import { generatePassword } from '../config/edit/password.js';
import { parsePath, pathText } from '../config/edit/path.js';
import { parseValueText } from '../config/edit/value.js';
import { YamlText } from '../config/edit/yaml-text.js';
import { loadConfig } from '../config/load.js';
import type { PathKey } from '../config/positions.js';
import type { Config } from '../config/types.js';
import { PbxError } from '../util/errors.js';
import { controlRequest, Unreachable } from './client.js';

const EXIT_REFUSED = 1;

function say(text: string): void {
  process.stderr.write(`${text}\n`);
}

function refuse(lines: string | string[]): void {
  process.stderr.write([lines].flat().join('\n') + '\n');
  process.exitCode = EXIT_REFUSED;
}

/**
 * Runs an edit of `file` and reports it; `done` says what changed. The running PBX found through
 * the config before the edit (its http.listen and token) is asked to reload. True when the file
 * was written.
 */
async function edit<T>(file: string, change: (doc: YamlText) => T, done: string): Promise<boolean> {
  const before = loadConfig(file);
  const result: EditResult<T> = await editConfigFile(file, change);
  if (!result.ok) {
    if (result.kind === 'invalid') {
      process.stdout.write(result.errors.join('\n') + '\n');
      refuse(`refused: the change would leave ${file} invalid (the lines above); ${file} is unchanged`);
    } else refuse(`refused: ${result.error}; ${file} is unchanged`);
    return false;
  }
  if (!result.changed) {
    say(`${file} already says so; nothing changed`);
    return false;
  }
  say(`${file}: ${done}`);
  await reloadRunning(file, before.ok ? before.config : result.config);
  return true;
}

async function reloadRunning(file: string, config: Config): Promise<void> {
  try {
    const reply = await controlRequest(config, 'POST', '/api/reload');
    const body = reply.body as { ok?: boolean; errors?: unknown; error?: unknown };
    if (reply.status === 200 && body.ok === true) return say(`the PBX reloaded ${file}`);
    if (reply.status === 401) return refuse(`${file} was changed, but the PBX refused the token (http.token must match the running PBX); run pbx reload`);
    const why = Array.isArray(body.errors) ? body.errors.map(String) : [String(body.error ?? JSON.stringify(body))];
    refuse([`${file} was changed, but the PBX refused to reload it (${reply.status}):`, ...why]);
  } catch (err) {
    if (!(err instanceof Unreachable)) throw err;
    say(`${file} was changed; the PBX is not running: ${err.message.replace(/; is it running.*$/, '')}. It reads the file when it starts`);
  }
}

interface ExtAddOptions {
  config: string;
  name?: string;
  password?: string;
  voicemailPin?: string;
  email?: string;
  language?: string;
  record?: boolean;
  maxCalls?: number;
  dtmfMode?: string;
}

async function extAdd(number: string, o: ExtAddOptions): Promise<void> {
  if (o.email !== undefined && o.voicemailPin === undefined) return refuse('--email needs --voicemail-pin: messages are mailed from a mailbox with a PIN');
  const generated = o.password === undefined;
  const password = o.password ?? generatePassword();
  const entry: Record<string, unknown> = {};
  if (o.name !== undefined) entry.name = o.name;
  entry.password = password;
  if (o.voicemailPin !== undefined) entry.voicemail = o.email === undefined ? { pin: o.voicemailPin } : { pin: o.voicemailPin, email: o.email };
  if (o.language !== undefined) entry.language = o.language;
  if (o.record === true) entry.record = true;
  if (o.maxCalls !== undefined) entry.max_calls = o.maxCalls;
  if (o.dtmfMode !== undefined) entry.dtmf_mode = o.dtmfMode;
  const added = await edit(o.config, (doc) => addEntry(doc, 'extensions', number, entry), `added extension ${number}${o.name === undefined ? '' : ` (${o.name})`}`);
  // Shown once: the file holds it, but nobody should have to dig it out of there.
  if (added && generated) process.stdout.write(`password: ${password}\n`);
}

/** `KEY=VALUE` of `pbx ext set`: a path inside the extension and its value read as YAML. */
function assignment(text: string, previous: EntryChange[] = []): EntryChange[] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected KEY=VALUE (such as name=Dave or voicemail.pin=1234), not "${text}"`);
  return [...previous, { path: cliPath(text.slice(0, eq)), value: cliValue(text.slice(eq + 1)) }];
}

function unsetKey(text: string, previous: EntryChange[] = []): EntryChange[] {
  return [...previous, { path: cliPath(text) }];
}

/** `parse`, with a PbxError it throws made a usage error of commander (exit 1 with its message). */
function usage<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (err) {
      if (err instanceof PbxError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  };
}

const cliPath = usage(parsePath);
const cliValue = usage(parseValueText);

function extensionNumber(text: string): string {
  if (!/^[0-9]{1,20}$/.test(text)) throw new InvalidArgumentError('an extension number is 1 to 20 digits');
  return text;
}

function wholeNumber(text: string): number {
  if (!/^[0-9]{1,6}$/.test(text)) throw new InvalidArgumentError('expected a whole number');
  return Number(text);
}

async function extSet(number: string, assignments: string[], o: { config: string; unset?: EntryChange[] }): Promise<void> {
  let changes: EntryChange[];
  try {
    changes = assignments.reduce<EntryChange[]>((all, a) => assignment(a, all), []);
  } catch (err) {
    return refuse(`pbx ext set: ${(err as Error).message}`);
  }
  changes.push(...(o.unset ?? []));
  if (changes.length === 0) return refuse('pbx ext set needs KEY=VALUE (such as name=Dave) or --unset KEY');
  const keys = changes.map((c) => pathText(c.path)).join(', ');
  await edit(o.config, (doc) => changeEntry(doc, 'extensions', number, changes), `changed ${keys} of extension ${number}`);
}

async function extRm(number: string, o: { config: string }): Promise<void> {
  await edit(o.config, (doc) => removeEntry(doc, 'extensions', number), `removed ${entryName('extensions', number)}`);
}

async function configGet(keys: PathKey[] = [], o: { config: string; json?: boolean }): Promise<void> {
  let doc: YamlText;
  try {
    doc = new YamlText((await readConfigFile(o.config)).text);
  } catch (err) {
    if (err instanceof PbxError) return refuse(err.code === 'PBX_ERR_CONFIG_EDIT_SYNTAX' ? `${o.config} is not valid YAML: ${err.message}` : err.message);
    throw err;
  }
  const value = doc.get(keys);
  if (value === undefined) return refuse(`${pathText(keys)} is not set in ${o.config} (the default applies, if it has one)`);
  process.stdout.write(o.json === true ? `${JSON.stringify(value, null, 2)}\n` : stringify(value, { lineWidth: 0 }));
}

async function configSet(keys: PathKey[], text: string, o: { config: string; string?: boolean }): Promise<void> {
  let value: unknown;
  try {
    value = o.string === true ? text : cliValue(text);
  } catch (err) {
    return refuse(`pbx config set: ${(err as Error).message}`);
  }
  await edit(o.config, (doc) => doc.set(keys, value), `set ${pathText(keys)}`);
}

async function configUnset(keys: PathKey[], o: { config: string }): Promise<void> {
  await edit(o.config, (doc) => doc.delete(keys), `removed ${pathText(keys)}`);
}

/** Adds `ext` and `config` to the `pbx` program; `configOption` adds the required -c FILE. */
export function addEditCommands(cli: Command, configOption: (cmd: Command) => Command): void {
  const ext = cli.command('ext').description('add, change and remove extensions in the config file (comments kept), then reload the PBX');
  configOption(ext.command('add').description('add an extension; a strong password is generated and printed once when --password is not given'))
    .argument('<number>', 'the extension number (what its phone registers as and others dial)', extensionNumber)
    .option('--name <name>', 'the name shown to those it calls')
    .option('--password <password>', 'its SIP password (default: generated)')
    .option('--voicemail-pin <pin>', 'the PIN of its mailbox (listened to at voicemail-main)')
    .option('--email <address>', 'mail voicemail messages to this address (with --voicemail-pin)')
    .option('--language <code>', 'the language of its prompts (en, ru, th...)')
    .option('--record', 'record its calls')
    .option('--max-calls <n>', 'calls it may have at once (0: no limit)', wholeNumber)
    .option('--dtmf-mode <mode>', 'auto, rfc4733, info or inband')
    .action((number: string, o: ExtAddOptions) => extAdd(number, o));
  configOption(ext.command('set').description('change keys of an extension: KEY=VALUE, VALUE read as YAML (name=Dave, voicemail.pin="0123", record=true)'))
    .argument('<number>', 'the extension number', extensionNumber)
    .argument('[assignments...]', 'KEY=VALUE pairs; KEY may be a path inside the extension (forward.busy=1003)')
    .option('--unset <key>', 'remove this key (its default applies); may repeat', unsetKey)
    .action((number: string, assignments: string[], o: { config: string; unset?: EntryChange[] }) => extSet(number, assignments, o));
  configOption(ext.command('rm').description('remove an extension; refused while the config still sends calls to it'))
    .argument('<number>', 'the extension number', extensionNumber)
    .action((number: string, o: { config: string }) => extRm(number, o));

  const config = cli.command('config').description('read and change any key of the config file (comments kept); a change is validated and the PBX reloads');
  configOption(config.command('get').description('print the value at PATH (such as extensions.1001 or sip.listen[0]) as YAML, or JSON'))
    .argument('[path]', 'dotted path; the whole file when absent', cliPath)
    .option('--json', 'print JSON')
    .action((keys: PathKey[] | undefined, o: { config: string; json?: boolean }) => configGet(keys, o));
  configOption(config.command('set').description('set PATH to VALUE, read as YAML: a scalar (20, true, null, "0123") or flow ({ pin: "1234" }, ["1001", "1002"])'))
    .argument('<path>', 'dotted path such as groups.sales.ring_time; missing keys on the way are added', cliPath)
    .argument('<value>', 'the value')
    .option('--string', 'take VALUE as text as it is, never as a number, true or a collection')
    .action((keys: PathKey[], value: string, o: { config: string; string?: boolean }) => configSet(keys, value, o));
  configOption(config.command('unset').description('remove the key at PATH (its default applies)'))
    .argument('<path>', 'dotted path such as extensions.1002.forward.busy', cliPath)
    .action((keys: PathKey[], o: { config: string }) => configUnset(keys, o));
}
