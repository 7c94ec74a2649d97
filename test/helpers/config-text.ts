// Config parsed from YAML text in tests: the errors as `pbx check` prints them, or the config.
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';

/** The FILE:LINE:COL errors of `text` read as `file`; [] when it is valid. */
export function configErrors(text: string, file = 'pbx.yaml'): string[] {
  const r = parseConfigText(text, file);
  return r.ok ? [] : r.errors;
}

/** The config of `text` read as `file`; throws with the errors when it is invalid. */
export function configOf(text: string, file = '/etc/pbx/pbx.yaml'): Config {
  const r = parseConfigText(text, file);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}
