import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { findPrompt, listPrompts, musicOnHoldFiles, promptLanguages, promptPath, SHIPPED_MUSIC_ON_HOLD, SHIPPED_PROMPTS_DIR } from '../../src/media/prompts.js';
import { sayCount, sayNumber } from '../../src/media/say-number.js';
import { readWav } from '../../src/media/wav.js';
import { rms } from '../helpers/audio.js';
import { throwsPbxError } from '../helpers/pbx-error.js';
import { tempDir } from '../helpers/temp-dir.js';

const LANGUAGES = ['en', 'ru', 'th'];
/** Prompts the issue asks every shipped language to have. */
const REQUIRED = [
  'welcome', 'please-hold', 'all-agents-busy', 'your-position', 'you-are-caller-number', 'thank-you-for-calling', 'transferring', 'invalid-option', 'goodbye',
  ...['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', 'star', 'hash'].map((k) => `press-${k}`),
  'leave-message-after-tone', 'please-enter-pin', 'wrong-pin', 'you-have', 'new-messages', 'no-new-messages', 'message', 'next-message', 'delete-message',
  'message-deleted', 'mailbox-full', 'record-after-tone', 'press-hash-when-done', 'listen-messages', 'mailbox-options',
  'conf-enter-pin', 'conf-you-are-only-person', 'conf-joined', 'conf-left', 'conf-locked',
  'conf-full', 'conf-one-other', 'conf-there-are', 'conf-participants', 'conf-muted', 'conf-unmuted',
  ...Array.from({ length: 10 }, (_, i) => `num-${i}`),
];

function textNames(lang: string): string[] {
  return readFileSync(join(SHIPPED_PROMPTS_DIR, 'text', `${lang}.txt`), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t')[0]!)
    .sort();
}

t.test('the shipped set has every prompt of its text file in en, ru and th, and the required ones', async (t) => {
  const none = tempDir(t, 'prompts');
  t.same(promptLanguages(none), LANGUAGES);
  for (const lang of LANGUAGES) {
    t.same(listPrompts(lang, none), textNames(lang), `${lang}: one WAV per line of prompts/text/${lang}.txt`);
    for (const name of REQUIRED) t.ok(listPrompts(lang, none).includes(name), `${lang}/${name}`);
  }
});

t.test('every shipped prompt is a short, audible 8 kHz mono WAV and the set is under 12 MB', async (t) => {
  let bytes = statSync(SHIPPED_MUSIC_ON_HOLD).size;
  for (const lang of LANGUAGES) {
    for (const file of readdirSync(join(SHIPPED_PROMPTS_DIR, lang))) {
      const path = join(SHIPPED_PROMPTS_DIR, lang, file);
      bytes += statSync(path).size;
      const wav = readWav(path);
      if (wav.sampleRate !== 8000 || wav.channels !== 1) t.fail(`${lang}/${file}: ${wav.sampleRate} Hz, ${wav.channels} channels`);
      const seconds = wav.pcm.length / 8000;
      if (seconds < 0.1 || seconds > 10) t.fail(`${lang}/${file}: ${seconds} s`);
      if (rms(wav.pcm) < 1000) t.fail(`${lang}/${file}: too quiet (rms ${rms(wav.pcm).toFixed(0)})`);
    }
  }
  t.ok(bytes < 12 * 1024 * 1024, `${(bytes / 1048576).toFixed(1)} MB`);
  const moh = readWav(SHIPPED_MUSIC_ON_HOLD);
  t.ok(moh.pcm.length / moh.sampleRate >= 25, 'music on hold lasts at least 25 s');
});

t.test('every prompt sayNumber and sayCount name is shipped in that language', async (t) => {
  const none = tempDir(t, 'prompts');
  const samples = [0, 1, 2, 5, 11, 12, 19, 20, 21, 22, 35, 99, 100, 101, 111, 200, 999, 1000, 1001, 2000, 2022, 5000, 11000, 21000, 54321, 100000, 999999, 1000000, 2000000, 5000000, 21000001, 999999999];
  for (const lang of LANGUAGES) {
    const names = new Set(listPrompts(lang, none));
    const needed = new Set<string>();
    for (const n of samples) {
      for (const g of ['m', 'f', 'n'] as const) sayNumber(n, lang, g).forEach((p) => needed.add(p));
      for (const noun of ['messages', 'new-messages', 'old-messages'] as const) sayCount(n, noun, lang).forEach((p) => needed.add(p));
    }
    for (const p of needed) t.ok(names.has(p), `${lang}: ${p}`);
  }
});

t.test('data_dir/prompts/LANG overrides a shipped prompt; other languages fall back to English', async (t) => {
  const data = tempDir(t, 'prompts');
  t.equal(promptPath('welcome', 'ru', data), join(SHIPPED_PROMPTS_DIR, 'ru', 'welcome.wav'));
  mkdirSync(join(data, 'prompts', 'ru'), { recursive: true });
  mkdirSync(join(data, 'prompts', 'de'), { recursive: true });
  writeFileSync(join(data, 'prompts', 'ru', 'welcome.wav'), 'x');
  writeFileSync(join(data, 'prompts', 'de', 'willkommen.wav'), 'x');
  t.equal(promptPath('welcome', 'ru', data), join(data, 'prompts', 'ru', 'welcome.wav'), 'the override wins');
  t.equal(promptPath('welcome', 'en', data), join(SHIPPED_PROMPTS_DIR, 'en', 'welcome.wav'), 'other languages keep theirs');
  t.equal(promptPath('welcome', 'de', data), join(SHIPPED_PROMPTS_DIR, 'en', 'welcome.wav'), 'a language without it falls back to English');
  t.equal(promptPath('willkommen', 'de', data), join(data, 'prompts', 'de', 'willkommen.wav'));
  t.same(promptLanguages(data), ['de', 'en', 'ru', 'th'], 'a directory under data_dir/prompts is a language');
  t.same(listPrompts('de', data), ['willkommen']);
  t.equal(findPrompt('willkommen', 'en', data), null);
  throwsPbxError(t, () => promptPath('willkommen', 'en', data), 'PBX_ERR_MEDIA_PROMPT_MISSING', /no prompt "willkommen" for language "en" \(looked in .*prompts\/en\/willkommen\.wav/);
});

t.test('a prompt may be a WAV path, absolute or relative to data_dir', async (t) => {
  const data = tempDir(t, 'prompts');
  mkdirSync(join(data, 'sounds'));
  writeFileSync(join(data, 'sounds', 'menu.wav'), 'x');
  t.equal(promptPath('sounds/menu.wav', 'en', data), join(data, 'sounds', 'menu.wav'));
  t.equal(promptPath(join(data, 'sounds', 'menu.wav'), 'ru', data), join(data, 'sounds', 'menu.wav'));
  throwsPbxError(t, () => promptPath('sounds/nope.wav', 'en', data), 'PBX_ERR_MEDIA_PROMPT_MISSING', /prompt file .*sounds\/nope\.wav does not exist/);
  throwsPbxError(t, () => promptPath('sounds', 'en', data), 'PBX_ERR_MEDIA_PROMPT_MISSING', /no prompt "sounds"/);
  throwsPbxError(t, () => promptPath('-x', 'en', data), 'PBX_ERR_MEDIA_PROMPT_NAME', /bad prompt name "-x"/);
  throwsPbxError(t, () => promptPath('welcome', '../etc', data), 'PBX_ERR_MEDIA_PROMPT_NAME', /bad prompt language "\.\.\/etc"/);
});

t.test('music on hold: the shipped file, one file, or the WAVs of a directory in order', async (t) => {
  const data = tempDir(t, 'prompts');
  t.same(musicOnHoldFiles(null, data), [SHIPPED_MUSIC_ON_HOLD]);
  mkdirSync(join(data, 'moh'));
  for (const f of ['b.wav', 'a.WAV', 'notes.txt']) writeFileSync(join(data, 'moh', f), 'x');
  t.same(musicOnHoldFiles('moh', data), [join(data, 'moh', 'a.WAV'), join(data, 'moh', 'b.wav')]);
  t.same(musicOnHoldFiles(join(data, 'moh'), '/elsewhere'), [join(data, 'moh', 'a.WAV'), join(data, 'moh', 'b.wav')]);
  t.same(musicOnHoldFiles('moh/b.wav', data), [join(data, 'moh', 'b.wav')]);
  throwsPbxError(t, () => musicOnHoldFiles('nothing', data), 'PBX_ERR_MEDIA_PROMPT_MISSING', /music on hold .*nothing is neither a WAV file nor a directory/);
});

t.test('the generating script is valid shell', async (t) => {
  const out = execFileSync('sh', ['-n', join(SHIPPED_PROMPTS_DIR, '..', 'scripts', 'make-prompts.sh')]);
  t.equal(out.length, 0, 'make-prompts.sh parses');
});
