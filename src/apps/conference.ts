// A dial-in conference room (config `conferences:`, destination `conference:NAME`), as Asterisk's
// ConfBridge does it: the PBX answers, asks for the room's PIN when it has one ("#" ends it; three
// wrong tries hear "goodbye" and are hung up), refuses a caller when the room is full, tells the
// caller how many others are in, and puts it into the media mixer's room, where it hears every
// other member and never itself. The others hear a rising beep as it enters and a falling one as
// it leaves (unless `quiet`). `*6` mutes and unmutes the caller; a `muted` room lets callers in
// muted (listeners) but for admins, who enter with `admin_pin` and may also enter a full room.
// A caller who entered the room counts as answered in the CDR (Channel.markAnswered), as with
// ConfBridge; one who gave up at the PIN is missed. The caller leaves the room by hanging up.
import type { ConferenceConfig } from '../config/types.js';
import { pluralForm, sayNumber } from '../media/say-number.js';
import type { Log } from '../util/log.js';
import type { Channel } from './channel.js';
import type { GotoResult } from './goto.js';

/** Wrong or missing PINs before "goodbye". */
export const PIN_TRIES = 3;
/** How long the caller has for the first digit of the PIN, and between its digits. */
const PIN_FIRST_DIGIT_MS = 8000;
const PIN_INTER_DIGIT_MS = 4000;
/** A PIN is at most 16 digits (config schema): one more is a wrong PIN, not a cut-off right one. */
const PIN_MAX_DIGITS = 17;
/** The key after `*` of a feature code in the room, within this time. */
const FEATURE_KEY_MS = 3000;
/** `*6`: mute or unmute oneself. */
const MUTE_KEY = '6';

type Role = 'member' | 'admin';

interface Member {
  ch: Channel;
  /** Hearing a prompt of its own (entering, mute toggled): no beep over it. */
  busy: boolean;
}

/** The people in each room of this PBX, by room name (entering ones included: they hold a place). */
type Rooms = Map<string, Member[]>;

/** The media engine's room a conference mixes in. */
function mixerRoom(name: string): string {
  return `conference:${name}`;
}

/**
 * What a caller entering a room with `others` people in it hears: "you are the only person in this
 * conference", "there is one other participant", "there are N other participants".
 */
export function countPrompts(others: number, language: string): string[] {
  if (others === 0) return ['conf-you-are-only-person'];
  if (others === 1) return ['conf-one-other'];
  const form = pluralForm(others, language);
  const noun = form === 'one' ? 'conf-participant' : form === 'few' ? 'conf-participants-few' : 'conf-participants';
  return ['conf-there-are', ...sayNumber(others, language), noun];
}

export async function runConference(ch: Channel, room: ConferenceConfig): Promise<GotoResult> {
  ch.addPath(mixerRoom(room.name));
  await ch.answer();
  const language = room.language ?? ch.routing.config.media.language;
  const log = ch.log.child({ conference: room.name });
  const role = await admit(ch, room, language, log);
  if (role === null) {
    await ch.play([{ prompt: 'goodbye' }], { language });
    await ch.hangup('conference-wrong-pin');
    return 'done';
  }
  const rooms = ch.shared<Rooms>('conference', () => new Map());
  const members = rooms.get(room.name) ?? [];
  if (room.max_members > 0 && role !== 'admin' && members.length >= room.max_members) {
    log.info({ members: members.length }, 'conference full');
    await ch.play([{ prompt: 'conf-full' }], { language });
    await ch.hangup('conference-full');
    return 'done';
  }
  // The place is taken before anything is awaited, so that two callers cannot both take the last one.
  const me: Member = { ch, busy: true };
  members.push(me);
  rooms.set(room.name, members);
  try {
    if (room.announce_count) await ch.play(countPrompts(members.length - 1, language).map((prompt) => ({ prompt })), { language });
    let muted = room.muted && role !== 'admin';
    await ch.joinRoom(mixerRoom(room.name), { muted });
    ch.markAnswered();
    me.busy = false;
    log.info({ members: members.length, muted, admin: role === 'admin' }, 'entered the conference');
    if (!room.quiet) beep(members, me, 'join');
    for (;;) {
      if ((await ch.key()) !== '*') continue;
      const next = await ch.collect({ max: 1, timeoutMs: FEATURE_KEY_MS, interDigitMs: FEATURE_KEY_MS });
      if (next.digits !== MUTE_KEY) continue;
      muted = !muted;
      await ch.setMuted(muted);
      log.info({ muted }, 'mute toggled');
      me.busy = true;
      await ch.play([{ prompt: muted ? 'conf-muted' : 'conf-unmuted' }], { language });
      me.busy = false;
    }
  } finally {
    members.splice(members.indexOf(me), 1);
    if (members.length === 0 && rooms.get(room.name) === members) rooms.delete(room.name);
    await ch.leaveRoom().catch((err: unknown) => log.debug({ err }, 'leaving the room'));
    log.info({ members: members.length }, 'left the conference');
    if (!room.quiet) beep(members, null, 'leave');
  }
}

/** Asks for the PIN when the room has one; null after PIN_TRIES wrong or missing ones. */
async function admit(ch: Channel, room: ConferenceConfig, language: string, log: Log): Promise<Role | null> {
  if (room.pin === null) return 'member';
  for (let attempt = 1; attempt <= PIN_TRIES; attempt++) {
    await ch.play([{ prompt: 'conf-enter-pin' }], { bargeIn: true, language });
    const got = await ch.collect({ max: PIN_MAX_DIGITS, timeoutMs: PIN_FIRST_DIGIT_MS, interDigitMs: PIN_INTER_DIGIT_MS, terminators: '#' });
    if (got.digits === room.pin) return 'member';
    if (room.admin_pin !== null && got.digits === room.admin_pin) return 'admin';
    // The digits themselves are not logged: a caller may type anything.
    log.info({ attempt, end: got.end }, 'wrong conference PIN');
    await ch.play([{ prompt: 'wrong-pin' }], { language });
  }
  return null;
}

/** The join or leave beep to every member but `except` that is not hearing a prompt of its own. */
function beep(members: readonly Member[], except: Member | null, tone: 'join' | 'leave'): void {
  for (const m of members) {
    if (m === except || m.busy) continue;
    m.ch.play([{ tone }]).catch((err: unknown) => m.ch.log.debug({ err }, 'conference beep not played'));
  }
}
