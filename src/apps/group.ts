// Ring groups (group:NAME): the members' phones ring by the group's strategy for at most ring_time
// seconds; then the group's default destination, else the caller gets 480 (or is hung up when the
// PBX had answered it).
//   simultaneous    every member at once
//   sequential      one member at a time in list order, each for member_timeout, round the list
//                   again while ring_time lasts
//   next_available  as sequential, skipping members in a call
//   round_robin     as sequential, starting after the member who answered the group's last call
//                   (remembered in memory, per group name)
// A member on do not disturb or at its call limit counts as busy and is passed over; members are
// rung as extensions, without their own forwards (FreePBX rings group members the same way).
import type { DialResult } from '../calls/call.js';
import type { GroupConfig } from '../config/types.js';
import type { Channel } from './channel.js';
import type { Goto, GotoResult } from './goto.js';

/** The member who answered each group's last call (round_robin). */
const lastAnswered = new Map<string, string>();

/** Members in the order a call rings them: the list, or for round_robin the list after the last who answered. */
export function ringOrder(group: GroupConfig, last: string | undefined = lastAnswered.get(group.name)): string[] {
  const members = group.members;
  if (group.strategy !== 'round_robin' || last === undefined) return [...members];
  const i = members.indexOf(last);
  return i < 0 ? [...members] : [...members.slice(i + 1), ...members.slice(0, i + 1)];
}

export async function runGroup(ch: Channel, group: GroupConfig, goto: Goto): Promise<GotoResult> {
  ch.addPath(`group:${group.name}`);
  ch.log.info({ group: group.name, strategy: group.strategy, members: group.members }, 'ringing a group');
  const deadline = performance.now() + group.ring_time * 1000;
  // The caller's own phone does not ring (a member calling its group).
  const members = group.members.filter((m) => m !== ch.call.parties.from);
  const result = group.strategy === 'simultaneous' ? await ch.dial(members, { ringTimeoutMs: group.ring_time * 1000 }) : await inTurn(ch, group, members, deadline);
  if (result === 'answered' || ch.gone) return 'done';
  ch.log.info({ group: group.name, result }, 'nobody in the group answered');
  if (group.default !== null) {
    const dest = ch.destinationOf(group.default);
    if (dest !== null) return goto(ch, dest);
  }
  ch.call.refuse(480, 'group-no-answer');
  return 'failed';
}

/** One member after another until one answers, the caller leaves, or `deadline` passes. */
async function inTurn(ch: Channel, group: GroupConfig, members: readonly string[], deadline: number): Promise<DialResult> {
  const order = ringOrder(group).filter((m) => members.includes(m));
  for (;;) {
    let rang = false;
    for (const member of order) {
      const left = deadline - performance.now();
      if (left <= 0) return 'no-answer';
      if (group.strategy === 'next_available' && ch.inCall(member)) {
        ch.log.info({ group: group.name, member }, 'member in a call; skipped');
        continue;
      }
      const r = await ch.dial(member, { ringTimeoutMs: Math.min(group.member_timeout * 1000, left) });
      if (r === 'caller-gone') return r;
      if (r === 'answered') {
        lastAnswered.set(group.name, member);
        return r;
      }
      // A member that refused (busy, unregistered, an error) is not rung again at once.
      if (r === 'no-answer') rang = true;
    }
    // A whole round where nobody could even ring: ringing the list again changes nothing.
    if (!rang) return 'busy';
  }
}
