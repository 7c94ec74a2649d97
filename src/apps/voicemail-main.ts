// The mailbox owner's side (destination voicemail-main, *97 and *98), as Asterisk's VoiceMailMain:
// log in (the mailbox number unless it is known, then the PIN, three tries), hear how many new
// and old messages wait, then the menus of voicemail-menu.ts: listen (a message heard moves from
// new to old, so the lamp follows), save, delete, and record the greetings.
import { rename, unlink } from 'node:fs/promises';
import { sayNumber } from '../media/say-number.js';
import type { VoicemailStore } from '../store/voicemail-store.js';
import type { Channel, PlayItem } from './channel.js';
import type { GotoResult } from './goto.js';
import { greetingPath } from './voicemail-greetings.js';
import {
  MAIN_HELP,
  MESSAGE_HELP,
  MessageCursor,
  OPTIONS_HELP,
  mainChoice,
  optionsChoice,
  pinMatches,
  summaryPrompts,
  type Greeting,
  type MessageAction,
} from './voicemail-menu.js';

/** Login attempts before the PBX says goodbye (Asterisk's maxlogins). */
const MAX_LOGINS = 3;
/** Times a menu is offered again without a key before it gives up. */
const MAX_IDLE = 3;
const KEY_TIMEOUT_MS = 5000;
const DIGITS_TIMEOUT_MS = 5000;
const INTER_DIGIT_MS = 3000;
/** A greeting shorter than this is not kept (a key pressed too early). */
const MIN_GREETING_MS = 1000;

interface Session {
  ch: Channel;
  store: VoicemailStore;
  mailbox: string;
  language: string;
}

/** The calling extension's mailbox when it has a PIN (*97); null: the caller is asked for one. */
export function ownMailbox(ch: Channel): string | null {
  const from = ch.call.parties.from;
  return ch.routing.config.extensions.get(from)?.voicemail != null ? from : null;
}

/**
 * Runs the mailbox menus for `mailbox`, or for the mailbox number the caller enters when it is
 * null (*98, or a caller that is no extension with a PIN).
 */
export async function runVoicemailMain(ch: Channel, mailbox: string | null): Promise<GotoResult> {
  const store = ch.services.voicemail;
  if (store === null) {
    ch.unavailable('voicemail-main');
    return ch.gone ? 'done' : 'failed';
  }
  ch.addPath('voicemail-main');
  await ch.answer();
  const config = ch.routing.config;
  const box = await login(ch, mailbox, config.media.language);
  if (box !== null) {
    const language = config.extensions.get(box)?.language ?? config.media.language;
    ch.log.info({ mailbox: box }, 'voicemail login');
    await mainMenu({ ch, store, mailbox: box, language });
  }
  await ch.play([{ prompt: 'goodbye' }], { language: config.media.language });
  await ch.hangup(box === null ? 'voicemail-login-failed' : 'voicemail-done');
  return 'done';
}

/** The mailbox the caller proved it owns, or null after MAX_LOGINS wrong tries. */
async function login(ch: Channel, fixed: string | null, language: string): Promise<string | null> {
  const extensions = ch.routing.config.extensions;
  for (let attempt = 0; attempt < MAX_LOGINS; attempt++) {
    let box = fixed;
    if (box === null) {
      await ch.play([{ prompt: 'please-enter-mailbox' }], { bargeIn: true, language });
      box = (await ch.collect({ max: 20, timeoutMs: DIGITS_TIMEOUT_MS, interDigitMs: INTER_DIGIT_MS, terminators: '#' })).digits;
    }
    await ch.play([{ prompt: 'please-enter-pin' }], { bargeIn: true, language });
    const pin = (await ch.collect({ max: 16, timeoutMs: DIGITS_TIMEOUT_MS, interDigitMs: INTER_DIGIT_MS, terminators: '#' })).digits;
    // Neither the digits nor whether the mailbox exists are logged or told apart (same answer).
    if (pinMatches(pin, extensions.get(box)?.voicemail?.pin ?? null)) return box;
    ch.log.info({ attempt: attempt + 1 }, 'voicemail login failed');
    await ch.play([{ prompt: 'wrong-pin' }], { bargeIn: true, language });
  }
  return null;
}

async function mainMenu(s: Session): Promise<void> {
  const { store, mailbox, language } = s;
  let notice: string[] = summaryPrompts(store.counts(mailbox), language);
  for (;;) {
    const key = await menuKey(s, notice, MAIN_HELP);
    if (key === null) return;
    notice = [];
    switch (mainChoice(key)) {
      case 'listen':
        await listen(s);
        notice = summaryPrompts(store.counts(mailbox), language);
        break;
      case 'options':
        await mailboxOptions(s);
        break;
      case 'help':
        break;
      case 'exit':
        return;
      case 'invalid':
        notice = ['invalid-option'];
        break;
    }
  }
}

/** New messages first, then the old and saved ones; each oldest first. */
function messageOrder(store: VoicemailStore, mailbox: string): string[] {
  const all = store.list(mailbox);
  return [...all.filter((m) => m.folder === 'new'), ...all.filter((m) => m.folder !== 'new')].map((m) => m.id);
}

async function listen(s: Session): Promise<void> {
  const { ch, store, language } = s;
  const cursor = new MessageCursor(messageOrder(store, s.mailbox));
  if (cursor.size === 0) {
    await ch.play([{ prompt: 'no-messages' }], { bargeIn: true, language });
    return;
  }
  let action: MessageAction = { kind: 'play', index: 0 };
  for (let idle = 0; idle < MAX_IDLE; ) {
    const id = cursor.current;
    switch (action.kind) {
      case 'play': {
        const message = id === null ? null : store.get(id);
        if (message === null) {
          // Deleted meanwhile (another call of the same mailbox): on to the next.
          action = cursor.done(true);
          continue;
        }
        const heading = prompts(['message', ...sayNumber(action.index + 1, language)]);
        await ch.play([...heading, { file: message.path }], { bargeIn: true, language });
        store.markHeard(message.id);
        break;
      }
      case 'delete':
        if (id !== null) await store.delete(id);
        ch.log.info({ mailbox: s.mailbox }, 'voicemail deleted by its owner');
        await ch.play([{ prompt: 'message-deleted' }], { bargeIn: true, language });
        action = cursor.done(true);
        if (action.kind === 'play') continue;
        break;
      case 'save':
        if (id !== null) store.move(id, 'saved');
        await ch.play([{ prompt: 'message-saved' }], { bargeIn: true, language });
        action = cursor.done(false);
        if (action.kind === 'play') continue;
        break;
      case 'help':
        await ch.play(prompts(MESSAGE_HELP), { bargeIn: true, language });
        break;
      case 'invalid':
        await ch.play([{ prompt: 'invalid-option' }], { bargeIn: true, language });
        break;
      case 'no-more':
        await ch.play([{ prompt: 'no-more-messages' }], { bargeIn: true, language });
        break;
      case 'back':
        return;
    }
    const key = await oneKey(ch);
    if (key === null) {
      idle++;
      action = { kind: 'help' };
      continue;
    }
    idle = 0;
    action = cursor.press(key);
  }
}

/**
 * A menu's turn: `notice` then `help`, bargeable, and the key pressed; the help again while no key
 * comes, MAX_IDLE times in all, then null (the caller left the menu idle).
 */
async function menuKey(s: Session, notice: readonly string[], help: readonly string[]): Promise<string | null> {
  for (let idle = 0; idle < MAX_IDLE; idle++) {
    await s.ch.play(prompts([...(idle === 0 ? notice : []), ...help]), { bargeIn: true, language: s.language });
    const key = await oneKey(s.ch);
    if (key !== null) return key;
  }
  return null;
}

async function mailboxOptions(s: Session): Promise<void> {
  let notice: string[] = [];
  for (;;) {
    const key = await menuKey(s, notice, OPTIONS_HELP);
    if (key === null) return;
    notice = [];
    const choice = optionsChoice(key);
    if (choice === 'back') return;
    if (choice === 'invalid') notice = ['invalid-option'];
    else if (choice !== 'help') await recordGreeting(s, choice);
  }
}

/** Records one of the mailbox's greetings; the old one stays until the new one is complete. */
async function recordGreeting(s: Session, kind: Greeting): Promise<void> {
  const { ch, store, mailbox, language } = s;
  const path = greetingPath(store, mailbox, kind);
  const part = `${path}.part`;
  await ch.play([{ prompt: kind === 'name' ? 'name-after-tone' : 'greeting-after-tone' }, { tone: 'beep' }], { language });
  const recorded = await ch.record(part, { maxMs: ch.routing.config.voicemail.max_message * 1000, terminators: '#' });
  if (recorded.ms < MIN_GREETING_MS) {
    await unlink(part).catch(() => undefined);
    if (!ch.gone) await ch.play([{ prompt: 'invalid-option' }], { language });
    return;
  }
  await rename(part, path);
  ch.log.info({ mailbox, greeting: kind, end: recorded.end }, 'voicemail greeting recorded');
  if (!ch.gone) await ch.play([{ prompt: 'greeting-saved' }], { language });
}

/** One key, or null when none came in time. */
async function oneKey(ch: Channel): Promise<string | null> {
  const got = await ch.collect({ max: 1, timeoutMs: KEY_TIMEOUT_MS, interDigitMs: KEY_TIMEOUT_MS });
  return got.digits === '' ? null : got.digits;
}

function prompts(names: readonly string[]): PlayItem[] {
  return names.map((prompt) => ({ prompt }));
}
