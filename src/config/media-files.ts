// Checks of the config against the files it names, done at check/reload time so that a missing
// prompt is a positioned config error rather than silence in a call: prompt languages exist
// (shipped or under data_dir/prompts), every IVR prompt is a readable WAV, and music on hold
// is a WAV file or a directory of them. Works on the raw YAML data, like references.ts.
import { dirname, resolve } from 'node:path';
import { DEFAULT_LANGUAGE, findPrompt, isPromptPath, listPrompts, musicOnHoldFiles, promptLanguages } from '../media/prompts.js';
import { readWav } from '../media/wav.js';
import { PbxError } from '../util/errors.js';
import type { PathKey } from './positions.js';
import type { Problem } from './references.js';
import { didYouMean } from './suggest.js';

type Raw = Record<string, unknown>;

const LANGUAGE = /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$/;

function mapping(x: unknown): Raw {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Raw) : {};
}

function textOf(x: unknown): string | null {
  if (typeof x === 'string' && x !== '') return x;
  if (typeof x === 'number') return String(x);
  return null;
}

export function checkMediaFiles(input: unknown, configFile: string): Problem[] {
  const raw = mapping(input);
  const problems: Problem[] = [];
  const dataDir = resolve(dirname(resolve(configFile)), textOf(raw.data_dir) ?? './data');
  const languages = promptLanguages(dataDir);
  const media = mapping(raw.media);

  /** A well-formed language code with no prompts is a problem; a malformed one the schema reports. */
  const knownLanguage = (path: PathKey[], value: unknown): string | null => {
    if (typeof value !== 'string' || !LANGUAGE.test(value)) return null;
    if (languages.includes(value)) return value;
    problems.push({
      path,
      part: 'value',
      // two-letter codes are all within two edits of each other: suggest only for longer ones
      message: `no prompts for language "${value}"${value.length > 2 ? didYouMean(value, languages) : ''}; languages with prompts: ${languages.join(', ')}, or add a directory ${resolve(dataDir, 'prompts', value)}`,
    });
    return null;
  };

  const defaultLanguage = knownLanguage(['media', 'language'], media.language) ?? DEFAULT_LANGUAGE;
  for (const [number, entry] of Object.entries(mapping(raw.extensions))) knownLanguage(['extensions', number, 'language'], mapping(entry).language);

  for (const [name, entry] of Object.entries(mapping(raw.conferences))) knownLanguage(['conferences', name, 'language'], mapping(entry).language);

  for (const [name, entry] of Object.entries(mapping(raw.ivr))) {
    const ivr = mapping(entry);
    const language = ivr.language == null ? defaultLanguage : knownLanguage(['ivr', name, 'language'], ivr.language);
    const prompt = textOf(ivr.prompt);
    if (language === null || prompt === null) continue;
    const message = promptProblem(prompt, language, dataDir);
    if (message !== null) problems.push({ path: ['ivr', name, 'prompt'], part: 'value', message });
  }

  const musicAt = (path: PathKey[], value: unknown): void => {
    const moh = textOf(value);
    if (moh === null) return;
    const message = musicProblem(moh, dataDir);
    if (message !== null) problems.push({ path, part: 'value', message });
  };
  musicAt(['media', 'music_on_hold'], media.music_on_hold);
  for (const [name, entry] of Object.entries(mapping(raw.queues))) musicAt(['queues', name, 'music_on_hold'], mapping(entry).music_on_hold);
  return problems;
}

function promptProblem(prompt: string, language: string, dataDir: string): string | null {
  let path: string | null;
  try {
    path = findPrompt(prompt, language, dataDir);
  } catch (err) {
    if (err instanceof PbxError) return err.message;
    throw err;
  }
  if (path === null) {
    if (isPromptPath(prompt)) return `prompt file ${resolve(dataDir, prompt)} does not exist`;
    const names = new Set([...listPrompts(language, dataDir), ...listPrompts(DEFAULT_LANGUAGE, dataDir)]);
    return `no prompt "${prompt}" for language "${language}"${didYouMean(prompt, names)}; add ${resolve(dataDir, 'prompts', language, `${prompt}.wav`)} or give a path to a WAV`;
  }
  return wavProblem(path);
}

function musicProblem(setting: string, dataDir: string): string | null {
  let files: string[];
  try {
    files = musicOnHoldFiles(setting, dataDir);
  } catch (err) {
    if (err instanceof PbxError) return err.message;
    throw err;
  }
  if (files.length === 0) return `music on hold directory ${resolve(dataDir, setting)} has no .wav files`;
  for (const file of files) {
    const problem = wavProblem(file);
    if (problem !== null) return problem;
  }
  return null;
}

function wavProblem(path: string): string | null {
  try {
    readWav(path);
    return null;
  } catch (err) {
    if (err instanceof PbxError) return err.message;
    throw err;
  }
}
