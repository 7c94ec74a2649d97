// Dialling an outside number for an extension, shared by every call that goes out: an
// extension's own call (apps/outbound.ts) and a call the PBX originates for it (click-to-call,
// the callback widget, queue and missed-call callbacks). The toll-fraud rules first
// (permitOutside): only an extension's call goes out, a route must match, its class must be
// allowed (emergency always is), and the spend guards (calls per hour, outside calls at once),
// the extension's own and the PBX-wide outbound_limits, must not be reached. Then the route's
// trunks in order (dialOutside), the next one tried when a provider fails (408 no response, 5xx,
// 503); a refusal by the called party (busy, 404, declined) ends the attempt.
import type { ConnectResult, DialTarget, ForkHeaders } from './call.js';
import type { Config, ExtensionConfig, GroupConfig, OutboundRoute, TrunkConfig } from '../config/types.js';
import { parseCSeq, quote, tagOf } from '../sip/grammar.js';
import type { Peer, SipResponse } from '../sip/message.js';
import { authorizationFor, parseChallenge } from '../sip/auth/digest-client.js';
import { callerIdGroup, findRoute, mayDial, trunkNumber } from '../trunks/routes.js';
import type { TrunkService } from '../trunks/service.js';
import type { Log } from '../util/log.js';

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

/** Why an outside call is not placed: the SIP status (404 no route, 403 refused), the reason and what was checked. */
export interface OutsideRefusal {
  ok: false;
  status: 403 | 404;
  reason: string;
  /** The Warning text (and the API's message): why, in words. */
  message: string;
  detail: Record<string, unknown>;
}

/** An outside call that may go out: its route, and the spend-guard hold to release when the call ends. */
export interface OutsidePermit {
  ok: true;
  route: OutboundRoute;
  ext: ExtensionConfig;
  release: () => void;
}

/**
 * The toll-fraud rules for extension `from` (null: the call came from a trunk) calling `number`
 * out: a route must match, the extension may dial its class (emergency always), and the spend
 * guards (its own and the PBX-wide outbound_limits) must not be reached. A permit holds one
 * outside call of the guards until its release() runs.
 */
export function permitOutside(config: Config, lines: TrunkService | null, from: string | null, number: string): OutsidePermit | OutsideRefusal {
  const ext = from === null ? undefined : config.extensions.get(from);
  const refused = (reason: string, detail: Record<string, unknown>): OutsideRefusal => ({ ok: false, status: 403, reason, message: WHY[reason] ?? reason, detail });
  if (ext === undefined || lines === null) return refused('not-an-extension', {});
  const route = findRoute(config, number);
  if (route === null) return { ok: false, status: 404, reason: 'no-route', message: `no outbound route matches ${number}`, detail: {} };
  if (!mayDial(ext.outbound, route.class)) return refused('class-not-allowed', { class: route.class, allow: ext.outbound.allow });
  if (route.class === 'emergency') return { ok: true, route, ext, release: () => undefined };
  const hold = lines.limits.start(ext.number, ext.outbound, config.outbound_limits);
  if (!hold.ok) {
    const limits = hold.scope === 'pbx' ? config.outbound_limits : ext.outbound;
    return refused(hold.scope === 'pbx' ? `pbx-${hold.refusal}` : hold.refusal, { scope: hold.scope, max_calls_per_hour: limits.max_calls_per_hour, max_concurrent: limits.max_concurrent });
  }
  return { ok: true, route, ext, release: hold.release };
}

/** How dialOutside rings one trunk: a Call's dial, or an originated call's second ring. */
export interface OutsideDialer {
  readonly log: Log;
  /** True once the party waiting for the outside call is gone. */
  gone(): boolean;
  /** A trunk failed before any INVITE (its host unresolved): the status and reason a refusal carries. */
  refuse(status: number, reason: string): void;
  /**
   * Rings one target for at most `ringMs`, giving up after `silenceMs` without any response (the
   * trunk's response_timeout); the final status when it failed (0: none) and the response, kept
   * for a challenge.
   */
  dial(target: DialTarget, fork: ForkHeaders, ringMs: number, silenceMs: number): Promise<{ result: ConnectResult; status: number; response: SipResponse | null }>;
}

/**
 * Dials `number` out for a permitted call: through the route's trunks in order (strip, prepend,
 * the caller ID of outsideIdentity), the next trunk when a provider failed, a challenge answered
 * once with the trunk's credentials. On 'answered', `release` frees the trunk channel (run it
 * when the call ends) and `trunk` names the trunk that answered.
 */
export async function dialOutside(config: Config, lines: TrunkService, permit: OutsidePermit, number: string, dialer: OutsideDialer): Promise<{ result: ConnectResult; status: number; trunk: string | null; release: () => void }> {
  const { route, ext } = permit;
  const out = trunkNumber(route, number);
  let status = 0;
  for (const name of route.trunks) {
    const trunk = config.trunks.get(name);
    if (trunk === undefined) continue;
    const release = lines.channels.acquire(name, trunk.max_channels);
    if (release === null) {
      dialer.log.warn({ trunk: name, max_channels: trunk.max_channels }, 'trunk at its channel limit; trying the next');
      continue;
    }
    const fork = outsideIdentity(trunk, route, ext, callerIdGroup(config, ext), out);
    const tried = await attempt(lines, dialer, trunk, route, fork, out);
    if (tried.result === 'answered') return { result: 'answered', status: 0, trunk: name, release };
    release();
    status = tried.status;
    if (tried.result === 'caller-gone' || dialer.gone()) return { result: 'caller-gone', status, trunk: null, release: () => undefined };
    if (!providerFailed(status)) break;
    dialer.log.info({ trunk: name, status }, 'trunk failed; trying the next');
  }
  return { result: 'failed', status, trunk: null, release: () => undefined };
}

/** One trunk: the INVITE, and once more with credentials when the provider challenges it. */
async function attempt(lines: TrunkService, dialer: OutsideDialer, trunk: TrunkConfig, route: OutboundRoute, fork: ForkHeaders, out: string): Promise<{ result: ConnectResult; status: number }> {
  let peer: Peer;
  try {
    peer = await lines.peerOf(trunk);
  } catch (err) {
    dialer.log.warn({ err, trunk: trunk.name }, 'trunk host cannot be resolved');
    dialer.refuse(503, 'trunk-unresolved');
    return { result: 'failed', status: 503 };
  }
  const hostPart = trunk.port === (trunk.transport === 'tls' ? 5061 : 5060) ? trunk.host : `${trunk.host}:${trunk.port}`;
  const target: DialTarget = { contact: `sip:${out}@${hostPart}${trunk.transport === 'udp' ? '' : `;transport=${trunk.transport}`}`, peer, ext: `trunk:${trunk.name}` };
  const ringMs = route.ring_timeout * 1000;
  dialer.log.info({ trunk: trunk.name, route: route.name, number: out }, 'calling out');
  const silenceMs = trunk.response_timeout * 1000;
  let tried = await dialer.dial(target, fork, ringMs, silenceMs);
  const challenged = tried.response;
  if (tried.result === 'failed' && challenged !== null && (challenged.status === 401 || challenged.status === 407) && trunk.password !== null && !dialer.gone()) {
    const header = challenged.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
    const challenge = parseChallenge(challenged.headers.getAll(header));
    const retryOf = challengedInvite(challenged);
    if (challenge !== null && retryOf !== null) {
      const creds = { username: trunk.auth_username ?? trunk.username ?? '', password: trunk.password };
      const value = authorizationFor(challenge, creds, 'INVITE', target.contact, 1);
      const credentials: [string, string] = [challenged.status === 401 ? 'Authorization' : 'Proxy-Authorization', value];
      tried = await dialer.dial(target, { ...fork, extraHeaders: [...(fork.extraHeaders ?? []), credentials], retryOf }, ringMs, silenceMs);
    }
  }
  return { result: tried.result, status: tried.status };
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
