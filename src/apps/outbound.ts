// Calls to outside numbers: an extension's call that matched an outbound route goes out through
// the route's trunks in order, the next one tried when a provider fails (408 no response, 5xx,
// 503); a refusal by the called party (busy, 404, declined) goes back to the caller. Before that
// the toll-fraud rules: only an extension's own call (never a trunk call) goes out, its class
// must be allowed (emergency always is), and its spend guard (calls per hour, outside calls at
// once) must not be reached; a refusal is 403 and a log line.
import type { DialTarget, ForkHeaders } from '../calls/call.js';
import type { ExtensionConfig, OutboundRoute, TrunkConfig } from '../config/types.js';
import { quote } from '../sip/grammar.js';
import type { Peer } from '../sip/message.js';
import { authorizationFor, parseChallenge } from '../sip/auth/digest-client.js';
import { findRoute, mayDial, trunkNumber } from '../trunks/routes.js';
import type { Channel } from './channel.js';
import type { GotoResult } from './goto.js';

/** How long a provider's call may ring before the attempt ends (no failover: the callee did not answer). */
const OUTSIDE_RING_MS = 120_000;

/** Statuses after which the next trunk is tried: the provider failed, not the called party. */
function providerFailed(status: number): boolean {
  return status === 408 || (status >= 500 && status < 600);
}

export async function outboundApp(ch: Channel, number: string): Promise<GotoResult> {
  const call = ch.call;
  const config = ch.routing.config;
  const lines = ch.trunks;
  const ext = config.extensions.get(call.parties.from);
  const refuse = (reason: string, detail: Record<string, unknown>): GotoResult => {
    ch.log.warn({ from: call.parties.from, to: number, reason, ...detail }, 'outside call refused');
    call.refuse(403, reason);
    return 'failed';
  };
  if (call.parties.trunk != null || ext === undefined || lines === null) return refuse('not-an-extension', { trunk: call.parties.trunk ?? null });
  const route = findRoute(config, number);
  if (route === null) {
    call.refuse(404, 'no-route');
    return 'failed';
  }
  if (!mayDial(ext.outbound, route.class)) return refuse('class-not-allowed', { class: route.class, allow: ext.outbound.allow });
  if (route.class !== 'emergency') {
    const hold = lines.limits.start(ext.number, ext.outbound);
    if (!hold.ok) return refuse(hold.refusal, { max_calls_per_hour: ext.outbound.max_calls_per_hour, max_concurrent: ext.outbound.max_concurrent });
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
    const result = await attempt(ch, trunk, route, ext, out);
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

/** One trunk: the INVITE, and once more with credentials when the provider challenges it. */
async function attempt(ch: Channel, trunk: TrunkConfig, route: OutboundRoute, ext: ExtensionConfig, out: string): Promise<string> {
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
  const fork = outsideIdentity(trunk, route, ext, out);
  ch.log.info({ trunk: trunk.name, route: route.name, number: out }, 'calling out');
  let result = await ch.call.dial([target], fork, OUTSIDE_RING_MS);
  const challenged = ch.call.lastRefusal;
  if (result === 'failed' && challenged !== null && (challenged.status === 401 || challenged.status === 407) && trunk.password !== null && !ch.gone) {
    const header = challenged.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
    const challenge = parseChallenge(challenged.headers.getAll(header));
    if (challenge !== null) {
      const creds = { username: trunk.auth_username ?? trunk.username ?? '', password: trunk.password };
      const value = authorizationFor(challenge, creds, 'INVITE', target.contact, 1);
      const credentials: [string, string] = [challenged.status === 401 ? 'Authorization' : 'Proxy-Authorization', value];
      result = await ch.call.dial([target], { ...fork, extraHeaders: [...(fork.extraHeaders ?? []), credentials] }, OUTSIDE_RING_MS);
    }
  }
  return result;
}

/**
 * From, To, P-Asserted-Identity (RFC 3325) and Privacy (RFC 3323) of a call out: the number shown
 * is the extension's caller_id, else the route's, else the trunk's, else the extension number; an
 * anonymous extension sends From anonymous with Privacy: id, its number only in P-Asserted-Identity.
 */
export function outsideIdentity(trunk: TrunkConfig, route: OutboundRoute, ext: ExtensionConfig, out: string): ForkHeaders {
  const cid = ext.outbound.caller_id ?? route.caller_id ?? trunk.caller_id ?? ext.number;
  const domain = trunk.from_domain ?? trunk.host;
  const asserted = `<sip:${cid}@${domain}>`;
  const headers: Array<[string, string]> = [['P-Asserted-Identity', asserted]];
  let from: string;
  if (ext.outbound.anonymous) {
    from = '"Anonymous" <sip:anonymous@anonymous.invalid>';
    headers.push(['Privacy', 'id']);
  } else {
    from = `${ext.name === '' ? '' : `${quote(ext.name)} `}<sip:${trunk.from_user ?? cid}@${domain}>`;
  }
  return { from, to: `<sip:${out}@${domain}>`, maxForwards: 70, extraHeaders: headers };
}
