// A queue (config `queues:`), the caller's side: the PBX answers, the caller joins the line and
// hears music on hold. Every `announce_position` seconds (and on joining) the music stops for its
// position, the estimated wait (once the queue has answered calls to go by) and, when the queue
// takes callbacks, "press 1 to be called back". When the queue service reserves agents for the
// caller they ring (member_timeout) while the music goes on; the first to answer is bridged. After
// `max_wait` seconds the caller goes to the queue's `default` (or hears goodbye). A caller who
// presses 1 hangs up with its place kept: the queue calls it back when an agent is free.
import type { QueueConfig } from '../config/types.js';
import type { Destination } from '../config/types.js';
import { pluralForm, sayNumber } from '../media/say-number.js';
import type { QueueWaiter } from '../queues/service.js';
import type { Channel, PlayItem } from './channel.js';
import type { GotoResult } from './goto.js';

type Goto = (ch: Channel, dest: Destination) => Promise<GotoResult>;

/** The key that asks for a callback. */
export const CALLBACK_KEY = '1';

export async function runQueue(ch: Channel, q: QueueConfig, goto: Goto): Promise<GotoResult> {
  const service = ch.services.queues;
  if (service === null) {
    ch.unavailable(`queue:${q.name}`);
    return ch.gone ? 'done' : 'failed';
  }
  ch.addPath(`queue:${q.name}`);
  await ch.answer();
  const config = ch.routing.config;
  const language = config.extensions.get(ch.call.parties.from)?.language ?? config.media.language;
  const log = ch.log.child({ queue: q.name });
  const waiter = service.join(q.name, { number: ch.call.parties.from, callId: ch.call.a.callId });
  log.info({ position: waiter.position() }, 'caller joined the queue');
  try {
    const deadline = performance.now() + q.max_wait * 1000;
    let nextAnnouncement = q.announce_position > 0 ? performance.now() : Infinity;
    let agents: string[] | null = null;
    let offer = waiter.nextOffer().then((a) => (agents = a));
    await ch.musicOnHold(q.music_on_hold);
    for (;;) {
      const now = performance.now();
      if (agents !== null) {
        const offered: string[] = agents;
        agents = null;
        const result = await ch.dial(offered, { ringTimeoutMs: q.member_timeout * 1000, ringback: false });
        if (result === 'answered') {
          const agent = ch.call.parties.callee ?? offered[0]!;
          waiter.answered(agent);
          ch.addPath(agent);
          log.info({ agent }, 'queue call answered');
          void ch.call.whenEnded().then(() => waiter.done());
          return 'done';
        }
        if (ch.gone) return 'done';
        log.info({ agents: offered, result }, 'no agent answered');
        waiter.notAnswered();
        offer = waiter.nextOffer().then((a) => (agents = a));
        if (result === 'failed') await ch.musicOnHold(q.music_on_hold);
        continue;
      }
      if (now >= deadline) return await timedOut(ch, q, waiter, goto);
      if (now >= nextAnnouncement) {
        await announce(ch, q, waiter, language, service.canCallBack(q.name));
        nextAnnouncement = performance.now() + q.announce_position * 1000;
        await ch.musicOnHold(q.music_on_hold);
        continue;
      }
      const digit = await ch.waitDigit(Math.min(deadline, nextAnnouncement) - now, offer);
      if (digit === CALLBACK_KEY && waiter.callback()) {
        await ch.play([{ prompt: 'queue-callback-confirmed' }], { language });
        await ch.hangup('queue-callback');
        return 'done';
      }
    }
  } finally {
    if (ch.gone) waiter.leave('abandoned');
  }
}

/** Position, estimated wait, and the callback offer; a key stops it (and stays for the loop). */
async function announce(ch: Channel, q: QueueConfig, waiter: QueueWaiter, language: string, callback: boolean): Promise<void> {
  const position = waiter.position();
  const items: PlayItem[] = [{ prompt: 'you-are-caller-number' }, ...sayNumber(position, language).map((prompt) => ({ prompt }))];
  const waitS = waiter.estimatedWaitS();
  const minutes = waitS === null ? 0 : Math.ceil(waitS / 60);
  if (minutes > 0) items.push({ prompt: 'queue-estimated-wait' }, ...sayNumber(minutes, language, 'f').map((prompt) => ({ prompt })), { prompt: minuteWord(minutes, language) });
  if (callback) items.push({ silenceMs: 300 }, { prompt: 'queue-press-1-callback' });
  ch.log.info({ queue: q.name, position, estimated_wait_min: minutes }, 'queue announcement');
  await ch.play(items, { bargeIn: true, language });
}

function minuteWord(n: number, language: string): string {
  const form = pluralForm(n, language);
  return form === 'one' ? 'minute' : form === 'few' ? 'minutes-few' : 'minutes';
}

/** max_wait passed: the caller leaves the line for the queue's default, or hears goodbye. */
async function timedOut(ch: Channel, q: QueueConfig, waiter: QueueWaiter, goto: Goto): Promise<GotoResult> {
  waiter.leave('timeout');
  ch.log.info({ queue: q.name }, 'queue max_wait reached');
  await ch.stopPlay();
  const fallback = q.default === null ? null : ch.destinationOf(q.default);
  if (fallback !== null && (await goto(ch, fallback)) === 'done') return 'done';
  await ch.play([{ prompt: 'goodbye' }]);
  await ch.hangup('queue-timeout');
  return 'done';
}
