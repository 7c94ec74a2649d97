// Calls to outside numbers: an extension's call that matched an outbound route goes out through
// the route's trunks in order, the next one tried when a provider fails (408 no response, 5xx,
// 503); a refusal by the called party (busy, 404, declined) goes back to the caller. Before that
// the toll-fraud rules: only an extension's own call (never a trunk call) goes out, its class
// must be allowed (emergency always is), and the spend guards (calls per hour, outside calls at
// once), the extension's own and the PBX-wide outbound_limits, must not be reached. A refusal is
// a warning log line and 403 with a Warning saying why; a caller the PBX had answered (an IVR
// option leading out) hears the congestion tone instead.
import type { DialTarget, ForkHeaders } from '../calls/call.js';
import type { ExtensionConfig, GroupConfig, OutboundRoute, TrunkConfig } from '../config/types.js';
import { parseCSeq, quote, tagOf } from '../sip/grammar.js';
import type { Peer, SipResponse } from '../sip/message.js';
import { authorizationFor, parseChallenge } from '../sip/auth/digest-client.js';
import { callerIdGroup, findRoute, mayDial, trunkNumber } from '../trunks/routes.js';
import type { Channel } from './channel.js';
import type { GotoResult } from './goto.js';

/** How long a caller the PBX answered hears the congestion tone of a refused outside call. */
const REFUSAL_TONE_MS = 3000;

/** Statuses after which the next trunk is tried: the provider failed, not the called party. */
function providerFailed(status: number): boolean {
  return status === 408 || (status >= 500 && status < 600);
}

/** What the Warning of a refused outside call says, by refusal reason. */
const WHY: Readonly<Record<string, string>> = {
  'not-an-extension': 'only extensions may call outside numbers',
  'class-not-allowed': 'this extension may not call this kind of number',
  'calls-per-hour': 'this extension reached its outside calls per hour',
  concurrent: 'this extension has as many outside calls as it may',
  'pbx-calls-per-hour': 'the PBX reached its outside calls per hour',
  'pbx-concurrent': 'the PBX has as many outside calls as it may',
};

export async function outboundApp(ch: Channel, number: string): Promise<GotoResult> {
  const call = ch.call;
  const config = ch.routing.config;
  const lines = ch.trunks;
  const ext = config.extensions.get(call.parties.from);
  const refuse = (reason: string, detail: Record<string, unknown>): Promise<GotoResult> => refuseOutside(ch, number, reason, detail);
  if (call.parties.trunk != null || ext === undefined || lines === null) return refuse('not-an-extension', { trunk: call.parties.trunk ?? null });
  const route = findRoute(config, number);
  if (route === null) {
    call.refuse(404, 'no-route');
    return 'failed';
  }
  if (!mayDial(ext.outbound, route.class)) return refuse('class-not-allowed', { class: route.class, allow: ext.outbound.allow });
  if (route.class !== 'emergency') {
    const hold = lines.limits.start(ext.number, ext.outbound, config.outbound_limits);
    if (!hold.ok) {
      const limits = hold.scope === 'pbx' ? config.outbound_limits : ext.outbound;
      return refuse(hold.scope === 'pbx' ? `pbx-${hold.refusal}` : hold.refusal, { scope: hold.scope, max_calls_per_hour: limits.max_calls_per_hour, max_concurrent: limits.max_concurrent });
    }
    void call.whenEnded().then(hold.release);
  }
  ch.addPath(`outbound:${route.name}`);
  const out = trunkNumber(route, number);
  for (const name of route.trunks) {
    const trunk = config.trunks.get(name);
    if (trunk === undefined) continue;
    const release = lines.channels.acquire(name, trunk.max_channels);
    if (release === null) {
      ch.log.warn({ trunk: name, max_channels: trunk.max_channels }, 'trunk at its channel limit; trying the next');
      continue;
    }
    const fork = outsideIdentity(trunk, route, ext, callerIdGroup(config, ext), out);
    const result = await attempt(ch, trunk, route, fork, out);
    if (result === 'answered') {
      void call.whenEnded().then(release);
      return 'done';
    }
    release();
    if (result === 'caller-gone' || ch.gone) return 'done';
    const status = call.refusal?.status ?? 0;
    if (!providerFailed(status)) return 'failed';
    ch.log.info({ trunk: name, status }, 'trunk failed; trying the next');
  }
  return 'failed';
}

/**
 * A call out refused by the toll-fraud rules: logged; a waiting caller gets 403 with a Warning
 * (its phone shows or plays the refusal), one the PBX answered hears the congestion tone.
 */
async function refuseOutside(ch: Channel, number: string, reason: string, detail: Record<string, unknown>): Promise<GotoResult> {
  const call = ch.call;
  ch.log.warn({ from: call.parties.from, to: number, reason, ...detail }, 'outside call refused');
  call.refuse(403, reason);
  if (!call.answeredByPbx) {
    call.fail(403, reason, [['Warning', `399 tspbx "${WHY[reason] ?? reason}"`]]);
    return 'done';
  }
  await ch.tone('congestion');
  await ch.waitDigit(REFUSAL_TONE_MS);
  await ch.stopPlay();
  return 'failed';
}

/** One trunk: the INVITE, and once more with credentials when the provider challenges it. */
async function attempt(ch: Channel, trunk: TrunkConfig, route: OutboundRoute, fork: ForkHeaders, out: string): Promise<string> {
  let peer: Peer;
  try {
    peer = await ch.trunks!.peerOf(trunk);
  } catch (err) {
    ch.log.warn({ err, trunk: trunk.name }, 'trunk host cannot be resolved');
    ch.call.refuse(503, 'trunk-unresolved');
    return 'failed';
  }
  const hostPart = trunk.port === (trunk.transport === 'tls' ? 5061 : 5060) ? trunk.host : `${trunk.host}:${trunk.port}`;
  const target: DialTarget = { contact: `sip:${out}@${hostPart}${trunk.transport === 'udp' ? '' : `;transport=${trunk.transport}`}`, peer, ext: `trunk:${trunk.name}` };
  const ringMs = route.ring_timeout * 1000;
  ch.log.info({ trunk: trunk.name, route: route.name, number: out }, 'calling out');
  let result = await ch.call.dial([target], fork, ringMs);
  const challenged = ch.call.lastRefusal;
  if (result === 'failed' && challenged !== null && (challenged.status === 401 || challenged.status === 407) && trunk.password !== null && !ch.gone) {
    const header = challenged.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
    const challenge = parseChallenge(challenged.headers.getAll(header));
    const retryOf = challengedInvite(challenged);
    if (challenge !== null && retryOf !== null) {
      const creds = { username: trunk.auth_username ?? trunk.username ?? '', password: trunk.password };
      const value = authorizationFor(challenge, creds, 'INVITE', target.contact, 1);
      const credentials: [string, string] = [challenged.status === 401 ? 'Authorization' : 'Proxy-Authorization', value];
      result = await ch.call.dial([target], { ...fork, extraHeaders: [...(fork.extraHeaders ?? []), credentials], retryOf }, ringMs);
    }
  }
  return result;
}

/** RFC 3261 22.2: the retried INVITE keeps the challenged one's Call-ID and From tag, its CSeq one higher. */
function challengedInvite(res: SipResponse): ForkHeaders['retryOf'] | null {
  const callId = res.headers.get('call-id');
  const localTag = tagOf(res.headers.get('from'));
  const cseq = parseCSeq(res.headers.get('cseq') ?? '');
  return callId === null || localTag === '' || cseq === null ? null : { callId, localTag, cseq: cseq.seq };
}

/**
 * From, To, P-Asserted-Identity (RFC 3325) and Privacy (RFC 3323) of a call out. The number shown
 * is the first set of: the extension's caller_id, its group's (callerIdGroup), the route's, the
 * trunk's, else the extension number. The display name is the extension's name, or the group's
 * caller_id_name when the group's number is shown. An anonymous extension sends From anonymous
 * with Privacy: id, its number only in P-Asserted-Identity.
 */
export function outsideIdentity(trunk: TrunkConfig, route: OutboundRoute, ext: ExtensionConfig, group: GroupConfig | null, out: string): ForkHeaders {
  const byGroup = ext.outbound.caller_id === null && group?.caller_id != null;
  const cid = ext.outbound.caller_id ?? group?.caller_id ?? route.caller_id ?? trunk.caller_id ?? ext.number;
  const name = byGroup ? (group.caller_id_name ?? ext.name) : ext.name;
  const domain = trunk.from_domain ?? trunk.host;
  const asserted = `${name === '' ? '' : `${quote(name)} `}<sip:${cid}@${domain}>`;
  const headers: Array<[string, string]> = [['P-Asserted-Identity', asserted]];
  let from: string;
  if (ext.outbound.anonymous) {
    from = '"Anonymous" <sip:anonymous@anonymous.invalid>';
    headers.push(['Privacy', 'id']);
  } else {
    from = `${name === '' ? '' : `${quote(name)} `}<sip:${trunk.from_user ?? cid}@${domain}>`;
  }
  return { from, to: `<sip:${out}@${domain}>`, maxForwards: 70, extraHeaders: headers };
}
