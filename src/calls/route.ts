// Where a new call goes: the dialled number's destination, caller-ID rules before it, and
// schedules followed to the branch in force. Pure functions of the config, the caller and the
// instant, so that a test fixes all three.
//
// Caller-ID rules (config `callers:`) apply to calls to dialplan numbers (DIDs, `500` for the menu),
// not to an extension dialled directly nor to a feature code: FreePBX applies inbound routes only to trunk calls, and an
// extension calling a colleague is no customer. In this order, the first that matches decides:
//   1. blacklist: the caller's number (exact, or the longest prefix `+7800*`) -> rejected with
//      callers.reject_status (603 unless set);
//   2. anonymous callers -> callers.anonymous (a destination, or `reject`); when it is not set they
//      go on like anyone else;
//   3. known: the most specific entry of callers.known (exact number, then the longest prefix);
//   4. otherwise the dialplan's destination.
// The destination chosen is then followed through `schedule:` destinations (finalDestination).
// Before all this a speed-dial number of the calling extension (its own `speed_dial:`, then the
// global one) is replaced by what it stands for: another number, routed as if dialled, or a
// destination.
import { matchCaller } from '../config/callers.js';
import { parseDestination } from '../config/destination.js';
import { resolveDestination } from '../config/routing.js';
import { branchOf, scheduleState } from '../config/schedule.js';
import type { Config, Destination, Routing } from '../config/types.js';

export interface RouteContext {
  /** The caller's number as presented; null when there is none. */
  caller: string | null;
  /** The caller withholds its identity (see caller-id.ts). */
  anonymous: boolean;
  /** The instant schedules are read at, ms since the epoch. */
  now: number;
  /** The authenticated extension calling, whose speed dials apply; absent for trunk calls. */
  user?: string;
}

/** A destination reached, with the steps that led there for the log ("schedule office: closed -> voicemail:1001"). */
export interface Reached {
  dest: Destination;
  steps: string[];
}

export type RouteDecision =
  /** number: the number a speed dial stood for, when one was dialled. */
  | ({ kind: 'route'; number?: string } & Reached)
  | { kind: 'reject'; status: number; reason: 'blacklisted' | 'anonymous'; steps: string[] };

/**
 * The final destination of `dest` at `ctx.now`: a `schedule:` destination is replaced by the branch
 * its schedule has in force (open, closed, holiday), again and again until a destination that is
 * not a schedule. Any other destination is returned as it is. Null when a branch points nowhere,
 * which loadConfig rules out (as it rules out schedules that lead back to themselves).
 * Apps hand calls on through this, so that `schedule:` works wherever a destination does.
 */
export function finalDestination(config: Config, dest: Destination, ctx: Pick<RouteContext, 'now'>): Reached | null {
  const steps: string[] = [];
  let current = dest;
  for (let hops = 0; current.kind === 'schedule'; hops++) {
    const schedule = config.schedules.get(current.name);
    if (schedule === undefined || hops > config.schedules.size) return null;
    const state = scheduleState(schedule, ctx.now);
    const branch = branchOf(schedule, state);
    steps.push(`schedule ${schedule.name}: ${state} -> ${branch}`);
    const next = resolveDestination(config, branch);
    if (next === null) return null;
    current = next;
  }
  return { dest: current, steps };
}

/**
 * Where a call to `dialled` goes: null when the number is unknown (404), a rejection by the
 * caller-ID rules, or the final destination (see the order at the top of this file). `planned`
 * is where the number leads before the caller-ID rules (default: the dialplan; a trunk call passes
 * its DID's `inbound:` destination).
 */
export function routeCall(routing: Routing, number: string, ctx: RouteContext, inbound?: Destination | null): RouteDecision | null {
  const config = routing.config;
  const steps: string[] = [];
  // A trunk call comes with its DID's destination (inbound:); speed dials are an extension's own.
  const short = ctx.user === undefined || inbound !== undefined ? null : speedDial(config, ctx.user, number);
  let dialled = number;
  let planned: Destination | null;
  if (inbound !== undefined) planned = inbound;
  else if (short === null) planned = routing.resolve(number);
  else {
    steps.push(`speed dial ${number} -> ${short}`);
    const parsed = parseDestination(short);
    if (typeof parsed !== 'string' && parsed.kind === 'number') {
      dialled = parsed.number;
      planned = routing.resolve(dialled);
    } else planned = resolveDestination(config, short);
  }
  if (planned === null) return null;
  let dest: Destination | null = planned;
  if (!config.extensions.has(dialled) && planned.kind !== 'feature' && planned.kind !== 'outbound') {
    const rules = config.callers;
    const blacklisted = ctx.caller === null ? null : matchCaller(rules.blacklist, ctx.caller);
    if (blacklisted !== null) {
      return { kind: 'reject', status: rules.reject_status, reason: 'blacklisted', steps: [`caller ${ctx.caller} blacklisted (${blacklisted})`] };
    }
    if (ctx.anonymous && rules.anonymous !== null) {
      if (rules.anonymous === 'reject') return { kind: 'reject', status: rules.reject_status, reason: 'anonymous', steps: ['anonymous caller rejected'] };
      dest = resolveDestination(config, rules.anonymous);
      steps.push(`anonymous caller -> ${rules.anonymous}`);
    } else {
      const known = ctx.caller === null ? null : matchCaller(rules.known.keys(), ctx.caller);
      if (known !== null) {
        dest = resolveDestination(config, rules.known.get(known)!);
        steps.push(`caller ${ctx.caller} known (${known}) -> ${rules.known.get(known)!}`);
      }
    }
  }
  const reached = dest === null ? null : finalDestination(config, dest, ctx);
  if (reached === null) return null;
  const route: RouteDecision = { kind: 'route', dest: reached.dest, steps: [...steps, ...reached.steps] };
  if (dialled !== number) route.number = dialled;
  return route;
}

/** What a short number `dialled` stands for when `user` dials it: its own speed dial, else the global one; else null. */
export function speedDial(config: Config, user: string, dialled: string): string | null {
  return config.extensions.get(user)?.speed_dial.get(dialled) ?? config.speed_dial.get(dialled) ?? null;
}
