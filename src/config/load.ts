// YAML text to a validated Config; every problem as `FILE:LINE:COL: message`, all of them at once.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as v from 'valibot';
import { LineCounter, parseDocument } from 'yaml';
import { parseDestination } from './destination.js';
import { findComplexKeys, findDuplicateKeys, findNumberKeys } from './duplicates.js';
import { checkMediaFiles } from './media-files.js';
import { Locator, type PathKey } from './positions.js';
import { parkingSlots } from './parking.js';
import { checkReferences } from './references.js';
import { ConfigSchema, genericMessage, type RawConfig } from './schema.js';
import { checkSchedules } from './schedule-check.js';
import { parseDays } from './schedule.js';
import type { Config, ConferenceConfig, ExtensionConfig, GroupConfig, IvrConfig, QueueConfig, ScheduleConfig, TimeRange } from './types.js';

/** Bounds what `*alias` references may expand to (billion laughs). */
const MAX_ALIAS_COUNT = 1000;

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: string[] };

interface Located {
  at: string;
  message: string;
}

export function loadConfig(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    return { ok: false, errors: [`${file}:1:1: cannot read the config: ${reason}`] };
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, file: string): LoadResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false, strict: true, logLevel: 'error' });
  const locate = new Locator(doc, lines, file);
  const problems: Located[] = [];

  for (const dup of findDuplicateKeys(doc)) {
    problems.push({ at: locate.offset(dup.again), message: `"${dup.key}" is defined twice (first at line ${lines.linePos(dup.first).line})` });
  }
  for (const offset of findComplexKeys(doc)) problems.push({ at: locate.offset(offset), message: 'a key must be a plain value, not a list or mapping' });
  for (const err of doc.errors) {
    const message = err.code === 'MULTIPLE_DOCS' ? 'a config is a single YAML document; remove the "---" separator' : firstLine(err.message);
    problems.push({ at: locate.offset(err.pos[0]), message });
  }
  if (problems.length > 0) return failure(problems);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    return failure([{ at: locate.offset(0), message: `the config cannot be expanded: ${(err as Error).message}` }]);
  }
  const result = v.safeParse(ConfigSchema, raw ?? {}, { abortEarly: false, message: genericMessage });
  if (!result.success) {
    const lists = new Set<string>();
    for (const issue of result.issues) {
      const path = (issue.path ?? []).map((p) => p.key as PathKey);
      if (issue.type === 'strict_object' && Array.isArray(issue.path?.at(-1)?.input)) {
        // valibot takes a list for a mapping with keys 0, 1, ...: say what is wrong once
        const parent = path.slice(0, -1);
        if (lists.has(parent.join('\0'))) continue;
        lists.add(parent.join('\0'));
        problems.push({ at: locate.at(parent), message: `${parent.length > 0 ? pathText(parent) + ': ' : ''}expected a mapping, got a list` });
        continue;
      }
      const last = issue.path?.at(-1);
      const missingKey = issue.type === 'strict_object' && issue.received === 'undefined';
      const onKey = (issue.type === 'strict_object' && issue.expected === 'never') || (last !== undefined && 'origin' in last && last.origin === 'key');
      const at = missingKey ? locate.at(path.slice(0, -1)) : locate.at(path, onKey ? 'key' : 'value');
      const where = missingKey || onKey ? path.slice(0, -1) : path;
      problems.push({ at, message: where.length > 0 ? `${pathText(where)}: ${issue.message}` : issue.message });
    }
  }
  for (const p of [...checkReferences(raw), ...checkSchedules(raw), ...checkMediaFiles(raw, file)]) {
    problems.push({ at: locate.at(p.path, p.part), message: `${pathText(p.path)}: ${p.message}` });
  }
  for (const key of findNumberKeys(doc, ['callers', 'known'])) {
    problems.push({ at: locate.offset(key.offset), message: `callers.known: write caller numbers in quotes ("${key.written}"): YAML reads ${key.written} as a number and drops a leading + or 0` });
  }
  if (!result.success || problems.length > 0) return failure(problems);
  return { ok: true, config: build(result.output, resolve(file)) };
}

/** `sip.listen[1]`, `extensions.1002.forward`. */
function pathText(path: readonly PathKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function failure(problems: Located[]): LoadResult {
  const order = (at: string): [number, number] => {
    const m = /:(\d+):(\d+)$/.exec(at);
    return m === null ? [0, 0] : [Number(m[1]), Number(m[2])];
  };
  const sorted = problems
    .map((p, i) => ({ p, i, pos: order(p.at) }))
    .sort((a, b) => a.pos[0] - b.pos[0] || a.pos[1] - b.pos[1] || a.i - b.i);
  return { ok: false, errors: sorted.map(({ p }) => `${p.at}: ${p.message}`) };
}

function build(raw: RawConfig, file: string): Config {
  const base = dirname(file);
  const extensions = new Map<string, ExtensionConfig>();
  for (const [number, e] of Object.entries(raw.extensions)) {
    extensions.set(number, {
      number,
      name: e.name ?? number,
      password: e.password,
      voicemail: e.voicemail === null || e.voicemail === false ? null : { pin: e.voicemail.pin, email: e.voicemail.email },
      forward: {
        always: e.forward.always,
        busy: e.forward.busy,
        no_answer: e.forward.no_answer,
        unavailable: e.forward.unavailable,
      },
      max_calls: e.max_calls,
      record: e.record,
      language: e.language,
      dtmf_mode: e.dtmf_mode,
      media_encryption: e.media_encryption,
      unsolicited_mwi: e.unsolicited_mwi,
      follow_me: e.follow_me === null ? null : { ...e.follow_me, numbers: [...e.follow_me.numbers] },
      speed_dial: new Map(Object.entries(e.speed_dial)),
      outbound: { ...e.outbound },
    });
  }
  const ivr = new Map<string, IvrConfig>();
  for (const [name, i] of Object.entries(raw.ivr)) {
    ivr.set(name, { name, prompt: i.prompt, options: { ...i.options }, timeout: i.timeout, retries: i.retries, default: i.default, language: i.language, direct_dial: i.direct_dial });
  }
  const groups = new Map<string, GroupConfig>();
  for (const [name, g] of Object.entries(raw.groups)) {
    groups.set(name, { name, strategy: g.strategy, members: g.members, ring_time: g.ring_time, member_timeout: g.member_timeout, default: g.default, record: g.record, caller_id: g.caller_id, caller_id_name: g.caller_id_name });
  }
  const queues = new Map<string, QueueConfig>();
  for (const [name, q] of Object.entries(raw.queues)) {
    queues.set(name, {
      name,
      strategy: q.strategy,
      members: q.members,
      max_wait: q.max_wait,
      default: q.default,
      record: q.record,
      announce_position: q.announce_position,
      member_timeout: q.member_timeout,
      wrapup: q.wrapup,
      callback: q.callback,
      service_level: q.service_level,
      music_on_hold: q.music_on_hold === null ? null : resolve(resolve(base, raw.data_dir), q.music_on_hold),
    });
  }
  const conferences = new Map<string, ConferenceConfig>();
  for (const [name, c] of Object.entries(raw.conferences)) {
    conferences.set(name, c === null ? openRoom(name) : { name, pin: c.pin, admin_pin: c.admin_pin, max_members: c.max_members, muted: c.muted, announce_count: c.announce_count, quiet: c.quiet, language: c.language });
  }

  const schedules = new Map<string, ScheduleConfig>();
  for (const [name, s] of Object.entries(raw.schedules)) {
    const week: TimeRange[][] = [[], [], [], [], [], [], []];
    for (const [days, ranges] of Object.entries(s.hours)) {
      for (const day of parseDays(days) as number[]) week[day] = ranges;
    }
    schedules.set(name, { name, timezone: s.timezone, week, holidays: s.holidays, open: s.open, closed: s.closed, holiday: s.holiday });
  }

  const dataDir = resolve(base, raw.data_dir);
  const config: Config = {
    file,
    data_dir: dataDir,
    sip: {
      listen: raw.sip.listen,
      domain: raw.sip.domain,
      external_address: raw.sip.external_address,
      local_networks: raw.sip.local_networks,
      tls: raw.sip.tls === null ? null : { cert: resolve(base, raw.sip.tls.cert), key: resolve(base, raw.sip.tls.key), ca: raw.sip.tls.ca === null ? null : resolve(base, raw.sip.tls.ca) },
      max_message_size: raw.sip.max_message_size,
      tcp_idle_timeout: raw.sip.tcp_idle_timeout,
      max_connections_per_source: raw.sip.max_connections_per_source,
      user_agent: raw.sip.user_agent,
    },
    registration: { ...raw.registration },
    subscriptions: { ...raw.subscriptions },
    rtp: { address: raw.rtp.address, external_address: raw.rtp.external_address, port_min: raw.rtp.ports.min, port_max: raw.rtp.ports.max, timeout: raw.rtp.timeout, workers: raw.rtp.workers, codecs: raw.rtp.codecs },
    http: { listen: raw.http.listen, token: raw.http.token, callback: raw.http.callback === null ? null : { ...raw.http.callback } },
    security: { ...raw.security },
    log: { level: raw.log.level },
    media: {
      language: raw.media.language,
      tones: raw.media.tones,
      music_on_hold: raw.media.music_on_hold === null ? null : resolve(dataDir, raw.media.music_on_hold),
    },
    extensions,
    ivr,
    dialplan: new Map(Object.entries(raw.dialplan)),
    groups,
    queues,
    conferences,
    recording: { ...raw.recording, numbers: [...raw.recording.numbers] },
    schedules,
    missed_calls: missedCallsOf(raw.missed_calls),
    callers: {
      known: new Map(Object.entries(raw.callers.known)),
      blacklist: raw.callers.blacklist,
      reject_status: raw.callers.reject_status,
      anonymous: raw.callers.anonymous,
    },
    features: { ...raw.features },
    voicemail: { ...raw.voicemail },
    trunks: new Map(Object.entries(raw.trunks).map(([name, t]) => [name, { name, ...t, port: t.port ?? (t.transport === 'tls' ? 5061 : 5060), register: t.register ?? t.type === 'register' }])),
    inbound: {
      dids: new Map(Object.entries(raw.inbound).filter(([did]) => did !== 'default')),
      default: raw.inbound.default ?? null,
    },
    outbound: raw.outbound.map((r, i) => ({ ...r, name: r.name ?? `route${i + 1}` })),
    outbound_limits: { ...raw.outbound_limits },
    parking:
      raw.parking === null
        ? null
        : { number: raw.parking.number, slots: parkingSlots(raw.parking.slots) as string[], timeout: raw.parking.timeout, fallback: raw.parking.fallback },
    webhooks: raw.webhooks.map((w) => ({ url: w.url, secret: w.secret, events: [...w.events] })),
    speed_dial: new Map(Object.entries(raw.speed_dial)),
  };
  addImplicitConferences(config);
  return config;
}

/** A room with every option at its default: no PIN, no limit. */
function openRoom(name: string): ConferenceConfig {
  return { name, pin: null, admin_pin: null, max_members: 0, muted: false, announce_count: true, quiet: false, language: null };
}

/** A `conference:NAME` destination with no `conferences:` entry is an open room without a PIN. */
function addImplicitConferences(config: Config): void {
  const destinations: (string | null)[] = [...config.dialplan.values()];
  for (const e of config.extensions.values()) {
    destinations.push(e.forward.always, e.forward.busy, e.forward.unavailable, e.forward.no_answer?.to ?? null, ...e.speed_dial.values());
  }
  destinations.push(...config.speed_dial.values());
  for (const i of config.ivr.values()) destinations.push(...Object.values(i.options), i.default);
  for (const g of config.groups.values()) destinations.push(g.default);
  for (const q of config.queues.values()) destinations.push(q.default);
  for (const s of config.schedules.values()) destinations.push(s.open, s.closed, s.holiday);
  destinations.push(...config.callers.known.values(), config.callers.anonymous);
  destinations.push(...config.inbound.dids.values(), config.inbound.default);
  for (const text of destinations) {
    if (text === null) continue;
    const d = parseDestination(text);
    if (typeof d !== 'string' && d.kind === 'conference' && !config.conferences.has(d.name)) {
      config.conferences.set(d.name, openRoom(d.name));
    }
  }
}

/** missed_calls with auto_callback read as on/off and its retry policy (true: 3 attempts, 300 s apart). */
function missedCallsOf(raw: RawConfig['missed_calls']): Config['missed_calls'] {
  const policy = typeof raw.auto_callback === 'boolean' ? { attempts: 3, pause: 300 } : raw.auto_callback;
  return { auto_callback: raw.auto_callback !== false, ring: raw.ring, delay: raw.delay, attempts: policy.attempts, pause: policy.pause };
}
