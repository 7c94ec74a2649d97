// Which agents a queue rings for the caller at its head (as Asterisk's app_queue strategies):
//   ringall      every free agent at once
//   linear       the first free agent in the order of `members`, every time
//   rrmemory     the next free agent after the one rung last (round robin that remembers)
//   leastrecent  the free agent whose last queue call ended longest ago
//   fewestcalls  the free agent that took the fewest queue calls
//   random       any free agent
// Ties go to the earlier member. Pure: the service gives what it knows of each agent.
import type { QueueConfig } from '../config/types.js';

export type QueueStrategy = QueueConfig['strategy'];

/** What a strategy knows of an agent in one queue. */
export interface AgentRecord {
  /** When its last call from this queue ended (ms; 0: never). */
  lastEndedAt: number;
  /** Calls from this queue it answered. */
  calls: number;
}

export interface StrategyInput {
  strategy: QueueStrategy;
  /** The queue's members in config order. */
  members: readonly string[];
  /** True for an agent that may be rung now (logged in, not paused, idle, not in wrap-up). */
  free: (ext: string) => boolean;
  record: (ext: string) => AgentRecord;
  /** rrmemory: the agent rung last in this queue. */
  last: string | null;
  /** A number in [0, 1) (Math.random). */
  random: () => number;
}

/** The agents to ring, in member order: all free ones for ringall, else one; empty when none is free. */
export function chooseAgents(input: StrategyInput): string[] {
  const free = input.members.filter(input.free);
  if (free.length === 0) return [];
  switch (input.strategy) {
    case 'ringall':
      return free;
    case 'linear':
      return [free[0]!];
    case 'rrmemory': {
      const start = input.last === null ? -1 : input.members.indexOf(input.last);
      for (let i = 1; i <= input.members.length; i++) {
        const ext = input.members[(start + i) % input.members.length]!;
        if (input.free(ext)) return [ext];
      }
      return [];
    }
    case 'leastrecent':
      return [least(free, (ext) => input.record(ext).lastEndedAt)];
    case 'fewestcalls':
      return [least(free, (ext) => input.record(ext).calls)];
    case 'random':
      return [free[Math.min(free.length - 1, Math.floor(input.random() * free.length))]!];
  }
}

/** The first of `exts` with the smallest key. */
function least(exts: readonly string[], key: (ext: string) => number): string {
  let best = exts[0]!;
  let bestKey = key(best);
  for (const ext of exts) {
    const k = key(ext);
    if (k < bestKey) {
      best = ext;
      bestKey = k;
    }
  }
  return best;
}
