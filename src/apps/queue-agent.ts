// Agents' feature codes (features.queue_login *45, queue_logout *46, queue_pause *47), dialled
// from the agent's own phone: alone they act on every queue the extension is a member of; followed
// by a queue's dialplan number (*45800) on that queue only. The PBX answers and says what it did
// ("agent logged in", "agent paused", "agent available again"), or "invalid option" when the
// extension is no member of the queue or the number is no queue.
import type { Channel } from './channel.js';
import type { GotoResult } from './goto.js';

export type AgentAction = 'login' | 'logout' | 'pause';

export async function queueAgent(ch: Channel, arg: string | null, action: AgentAction): Promise<GotoResult> {
  const service = ch.services.queues;
  if (service === null) {
    ch.unavailable(`queue_${action}`);
    return ch.gone ? 'done' : 'failed';
  }
  const ext = ch.call.parties.from;
  await ch.answer();
  const language = ch.routing.config.extensions.get(ext)?.language ?? ch.routing.config.media.language;
  let queue: string | null = null;
  if (arg !== null) {
    const dest = ch.destinationOf(arg);
    queue = dest?.kind === 'queue' ? dest.name : '';
  }
  let prompt = 'invalid-option';
  if (queue !== '') {
    if (action === 'pause') {
      const paused = service.togglePause(ext, queue);
      if (paused !== null) prompt = paused.paused ? 'agent-paused' : 'agent-resumed';
    } else {
      const queues = action === 'login' ? service.login(ext, queue) : service.logout(ext, queue);
      if (queues.length > 0) prompt = action === 'login' ? 'agent-logged-in' : 'agent-logged-out';
    }
  }
  ch.log.info({ agent: ext, action, queue, done: prompt !== 'invalid-option' }, 'queue agent feature code');
  await ch.play([{ prompt }], { language });
  await ch.hangup(`queue-${action}`);
  return 'done';
}
