// Calls to outside numbers: an extension's call that matched an outbound route goes out through
// the route's trunks (calls/outside.ts: the toll-fraud rules, failover, caller ID). A refusal is
// a warning log line and 403 with a Warning saying why; a caller the PBX had answered (an IVR
// option leading out) hears the congestion tone instead.
import { dialOutside, permitOutside, type OutsideDialer, type OutsideRefusal } from '../calls/outside.js';
import type { Channel } from './channel.js';
import { forwardingExtension } from './extension.js';
import type { GotoResult } from './goto.js';

/** How long a caller the PBX answered hears the congestion tone of a refused outside call. */
const REFUSAL_TONE_MS = 3000;

/** How a call out is placed for someone other than its caller: a forward or a follow-me number. */
export interface OutboundFor {
  /** The extension whose permissions, limits and caller ID apply. */
  ext: string;
  /** Rings at most this long (the follow-me ring time), instead of the route's ring_timeout. */
  ringMs?: number;
  /** A refusal leaves the caller waiting (the next follow-me number, voicemail) instead of ending the call. */
  quiet?: boolean;
}

/**
 * Dials `number` out. The caller's own call goes out as that extension (a trunk's caller may not);
 * a call forwarded by an extension (forward to a mobile, forwardingExtension) or dialled for it
 * (`on`: a follow-me number) goes out as that extension, whoever the caller is.
 */
export async function outboundApp(ch: Channel, number: string, on?: OutboundFor): Promise<GotoResult> {
  const call = ch.call;
  const config = ch.routing.config;
  const lines = ch.trunks;
  const forwardedBy = on?.ext ?? forwardingExtension(ch);
  const from = forwardedBy ?? (call.parties.trunk != null ? null : call.parties.from);
  const permit = permitOutside(config, lines, from, number);
  if (!permit.ok) {
    if (permit.status === 404) {
      call.refuse(404, 'no-route');
      return 'failed';
    }
    if (on?.quiet === true) {
      ch.log.warn({ for: from, to: number, reason: permit.reason, ...permit.detail }, 'outside call refused');
      call.refuse(403, permit.reason);
      return 'failed';
    }
    return refuseOutside(ch, number, permit);
  }
  void call.whenEnded().then(permit.release);
  ch.addPath(`outbound:${permit.route.name}`);
  const dialer: OutsideDialer = {
    log: ch.log,
    gone: () => ch.gone,
    refuse: (status, reason) => call.refuse(status, reason),
    dial: async (target, fork, ringMs, silenceMs) => {
      const result = await call.dial([target], fork, Math.min(ringMs, on?.ringMs ?? ringMs), true, silenceMs);
      return { result, status: call.refusal?.status ?? 0, response: call.lastRefusal };
    },
  };
  const done = await dialOutside(config, lines!, permit, number, dialer);
  if (done.result === 'answered') {
    void call.whenEnded().then(done.release);
    return 'done';
  }
  return done.result === 'caller-gone' ? 'done' : 'failed';
}

/**
 * A call out refused by the toll-fraud rules: logged; a waiting caller gets 403 with a Warning
 * (its phone shows or plays the refusal), one the PBX answered hears the congestion tone.
 */
async function refuseOutside(ch: Channel, number: string, refusal: OutsideRefusal): Promise<GotoResult> {
  const call = ch.call;
  ch.log.warn({ from: call.parties.from, to: number, reason: refusal.reason, ...refusal.detail }, 'outside call refused');
  call.refuse(403, refusal.reason);
  if (!call.answeredByPbx) {
    call.fail(403, refusal.reason, [['Warning', `399 tspbx "${refusal.message}"`]]);
    return 'done';
  }
  await ch.tone('congestion');
  await ch.waitDigit(REFUSAL_TONE_MS);
  await ch.stopPlay();
  return 'failed';
}

