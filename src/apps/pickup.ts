// Call pickup: answering, from one's own phone, a call that rings another extension. Group pickup
// (features.pickup, *8) takes the longest-ringing call to an extension that shares a group
// (groups:) with the picker, or to any extension when the picker is in no group; directed pickup
// (features.pickup_directed, ** + extension) takes the call ringing that extension. The ringing
// call's forks are cancelled, its caller is answered by the PBX and linked to the picker's call
// (Call.link); the app that rang it is done. Nothing to pick up: 480 to the picker.
import { Call } from '../calls/call.js';
import type { Channel } from './channel.js';
import type { GotoResult } from './goto.js';

export async function pickup(ch: Channel, ext: string | null): Promise<GotoResult> {
  const me = ch.call.parties.from;
  const wanted = ext === null ? groupMates(ch, me) : (e: string) => e === ext;
  const target = ch.ringingCalls().find((c) => c !== ch.call && c.parties.from !== me && c.ringing.some((e) => e !== me && wanted(e)));
  if (target === undefined || !(await target.pickUp())) {
    ch.log.info({ ext }, 'nothing ringing to pick up');
    await ch.hangup('pickup-nothing-ringing', 480);
    return 'done';
  }
  const rang = target.parties.callee ?? target.parties.to;
  try {
    await ch.answer();
  } catch (err) {
    void target.hangup('picker-gone');
    throw err;
  }
  ch.addPath(`pickup:${rang}`);
  target.addPath(`pickup:${me}`);
  target.parties.callee = me;
  ch.log.info({ call: target.id, rang }, 'call picked up');
  await Call.link(ch.call, target);
  return 'done';
}

/** The extensions sharing a group with `me`; every extension when it is in none. */
function groupMates(ch: Channel, me: string): (ext: string) => boolean {
  const mates = new Set<string>();
  for (const g of ch.routing.config.groups.values()) if (g.members.includes(me)) for (const m of g.members) mates.add(m);
  return mates.size === 0 ? () => true : (e) => mates.has(e);
}
