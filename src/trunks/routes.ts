// Outbound routes compiled once per config: which route a dialled outside number takes, the
// number sent to the provider (strip, prepend), and whether an extension may dial that class.
import type { Config, Destination, ExtensionOutbound, OutboundClass, OutboundRoute, TrunkConfig } from '../config/types.js';
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
