// Call transfer by REFER (RFC 3515) and dialog replacement (RFC 3891), on the two primitives of
// Call: release() lets the transferor's leg go and keeps the other party held by the PBX, and
// Call.link() joins the held parties of two calls.
//
// Blind: the REFER's Refer-To names a number; the party that stays is carried to what it routes
// to (an extension rings for it with ringback, as a hand-over). Attended: Refer-To carries
// ?Replaces= naming the transferor's dialog in a second call; the two parties that stay are
// linked, the transferor's two legs are hung up. A target still ringing (semi-attended) is rung
// again for the transferee, as a blind transfer. An INVITE with Replaces takes the place of the
// dialog it names (a ringing one is picked up).
// The REFER gets 202 and an implicit subscription (RFC 3515 2.4.4): NOTIFY message/sipfrag
// "SIP/2.0 100 Trying", then the final; Refer-Sub: false (RFC 4488) turns them off.
import type { Destination } from '../config/types.js';
import { parseNameAddr } from '../sip/grammar.js';
import { parseUri } from '../sip/uri.js';
import type { ServerTransaction } from '../sip/transaction/types.js';
import { Call } from './call.js';
import type { Leg } from './leg.js';

/** A dialog named by a Replaces header field (RFC 3891 6.1). */
export interface ReplacesTarget {
  callId: string;
  toTag: string;
  fromTag: string;
  earlyOnly: boolean;
}

/** What transfers need from call control. */
export interface TransferHost {
  /** A leg of the PBX with this Call-ID and local tag whose peer has `remoteTag`, with its call. */
  dialog(callId: string, localTag: string, remoteTag: string): { leg: Leg; call: Call } | null;
  /** What a number routes to (an extension, a feature, an app); null when nothing. */
  resolve(number: string): Destination | null;
  /** Carries a call's held party to a destination (as a new call's first destination). */
  carry(call: Call, dest: Destination): void;
}

/** Reads a Replaces value: `callid;to-tag=x;from-tag=y[;early-only]`; null when malformed. */
export function parseReplaces(value: string | null): ReplacesTarget | null {
  if (value === null) return null;
  const [callId, ...params] = value.split(';').map((p) => p.trim());
  if (callId === undefined || callId === '') return null;
  let toTag: string | null = null;
  let fromTag: string | null = null;
  let earlyOnly = false;
  for (const p of params) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).toLowerCase();
    const v = eq < 0 ? '' : p.slice(eq + 1);
    if (name === 'to-tag') toTag = v;
    else if (name === 'from-tag') fromTag = v;
    else if (name === 'early-only') earlyOnly = true;
  }
  return toTag === null || fromTag === null ? null : { callId, toTag, fromTag, earlyOnly };
}

/** The Refer-To of a REFER: the number it names, and the dialog its ?Replaces= names. */
export function parseReferTo(value: string | null): { number: string; replaces: ReplacesTarget | null } | null {
  const na = value === null ? null : parseNameAddr(value);
  const uri = na === null ? null : parseUri(na.uri);
  if (uri === null || uri.user === null || uri.user === '') return null;
  let replaces: ReplacesTarget | null = null;
  for (const [name, v] of uri.headers) {
    if (name.toLowerCase() !== 'replaces') continue;
    let decoded: string;
    try {
      decoded = decodeURIComponent(v);
    } catch {
      return null;
    }
    replaces = parseReplaces(decoded);
    if (replaces === null) return null;
  }
  return { number: uri.user, replaces };
}

/**
 * The dialog a Replaces names, seen from the PBX: RFC 3891 3 compares to-tag with our tag and
 * from-tag with the peer's; the reverse reading is accepted too (a transferor that wrote the tags
 * of its own view).
 */
export function findReplaced(host: TransferHost, r: ReplacesTarget): { leg: Leg; call: Call } | null {
  return host.dialog(r.callId, r.toTag, r.fromTag) ?? host.dialog(r.callId, r.fromTag, r.toTag);
}

/** RFC 3515 2.4.4: the implicit subscription of a REFER, reported by NOTIFYs in its dialog. */
class ReferReport {
  readonly #leg: Leg;
  readonly #on: boolean;

  constructor(leg: Leg, on: boolean) {
    this.#leg = leg;
    this.#on = on;
  }

  trying(): void {
    void this.#notify('SIP/2.0 100 Trying', 'active;expires=60');
  }

  /** The outcome (RFC 3515 2.4.5); resolves once the NOTIFY is answered. */
  async final(status: number, reason: string): Promise<void> {
    await this.#notify(`SIP/2.0 ${status} ${reason}`, 'terminated;reason=noresource');
  }

  async #notify(frag: string, state: string): Promise<void> {
    if (!this.#on) return;
    await this.#leg.request('NOTIFY', {
      body: Buffer.from(`${frag}\r\n`),
      contentType: 'message/sipfrag;version=2.0',
      headers: [
        ['Event', 'refer'],
        ['Subscription-State', state],
      ],
    });
  }
}

/** A REFER in an answered call, from either party. */
export function onRefer(call: Call, leg: Leg, st: ServerTransaction, host: TransferHost): void {
  const req = st.request;
  const target = parseReferTo(req.headers.get('refer-to'));
  if (target === null) {
    leg.answer(st, 400, { headers: [['Warning', '399 tspbx "Refer-To must be a SIP URI with a number, ?Replaces=callid;to-tag=;from-tag= for an attended transfer"']] });
    return;
  }
  leg.answer(st, 202);
  const report = new ReferReport(leg, (req.headers.get('refer-sub') ?? '').trim().toLowerCase() !== 'false');
  report.trying();
  const done = target.replaces === null ? blind(call, leg, target.number, report, host) : attended(call, leg, target.replaces, target.number, report, host);
  done.catch((err: unknown) => call.log.error({ err }, 'transfer failed'));
}

/** A transfer asked for by feature code (features.blind_transfer, features.park): as a blind REFER without its NOTIFYs. */
export function blindTransfer(call: Call, leg: Leg, number: string, host: TransferHost): void {
  blind(call, leg, number, new ReferReport(leg, false), host).catch((err: unknown) => call.log.error({ err }, 'transfer failed'));
}

async function blind(call: Call, leg: Leg, number: string, report: ReferReport, host: TransferHost): Promise<void> {
  const dest = host.resolve(number);
  if (dest === null) {
    call.log.info({ to: number }, 'transfer to an unknown number');
    await report.final(404, 'Not Found');
    return;
  }
  if (!call.release(leg)) {
    await report.final(503, 'Service Unavailable');
    return;
  }
  call.log.info({ to: number }, 'blind transfer');
  call.addPath(`xfer:${number}`);
  host.carry(call, dest);
  await report.final(200, 'OK');
  call.dismiss(leg);
}

async function attended(call: Call, leg: Leg, r: ReplacesTarget, number: string, report: ReferReport, host: TransferHost): Promise<void> {
  const found = findReplaced(host, r);
  if (found === null || found.call === call || found.call.ended) {
    call.log.info({ replaces: r.callId }, 'attended transfer names no dialog of the PBX');
    await report.final(481, 'Call/Transaction Does Not Exist');
    return;
  }
  const y = found.call;
  if (y.state !== 'answered') {
    // Semi-attended: the transferor hangs up while the target still rings; it rings for the transferee.
    call.log.info({ target: y.id }, 'transfer to a call still ringing');
    const ext = y.parties.callee ?? y.parties.to;
    void y.hangup('transferred-while-ringing');
    await blind(call, leg, ext, report, host);
    return;
  }
  if (!call.release(leg)) {
    await report.final(503, 'Service Unavailable');
    return;
  }
  if (!y.release(found.leg)) {
    await report.final(503, 'Service Unavailable');
    void call.hangup('transfer-failed');
    return;
  }
  call.addPath(`xfer:${y.parties.from}`);
  y.addPath(`xfer:${call.parties.from}`);
  call.log.info({ with: y.id, to: number }, 'attended transfer');
  const linked = await Call.link(call, y);
  await report.final(linked ? 200 : 503, linked ? 'OK' : 'Service Unavailable');
  call.dismiss(leg);
  y.dismiss(found.leg);
}

/**
 * A new call whose INVITE carries Replaces (RFC 3891): it takes the place of the dialog named.
 * A ringing call is picked up; in an answered one the replaced leg is hung up and the new caller
 * linked to the party that stays. 481 when no dialog matches (or early-only names an answered one).
 */
export async function replaceDialog(call: Call, r: ReplacesTarget, host: TransferHost): Promise<void> {
  const found = findReplaced(host, r);
  const y = found?.call ?? null;
  if (found === null || y === null || y === call || y.ended || (r.earlyOnly && y.state === 'answered')) {
    call.log.info({ replaces: r.callId }, 'Replaces names no dialog of the PBX');
    call.fail(481, 'replaces-no-dialog');
    return;
  }
  if (y.state !== 'answered') {
    if (!(await y.pickUp()) || !(await call.answerLocally())) return;
    y.addPath(`pickup:${call.parties.from}`);
    call.addPath(`pickup:${y.parties.from}`);
    await Call.link(call, y);
    return;
  }
  if (!(await call.answerLocally())) return;
  if (!y.release(found.leg)) {
    await call.hangup('replaces-failed');
    return;
  }
  y.addPath(`replaced:${call.parties.from}`);
  call.addPath(`replaces:${y.parties.from}`);
  await Call.link(call, y);
  y.dismiss(found.leg);
}
