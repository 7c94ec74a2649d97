// The feature codes that set an extension's forwards and do not disturb from its phone (FreePBX's
// *72/*73, *90/*91, *52/*53, *78/*79): the PBX answers, stores the setting (it survives a
// restart), says it is done and hangs up. A forward to a number that leads nowhere, or to the
// extension itself, is refused with "that is not a valid option".
import type { DialledFeatureName } from '../config/feature-numbers.js';
import type { ForwardKind } from '../store/extension-settings.js';
import type { Channel } from './channel.js';
import type { FeatureApp } from './features.js';
import type { GotoResult } from './goto.js';

/** Sets the caller's `kind` forward to the number dialled after the code. */
function forwardOn(kind: ForwardKind): FeatureApp {
  return (ch, arg) =>
    change(ch, 'forward-on', (ext) => {
      const dest = arg === null ? null : ch.destinationOf(arg);
      if (arg === null || dest === null || (dest.kind === 'extension' && dest.ext === ext)) {
        ch.log.info({ ext, kind, to: arg }, 'forward refused: the number leads nowhere or back to the extension');
        return false;
      }
      ch.settings!.setForward(ext, kind, arg);
      ch.log.info({ ext, kind, to: arg }, 'forward set from the phone');
      return true;
    });
}

function forwardOff(kind: ForwardKind): FeatureApp {
  return (ch) =>
    change(ch, 'forward-off', (ext) => {
      ch.settings!.setForward(ext, kind, null);
      ch.log.info({ ext, kind }, 'forward turned off from the phone');
      return true;
    });
}

function dnd(on: boolean): FeatureApp {
  return (ch) =>
    change(ch, on ? 'dnd-on' : 'dnd-off', (ext) => {
      ch.settings!.setDnd(ext, on);
      ch.log.info({ ext, dnd: on }, 'do not disturb set from the phone');
      return true;
    });
}

/** Answers, applies `apply` to the calling extension, plays `prompt` (or invalid-option when refused), hangs up. */
async function change(ch: Channel, prompt: string, apply: (ext: string) => boolean): Promise<GotoResult> {
  const ext = ch.call.parties.from;
  const cfg = ch.routing.config.extensions.get(ext);
  if (ch.settings === null || cfg === undefined) {
    ch.unavailable('phone settings');
    return ch.gone ? 'done' : 'failed';
  }
  await ch.answer();
  const ok = apply(ext);
  await ch.play([{ prompt: ok ? prompt : 'invalid-option' }], { language: cfg.language ?? ch.routing.config.media.language });
  await ch.hangup(ok ? 'setting-changed' : 'setting-refused');
  return 'done';
}

export const PHONE_SETTING_APPS: Partial<Record<DialledFeatureName, FeatureApp>> = {
  forward_always_on: forwardOn('always'),
  forward_always_off: forwardOff('always'),
  forward_busy_on: forwardOn('busy'),
  forward_busy_off: forwardOff('busy'),
  forward_no_answer_on: forwardOn('no_answer'),
  forward_no_answer_off: forwardOff('no_answer'),
  dnd_on: dnd(true),
  dnd_off: dnd(false),
};
