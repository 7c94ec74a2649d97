// The menus of the mailbox owner (voicemail-main, *97), as Asterisk's VoiceMailMain has them, and
// what the PBX says in them. Pure logic: the app (voicemail-main.ts) plays and collects.
//
//   main menu:       1 listen, 0 mailbox options, * help, # exit
//   a message:       5 repeat, 4 previous, 6 next, # skip (next), 7 delete, 9 save, * help, 0 back
//   mailbox options: 1 record the unavailable greeting, 2 the busy greeting, 3 the name, * help, # back
import type { MailboxCounts } from '../store/voicemail-store.js';
import { sayCount } from '../media/say-number.js';

export type Greeting = 'unavailable' | 'busy' | 'name';

export type MainChoice = 'listen' | 'options' | 'help' | 'exit' | 'invalid';

export function mainChoice(key: string): MainChoice {
  switch (key) {
    case '1':
      return 'listen';
    case '0':
      return 'options';
    case '*':
      return 'help';
    case '#':
      return 'exit';
    default:
      return 'invalid';
  }
}

export type OptionsChoice = Greeting | 'help' | 'back' | 'invalid';

export function optionsChoice(key: string): OptionsChoice {
  switch (key) {
    case '1':
      return 'unavailable';
    case '2':
      return 'busy';
    case '3':
      return 'name';
    case '*':
      return 'help';
    case '#':
      return 'back';
    default:
      return 'invalid';
  }
}

/** What a key pressed at a message asks the app to do. */
export type MessageAction =
  | { kind: 'play'; index: number }
  | { kind: 'delete'; index: number }
  | { kind: 'save'; index: number }
  | { kind: 'help' }
  | { kind: 'invalid' }
  /** No message that way: "no more messages", then the cursor stays where it was. */
  | { kind: 'no-more' }
  /** Back to the main menu. */
  | { kind: 'back' };

/**
 * A walk through a mailbox's messages (new first, then old and saved, oldest first in each).
 * press() turns a key into an action; the app carries it out and reports deletions with removed().
 */
export class MessageCursor {
  readonly #ids: string[];
  #index = 0;

  constructor(ids: readonly string[]) {
    this.#ids = [...ids];
  }

  get index(): number {
    return this.#index;
  }

  get size(): number {
    return this.#ids.length;
  }

  /** The message under the cursor, or null when the list is empty. */
  get current(): string | null {
    return this.#ids[this.#index] ?? null;
  }

  press(key: string): MessageAction {
    if (this.#ids.length === 0) return key === '*' ? { kind: 'help' } : { kind: 'back' };
    switch (key) {
      case '5':
        return { kind: 'play', index: this.#index };
      case '4':
        return this.#move(-1);
      case '6':
      case '#':
        return this.#move(1);
      case '7':
        return { kind: 'delete', index: this.#index };
      case '9':
        return { kind: 'save', index: this.#index };
      case '*':
        return { kind: 'help' };
      case '0':
        return { kind: 'back' };
      default:
        return { kind: 'invalid' };
    }
  }

  /**
   * The message under the cursor was deleted or saved away: the next one plays (Asterisk moves on
   * after 7 and 9); 'no-more' after the last.
   */
  done(deleted: boolean): MessageAction {
    if (deleted) {
      this.#ids.splice(this.#index, 1);
      if (this.#index < this.#ids.length) return { kind: 'play', index: this.#index };
      this.#index = Math.max(0, this.#ids.length - 1);
      return { kind: 'no-more' };
    }
    return this.#move(1);
  }

  #move(step: 1 | -1): MessageAction {
    const next = this.#index + step;
    if (next < 0 || next >= this.#ids.length) return { kind: 'no-more' };
    this.#index = next;
    return { kind: 'play', index: next };
  }
}

/** "You have 2 new messages and 1 old message" (or "You have no messages") as prompt names. */
export function summaryPrompts(counts: Pick<MailboxCounts, 'new' | 'old'>, language: string): string[] {
  if (counts.new === 0 && counts.old === 0) return ['no-messages'];
  const parts: string[][] = [];
  if (counts.new > 0) parts.push(sayCount(counts.new, 'new-messages', language));
  if (counts.old > 0) parts.push(sayCount(counts.old, 'old-messages', language));
  return ['you-have', ...parts.flatMap((p, i) => (i === 0 ? p : ['and', ...p]))];
}

/** Help of each menu: "To listen to your messages, press 1. ..." */
export const MAIN_HELP: readonly string[] = ['listen-messages', 'press-1', 'mailbox-options', 'press-0', 'for-help', 'press-star', 'to-exit', 'press-hash'];
export const MESSAGE_HELP: readonly string[] = [
  'repeat-message',
  'press-5',
  'previous-message',
  'press-4',
  'next-message',
  'press-6',
  'delete-message',
  'press-7',
  'save-message',
  'press-9',
  'return-main-menu',
  'press-0',
];
export const OPTIONS_HELP: readonly string[] = [
  'record-unavailable-greeting',
  'press-1',
  'record-busy-greeting',
  'press-2',
  'record-name',
  'press-3',
  'return-main-menu',
  'press-hash',
];

/** The PIN check: the same time whatever the digits, and a mailbox without a PIN never opens. */
export function pinMatches(entered: string, pin: string | null): boolean {
  if (pin === null) return false;
  let diff = entered.length ^ pin.length;
  for (let i = 0; i < entered.length; i++) diff |= entered.charCodeAt(i) ^ pin.charCodeAt(i % pin.length);
  return diff === 0;
}
