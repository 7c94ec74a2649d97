// Cross-references the schema cannot see: destinations that point nowhere, members that are not
// extensions, numbers defined twice, dialplan loops, TLS listeners without certificates,
// recorded numbers that are not in the dialplan, schedules that lead back to themselves, caller
// numbers both known and blacklisted, conference admin PINs without a PIN or equal to it.
// Works on the raw YAML data so that it reports alongside schema errors, not after them.
import { parseDestination } from './destination.js';
import type { PathKey } from './positions.js';
import { parkingSlots } from './parking.js';
import { didYouMean } from './suggest.js';
import { compilePattern, type DialPattern } from '../trunks/pattern.js';

export interface Problem {
  path: PathKey[];
  part: 'key' | 'value';
  message: string;
}

type Raw = Record<string, unknown>;

function mapping(x: unknown): Raw {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Raw) : {};
}

function textOf(x: unknown): string | null {
  if (typeof x === 'string') return x;
  if (typeof x === 'number') return String(x);
  return null;
}

interface Names {
  extensions: Set<string>;
  voicemailOff: Set<string>;
  ivr: Set<string>;
  groups: Set<string>;
  queues: Set<string>;
  schedules: Set<string>;
  dialplan: Raw;
  /** The outbound routes' patterns: a number one matches is an outside number (a forward to a mobile). */
  outside: DialPattern[];
}

export function checkReferences(input: unknown): Problem[] {
  const raw = mapping(input);
  const problems: Problem[] = [];
  const extensions = mapping(raw.extensions);
  const dialplan = mapping(raw.dialplan);
  const names: Names = {
    extensions: new Set(Object.keys(extensions)),
    voicemailOff: new Set(Object.keys(extensions).filter((n) => mapping(extensions[n]).voicemail === false)),
    ivr: new Set(Object.keys(mapping(raw.ivr))),
    groups: new Set(Object.keys(mapping(raw.groups))),
    queues: new Set(Object.keys(mapping(raw.queues))),
    schedules: new Set(Object.keys(mapping(raw.schedules))),
    dialplan,
    outside: (Array.isArray(raw.outbound) ? raw.outbound : []).flatMap((r) => {
      const p = textOf(mapping(r).pattern);
      const compiled = p === null ? null : compilePattern(p);
      return compiled === null || typeof compiled === 'string' ? [] : [compiled];
    }),
  };

  const destination = (path: PathKey[], value: unknown): void => {
    const dest = textOf(value);
    if (dest === null) return;
    const message = destinationProblem(dest, names);
    if (message !== null) problems.push({ path, part: 'value', message });
  };
  const optional = (path: PathKey[], value: unknown): void => {
    if (value != null) destination(path, value);
  };
  // A short number may not hide a number that exists; its target is a destination or any number
  // (an outside number reaches a trunk once trunks exist).
  const speedDials = (path: PathKey[], list: unknown): void => {
    for (const [short, target] of Object.entries(mapping(list))) {
      if (names.extensions.has(short) || Object.hasOwn(names.dialplan, short)) {
        const what = names.extensions.has(short) ? 'extension' : 'dialplan number';
        problems.push({ path: [...path, short], part: 'key', message: `speed-dial number ${short} hides ${what} ${short}` });
      }
      const text = textOf(target);
      const parsed = text === null ? null : parseDestination(text);
      if (text === null || parsed === null || (typeof parsed !== 'string' && parsed.kind === 'number')) continue;
      const message = destinationProblem(text, names);
      if (message !== null) problems.push({ path: [...path, short], part: 'value', message });
    }
  };

  for (const [number, entry] of Object.entries(extensions)) {
    const forward = mapping(mapping(entry).forward);
    for (const kind of ['always', 'busy', 'unavailable'] as const) optional(['extensions', number, 'forward', kind], forward[kind]);
    optional(['extensions', number, 'forward', 'no_answer', 'to'], mapping(forward.no_answer).to);
    const followMe = mapping(entry).follow_me;
    const numbers = mapping(followMe).numbers;
    if (Array.isArray(numbers)) {
      numbers.forEach((n, i) => {
        const text = textOf(n);
        if (text === null || !/^[0-9*#+]{1,32}$/.test(text)) return; // the schema reports these
        const ext = extensionOf(text, names);
        const path = ['extensions', number, 'follow_me', 'numbers', i];
        if (ext === null) {
          if (!names.outside.some((p) => p.test(text))) problems.push({ path, part: 'value', message: `follow-me number ${text} is not an extension, a dialplan number that leads to one, nor an outside number an outbound route matches` });
        }
        else if (ext === number) problems.push({ path, part: 'value', message: `follow-me number ${text} is extension ${number} itself` });
      });
    }
    speedDials(['extensions', number, 'speed_dial'], mapping(entry).speed_dial);
    const cidGroup = textOf(mapping(mapping(entry).outbound).caller_id_group);
    if (cidGroup !== null) {
      const members = mapping(mapping(raw.groups)[cidGroup]).members;
      const path = ['extensions', number, 'outbound', 'caller_id_group'];
      if (!names.groups.has(cidGroup)) problems.push({ path, part: 'value', message: `no group named "${cidGroup}"${didYouMean(cidGroup, names.groups)}` });
      else if (!Array.isArray(members) || !members.some((m) => textOf(m) === number)) problems.push({ path, part: 'value', message: `extension ${number} is not a member of group ${cidGroup}` });
    }
  }
  speedDials(['speed_dial'], raw.speed_dial);
  for (const [name, entry] of Object.entries(mapping(raw.ivr))) {
    const options = mapping(mapping(entry).options);
    for (const [digit, dest] of Object.entries(options)) destination(['ivr', name, 'options', digit], dest);
    optional(['ivr', name, 'default'], mapping(entry).default);
  }
  for (const section of ['groups', 'queues'] as const) {
    for (const [name, entry] of Object.entries(mapping(raw[section]))) {
      const members = mapping(entry).members;
      if (Array.isArray(members)) {
        members.forEach((m, i) => {
          const ext = textOf(m);
          if (ext !== null && !names.extensions.has(ext)) {
            problems.push({ path: [section, name, 'members', i], part: 'value', message: `member "${ext}" is not an extension` });
          }
        });
      }
      optional([section, name, 'default'], mapping(entry).default);
    }
  }
  for (const [number, dest] of Object.entries(dialplan)) {
    if (names.extensions.has(number)) {
      problems.push({ path: ['dialplan', number], part: 'key', message: `number ${number} is defined twice: as an extension and in the dialplan` });
      continue;
    }
    destination(['dialplan', number], dest);
    const loop = dialplanLoop(number, dialplan);
    if (loop !== null) problems.push({ path: ['dialplan', number], part: 'value', message: `dialplan loop: ${loop.join(' -> ')}` });
  }
  const features = mapping(raw.features);
  for (const key of ['voicemail', 'voicemail_any'] as const) {
    const number = textOf(features[key]);
    if (number !== null && names.extensions.has(number)) {
      problems.push({ path: ['features', key], part: 'value', message: `feature number ${number} is also an extension; pick a number no extension has (such as *97)` });
    }
  }

  const schedules = mapping(raw.schedules);
  for (const [name, entry] of Object.entries(schedules)) {
    for (const branch of SCHEDULE_BRANCHES) {
      const path = ['schedules', name, branch];
      optional(path, mapping(entry)[branch]);
      const loop = scheduleLoop(name, branch, schedules, names);
      if (loop !== null) problems.push({ path, part: 'value', message: `schedule loop: ${loop.join(' -> ')}` });
    }
  }

  const callers = mapping(raw.callers);
  const known = mapping(callers.known);
  for (const [pattern, dest] of Object.entries(known)) destination(['callers', 'known', pattern], dest);
  const anonymous = textOf(callers.anonymous);
  if (anonymous !== null && anonymous !== 'reject') {
    const message = destinationProblem(anonymous, names);
    if (message !== null) problems.push({ path: ['callers', 'anonymous'], part: 'value', message: `${message}; or reject to refuse anonymous calls` });
  }
  if (Array.isArray(callers.blacklist)) {
    callers.blacklist.forEach((pattern, i) => {
      if (typeof pattern === 'string' && Object.hasOwn(known, pattern)) {
        problems.push({ path: ['callers', 'blacklist', i], part: 'value', message: `caller ${pattern} is both blacklisted and in callers.known; keep one` });
      }
    });
  }

  for (const [name, entry] of Object.entries(mapping(raw.conferences))) {
    const room = mapping(entry);
    const admin = textOf(room.admin_pin);
    if (admin === null) continue;
    const pin = textOf(room.pin);
    if (pin === null) problems.push({ path: ['conferences', name, 'admin_pin'], part: 'value', message: 'admin_pin needs a pin for the other callers (without one the room would let in admins only)' });
    else if (pin === admin) problems.push({ path: ['conferences', name, 'admin_pin'], part: 'value', message: 'admin_pin must differ from pin' });
  }

  for (const [did, dest] of Object.entries(mapping(raw.inbound))) destination(['inbound', did], dest);
  const trunks = mapping(raw.trunks);
  if (Array.isArray(raw.outbound)) {
    raw.outbound.forEach((route, i) => {
      const list = mapping(route).trunks;
      if (!Array.isArray(list)) return;
      list.forEach((t, j) => {
        if (typeof t === 'string' && !Object.hasOwn(trunks, t)) {
          problems.push({ path: ['outbound', i, 'trunks', j], part: 'value', message: `no trunk named "${t}"${didYouMean(t, Object.keys(trunks))}` });
        }
      });
    });
  }
  for (const [name, entry] of Object.entries(trunks)) {
    const t = mapping(entry);
    // A TLS trunk's connection goes out from the tls listener (its certificate is the client's).
    const listen = mapping(raw.sip).listen;
    if (t.transport === 'tls' && !(Array.isArray(listen) ? listen : []).some((l) => typeof l === 'string' && /^tls:/i.test(l))) {
      problems.push({ path: ['trunks', name, 'transport'], part: 'value', message: 'transport tls needs a tls entry in sip.listen (e.g. "tls:0.0.0.0:5061") and sip.tls' });
    }
    if ((t.type ?? 'register') === 'register' && (t.username == null || t.password == null)) {
      problems.push({ path: ['trunks', name], part: 'key', message: 'a register trunk needs username and password' });
    }
  }
  const widget = mapping(mapping(raw.http).callback);
  const widgetTarget = /^(group|queue):(.+)$/.exec(textOf(widget.target) ?? '');
  if (widgetTarget !== null) {
    const [, kind, name] = widgetTarget as unknown as [string, 'group' | 'queue', string];
    const known = kind === 'group' ? names.groups : names.queues;
    if (!known.has(name)) problems.push({ path: ['http', 'callback', 'target'], part: 'value', message: `no ${kind} named "${name}"${didYouMean(name, known)}` });
  }
  if (typeof widget.min_digits === 'number' && typeof widget.max_digits === 'number' && widget.min_digits > widget.max_digits) {
    problems.push({ path: ['http', 'callback', 'min_digits'], part: 'value', message: 'min_digits must not be more than max_digits' });
  }
  const missed = mapping(raw.missed_calls);
  const ring = textOf(missed.ring);
  if (ring !== null && !names.extensions.has(ring) && !(ring.startsWith('group:') && names.groups.has(ring.slice(6)))) {
    problems.push({ path: ['missed_calls', 'ring'], part: 'value', message: `missed_calls.ring is an extension or group:NAME that exists, not "${ring}"` });
  } else if (missed.auto_callback != null && missed.auto_callback !== false && ring === null) {
    problems.push({ path: ['missed_calls'], part: 'key', message: 'auto_callback needs ring: the extension or group:NAME rung first' });
  }
  const parking = raw.parking == null ? null : mapping(raw.parking);
  if (parking !== null) {
    optional(['parking', 'fallback'], parking.fallback);
    const taken = (n: string): string | null =>
      names.extensions.has(n) ? `extension ${n}` : Object.hasOwn(dialplan, n) ? `dialplan number ${n}` : null;
    const number = textOf(parking.number);
    const numberClash = number === null ? null : taken(number);
    if (numberClash !== null) problems.push({ path: ['parking', 'number'], part: 'value', message: `parking number ${number} is also ${numberClash}` });
    const slots = textOf(parking.slots);
    const list = slots === null ? null : parkingSlots(slots);
    if (Array.isArray(list)) {
      const clash = list.map((s) => (s === number ? `the parking number ${s}` : taken(s))).find((c) => c !== null);
      if (clash != null) problems.push({ path: ['parking', 'slots'], part: 'value', message: `parking slots ${slots} include ${clash}` });
    }
  }

  const recordNumbers = mapping(raw.recording).numbers;
  if (Array.isArray(recordNumbers)) {
    recordNumbers.forEach((n, i) => {
      const number = textOf(n);
      // the schema reports numbers with other characters
      if (number === null || !/^[0-9*#+]{1,32}$/.test(number) || Object.hasOwn(dialplan, number)) return;
      const message = names.extensions.has(number)
        ? `${number} is an extension, not a dialplan number; record its calls with extensions.${number}.record: true`
        : `${number} is not a dialplan number${didYouMean(number, Object.keys(dialplan))}`;
      problems.push({ path: ['recording', 'numbers', i], part: 'value', message });
    });
  }

  const sip = mapping(raw.sip);
  if (Array.isArray(sip.listen) && sip.tls == null) {
    sip.listen.forEach((spec, i) => {
      if (typeof spec === 'string' && /^(tls|wss):/i.test(spec)) {
        problems.push({ path: ['sip', 'listen', i], part: 'value', message: `"${spec}" needs sip.tls with cert and key` });
      }
    });
  }

  for (const section of ['registration', 'subscriptions'] as const) {
    const reg = mapping(raw[section]);
    const num = (x: unknown, fallback: number): number => (typeof x === 'number' ? x : fallback);
    const min = num(reg.min_expires, 60);
    const max = num(reg.max_expires, 3600);
    const def = num(reg.default_expires, 3600);
    if (min > max) problems.push({ path: [section, 'min_expires'], part: 'value', message: `min_expires (${min}) is above max_expires (${max})` });
    else if (def < min || def > max) {
      problems.push({ path: [section, 'default_expires'], part: 'value', message: `default_expires (${def}) must lie between min_expires (${min}) and max_expires (${max})` });
    }
  }
  return problems;
}

function destinationProblem(text: string, names: Names): string | null {
  const d = parseDestination(text);
  if (typeof d === 'string') return d;
  switch (d.kind) {
    case 'ivr':
      return names.ivr.has(d.name) ? null : `destination "${text}" points nowhere: no ivr named "${d.name}"${didYouMean(d.name, names.ivr)}`;
    case 'group':
      return names.groups.has(d.name) ? null : `destination "${text}" points nowhere: no group named "${d.name}"${didYouMean(d.name, names.groups)}`;
    case 'schedule':
      return names.schedules.has(d.name) ? null : `destination "${text}" points nowhere: no schedule named "${d.name}"${didYouMean(d.name, names.schedules)}`;
    case 'queue':
      return names.queues.has(d.name) ? null : `destination "${text}" points nowhere: no queue named "${d.name}"${didYouMean(d.name, names.queues)}`;
    case 'voicemail':
      if (!names.extensions.has(d.ext)) return `destination "${text}" points nowhere: no extension ${d.ext}`;
      return names.voicemailOff.has(d.ext) ? `destination "${text}" points nowhere: extension ${d.ext} has voicemail turned off` : null;
    case 'number':
      if (names.extensions.has(d.number) || Object.hasOwn(names.dialplan, d.number) || names.outside.some((p) => p.test(d.number))) return null;
      return `destination "${text}" points nowhere: no extension or dialplan number ${d.number}`;
    default:
      // conference rooms need no declaration (CONTRACT example: "conference:team"); hangup and voicemail-main always exist
      return null;
  }
}

/** The extension a number leads to (itself, or through dialplan numbers), or null. */
function extensionOf(number: string, names: Names): string | null {
  let current: string | null = number;
  const seen = new Set<string>();
  while (current !== null && !seen.has(current)) {
    if (names.extensions.has(current)) return current;
    seen.add(current);
    current = textOf(names.dialplan[current]);
  }
  return null;
}

const SCHEDULE_BRANCHES = ['open', 'closed', 'holiday'] as const;

/**
 * The schedule a destination string leads to at once (through dialplan numbers), or null. IVRs,
 * groups and the like stop the walk: a call waits there for a person.
 */
function scheduleTarget(value: unknown, names: Names): string | null {
  let current = textOf(value);
  const seen = new Set<string>();
  while (current !== null) {
    const d = parseDestination(current);
    if (typeof d === 'string') return null;
    if (d.kind === 'schedule') return d.name;
    if (d.kind !== 'number' || names.extensions.has(d.number) || seen.has(d.number)) return null;
    seen.add(d.number);
    current = textOf(names.dialplan[d.number]);
  }
  return null;
}

/**
 * The chain of schedules from `start` through its `branch` when it comes back to `start` (a call
 * would never leave), else null.
 */
function scheduleLoop(start: string, branch: string, schedules: Raw, names: Names): string[] | null {
  const first = scheduleTarget(mapping(schedules[start])[branch], names);
  if (first === null) return null;
  // depth-first over the branches of the schedules reached, each visited once
  const stack: string[][] = [[start, first]];
  const visited = new Set<string>();
  while (stack.length > 0) {
    const chain = stack.pop()!;
    const at = chain.at(-1)!;
    if (at === start) return chain;
    if (visited.has(at) || !Object.hasOwn(schedules, at)) continue;
    visited.add(at);
    for (const b of SCHEDULE_BRANCHES) {
      const next = scheduleTarget(mapping(schedules[at])[b], names);
      if (next !== null) stack.push([...chain, next]);
    }
  }
  return null;
}

/** The chain of dialplan numbers from `start` when it comes back to one already seen, else null. */
function dialplanLoop(start: string, dialplan: Raw): string[] | null {
  const chain = [start];
  let current = start;
  while (chain.length <= Object.keys(dialplan).length + 1) {
    const next = textOf(dialplan[current]);
    if (next === null || !Object.hasOwn(dialplan, next)) return null;
    chain.push(next);
    if (chain.indexOf(next) < chain.length - 1) return chain;
    current = next;
  }
  return null;
}
