#!/usr/bin/env node
// `pbx`: the command line of CONTRACT.md. Exit codes: 0 ok, 1 bad input or refused, 2 cannot reach the PBX.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Argument, Command, InvalidArgumentError } from 'commander';
import type { CallInfo, CallRecordingInfo, QueueStats, RegistrationInfo, StatusInfo } from '../api/control-types.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import type { CdrRow, MissedCall } from '../store/types.js';
import { controlRequest, Unreachable, type ControlMethod, type ControlReply } from './client.js';
import { addEditCommands } from './edit.js';
import { callsText, cdrText, missedDoneText, missedText, queueStatsText, recordingText, registrationsText, statusText } from './format.js';

const EXIT_OK = 0;
const EXIT_BAD_INPUT = 1;
const EXIT_UNREACHABLE = 2;

const DEFAULT_CONFIG = 'config.example.yaml';
// A variable specifier: the runtime module is resolved when `start` runs, not when this file compiles.
const PBX_MODULE = new URL('../pbx.js', import.meta.url);

function out(text: string): void {
  process.stdout.write(text);
}

function fail(lines: string | string[], code: number): void {
  process.stderr.write([lines].flat().join('\n') + '\n');
  process.exitCode = code;
}

/** The config, or its problems printed one per line (as `check` does) and null. */
function configOrFail(file: string): Config | null {
  const result = loadConfig(file);
  if (result.ok) return result.config;
  out(result.errors.join('\n') + '\n');
  process.exitCode = EXIT_BAD_INPUT;
  return null;
}

/** Asks the running PBX; null (with the exit code set) when it cannot or will not answer. */
async function ask(config: Config, method: ControlMethod, path: string): Promise<ControlReply | null> {
  try {
    const reply = await controlRequest(config, method, path);
    if (reply.status === 401) {
      fail(`the PBX refused the token from ${config.file} (http.token must match the running PBX)`, EXIT_BAD_INPUT);
      return null;
    }
    return reply;
  } catch (err) {
    if (err instanceof Unreachable) {
      fail(err.message, EXIT_UNREACHABLE);
      return null;
    }
    throw err;
  }
}

/** The explanation of an error body: `message` of the REST API's `{error, message}`, else `error`. */
function errorOf(body: unknown): string {
  const { error, message } = (body ?? {}) as { error?: unknown; message?: unknown };
  if (typeof message === 'string') return message;
  return typeof error === 'string' ? error : JSON.stringify(body);
}

/** GET a list (or the status object) and print it as JSON (always an array) or as text. */
async function show<T>(file: string, path: string, json: boolean, text: (body: T) => string): Promise<void> {
  const config = configOrFail(file);
  if (config === null) return;
  const reply = await ask(config, 'GET', path);
  if (reply === null) return;
  if (reply.status !== 200) return fail(`the PBX answered ${reply.status}: ${errorOf(reply.body)}`, EXIT_BAD_INPUT);
  if (json) out(JSON.stringify([reply.body].flat(), null, 2) + '\n');
  else out(text(reply.body as T));
}

async function start(file: string): Promise<void> {
  if (configOrFail(file) === null) return;
  let runtime: { startPbx?: (file: string) => unknown };
  try {
    runtime = (await import(PBX_MODULE.href)) as typeof runtime;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(fileURLToPath(PBX_MODULE));
    if (!missing) throw err;
    return fail(`this build has no PBX runtime (${fileURLToPath(PBX_MODULE)} is missing); run npm run build`, EXIT_BAD_INPUT);
  }
  if (typeof runtime.startPbx !== 'function') return fail(`${fileURLToPath(PBX_MODULE)} does not export startPbx`, EXIT_BAD_INPUT);
  await runtime.startPbx(file);
}

function check(file: string): void {
  const config = configOrFail(file);
  if (config !== null) process.stderr.write(`${file}: ok\n`);
}

async function reload(file: string): Promise<void> {
  const config = configOrFail(file);
  if (config === null) return;
  const reply = await ask(config, 'POST', '/api/reload');
  if (reply === null) return;
  const body = reply.body as { ok?: boolean; errors?: unknown };
  if (reply.status === 200 && body.ok === true) {
    process.stderr.write(`reloaded ${file}\n`);
    return;
  }
  if (Array.isArray(body.errors)) {
    out(body.errors.map(String).join('\n') + '\n');
    process.exitCode = EXIT_BAD_INPUT;
    return;
  }
  fail(`the PBX refused the reload (${reply.status}): ${errorOf(reply.body)}`, EXIT_BAD_INPUT);
}

/** `pbx record start|stop CALL`: the call's id or Call-ID as `pbx calls` shows them. */
async function record(file: string, action: 'start' | 'stop', call: string, json: boolean): Promise<void> {
  const config = configOrFail(file);
  if (config === null) return;
  const reply = await ask(config, action === 'start' ? 'POST' : 'DELETE', `/api/calls/${encodeURIComponent(call)}/recording`);
  if (reply === null) return;
  if (reply.status !== 200) return fail(`the PBX refused to ${action} recording ${call} (${reply.status}): ${errorOf(reply.body)}`, EXIT_BAD_INPUT);
  const info = reply.body as CallRecordingInfo;
  out(json ? JSON.stringify([info], null, 2) + '\n' : recordingText(info));
}

/** `pbx missed done ENTRY`: closes the open callback entry with that id ("m7") or number. */
async function missedDone(file: string, which: string, json: boolean): Promise<void> {
  const config = configOrFail(file);
  if (config === null) return;
  const reply = await ask(config, 'POST', `/api/missed/${encodeURIComponent(which)}/done`);
  if (reply === null) return;
  if (reply.status !== 200) return fail(`the PBX refused to mark ${which} done (${reply.status}): ${errorOf(reply.body)}`, EXIT_BAD_INPUT);
  const entry = reply.body as MissedCall;
  out(json ? JSON.stringify([entry], null, 2) + '\n' : missedDoneText(entry));
}

/** `pbx originate EXT NUMBER`: click-to-call from the command line. */
async function originate(file: string, from: string, to: string, json: boolean): Promise<void> {
  const config = configOrFail(file);
  if (config === null) return;
  const reply = await ask(config, 'POST', `/api/originate?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  if (reply === null) return;
  if (reply.status !== 202) return fail(`the PBX refused to originate (${reply.status}): ${errorOf(reply.body)}`, EXIT_BAD_INPUT);
  const id = (reply.body as { id: string }).id;
  out(json ? JSON.stringify({ id }, null, 2) + '\n' : `ringing ${from}, then dialling ${to} (call ${id})\n`);
}

function isoTime(value: string): string {
  if (!/^\d{4}-\d\d-\d\d/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError('expected an ISO 8601 time such as 2026-01-31 or 2026-01-31T08:00:00Z');
  }
  return value;
}

function positiveInt(value: string): number {
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 10000) throw new InvalidArgumentError('expected a whole number from 1 to 10000');
  return Number(value);
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function program(): Command {
  const cli = new Command('pbx').description('tspbx: an office phone system').version(version());
  const configOption = (cmd: Command): Command => cmd.requiredOption('-c, --config <file>', 'the YAML config file');

  cli
    .command('start')
    .description('run the PBX in the foreground; SIGTERM/SIGINT stop it gracefully, SIGHUP reloads the config')
    .option('-c, --config <file>', 'the YAML config file', DEFAULT_CONFIG)
    .action((o: { config: string }) => start(o.config));
  configOption(cli.command('check').description('validate the config without starting; one line per problem: FILE:LINE:COL: message')).action(
    (o: { config: string }) => check(o.config),
  );
  configOption(cli.command('reload').description('make the running PBX load its config again; an invalid config is refused')).action(
    (o: { config: string }) => reload(o.config),
  );
  configOption(cli.command('status').description('uptime, registrations, calls in progress, version'))
    .option('--json', 'machine-readable output')
    .action((o: { config: string; json?: boolean }) => show<StatusInfo>(o.config, '/api/status', o.json === true, statusText));
  configOption(cli.command('registrations').description('registered phones'))
    .option('--json', 'machine-readable output')
    .action((o: { config: string; json?: boolean }) => show<RegistrationInfo[]>(o.config, '/api/registrations', o.json === true, registrationsText));
  configOption(cli.command('calls').description('calls in progress'))
    .option('--json', 'machine-readable output')
    .action((o: { config: string; json?: boolean }) => show<CallInfo[]>(o.config, '/api/calls', o.json === true, callsText));
  configOption(cli.command('originate').description('click-to-call: ring extension FROM, then dial TO once it answers'))
    .argument('<from>', 'the extension that rings first')
    .argument('<to>', 'the number dialled once it answered (an extension or a dialplan number leading to one)')
    .option('--json', 'machine-readable output')
    .action((from: string, to: string, o: { config: string; json?: boolean }) => originate(o.config, from, to, o.json === true));
  configOption(cli.command('record').description('start or stop recording a call in progress (its id or Call-ID from pbx calls)'))
    .addArgument(new Argument('<action>', 'start or stop').choices(['start', 'stop']))
    .argument('<call>', 'the call: ID or Call-ID as pbx calls shows them')
    .option('--json', 'machine-readable output')
    .action((action: 'start' | 'stop', call: string, o: { config: string; json?: boolean }) => record(o.config, action, call, o.json === true));
  configOption(cli.command('cdr').description('finished calls, newest first'))
    .option('--missed', 'only calls nobody answered')
    .option('--since <iso>', 'only calls that started at or after this time', isoTime)
    .option('--limit <n>', 'at most this many rows (default 100)', positiveInt)
    .option('--json', 'machine-readable output')
    .action((o: { config: string; json?: boolean; missed?: boolean; since?: string; limit?: number }) => {
      const query = new URLSearchParams();
      if (o.missed === true) query.set('missed', '1');
      if (o.since !== undefined) query.set('since', o.since);
      if (o.limit !== undefined) query.set('limit', String(o.limit));
      const qs = query.size > 0 ? `?${query}` : '';
      return show<CdrRow[]>(o.config, `/api/cdr${qs}`, o.json === true, cdrText);
    });
  configOption(cli.command('missed').description('the callback list: numbers whose calls nobody answered; `done ENTRY` marks one called back'))
    .addArgument(new Argument('[action]', 'done: mark an entry called back').choices(['done']))
    .argument('[entry]', 'with done: the entry\'s ID (m7) or its number')
    .option('--all', 'closed entries too')
    .option('--limit <n>', 'at most this many entries (default 100)', positiveInt)
    .option('--json', 'machine-readable output')
    .action((action: 'done' | undefined, entry: string | undefined, o: { config: string; json?: boolean; all?: boolean; limit?: number }) => {
      if (action === 'done') {
        if (entry === undefined) return fail('pbx missed done needs the entry: its ID (m7) or its number', EXIT_BAD_INPUT);
        return missedDone(o.config, entry, o.json === true);
      }
      const query = new URLSearchParams();
      if (o.all === true) query.set('all', '1');
      if (o.limit !== undefined) query.set('limit', String(o.limit));
      const qs = query.size > 0 ? `?${query}` : '';
      return show<MissedCall[]>(o.config, `/api/missed${qs}`, o.json === true, missedText);
    });
  const queue = cli.command('queue').description('call queues');
  configOption(queue.command('stats').description('answered, abandoned, average wait and service level per queue'))
    .argument('[name]', 'one queue (default: every queue)')
    .option('--since <iso>', 'only callers that joined at or after this time', isoTime)
    .option('--json', 'machine-readable output')
    .action((name: string | undefined, o: { config: string; json?: boolean; since?: string }) => {
      const qs = o.since === undefined ? '' : `?${new URLSearchParams({ since: o.since })}`;
      const path = name === undefined ? '/api/queues/stats' : `/api/queues/${encodeURIComponent(name)}/stats`;
      return show<QueueStats | QueueStats[]>(o.config, `${path}${qs}`, o.json === true, (body) => queueStatsText([body].flat()));
    });
  addEditCommands(cli, configOption);
  return cli;
}

program()
  .parseAsync(process.argv)
  .catch((err: unknown) => fail(`pbx: ${err instanceof Error ? err.message : String(err)}`, EXIT_BAD_INPUT));
