// Outbound routes compiled once per config: which route a dialled outside number takes, the
// number sent to the provider (strip, prepend), and whether an extension may dial that class.
import type { Config, Destination, ExtensionConfig, ExtensionOutbound, GroupConfig, OutboundClass, OutboundRoute, TrunkConfig } from '../config/types.js';
import { compilePattern, rewriteNumber, type DialPattern } from './pattern.js';

interface Compiled {
  route: OutboundRoute;
  pattern: DialPattern;
}

/** The routes of each config (loaded configs are never changed, a reload makes a new one). */
const compiled = new WeakMap<Config, Compiled[]>();

function routesOf(config: Config): Compiled[] {
  let list = compiled.get(config);
  if (list === undefined) {
    list = [];
    for (const route of config.outbound) {
      const pattern = compilePattern(route.pattern);
      // loadConfig refuses bad patterns; an unchecked config just loses the route
      if (typeof pattern !== 'string') list.push({ route, pattern });
    }
    compiled.set(config, list);
  }
  return list;
}

/** The first outbound route whose pattern matches the whole number, or null. */
export function findRoute(config: Config, number: string): OutboundRoute | null {
  for (const c of routesOf(config)) if (c.pattern.test(number)) return c.route;
  return null;
}

/** The number as the route sends it to its trunks. */
export function trunkNumber(route: OutboundRoute, dialled: string): string {
  return rewriteNumber(dialled, route.strip, route.prepend);
}

/** Emergency numbers are always allowed; any other class only when the extension lists it. */
export function mayDial(outbound: ExtensionOutbound, cls: OutboundClass): boolean {
  return cls === 'emergency' || outbound.allow.includes(cls);
}

/** The first trunk a call to `dest` goes out on (its codecs and DTMF method), null when it is no outside call. */
export function firstTrunk(config: Config, dest: Destination | null): TrunkConfig | null {
  if (dest?.kind !== 'outbound') return null;
  const route = findRoute(config, dest.number);
  return route === null ? null : (config.trunks.get(route.trunks[0] ?? '') ?? null);
}

/**
 * The group whose caller ID an extension presents on calls out when it sets none itself: the one
 * its outbound.caller_id_group names, else the first group in the config that lists it as a member
 * and has a caller_id; null when none does.
 */
export function callerIdGroup(config: Config, ext: ExtensionConfig): GroupConfig | null {
  const named = ext.outbound.caller_id_group;
  if (named !== null) return config.groups.get(named) ?? null;
  for (const group of config.groups.values()) if (group.caller_id !== null && group.members.includes(ext.number)) return group;
  return null;
}
