// The queues of one PBX: who is waiting in each (callers and callback requests in one line), the
// agents' state (logged in, paused, ringing for the queue, talking, in wrap-up), and the loop that
// offers the head of each line to the agents its strategy picks, reserving them first.
//
//   const q = new QueueService({ store, getConfig, registered, originate, log })
//   const w = q.join('support', { number: '1005', callId })      a caller arrives (the app holds w)
//   w.position() / w.estimatedWaitS()                               for the announcements
//   const agents = await w.nextOffer()                              agents reserved for this caller
//   w.answered('1001') | w.notAnswered()                            how ringing them went
//   w.done()                                                        the answered call ended: wrap-up
//   w.callback() / w.leave('abandoned' | 'timeout')
//   q.login(ext, queue?) / q.logout(ext, queue?) / q.togglePause(ext, queue?)
//   q.callState(event)                                              call control's 'state' events
//
// A callback request keeps the caller's entry, and so its place. When its turn comes and an agent
// is reserved, originate() rings the agent first and then dials the caller back, once: the request
// is marked 'dialling' before, and a restart never dials a 'dialling' request again. Waiting
// requests are stored, so they survive a restart and go back to their place in the line.
// Agents rung for a caller are the service's own business; the state events of other calls say
// which extensions are busy, so that a queue never rings an agent already on the phone. An agent
// in a callback is busy until the originated call ends (inCall), then in wrap-up.
import { randomUUID } from 'node:crypto';
import type { OriginateRequest, OriginateResult } from '../calls/originate.js';
import type { Config, QueueConfig } from '../config/types.js';
import { PbxError } from '../util/errors.js';
import type { Log } from '../util/log.js';
import { QueueLine, type LineEntry } from './line.js';
import { chooseAgents, type AgentRecord } from './strategy.js';
import type { QueueCallRow, QueueOutcome, QueueStats, QueueStore } from './store.js';

export const QUEUE_ERRORS = {
  UNKNOWN: 'PBX_ERR_QUEUE_UNKNOWN',
  CLOSED: 'PBX_ERR_QUEUE_CLOSED',
} as const;

/** What call control's originate takes and answers (src/calls/originate.ts): ring `first`, then dial `then`. */
export type { OriginateRequest, OriginateResult };

export type Originate = (request: OriginateRequest) => Promise<{ id: string; result: OriginateResult }>;

/** One extension's side of a call changed state (CallControl's CallStateEvent, the fields used here). */
export interface AgentCallState {
  id: string;
  callId: string;
  extension: string;
  state: 'trying' | 'early' | 'confirmed' | 'terminated';
}

/**
 * What happens to a caller in a queue, for webhooks and the live stream: it joined (its position),
 * asked to be called back (its position kept), was connected to an agent (the agent and the wait,
 * callbacks that reached the customer included), or hung up waiting (the wait).
 */
export interface QueueEvent {
  event: 'queue.joined' | 'queue.callback_requested' | 'queue.answered' | 'queue.abandoned';
  queue: string;
  /** The caller's number. */
  number: string;
  /** The caller's SIP Call-ID (null for a callback the PBX dialled). */
  call_id: string | null;
  position?: number;
  agent?: string;
  wait_s?: number;
  /** The caller had asked to be called back. */
  callback: boolean;
}

/** A queue now (wallboard): callers waiting, callback requests waiting, the longest wait, the members by state. */
export interface QueueLive {
  queue: string;
  waiting: number;
  callbacks_waiting: number;
  /** Seconds the longest-waiting caller has waited; 0 when nobody waits. */
  longest_wait_s: number;
  /** Members logged out or paused in this queue, without a registered phone, free to take a call, or busy (ringing, talking, wrap-up). */
  agents: { free: number; busy: number; paused: number; logged_out: number; offline: number };
}

export interface QueueServiceOptions {
  store: QueueStore;
  getConfig: () => Config;
  /** True when the extension has a phone registered. */
  registered: (ext: string) => boolean;
  /** Rings an agent, then the customer (callbacks); null: callbacks are not offered. */
  originate: Originate | null;
  /** True while the originated call `id` goes on (the agent's wrap-up starts when it ended). */
  inCall?: (id: string) => boolean;
  log: Log;
  /** Wall clock in ms (stored times, waits); default Date.now. */
  now?: () => number;
  /** Default Math.random (the random strategy). */
  random?: () => number;
  /** How long an agent that did not answer rests before a queue rings it again (default 5 s). */
  retryMs?: number;
  /** Hears each QueueEvent (the webhook dispatcher). */
  onEvent?: (e: QueueEvent) => void;
}

type Kind = 'caller' | 'callback';

interface Entry extends LineEntry {
  readonly queue: string;
  readonly number: string;
  readonly callId: string | null;
  kind: Kind;
  /** Agents reserved for it (ringing), or null. */
  offered: string[] | null;
  /** The caller's app waits for an offer. */
  wake: ((agents: string[]) => void) | null;
}

interface Agent {
  reservedBy: Entry | null;
  /** In a call a queue connected: 'app' until the caller's app says done, 'callback' until the originated call ends. */
  talk: 'none' | 'app' | 'callback';
  /** The originated call of a callback the agent is in. */
  callbackId: string | null;
  wrapUntil: number;
  restUntil: number;
}

const DEFAULT_RETRY_MS = 5000;
const CALLBACK_POLL_MS = 1000;

export class QueueService {
  readonly #o: QueueServiceOptions;
  readonly #now: () => number;
  readonly #lines = new Map<string, QueueLine<Entry>>();
  readonly #agents = new Map<string, Agent>();
  /** Per queue and agent (`queue\0ext`): when its last call ended and how many it took. */
  readonly #records = new Map<string, AgentRecord>();
  readonly #loggedOut = new Set<string>();
  readonly #paused = new Set<string>();
  /** rrmemory: the agent rung last, per queue. */
  readonly #last = new Map<string, string>();
  /** Average wait to answer, per queue (seconds), for the estimated-wait announcement. */
  readonly #holdAvg = new Map<string, number>();
  /** Other calls' dialogs by state-event id: the extension on that side. */
  readonly #dialogs = new Map<string, string>();
  readonly #busy = new Map<string, number>();
  #seq = 0;
  #kick: NodeJS.Immediate | null = null;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = 0;
  #poll: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: QueueServiceOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#reload();
  }

  /**
   * What was stored before a restart: agents' logins and pauses, and callback requests back in line
   * in their place. One that was being dialled when the PBX stopped never reached the customer (an
   * answered one is finished at once): it waits for an agent again.
   */
  #reload(): void {
    for (const a of this.#o.store.agentStates()) {
      if (a.logged_out) this.#loggedOut.add(key(a.queue, a.extension));
      if (a.paused) this.#paused.add(key(a.queue, a.extension));
    }
    for (const row of this.#o.store.callbacks()) {
      this.#seq = Math.max(this.#seq, row.seq + 1);
      if (row.state === 'dialling') {
        this.#o.log.warn({ queue: row.queue, callback: row.id }, 'a callback was being dialled when the PBX stopped; it waits for an agent again');
        this.#o.store.setCallbackState(row.id, 'waiting');
      }
      const entry: Entry = { id: row.id, queue: row.queue, number: row.number, callId: row.call_id, joinedAt: row.joined_ms, seq: row.seq, kind: 'callback', offered: null, wake: null };
      this.#line(row.queue).insert(entry);
    }
    const waiting = [...this.#lines.values()].reduce((n, l) => n + l.size, 0);
    if (waiting > 0) this.#o.log.info({ callbacks: waiting }, 'queue callbacks reloaded');
    this.#schedule();
  }

  /** A caller joins the queue; the app keeps the waiter until the caller leaves. */
  join(queue: string, caller: { number: string; callId: string | null }): QueueWaiter {
    this.#open();
    this.#queue(queue);
    const entry: Entry = { id: randomUUID(), queue, number: caller.number, callId: caller.callId, joinedAt: this.#now(), seq: this.#seq++, kind: 'caller', offered: null, wake: null };
    this.#line(queue).insert(entry);
    this.#emit({ event: 'queue.joined', queue, number: entry.number, call_id: entry.callId, position: this.position(entry), callback: false });
    this.#schedule();
    return new QueueWaiter(this, entry);
  }

  /** Logs the agent in to `queue` (null: every queue it is a member of); returns the queues. */
  login(ext: string, queue: string | null): string[] {
    const queues = this.#memberQueues(ext, queue);
    for (const q of queues) this.#loggedOut.delete(key(q, ext));
    this.#saveAgent(ext, queues);
    this.#o.log.info({ agent: ext, queues }, 'agent logged in');
    this.#schedule();
    return queues;
  }

  logout(ext: string, queue: string | null): string[] {
    const queues = this.#memberQueues(ext, queue);
    for (const q of queues) this.#loggedOut.add(key(q, ext));
    this.#saveAgent(ext, queues);
    this.#o.log.info({ agent: ext, queues }, 'agent logged out');
    return queues;
  }

  /** Pauses the agent in the queues (or resumes it when it is paused in all of them); null when it is a member of none. */
  togglePause(ext: string, queue: string | null): { paused: boolean; queues: string[] } | null {
    const queues = this.#memberQueues(ext, queue);
    if (queues.length === 0) return null;
    const paused = !queues.every((q) => this.#paused.has(key(q, ext)));
    for (const q of queues) {
      if (paused) this.#paused.add(key(q, ext));
      else this.#paused.delete(key(q, ext));
    }
    this.#saveAgent(ext, queues);
    this.#o.log.info({ agent: ext, queues, paused }, paused ? 'agent paused' : 'agent resumed');
    if (!paused) this.#schedule();
    return { paused, queues };
  }

  /** Writes the agent's state in `queues` through to SQLite (a restart keeps it); a failed write is logged. */
  #saveAgent(ext: string, queues: readonly string[]): void {
    try {
      for (const q of queues) this.#o.store.setAgentState({ queue: q, extension: ext, logged_out: this.#loggedOut.has(key(q, ext)), paused: this.#paused.has(key(q, ext)) });
    } catch (err) {
      this.#o.log.error({ err, agent: ext }, 'agent state could not be stored; it holds until a restart');
    }
  }

  /** An extension registered or unregistered: an agent may have become reachable. */
  registrationChanged(): void {
    this.#schedule();
  }

  /** call control's 'state' event: which extensions are on the phone outside the queues' own ringing. */
  callState(e: AgentCallState): void {
    if (this.#ownsCall(e.callId)) return;
    const before = this.#dialogs.get(e.id);
    if (before !== undefined) this.#addBusy(before, -1);
    if (e.state === 'terminated') this.#dialogs.delete(e.id);
    else {
      this.#dialogs.set(e.id, e.extension);
      this.#addBusy(e.extension, 1);
    }
    if (e.state === 'terminated') this.#schedule();
  }

  /** True when the queue takes callback requests now (its config says so and originate is there). */
  canCallBack(queue: string): boolean {
    return this.#o.originate !== null && this.#o.getConfig().queues.get(queue)?.callback === true;
  }

  /**
   * A callback asked for from outside the queue (the web widget): a request at the end of the
   * line, stored and dialled like a caller's. Its id and place in the line.
   */
  requestCallback(queue: string, number: string): { id: string; position: number } {
    this.#open();
    this.#queue(queue);
    const now = this.#now();
    const entry: Entry = { id: randomUUID(), queue, number, callId: null, joinedAt: now, seq: this.#seq++, kind: 'callback', offered: null, wake: null };
    this.#o.store.addCallback({ id: entry.id, queue, number, call_id: null, joined_ms: now, seq: entry.seq, asked_ms: now, state: 'waiting' });
    this.#line(queue).insert(entry);
    this.#o.log.info({ queue, callback: entry.id, position: this.position(entry) }, 'callback requested from outside');
    this.#emit({ event: 'queue.callback_requested', queue, number, call_id: null, position: this.position(entry), callback: true });
    this.#schedule();
    return { id: entry.id, position: this.position(entry) };
  }

  /** What a wallboard shows of a queue now: who waits and since when, and where its agents are. */
  live(queue: string): QueueLive {
    const q = this.#queue(queue);
    const entries = this.#lines.get(queue)?.entries() ?? [];
    const callers = entries.filter((e) => e.kind === 'caller');
    const agents = { free: 0, busy: 0, paused: 0, logged_out: 0, offline: 0 };
    for (const ext of q.members) {
      if (this.#loggedOut.has(key(queue, ext))) agents.logged_out++;
      else if (this.#paused.has(key(queue, ext))) agents.paused++;
      else if (!this.#o.registered(ext)) agents.offline++;
      else if (this.#free(queue, ext)) agents.free++;
      else agents.busy++;
    }
    const oldest = callers.reduce((t, e) => Math.min(t, e.joinedAt), Infinity);
    return {
      queue,
      waiting: callers.length,
      callbacks_waiting: entries.length - callers.length,
      longest_wait_s: callers.length === 0 ? 0 : Math.max(0, Math.round((this.#now() - oldest) / 1000)),
      agents,
    };
  }

  /** The statistics of a queue (callers that joined at or after `sinceMs`). */
  stats(queue: string, sinceMs = 0): QueueStats {
    const q = this.#queue(queue);
    return this.#o.store.stats(queue, q.service_level, sinceMs);
  }

  /** The names of the configured queues. */
  queues(): string[] {
    return [...this.#o.getConfig().queues.keys()];
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#kick !== null) clearImmediate(this.#kick);
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#poll !== null) clearTimeout(this.#poll);
    this.#kick = null;
    this.#timer = null;
    this.#poll = null;
    this.#o.store.close();
  }

  // What QueueWaiter asks for (one caller's side).

  /** @internal */
  position(entry: Entry): number {
    return this.#line(entry.queue).position(entry);
  }

  /** @internal The estimated seconds until an agent answers, or null while the queue has no answered calls to go by. */
  estimatedWaitS(entry: Entry): number | null {
    const avg = this.#averageWait(entry.queue);
    if (avg === null) return null;
    const config = this.#o.getConfig().queues.get(entry.queue);
    const agents = config === undefined ? 1 : config.members.filter((m) => this.#loggedIn(entry.queue, m)).length;
    return Math.round((avg * this.position(entry)) / Math.max(1, agents));
  }

  /** @internal */
  nextOffer(entry: Entry): Promise<string[]> {
    if (entry.offered !== null) return Promise.resolve(entry.offered);
    return new Promise((resolve) => {
      entry.wake = resolve;
    });
  }

  /** @internal An agent of the offer answered the caller: the caller leaves the line. */
  answered(entry: Entry, agent: string): void {
    const now = this.#now();
    this.#release(entry, null);
    this.#line(entry.queue).remove(entry);
    const a = this.#agent(agent);
    a.talk = 'app';
    const record = this.#record(entry.queue, agent);
    record.calls++;
    this.#connected(entry, agent, now);
    this.#schedule();
  }

  /** @internal Nobody of the offer answered: they rest for retryMs, the caller waits on. */
  notAnswered(entry: Entry): void {
    this.#release(entry, this.#now() + (this.#o.retryMs ?? DEFAULT_RETRY_MS));
    this.#schedule();
  }

  /** @internal The call an agent answered for the caller ended: the agent's wrap-up begins. */
  done(agent: string, queue: string): void {
    const a = this.#agent(agent);
    if (a.talk === 'none') return;
    this.#record(queue, agent).lastEndedAt = this.#now();
    a.talk = 'none';
    this.#startWrapup(agent, a, queue);
  }

  /** @internal The caller turns into a callback request in its place; false when the queue takes none. */
  callback(entry: Entry): boolean {
    if (!this.canCallBack(entry.queue) || entry.kind !== 'caller') return false;
    this.#release(entry, null);
    entry.kind = 'callback';
    entry.wake = null;
    this.#o.store.addCallback({
      id: entry.id,
      queue: entry.queue,
      number: entry.number,
      call_id: entry.callId,
      joined_ms: entry.joinedAt,
      seq: entry.seq,
      asked_ms: this.#now(),
      state: 'waiting',
    });
    this.#o.log.info({ queue: entry.queue, callback: entry.id, position: this.position(entry) }, 'callback requested; the caller keeps its place');
    this.#emit({ event: 'queue.callback_requested', queue: entry.queue, number: entry.number, call_id: entry.callId, position: this.position(entry), callback: true });
    this.#schedule();
    return true;
  }

  /** @internal The caller leaves the line without an agent (hung up, or max_wait). */
  leave(entry: Entry, outcome: 'abandoned' | 'timeout'): void {
    if (entry.kind !== 'caller' || !this.#line(entry.queue).remove(entry)) return;
    this.#release(entry, null);
    this.#finish(entry, outcome, null);
    this.#schedule();
  }

  // The loop.

  /** Runs the dispatch soon (once for any number of changes in one turn of the event loop). */
  #schedule(): void {
    if (this.#closed || this.#kick !== null) return;
    this.#kick = setImmediate(() => {
      this.#kick = null;
      this.#dispatch();
    });
  }

  /** Offers each line's entries, in order, to the agents the strategy picks; stops at a line's first entry no agent is free for. */
  #dispatch(): void {
    if (this.#closed) return;
    const config = this.#o.getConfig();
    for (const [name, q] of config.queues) {
      const line = this.#lines.get(name);
      if (line === undefined) continue;
      for (const entry of line.entries()) {
        if (entry.offered !== null) continue;
        if (entry.kind === 'callback' && this.#o.originate === null) continue;
        const agents = chooseAgents({
          strategy: q.strategy,
          members: q.members,
          free: (ext) => this.#free(name, ext),
          record: (ext) => this.#record(name, ext),
          last: this.#last.get(name) ?? null,
          random: this.#o.random ?? Math.random,
        });
        if (agents.length === 0) break;
        this.#last.set(name, agents[agents.length - 1]!);
        entry.offered = agents;
        for (const ext of agents) this.#agent(ext).reservedBy = entry;
        this.#o.log.info({ queue: name, entry: entry.id, kind: entry.kind, agents }, 'queue offers a caller to agents');
        if (entry.kind === 'caller') {
          const wake = entry.wake;
          entry.wake = null;
          wake?.(agents);
        } else {
          this.#dialCallback(entry, q, agents[0]!);
        }
      }
    }
    this.#armTimer();
  }

  /** Rings the reserved agent, then the customer (once). */
  #dialCallback(entry: Entry, q: QueueConfig, agent: string): void {
    this.#o.store.setCallbackState(entry.id, 'dialling');
    const originate = this.#o.originate!;
    const log = this.#o.log.child({ queue: entry.queue, callback: entry.id, agent });
    log.info({ number: entry.number }, 'dialling a callback: the agent first');
    originate({ first: agent, then: entry.number, ringTimeoutMs: q.member_timeout * 1000, callerId: `Callback ${entry.number}` })
      .then(
        (r) => r,
        (err: unknown): { id: string; result: OriginateResult } => {
          log.error({ err }, 'originate failed');
          return { id: '', result: 'failed' };
        },
      )
      .then(({ id, result }) => {
        if (this.#closed) return;
        log.info({ result }, 'callback dialled');
        const now = this.#now();
        if (result === 'first-busy' || result === 'first-no-answer') {
          this.#o.store.setCallbackState(entry.id, 'waiting');
          this.#release(entry, now + (this.#o.retryMs ?? DEFAULT_RETRY_MS));
        } else if (result === 'answered') {
          this.#release(entry, null);
          this.#line(entry.queue).remove(entry);
          const a = this.#agent(agent);
          a.talk = 'callback';
          a.callbackId = id;
          this.#record(entry.queue, agent).calls++;
          this.#connected(entry, agent, now);
          this.#watchCallbacks();
        } else {
          this.#release(entry, null);
          this.#line(entry.queue).remove(entry);
          this.#finish(entry, 'callback-failed', null);
        }
        this.#schedule();
      });
  }

  /** Agents in callback calls: their wrap-up starts once the originated call ended (looked at every second). */
  #watchCallbacks(): void {
    if (this.#closed || this.#poll !== null) return;
    const inCall = this.#o.inCall ?? (() => false);
    let talking = false;
    for (const [ext, a] of this.#agents) {
      if (a.talk !== 'callback') continue;
      if (a.callbackId !== null && inCall(a.callbackId)) talking = true;
      else this.#talkEnded(ext, a);
    }
    if (!talking) return;
    this.#poll = setTimeout(() => {
      this.#poll = null;
      this.#watchCallbacks();
    }, CALLBACK_POLL_MS);
    this.#poll.unref();
  }

  /** The next instant an agent comes out of wrap-up or rest: the dispatch runs again then. */
  #armTimer(): void {
    const now = this.#now();
    let next = Infinity;
    for (const a of this.#agents.values()) {
      if (a.wrapUntil > now) next = Math.min(next, a.wrapUntil);
      if (a.restUntil > now) next = Math.min(next, a.restUntil);
    }
    if (next === Infinity || (this.#timer !== null && this.#timerAt <= next)) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAt = next;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#dispatch();
    }, next - now + 5);
    this.#timer.unref();
  }

  #connected(entry: Entry, agent: string, now: number): void {
    const wait = (now - entry.joinedAt) / 1000;
    const avg = this.#averageWait(entry.queue);
    this.#holdAvg.set(entry.queue, avg === null ? wait : (avg * 3 + wait) / 4);
    this.#finish(entry, 'answered', agent);
  }

  #finish(entry: Pick<Entry, 'id' | 'queue' | 'number' | 'callId' | 'joinedAt' | 'kind'>, outcome: QueueOutcome, agent: string | null): void {
    const now = this.#now();
    const row: QueueCallRow = {
      id: entry.id,
      queue: entry.queue,
      number: entry.number,
      call_id: entry.callId,
      callback: entry.kind === 'callback',
      joined_ms: entry.joinedAt,
      ended_ms: now,
      outcome,
      wait_s: Math.max(0, (now - entry.joinedAt) / 1000),
      agent,
    };
    try {
      this.#o.store.finish(row);
    } catch (err) {
      this.#o.log.error({ err, queue: entry.queue }, 'queue statistics row could not be written');
    }
    const base = { queue: row.queue, number: row.number, call_id: row.call_id, wait_s: Math.round(row.wait_s * 10) / 10, callback: row.callback };
    if (outcome === 'answered') this.#emit({ event: 'queue.answered', ...base, ...(agent === null ? {} : { agent }) });
    else if (outcome === 'abandoned') this.#emit({ event: 'queue.abandoned', ...base });
  }

  #emit(e: QueueEvent): void {
    try {
      this.#o.onEvent?.(e);
    } catch (err) {
      this.#o.log.error({ err, event: e.event }, 'a queue event listener failed');
    }
  }

  /** Frees the agents reserved for the entry; `restUntil` keeps them from being rung again before then. */
  #release(entry: Entry, restUntil: number | null): void {
    for (const ext of entry.offered ?? []) {
      const a = this.#agent(ext);
      if (a.reservedBy === entry) a.reservedBy = null;
      if (restUntil !== null) a.restUntil = restUntil;
    }
    entry.offered = null;
  }

  #talkEnded(ext: string, a: Agent): void {
    a.talk = 'none';
    a.callbackId = null;
    for (const [name, q] of this.#o.getConfig().queues) {
      if (q.members.includes(ext)) this.#record(name, ext).lastEndedAt = this.#now();
    }
    this.#startWrapup(ext, a, null);
  }

  #startWrapup(ext: string, a: Agent, queue: string | null): void {
    const queues = this.#o.getConfig().queues;
    const wrapup = queue === null ? Math.max(0, ...[...queues.values()].filter((q) => q.members.includes(ext)).map((q) => q.wrapup)) : (queues.get(queue)?.wrapup ?? 0);
    a.wrapUntil = this.#now() + wrapup * 1000;
    this.#o.log.info({ agent: ext, wrapup }, 'agent in wrap-up');
    this.#schedule();
  }

  #free(queue: string, ext: string): boolean {
    if (!this.#loggedIn(queue, ext)) return false;
    const a = this.#agents.get(ext);
    const now = this.#now();
    if (a !== undefined && (a.reservedBy !== null || a.talk !== 'none' || a.wrapUntil > now || a.restUntil > now)) return false;
    return !this.#isBusy(ext) && this.#o.registered(ext);
  }

  #loggedIn(queue: string, ext: string): boolean {
    const k = key(queue, ext);
    return !this.#loggedOut.has(k) && !this.#paused.has(k);
  }

  #ownsCall(callId: string): boolean {
    for (const line of this.#lines.values()) {
      for (const e of line.entries()) if (e.kind === 'caller' && e.callId === callId) return true;
    }
    return false;
  }

  #addBusy(ext: string, n: number): void {
    const count = (this.#busy.get(ext) ?? 0) + n;
    if (count <= 0) this.#busy.delete(ext);
    else this.#busy.set(ext, count);
  }

  #isBusy(ext: string): boolean {
    return this.#busy.has(ext);
  }

  #averageWait(queue: string): number | null {
    const known = this.#holdAvg.get(queue);
    if (known !== undefined) return known;
    const q = this.#o.getConfig().queues.get(queue);
    const stored = q === undefined ? null : this.#o.store.stats(queue, q.service_level).average_wait_s;
    if (stored !== null) this.#holdAvg.set(queue, stored);
    return stored;
  }

  #memberQueues(ext: string, queue: string | null): string[] {
    const all = [...this.#o.getConfig().queues.values()].filter((q) => q.members.includes(ext)).map((q) => q.name);
    return queue === null ? all : all.filter((q) => q === queue);
  }

  #queue(name: string): QueueConfig {
    const q = this.#o.getConfig().queues.get(name);
    if (q === undefined) throw new PbxError(QUEUE_ERRORS.UNKNOWN, `no queue named "${name}"`);
    return q;
  }

  #line(queue: string): QueueLine<Entry> {
    let line = this.#lines.get(queue);
    if (line === undefined) {
      line = new QueueLine<Entry>();
      this.#lines.set(queue, line);
    }
    return line;
  }

  #agent(ext: string): Agent {
    let a = this.#agents.get(ext);
    if (a === undefined) {
      a = { reservedBy: null, talk: 'none', callbackId: null, wrapUntil: 0, restUntil: 0 };
      this.#agents.set(ext, a);
    }
    return a;
  }

  #record(queue: string, ext: string): AgentRecord {
    const k = key(queue, ext);
    let r = this.#records.get(k);
    if (r === undefined) {
      r = { lastEndedAt: 0, calls: 0 };
      this.#records.set(k, r);
    }
    return r;
  }

  #open(): void {
    if (this.#closed) throw new PbxError(QUEUE_ERRORS.CLOSED, 'the queue service is closed');
  }
}

/** One caller's place in a queue, held by its app (src/apps/queue.ts). */
export class QueueWaiter {
  readonly #service: QueueService;
  readonly #entry: Entry;
  /** The agent that answered, once one did. */
  #agent: string | null = null;

  constructor(service: QueueService, entry: Entry) {
    this.#service = service;
    this.#entry = entry;
  }

  get queue(): string {
    return this.#entry.queue;
  }

  /** 1 at the head of the line. */
  position(): number {
    return this.#service.position(this.#entry);
  }

  estimatedWaitS(): number | null {
    return this.#service.estimatedWaitS(this.#entry);
  }

  /** Resolves with the agents reserved for this caller, to ring now. */
  nextOffer(): Promise<string[]> {
    return this.#service.nextOffer(this.#entry);
  }

  answered(agent: string): void {
    this.#agent = agent;
    this.#service.answered(this.#entry, agent);
  }

  notAnswered(): void {
    this.#service.notAnswered(this.#entry);
  }

  /** The answered call ended: the agent's wrap-up begins. */
  done(): void {
    if (this.#agent !== null) this.#service.done(this.#agent, this.#entry.queue);
  }

  callback(): boolean {
    return this.#service.callback(this.#entry);
  }

  leave(outcome: 'abandoned' | 'timeout'): void {
    this.#service.leave(this.#entry, outcome);
  }
}

function key(queue: string, ext: string): string {
  return `${queue}\0${ext}`;
}
