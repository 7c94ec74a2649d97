import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import { tempDir } from '../helpers/temp-dir.js';

const BASE = 'http: { token: t }\nextensions:\n  "1001": { password: a }\n';

/** A config file path in a fresh directory (its data_dir is DIR/data) and a parser for it. */
function setup(t: Test): { dir: string; file: string; parse: (text: string) => ReturnType<typeof parseConfigText> } {
  const dir = tempDir(t, 'config-media');
  const file = join(dir, 'pbx.yaml');
  return { dir, file, parse: (text) => parseConfigText(text, file) };
}

function errors(r: ReturnType<typeof parseConfigText>, file: string): string[] {
  return r.ok ? [] : r.errors.map((e) => e.replace(file, 'pbx.yaml'));
}

function wav(path: string): void {
  execFileSync('sox', ['-n', '-r', '8000', '-b', '16', path, 'synth', '0.1', 'sine', '440']);
}

t.test('media defaults: English prompts, US tones, the shipped music on hold', async (t) => {
  const { parse } = setup(t);
  const r = parse(BASE);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  t.same(r.config.media, { language: 'en', tones: 'us', music_on_hold: null });
  t.equal(r.config.extensions.get('1001')!.language, null);
});

t.test('tones name a country with a tone set; a near miss gets a suggestion', async (t) => {
  const { parse, file } = setup(t);
  const ok = parse(BASE + 'media: { tones: UK, language: ru }\n');
  t.ok(ok.ok && ok.config.media.tones === 'uk' && ok.config.media.language === 'ru');
  t.same(errors(parse(BASE + 'media:\n  tones: ux\n'), file), [
    'pbx.yaml:5:10: media.tones: no tone set for country "ux"; did you mean "us"?; known: us, uk, de, eu, fr, it, es, ru, ua, th, au, jp, cn, in',
  ]);
  t.same(errors(parse(BASE + 'media: { tone: us }\n'), file), ['pbx.yaml:4:10: media: unknown key "tone"; did you mean "tones"?']);
});

t.test('a language needs prompts, shipped or under data_dir/prompts', async (t) => {
  const { parse, file, dir } = setup(t);
  t.same(errors(parse(BASE + 'media: { language: fr }\n'), file), [
    `pbx.yaml:4:20: media.language: no prompts for language "fr"; languages with prompts: en, ru, th, or add a directory ${join(dir, 'data', 'prompts', 'fr')}`,
  ]);
  t.same(errors(parse(BASE.replace('{ password: a }', '{ password: a, language: "../x" }')), file), [
    'pbx.yaml:3:36: extensions.1001.language: bad language "../x"; expected a code such as en, ru, th or pt-BR',
  ]);
  t.same(errors(parse(BASE.replace('{ password: a }', '{ password: a, language: tha }')), file), [
    `pbx.yaml:3:36: extensions.1001.language: no prompts for language "tha"; did you mean "th"?; languages with prompts: en, ru, th, or add a directory ${join(dir, 'data', 'prompts', 'tha')}`,
  ]);
  mkdirSync(join(dir, 'data', 'prompts', 'fr'), { recursive: true });
  const r = parse(BASE + 'media: { language: fr }\nivr:\n  main: { prompt: welcome }\n');
  t.ok(r.ok, 'a directory makes the language; missing prompts fall back to English');
});

t.test('an IVR prompt that does not exist is an error at its position', async (t) => {
  const { parse, file, dir } = setup(t);
  t.same(errors(parse(BASE + 'ivr:\n  main: { prompt: welcom }\n  sales: { prompt: sounds/sales.wav, language: ru }\n'), file), [
    `pbx.yaml:5:19: ivr.main.prompt: no prompt "welcom" for language "en"; did you mean "welcome"?; add ${join(dir, 'data', 'prompts', 'en', 'welcom.wav')} or give a path to a WAV`,
    `pbx.yaml:6:20: ivr.sales.prompt: prompt file ${join(dir, 'data', 'sounds', 'sales.wav')} does not exist`,
  ]);
  mkdirSync(join(dir, 'data', 'sounds'), { recursive: true });
  wav(join(dir, 'data', 'sounds', 'sales.wav'));
  writeFileSync(join(dir, 'data', 'sounds', 'broken.wav'), 'RIFF....WAVEjunk');
  t.same(errors(parse(BASE + 'ivr:\n  sales: { prompt: sounds/sales.wav, language: ru }\n  main: { prompt: sounds/broken.wav }\n'), file), [
    `pbx.yaml:6:19: ivr.main.prompt: ${join(dir, 'data', 'sounds', 'broken.wav')}: corrupt: no fmt chunk`,
  ]);
  t.ok(parse(BASE + 'ivr:\n  main: { prompt: num-7, language: th }\n').ok, 'a shipped prompt in the IVR language');
});

t.test('music on hold is a WAV file or a directory with WAVs, relative to data_dir', async (t) => {
  const { parse, file, dir } = setup(t);
  t.same(errors(parse(BASE + 'media: { music_on_hold: moh }\n'), file), [
    `pbx.yaml:4:25: media.music_on_hold: music on hold ${join(dir, 'data', 'moh')} is neither a WAV file nor a directory`,
  ]);
  mkdirSync(join(dir, 'data', 'moh'), { recursive: true });
  t.same(errors(parse(BASE + 'media: { music_on_hold: moh }\n'), file), [`pbx.yaml:4:25: media.music_on_hold: music on hold directory ${join(dir, 'data', 'moh')} has no .wav files`]);
  wav(join(dir, 'data', 'moh', 'a.wav'));
  const r = parse(BASE + 'media: { music_on_hold: moh }\n');
  t.ok(r.ok && r.config.media.music_on_hold === join(dir, 'data', 'moh'), 'resolved against data_dir');
});
