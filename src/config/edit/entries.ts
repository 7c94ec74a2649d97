// Entries of the config's collections, added, replaced, changed and removed as units: extensions
// by number, groups, queues and IVR menus by name, dialplan numbers, inbound routes by DID, and
// outbound routes (a list) by their `name` (route1, route2... for a route without one, as the
// loader names them).
import { PbxError } from '../../util/errors.js';
import type { PathKey } from '../positions.js';
import { pathText } from './path.js';
import type { YamlText } from './yaml-text.js';

export const ENTRY_SECTIONS = ['extensions', 'groups', 'queues', 'ivr', 'dialplan', 'inbound', 'outbound'] as const;
export type EntrySection = (typeof ENTRY_SECTIONS)[number];

/** How messages name an entry of each section. */
const NOUN: Readonly<Record<EntrySection, string>> = {
  extensions: 'extension',
  groups: 'group',
  queues: 'queue',
  ivr: 'IVR menu',
  dialplan: 'dialplan number',
  inbound: 'inbound route',
  outbound: 'outbound route',
};

/** `extension`, `group`, `outbound route`. */
export function entryNoun(section: EntrySection): string {
  return NOUN[section];
}

/** `extension 1004`, `group sales`. */
export function entryName(section: EntrySection, key: string): string {
  return `${NOUN[section]} ${key}`;
}

/** The path of an entry, null when there is none. */
export function entryPath(doc: YamlText, section: EntrySection, key: string): PathKey[] | null {
  if (section !== 'outbound') return doc.has([section, key]) ? [section, key] : null;
  const routes = doc.get(['outbound']);
  if (!Array.isArray(routes)) return null;
  const index = routes.findIndex((r: unknown, i) => routeName(r, i) === key);
  return index < 0 ? null : ['outbound', index];
}

function routeName(route: unknown, index: number): string {
  const name = (route as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : `route${index + 1}`;
}

/** The entry's value as the file holds it; undefined when there is none. */
export function getEntry(doc: YamlText, section: EntrySection, key: string): unknown {
  const path = entryPath(doc, section, key);
  return path === null ? undefined : doc.get(path);
}

/** The keys of a section's entries, in file order. */
export function entryKeys(doc: YamlText, section: EntrySection): string[] {
  const value = doc.get([section]);
  if (section === 'outbound') return Array.isArray(value) ? value.map(routeName) : [];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : [];
}

/** Adds an entry; PBX_ERR_CONFIG_EDIT_EXISTS when there is one with that key. */
export function addEntry(doc: YamlText, section: EntrySection, key: string, value: unknown): void {
  if (entryPath(doc, section, key) !== null) {
    throw new PbxError('PBX_ERR_CONFIG_EDIT_EXISTS', `${entryName(section, key)} already exists`);
  }
  putEntry(doc, section, key, value);
}

/** Adds the entry or replaces the one with that key as a whole. */
export function putEntry(doc: YamlText, section: EntrySection, key: string, value: unknown): 'created' | 'replaced' {
  const path = entryPath(doc, section, key);
  const entry = section === 'outbound' ? withName(value, key) : value;
  if (path !== null) {
    doc.set(path, entry);
    return 'replaced';
  }
  if (section === 'outbound') {
    const routes = doc.get(['outbound']);
    doc.set(['outbound', Array.isArray(routes) ? routes.length : 0], entry);
  } else doc.set([section, key], entry);
  return 'created';
}

/** One key inside an entry: set to `value`, or removed when `value` is undefined. */
export interface EntryChange {
  path: PathKey[];
  value?: unknown;
}

/** Changes keys inside an existing entry; PBX_ERR_CONFIG_EDIT_MISSING when there is none. */
export function changeEntry(doc: YamlText, section: EntrySection, key: string, changes: readonly EntryChange[]): void {
  const path = entryPath(doc, section, key);
  if (path === null) throw missing(section, key);
  for (const change of changes) {
    if (change.path.length === 0) throw new PbxError('PBX_ERR_CONFIG_EDIT_PATH', `name a key inside ${entryName(section, key)}`);
    if (section === 'outbound' && change.path[0] === 'name') {
      throw new PbxError('PBX_ERR_CONFIG_EDIT_PATH', `the name of ${entryName(section, key)} is its key; remove it and add it under the new name`);
    }
    const full = [...path, ...change.path];
    if (change.value === undefined) {
      if (doc.has(full)) doc.delete(full);
    } else doc.set(full, change.value);
  }
}

/** Removes an entry; PBX_ERR_CONFIG_EDIT_MISSING when there is none. */
export function removeEntry(doc: YamlText, section: EntrySection, key: string): void {
  const path = entryPath(doc, section, key);
  if (path === null) throw missing(section, key);
  doc.delete(path);
}

function missing(section: EntrySection, key: string): PbxError {
  return new PbxError('PBX_ERR_CONFIG_EDIT_MISSING', `there is no ${entryName(section, key)} (${pathText([section, key])})`);
}

/** An outbound route carries its name first. */
function withName(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const { name: _ignored, ...rest } = value as Record<string, unknown>;
  return { name, ...rest };
}
