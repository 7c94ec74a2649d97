// Leaving a message (destination voicemail:EXT), as Asterisk's VoiceMail() does it: the PBX
// answers, plays the mailbox's unavailable (or busy) greeting and "leave a message after the
// tone", beeps, and records the caller until '#', hang-up, voicemail.max_silence seconds of
// silence (cut off the message) or voicemail.max_message seconds. A
// message of at least voicemail.min_message seconds is kept: the VoicemailStore writes the file,
// then its row, and only then tells the phones (MWI). During the greeting '#' skips to the beep
// and '*' goes to the mailbox login (the owner calling in from outside).
import { randomUUID } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { trimWavEnd } from '../media/recording/repair.js';
import type { Channel } from './channel.js';
import type { GotoResult } from './goto.js';
import { greetingItems } from './voicemail-greetings.js';
import { runVoicemailMain } from './voicemail-main.js';

export interface LeaveMessage {
  ext: string;
  greeting?: 'unavailable' | 'busy';
}

export async function runVoicemail(ch: Channel, dest: LeaveMessage): Promise<GotoResult> {
  const store = ch.services.voicemail;
  const where = `voicemail:${dest.ext}`;
  if (store === null || !ch.routing.config.extensions.has(dest.ext)) {
    ch.unavailable(where);
    return ch.gone ? 'done' : 'failed';
  }
  ch.addPath(where);
  await ch.answer();
  const config = ch.routing.config;
  const language = config.extensions.get(dest.ext)?.language ?? config.media.language;
  const log = ch.log.child({ mailbox: dest.ext });
  const greeting = await greetingItems(store, dest.ext, dest.greeting ?? 'unavailable');
  if ((await ch.play([...greeting, { prompt: 'leave-message-after-tone' }], { bargeIn: true, language })) === 'digit') {
    const key = (await ch.collect({ max: 1, timeoutMs: 0, interDigitMs: 0 })).digits;
    if (key === '*') {
      log.info({}, 'caller pressed * during the greeting: mailbox login');
      return await runVoicemailMain(ch, dest.ext);
    }
  }
  await ch.play([{ tone: 'beep' }]);
  const part = join(store.mailboxDir(dest.ext), `incoming-${randomUUID()}.wav.part`);
  ch.call.markVoicemail();
  log.info({}, 'recording a voicemail message');
  const silenceMs = config.voicemail.max_silence * 1000;
  const recorded = await ch.record(part, { maxMs: config.voicemail.max_message * 1000, terminators: '#', silenceMs });
  // The silence that ended the message is cut off it (Asterisk does the same).
  const ms = recorded.end === 'silence' ? await trimWavEnd(part, silenceMs) : recorded.ms;
  const durationS = Math.round(ms / 100) / 10;
  if (ms < config.voicemail.min_message * 1000) {
    log.info({ duration_s: durationS, end: recorded.end }, 'voicemail too short; not kept');
    await unlink(part).catch(() => undefined);
  } else {
    const caller = ch.call.parties.from;
    await store.add(dest.ext, part, {
      caller,
      callerName: config.extensions.get(caller)?.name ?? null,
      durationS,
      callId: ch.call.a.callId,
    });
  }
  if (!ch.gone) {
    await ch.play([{ prompt: 'goodbye' }], { language });
    await ch.hangup('voicemail-left');
  }
  return 'done';
}
