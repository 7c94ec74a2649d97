// Where each new request goes (a request that matched no transaction): REGISTER to the
// registrar, calls and dialogs to call control, and the rest answered here the way RFC 3261
// and RFC 4475 expect from a PBX that does not serve them.
import { responseTo, type SipRequest, type SipResponse } from '../sip/message.js';
import { uriScheme } from '../sip/uri.js';
import { newTag } from '../sip/ids.js';
import type { ServerTransaction } from '../sip/transaction/types.js';

/** Methods this PBX serves (RFC 3261 20.5 Allow). */
const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, INFO, SUBSCRIBE';

/** Methods we recognise: known but not served here gets 405 with Allow, unknown 501 (RFC 3261 8.2.1, 21.5.2). */
const KNOWN_METHODS = new Set(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'UPDATE', 'INFO', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'REFER', 'MESSAGE']);

/** Request-URI schemes we serve; anything else gets 416 (RFC 3261 8.2.2.1). */
const SCHEMES = new Set(['sip', 'sips']);

/** Requests that end here rather than being forwarded: Max-Forwards 0 is no reason to refuse them. */
const TERMINATING = new Set(['REGISTER', 'OPTIONS']);

export interface DispatchTargets {
  register(st: ServerTransaction): void;
  /** Call control: true when it took the request (INVITE, anything with a To tag, dialog-only methods). */
  call(st: ServerTransaction): boolean;
  /**
   * The subscription server (RFC 6665): true when it took a SUBSCRIBE; false for an in-dialog one
   * of no subscription, which then goes to call control. Without it SUBSCRIBE gets 489.
   */
  subscribe?(st: ServerTransaction): boolean;
  /** The event packages served (Allow-Events on OPTIONS). */
  allowEvents?: string;
  /** Header values for responses made here (Server). */
  server: () => string;
}

export function dispatchRequest(st: ServerTransaction, targets: DispatchTargets): void {
  const req = st.request;
  const scheme = uriScheme(req.uri);
  if (scheme === null || !SCHEMES.has(scheme.toLowerCase())) {
    st.respond(local(req, 416, targets));
    return;
  }
  if (!TERMINATING.has(req.method) && maxForwards(req) === 0) {
    // RFC 3261 16.3 item 2: a request that would be forwarded with no hops left.
    st.respond(local(req, 483, targets));
    return;
  }
  if (!KNOWN_METHODS.has(req.method)) {
    st.respond(withAllow(local(req, 501, targets)));
    return;
  }
  if (req.method === 'REGISTER') {
    targets.register(st);
    return;
  }
  if (req.method === 'SUBSCRIBE' && targets.subscribe?.(st) === true) return;
  if (targets.call(st)) return;
  st.respond(outOfDialog(req, targets));
}

/** The answer to a known request outside any dialog that call control did not take. */
function outOfDialog(req: SipRequest, targets: DispatchTargets): SipResponse {
  switch (req.method) {
    case 'OPTIONS': {
      // RFC 3261 11.2: what we support, with a To tag as for any final response.
      const res = withAllow(local(req, 200, targets));
      res.headers.add('accept', 'application/sdp');
      if (targets.allowEvents !== undefined) res.headers.add('allow-events', targets.allowEvents);
      return res;
    }
    case 'CANCEL':
      // RFC 3261 9.2: a CANCEL that matches no transaction.
      return local(req, 481, targets);
    case 'SUBSCRIBE':
    case 'PUBLISH':
      // RFC 6665 4.2.1.2 and RFC 3903 6.3: no event package is served here (PUBLISH never is).
      return local(req, 489, targets);
    default:
      return withAllow(local(req, 405, targets));
  }
}

function maxForwards(req: SipRequest): number | null {
  const v = req.headers.get('max-forwards');
  if (v === null) return null;
  const n = Number(v.trim());
  return Number.isInteger(n) ? n : null;
}

function local(req: SipRequest, status: number, targets: DispatchTargets): SipResponse {
  const res = responseTo(req, status, undefined, status > 100 ? newTag() : undefined);
  res.headers.add('server', targets.server());
  return res;
}

function withAllow(res: SipResponse): SipResponse {
  res.headers.add('allow', ALLOW);
  return res;
}
