// Where a prompt's WAV is. A prompt is a name (`welcome`, `num-7`) looked up per language, first
// under data_dir/prompts/LANG/ (the user's own recordings and overrides), then in the shipped set
// (prompts/LANG/ in this package), then the same two places for English; or a path to a WAV file,
// absolute or relative to data_dir (anything with a slash or ending in .wav).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PbxError } from '../util/errors.js';

export const PROMPT_ERRORS = {
  MISSING: 'PBX_ERR_MEDIA_PROMPT_MISSING',
  NAME: 'PBX_ERR_MEDIA_PROMPT_NAME',
} as const;

/** The prompt set shipped with the package (the same from src/ and from dist/). */
export const SHIPPED_PROMPTS_DIR = fileURLToPath(new URL('../../prompts/', import.meta.url));
export const SHIPPED_MUSIC_ON_HOLD = join(SHIPPED_PROMPTS_DIR, 'music-on-hold.wav');
export const DEFAULT_LANGUAGE = 'en';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const LANGUAGE = /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$/;

/** true when `name` is a path to a WAV rather than a prompt name. */
export function isPromptPath(name: string): boolean {
  return name.includes('/') || name.includes('\\') || name.toLowerCase().endsWith('.wav');
}

/** A language code as a directory name: `en`, `ru`, `pt-BR`; anything else throws. */
export function checkLanguage(language: string): void {
  if (!LANGUAGE.test(language)) throw new PbxError(PROMPT_ERRORS.NAME, `bad prompt language "${language}"; expected a code such as en, ru, th or pt-BR`);
}

/** The places `name` may be, in the order they are tried. */
export function promptCandidates(name: string, language: string, dataDir: string): string[] {
  if (isPromptPath(name)) return [isAbsolute(name) ? name : resolve(dataDir, name)];
  if (!NAME.test(name) || name.includes('..')) {
    throw new PbxError(PROMPT_ERRORS.NAME, `bad prompt name "${name}"; a name uses letters, digits, "-", "_" and "." (or give a path to a .wav file)`);
  }
  checkLanguage(language);
  const file = `${name}.wav`;
  const languages = language === DEFAULT_LANGUAGE ? [language] : [language, DEFAULT_LANGUAGE];
  return languages.flatMap((lang) => [join(dataDir, 'prompts', lang, file), join(SHIPPED_PROMPTS_DIR, lang, file)]);
}

/** The WAV to play for `name` in `language`, or null when there is none. */
export function findPrompt(name: string, language: string, dataDir: string): string | null {
  return promptCandidates(name, language, dataDir).find(isFile) ?? null;
}

/** The WAV to play for `name` in `language`; a PbxError saying where it looked when there is none. */
export function promptPath(name: string, language: string, dataDir: string): string {
  const candidates = promptCandidates(name, language, dataDir);
  const found = candidates.find(isFile);
  if (found !== undefined) return found;
  const what = isPromptPath(name) ? `prompt file ${candidates[0]} does not exist` : `no prompt "${name}" for language "${language}" (looked in ${candidates.join(', ')})`;
  throw new PbxError(PROMPT_ERRORS.MISSING, what);
}

/** Languages that have prompts: the shipped ones and every directory under data_dir/prompts. */
export function promptLanguages(dataDir: string): string[] {
  const found = new Set([...subdirectories(SHIPPED_PROMPTS_DIR), ...subdirectories(join(dataDir, 'prompts'))]);
  found.delete('text');
  return [...found].filter((l) => LANGUAGE.test(l)).sort();
}

/** Prompt names there are in `language` (data_dir's and the shipped ones), sorted; no English fallback. */
export function listPrompts(language: string, dataDir: string): string[] {
  checkLanguage(language);
  const files = [...wavFiles(join(SHIPPED_PROMPTS_DIR, language)), ...wavFiles(join(dataDir, 'prompts', language))];
  const names = new Set(files.filter((f) => f.endsWith('.wav')).map((f) => f.slice(0, -4)));
  return [...names].sort();
}

/**
 * The WAV files music on hold plays in turn: the shipped file for null, the file itself, or the
 * .wav files of a directory in name order (relative paths from data_dir).
 */
export function musicOnHoldFiles(setting: string | null, dataDir: string): string[] {
  if (setting === null) return [SHIPPED_MUSIC_ON_HOLD];
  const path = isAbsolute(setting) ? setting : resolve(dataDir, setting);
  if (isDirectory(path)) return wavFiles(path).sort().map((f) => join(path, f));
  if (isFile(path)) return [path];
  throw new PbxError(PROMPT_ERRORS.MISSING, `music on hold ${path} is neither a WAV file nor a directory`);
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

function subdirectories(dir: string): string[] {
  if (!isDirectory(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
}

/** File names of the WAV files (.wav in any case) in `dir`. */
function wavFiles(dir: string): string[] {
  if (!isDirectory(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.wav'))
    .map((e) => e.name);
}
