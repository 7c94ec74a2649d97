// A mailbox's own recordings (unavailable, busy, name) live next to its messages, in
// data_dir/voicemail/MAILBOX/greetings/KIND.wav, and what a caller hears when there is none.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sayDigits } from '../media/say-number.js';
import type { VoicemailStore } from '../store/voicemail-store.js';
import type { PlayItem } from './channel.js';
import type { Greeting } from './voicemail-menu.js';

export function greetingPath(store: VoicemailStore, mailbox: string, kind: Greeting): string {
  return join(store.mailboxDir(mailbox), 'greetings', `${kind}.wav`);
}

/** The mailbox's own recording of `kind`, or null when it recorded none. */
export async function ownGreeting(store: VoicemailStore, mailbox: string, kind: Greeting): Promise<string | null> {
  const path = greetingPath(store, mailbox, kind);
  try {
    return (await stat(path)).isFile() ? path : null;
  } catch {
    return null;
  }
}

/**
 * What a caller hears before the beep (Asterisk's order): the mailbox's own unavailable or busy
 * greeting; else its recorded name, or "the person at extension 1 0 0 2", followed by "is not
 * available" or "is on the phone".
 */
export async function greetingItems(store: VoicemailStore, mailbox: string, kind: 'unavailable' | 'busy'): Promise<PlayItem[]> {
  const own = await ownGreeting(store, mailbox, kind);
  if (own !== null) return [{ file: own }];
  const name = await ownGreeting(store, mailbox, 'name');
  const who: PlayItem[] = name !== null ? [{ file: name }] : [{ prompt: 'vm-person-at-extension' }, ...sayDigits(mailbox).map((prompt) => ({ prompt }))];
  return [...who, { prompt: kind === 'busy' ? 'vm-is-busy' : 'vm-is-unavailable' }];
}
