// An IVR menu (config `ivr:`): the PBX answers, plays the menu's prompt in the menu's language and
// collects a key (a key pressed during the prompt stops it: barge-in). A key with an option goes
// to its destination (an extension, another menu `ivr:other`, `hangup`, ...). With direct_dial
// (default on) the caller may also dial an extension number; digits that can still grow into an
// extension wait INTER_DIGIT_MS for the next one ("#" ends them at once). No key within `timeout`
// seconds plays the menu again; an unknown key plays "invalid-option" and the menu again; after
// `retries` repeats the caller goes to `default` (or hears "goodbye" when there is none). A
// destination that cannot take the call (busy, no answer) plays "not-available" and the menu again.
import type { IvrConfig } from '../config/types.js';
import type { Destination } from '../config/types.js';
import type { Channel } from './channel.js';
import type { GotoResult } from './goto.js';
import { MenuMatcher } from './ivr-menu.js';

/** How long a caller has between the digits of an extension dialled from a menu. */
export const INTER_DIGIT_MS = 2000;

type Goto = (ch: Channel, dest: Destination) => Promise<GotoResult>;

export async function runIvr(ch: Channel, menu: IvrConfig, goto: Goto): Promise<GotoResult> {
  ch.addPath(`ivr:${menu.name}`);
  await ch.answer();
  const config = ch.routing.config;
  const language = menu.language ?? config.media.language;
  const matcher = new MenuMatcher(menu.options, config.extensions.keys(), menu.direct_dial);
  const log = ch.log.child({ ivr: menu.name });
  let notice: string | null = null;
  for (let round = 0; round <= menu.retries; round++) {
    const items = notice === null ? [{ prompt: menu.prompt }] : [{ prompt: notice }, { prompt: menu.prompt }];
    notice = null;
    await ch.play(items, { bargeIn: true, language });
    const got = await ch.collect({
      max: matcher.maxDigits,
      timeoutMs: menu.timeout * 1000,
      interDigitMs: INTER_DIGIT_MS,
      terminators: menu.direct_dial ? '#' : '',
      complete: (digits) => matcher.complete(digits),
    });
    const choice = matcher.choose(got.digits);
    // The digits themselves are not logged: a caller may type anything.
    log.info({ choice: choice.kind, round }, 'menu input');
    if (choice.kind === 'timeout') continue;
    if (choice.kind === 'invalid') {
      notice = 'invalid-option';
      continue;
    }
    const dest = choice.kind === 'extension' ? ({ kind: 'extension', ext: choice.ext } as const) : ch.destinationOf(choice.destination);
    if (dest === null) {
      log.warn({ key: choice.kind === 'option' ? choice.key : null }, 'menu option points nowhere');
      notice = 'invalid-option';
      continue;
    }
    if ((await goto(ch, dest)) === 'done') return 'done';
    notice = 'not-available';
  }
  const fallback = menu.default === null ? null : ch.destinationOf(menu.default);
  if (fallback !== null) {
    log.info({}, 'menu retries used up; going to its default');
    if (notice !== null) await ch.play([{ prompt: notice }], { language });
    if ((await goto(ch, fallback)) === 'done') return 'done';
  }
  log.info({}, 'menu ends; hanging up');
  await ch.play([{ prompt: 'goodbye' }], { language });
  await ch.hangup('ivr-no-choice');
  return 'done';
}
