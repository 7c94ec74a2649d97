// A call to an extension with its forwards, follow-me and voicemail, in FreePBX's order:
//   1. do not disturb (set by *78) -> the busy treatment;
//   2. forward.always -> that destination at once;
//   3. the extension rings alone: forward.no_answer.after seconds when set, follow_me.after when
//      there is a follow-me list, else the ring timeout; then the follow-me numbers (together with
//      the extension, or one after another);
//   4. busy (486, max_calls) -> forward.busy, else its mailbox with the busy greeting when it has
//      voicemail, else 486; no answer -> forward.no_answer.to, else the mailbox (unavailable
//      greeting), else 480; not registered -> forward.unavailable, else the mailbox, else 480.
// Forwards set from the phone (*72, *90, *52 and their "off" codes) override the config's.
// An extension with none of these rings as a plain B2BUA call does. A forward chain that comes back
// to an extension it rang already (1001 -> 1002 -> 1001) ends with 482 (Loop Detected).
import type { DialResult } from '../calls/call.js';
import type { ExtensionConfig } from '../config/types.js';
import type { ForwardKind } from '../store/extension-settings.js';
import type { Channel } from './channel.js';
import type { Goto, GotoResult } from './goto.js';
import { outboundApp } from './outbound.js';

/** The forwards in force: the config's, each kind replaced by what the phone set, if it set it. */
export interface Forwards {
  always: string | null;
  busy: string | null;
  no_answer: { after: number; to: string } | null;
  unavailable: string | null;
}

/** Seconds an extension rings before a no-answer forward set from the phone, when the config names none. */
export const PHONE_NO_ANSWER_AFTER_S = 20;

/**
 * The extensions the forward chain in progress went through (the loop guard), while a forward
 * hands the caller on. An extension reached otherwise (an IVR option tried again) starts afresh.
 */
const forwardChain = new WeakMap<Channel, Set<string>>();

/**
 * The extension whose forward is carrying the caller on right now (the last of the chain), or
 * null: a forward to an outside number goes out as that extension.
 */
export function forwardingExtension(ch: Channel): string | null {
  const chain = forwardChain.get(ch);
  if (chain === undefined) return null;
  let last: string | null = null;
  for (const ext of chain) last = ext;
  return last;
}

/** Forwards of `cfg` with the phone's settings over them. */
export function forwardsOf(cfg: ExtensionConfig, phone: Partial<Record<ForwardKind, string | null>>): Forwards {
  const f = cfg.forward;
  const noAnswer = phone.no_answer === undefined ? f.no_answer : phone.no_answer === null ? null : { after: f.no_answer?.after ?? PHONE_NO_ANSWER_AFTER_S, to: phone.no_answer };
  return {
    always: phone.always === undefined ? f.always : phone.always,
    busy: phone.busy === undefined ? f.busy : phone.busy,
    no_answer: noAnswer,
    unavailable: f.unavailable,
  };
}

/** Carries the caller to extension `ext` as the header says. */
export async function runExtension(ch: Channel, ext: string, goto: Goto): Promise<GotoResult> {
  const cfg = ch.routing.config.extensions.get(ext);
  const chain = forwardChain.get(ch);
  forwardChain.delete(ch);
  const visited = chain ?? new Set<string>();
  if (visited.has(ext)) {
    ch.log.warn({ ext, chain: [...visited] }, 'forwarding loop: the chain came back to an extension it rang; stopping it');
    ch.call.refuse(482, 'forward-loop');
    return 'failed';
  }
  visited.add(ext);
  if (chain !== undefined && !ch.call.answeredByPbx) ch.addPath(ext);
  if (cfg === undefined) return finished(ch, await ch.dial(ext));

  const phone = ch.settings?.of(ext) ?? { dnd: false, forward: {} };
  const fwd = forwardsOf(cfg, phone.forward);
  const followTo = (kind: string, to: string): Promise<GotoResult> => forward(ch, visited, ext, kind, to, goto);
  if (phone.dnd) {
    ch.log.info({ ext }, 'extension on do not disturb');
    ch.call.refuse(486, 'dnd');
    return busy(ch, cfg, fwd, followTo, goto);
  }
  if (fwd.always !== null) return followTo('always', fwd.always);

  const follow = cfg.follow_me;
  const aloneS = follow !== null ? follow.after : fwd.no_answer?.after;
  let result = await ch.dial(ext, aloneS === undefined ? {} : { ringTimeoutMs: aloneS * 1000 });
  ch.log.info({ ext, result }, 'extension rung');
  if (result === 'no-answer' && follow !== null && !ch.gone) result = await followMe(ch, ext, follow);
  switch (result) {
    case 'answered':
    case 'caller-gone':
      return 'done';
    case 'busy':
      return busy(ch, cfg, fwd, followTo, goto);
    case 'no-answer':
      if (fwd.no_answer !== null) return followTo('no_answer', fwd.no_answer.to);
      return mailbox(ch, cfg, 'unavailable', goto);
    case 'not-registered':
      if (fwd.unavailable !== null) return followTo('unavailable', fwd.unavailable);
      return mailbox(ch, cfg, 'unavailable', goto);
    default:
      return finished(ch, result);
  }
}

/** The follow-me rounds after the extension rang alone: the last result. */
async function followMe(ch: Channel, ext: string, follow: NonNullable<ExtensionConfig['follow_me']>): Promise<DialResult> {
  const dests = follow.numbers.map((n) => ch.destinationOf(n));
  const numbers = dests.flatMap((d) => (d?.kind === 'extension' && d.ext !== ext ? [d.ext] : []));
  const outside = dests.flatMap((d) => (d?.kind === 'outbound' ? [d.number] : []));
  const ringMs = follow.ring_time * 1000;
  ch.log.info({ ext, numbers, outside, ring: follow.ring }, 'follow-me');
  if (follow.ring === 'together') {
    const r = await ch.dial([ext, ...numbers], { ringTimeoutMs: ringMs });
    if (r === 'answered' || r === 'caller-gone' || outside.length === 0) return r;
  } else {
    for (const n of numbers) {
      if (ch.gone) return 'caller-gone';
      const r = await ch.dial(n, { ringTimeoutMs: ringMs });
      if (r === 'answered' || r === 'caller-gone') return r;
    }
  }
  // Outside numbers (a mobile) ring one after another, as the extension's own calls out.
  for (const n of outside) {
    if (ch.gone) return 'caller-gone';
    if ((await outboundApp(ch, n, { ext, ringMs, quiet: true })) === 'done') return ch.gone && ch.call.answeredAt === null ? 'caller-gone' : 'answered';
  }
  // Whatever each number did, the extension itself was not answered.
  ch.call.refuse(480, 'no-answer');
  return 'no-answer';
}

type FollowTo = (kind: string, to: string) => Promise<GotoResult>;

function busy(ch: Channel, cfg: ExtensionConfig, fwd: Forwards, followTo: FollowTo, goto: Goto): Promise<GotoResult> {
  if (fwd.busy !== null) return followTo('busy', fwd.busy);
  return mailbox(ch, cfg, 'busy', goto);
}

/** The extension's mailbox with a greeting, when it has voicemail; else the caller stays with the refusal. */
async function mailbox(ch: Channel, cfg: ExtensionConfig, greeting: 'busy' | 'unavailable', goto: Goto): Promise<GotoResult> {
  if (cfg.voicemail === null || ch.gone) return ch.gone ? 'done' : 'failed';
  ch.log.info({ ext: cfg.number, greeting }, 'to voicemail');
  return goto(ch, { kind: 'voicemail', ext: cfg.number, greeting });
}

async function forward(ch: Channel, visited: Set<string>, ext: string, kind: string, to: string, goto: Goto): Promise<GotoResult> {
  if (ch.gone) return 'done';
  const dest = ch.destinationOf(to);
  if (dest === null) {
    ch.log.warn({ ext, kind, to }, 'forward target points nowhere');
    ch.call.refuse(480, 'forward-nowhere');
    return 'failed';
  }
  ch.log.info({ ext, kind, to }, 'forwarding');
  ch.addPath(`forward-${kind}:${ext}`);
  forwardChain.set(ch, visited);
  try {
    return await goto(ch, dest);
  } finally {
    forwardChain.delete(ch);
  }
}

function finished(ch: Channel, result: DialResult): GotoResult {
  return result === 'answered' || ch.gone ? 'done' : 'failed';
}
