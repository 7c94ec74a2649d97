// The dialplan compiled once per (re)load into one lookup table: dialled number -> Destination.
// Chains of dialplan numbers are followed here, so a lookup is a single Map.get. A number that is
// neither an extension nor in the dialplan may be a feature code (feature-numbers.ts), or an
// outside number that an outbound route matches (src/trunks/routes.ts).
import { parseDestination } from './destination.js';
import { featureMatcher } from './feature-numbers.js';
import { findRoute } from '../trunks/routes.js';
import type { Config, Destination, Routing } from './types.js';

/** Compiles a Config that loadConfig accepted (destinations valid, no loops). */
export function compileRouting(config: Config): Routing {
  const table = new Map<string, Destination>();
  for (const ext of config.extensions.keys()) table.set(ext, { kind: 'extension', ext });
  for (const number of config.dialplan.keys()) {
    if (table.has(number)) continue;
    const d = resolveDestination(config, config.dialplan.get(number)!);
    if (d !== null) table.set(number, d);
  }
  const parking = config.parking;
  if (parking !== null) {
    if (!table.has(parking.number)) table.set(parking.number, { kind: 'park' });
    for (const slot of parking.slots) if (!table.has(slot)) table.set(slot, { kind: 'parked', slot });
  }
  const feature = featureMatcher(config.features);
  return {
    config,
    resolve: (number) => {
      const planned = table.get(number);
      if (planned !== undefined) return planned;
      const f = feature(number);
      if (f !== null) return { kind: 'feature', name: f.name, arg: f.arg };
      return findRoute(config, number) === null ? null : { kind: 'outbound', number };
    },
  };
}

/**
 * A destination string to its target, following dialplan numbers to the end; null when it points
 * nowhere or loops (loadConfig refuses such configs, so this happens only for unchecked input).
 */
export function resolveDestination(config: Config, text: string): Destination | null {
  const seen = new Set<string>();
  let current = text;
  for (;;) {
    const d = parseDestination(current);
    if (typeof d === 'string') return null;
    if (d.kind !== 'number') return d;
    if (config.extensions.has(d.number)) return { kind: 'extension', ext: d.number };
    const next = config.dialplan.get(d.number);
    if (next === undefined || seen.has(d.number)) return null;
    seen.add(d.number);
    current = next;
  }
}
