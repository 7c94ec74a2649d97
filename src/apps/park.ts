// Call parking (`parking:` in the config). A call sent to parking.number (a blind transfer there,
// or a phone dialling it) waits with music on hold in the first free slot of parking.slots; the
// parker (the transferor) hears the slot read out and is hung up. Dialling the slot from any
// phone takes the call back (the two are linked, Call.link). A call nobody takes back within
// parking.timeout seconds rings the parker again (as long), then goes to parking.fallback, or is
// hung up. A phone that dials the park number itself is answered, hears its slot, and waits.
import { Call } from '../calls/call.js';
import type { Destination } from '../config/types.js';
import { promptPath } from '../media/prompts.js';
import { sayDigits, sayNumber } from '../media/say-number.js';
import type { Channel } from './channel.js';
import type { GotoResult } from './goto.js';

type Goto = (ch: Channel, dest: Destination) => Promise<GotoResult>;

/** The prompt names that read a slot: as a number, or digit by digit when it starts with 0. */
export function saySlot(slot: string, language: string): string[] {
  return slot.startsWith('0') ? sayDigits(slot) : sayNumber(Number(slot), language);
}

export async function park(ch: Channel, goto: Goto): Promise<GotoResult> {
  const config = ch.routing.config.parking;
  if (config === null) {
    ch.unavailable('park');
    return ch.gone ? 'done' : 'failed';
  }
  const call = ch.call;
  const parker = call.transferor;
  const spot = ch.parking.park(call, config.slots);
  const language = ch.routing.config.media.language;
  if (spot !== null) {
    ch.addPath(`park:${spot.slot}`);
    ch.log.info({ slot: spot.slot, parker }, 'call parked');
    const said = saySlot(spot.slot, language).map((p) => ({ prompt: p }));
    if (parker !== null) {
      // Before any await: the parker's hang-up (Call.dismiss) waits for this announcement.
      void call.announce(said.map((p) => ({ file: promptPath(p.prompt, language, ch.routing.config.data_dir) })));
    } else {
      await ch.answer();
      await ch.play(said);
    }
    await ch.musicOnHold();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), config.timeout * 1000)));
    const outcome = await Promise.race([spot.retrieved.then(() => 'retrieved' as const), call.whenEnded().then(() => 'gone' as const), timeout]);
    clearTimeout(timer);
    if (outcome !== 'timeout') return 'done';
    ch.parking.leave(call);
    ch.log.info({ slot: spot.slot, parker }, 'nobody took the parked call back');
    await ch.stopPlay();
  } else {
    ch.log.info({ parker }, 'every parking slot is taken');
  }
  if (parker !== null && ch.routing.config.extensions.has(parker)) {
    const result = await ch.dial(parker, { ringTimeoutMs: config.timeout * 1000 });
    if (result === 'answered' || ch.gone) return 'done';
  }
  const fallback = config.fallback === null ? null : ch.destinationOf(config.fallback);
  if (fallback !== null) return goto(ch, fallback);
  await ch.hangup('park-timeout', 486);
  return 'done';
}

/** A phone dialled a parking slot: the call parked there is linked to it; 404 when the slot is empty. */
export async function retrieve(ch: Channel, slot: string): Promise<GotoResult> {
  const parked = ch.parking.retrieve(slot);
  if (parked === null || parked.ended) {
    ch.log.info({ slot }, 'nothing parked in the slot');
    await ch.hangup('parking-slot-empty', 404);
    return 'done';
  }
  try {
    await ch.answer();
  } catch (err) {
    void parked.hangup('retriever-gone');
    throw err;
  }
  const by = ch.call.parties.from;
  ch.addPath(`unpark:${slot}`);
  parked.addPath(`unpark:${by}`);
  parked.parties.callee = by;
  ch.log.info({ slot, call: parked.id }, 'parked call taken back');
  await Call.link(ch.call, parked);
  return 'done';
}
