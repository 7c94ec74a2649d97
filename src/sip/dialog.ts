// A SIP dialog (RFC 3261 section 12): the peer-to-peer relationship an INVITE sets up, identified by
// Call-ID, local tag and remote tag. It keeps the state in-dialog requests need (CSeq numbers, route
// set, remote target) and builds those requests with the RFC's Request-URI/Route rules.
import { getTag, parseCSeq, parseNameAddr, splitList } from './grammar.js';
import { Headers, SipRequest, type Peer, type SipResponse } from './message.js';
import { formatUri, parseUri } from './uri.js';

export type DialogState = 'early' | 'confirmed' | 'terminated';

/** Options for a request built inside a dialog. */
export interface InDialogOptions {
  body?: Buffer;
  contentType?: string;
  /** Extra header lines, added after the dialog's own. */
  headers?: Array<[string, string]>;
}

/** The key under which a dialog is found from an incoming request: Call-ID and our (local) tag. */
export function dialogKey(callId: string, localTag: string): string {
  return `${callId}\n${localTag}`;
}

export class Dialog {
  readonly callId: string;
  readonly localTag: string;
  remoteTag: string;
  /** From/To header values as our requests write them (name-addr with tag). */
  readonly localUri: string;
  readonly remoteUri: string;
  /** RFC 3261 12.1: local sequence number; the next request gets localSeq + 1. */
  localSeq: number;
  /** Highest CSeq seen from the remote side, null until a request arrives. */
  remoteSeq: number | null;
  /** Record-Route values in the order our requests must carry them as Route. */
  routeSet: string[];
  /** The remote target: the URI from the peer's Contact. */
  remoteTarget: string;
  /** Our Contact header value (a name-addr). */
  readonly localContact: string;
  /** RFC 3261 12.1.1: true when the request came over TLS with a sips Request-URI. */
  readonly secure: boolean;
  /** Where in-dialog requests go: the address the peer's messages really come from (NAT-safe). */
  peer: Peer;
  state: DialogState;

  private constructor(init: {
    callId: string;
    localTag: string;
    remoteTag: string;
    localUri: string;
    remoteUri: string;
    localSeq: number;
    remoteSeq: number | null;
    routeSet: string[];
    remoteTarget: string;
    localContact: string;
    secure: boolean;
    peer: Peer;
    state: DialogState;
  }) {
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.routeSet = init.routeSet;
    this.remoteTarget = init.remoteTarget;
    this.localContact = init.localContact;
    this.secure = init.secure;
    this.peer = init.peer;
    this.state = init.state;
  }

  /**
   * RFC 3261 12.1.1: the UAS side, from the INVITE and the 1xx/2xx (carrying `localTag` in its To)
   * we answer it with. The route set is the request's Record-Route in order; the remote target its Contact.
   */
  static fromUas(req: SipRequest, localTag: string, status: number, localContact: string, peer: Peer): Dialog {
    const callId = required(req, 'call-id');
    const from = required(req, 'from');
    const to = required(req, 'to');
    const contact = req.headers.get('contact');
    const cseq = parseCSeq(required(req, 'cseq'));
    if (cseq === null) throw new Error('dialog: bad CSeq');
    return new Dialog({
      callId,
      localTag,
      remoteTag: getTag(from) ?? '',
      localUri: getTag(to) === null ? `${to};tag=${localTag}` : to,
      remoteUri: from,
      localSeq: 0,
      remoteSeq: cseq.seq,
      routeSet: recordRoutes(req.headers),
      remoteTarget: contact === null ? uriOf(from) : uriOf(splitList(contact)[0] ?? contact),
      localContact,
      secure: peer.transport === 'tls' && /^sips:/i.test(req.uri),
      peer,
      state: status >= 200 ? 'confirmed' : 'early',
    });
  }

  /**
   * RFC 3261 12.1.2: the UAC side, from the INVITE we sent and a 1xx (with a To tag) or 2xx response.
   * The route set is the response's Record-Route reversed; the remote target its Contact.
   */
  static fromUac(req: SipRequest, res: SipResponse, peer: Peer): Dialog {
    const to = res.headers.get('to') ?? required(req, 'to');
    const remoteTag = getTag(to);
    if (remoteTag === null) throw new Error('dialog: response without a To tag');
    const from = required(req, 'from');
    const localTag = getTag(from);
    if (localTag === null) throw new Error('dialog: request without a From tag');
    const cseq = parseCSeq(required(req, 'cseq'));
    if (cseq === null) throw new Error('dialog: bad CSeq');
    const contact = res.headers.get('contact');
    return new Dialog({
      callId: required(req, 'call-id'),
      localTag,
      remoteTag,
      localUri: from,
      remoteUri: to,
      localSeq: cseq.seq,
      remoteSeq: null,
      routeSet: recordRoutes(res.headers).reverse(),
      remoteTarget: contact === null ? req.uri : uriOf(splitList(contact)[0] ?? contact),
      localContact: req.headers.get('contact') ?? '',
      secure: peer.transport === 'tls' && /^sips:/i.test(req.uri),
      peer,
      state: res.status >= 200 ? 'confirmed' : 'early',
    });
  }

  get key(): string {
    return dialogKey(this.callId, this.localTag);
  }

  /**
   * RFC 3261 12.2.1.1: a new request in this dialog. Every method but ACK and CANCEL takes the next
   * local CSeq. The Contact goes on target refresh requests (INVITE, UPDATE).
   */
  createRequest(method: string, options: InDialogOptions = {}): SipRequest {
    if (method === 'ACK' || method === 'CANCEL') throw new Error(`dialog: ${method} is not built by createRequest`);
    this.localSeq += 1;
    return this.#build(method, this.localSeq, options);
  }

  /** RFC 3261 13.2.2.4: the ACK for a 2xx carries the INVITE's CSeq number and method ACK. */
  createAck(inviteSeq: number, options: InDialogOptions = {}): SipRequest {
    return this.#build('ACK', inviteSeq, options);
  }

  #build(method: string, seq: number, options: InDialogOptions): SipRequest {
    const h = new Headers();
    const { uri, routes } = this.#requestTarget();
    for (const r of routes) h.add('route', r);
    h.add('max-forwards', '70');
    h.add('from', this.localUri);
    h.add('to', this.remoteTag === '' ? this.remoteUri : withTag(this.remoteUri, this.remoteTag));
    h.add('call-id', this.callId);
    h.add('cseq', `${seq} ${method}`);
    if ((method === 'INVITE' || method === 'UPDATE') && this.localContact !== '') h.add('contact', this.localContact);
    for (const [name, value] of options.headers ?? []) h.add(name, value);
    const body = options.body ?? Buffer.alloc(0);
    if (body.length > 0) h.add('content-type', options.contentType ?? 'application/sdp');
    h.add('content-length', String(body.length));
    return new SipRequest(method, uri, h, body);
  }

  /**
   * RFC 3261 12.2.1.1: with an empty route set or a loose first route, the Request-URI is the
   * remote target and Route is the route set; with a strict first route (no `lr`), the Request-URI
   * is that route's URI and the remote target goes last in Route.
   */
  #requestTarget(): { uri: string; routes: string[] } {
    const first = this.routeSet[0];
    if (first === undefined || routeIsLoose(first)) return { uri: this.remoteTarget, routes: this.routeSet };
    return { uri: stripUriParamsForRequestUri(uriOf(first)), routes: [...this.routeSet.slice(1), `<${this.remoteTarget}>`] };
  }

  /**
   * RFC 3261 12.2.2: checks and records an incoming request's CSeq. Returns false when it is lower
   * than one already seen (the caller answers 500). A target refresh (INVITE, UPDATE) with a
   * Contact replaces the remote target.
   */
  receiveRequest(req: SipRequest): boolean {
    const cseq = parseCSeq(req.headers.get('cseq') ?? '');
    if (cseq === null) return false;
    if (req.method !== 'ACK' && req.method !== 'CANCEL') {
      if (this.remoteSeq !== null && cseq.seq <= this.remoteSeq) return false;
      this.remoteSeq = cseq.seq;
    }
    if (req.method === 'INVITE' || req.method === 'UPDATE') this.#refreshTarget(req.headers);
    return true;
  }

  /**
   * A response to a request we sent in this dialog (or to the INVITE that made it). An early dialog
   * becomes confirmed on 2xx and takes the 2xx's route set (RFC 3261 12.1.2, 13.2.2.4); a 2xx to a
   * target refresh updates the remote target (12.2.1.2).
   */
  receiveResponse(res: SipResponse, method: string): void {
    if (res.status < 200 || res.status >= 300) return;
    if (this.state === 'early' && method === 'INVITE') {
      this.state = 'confirmed';
      this.routeSet = recordRoutes(res.headers).reverse();
    }
    if (method === 'INVITE' || method === 'UPDATE') this.#refreshTarget(res.headers);
  }

  /** The UAS side sends its 2xx: the early dialog is confirmed. */
  confirm(): void {
    if (this.state === 'early') this.state = 'confirmed';
  }

  terminate(): void {
    this.state = 'terminated';
  }

  #refreshTarget(headers: Headers): void {
    const contact = headers.get('contact');
    if (contact === null) return;
    const first = splitList(contact)[0];
    if (first !== undefined) this.remoteTarget = uriOf(first);
  }
}

function required(req: SipRequest, name: string): string {
  const v = req.headers.get(name);
  if (v === null) throw new Error(`dialog: request without ${name}`);
  return v;
}

/** Every Record-Route entry in order, each line split at its commas. */
function recordRoutes(h: Headers): string[] {
  const out: string[] = [];
  for (const line of h.getAll('record-route')) for (const v of splitList(line)) out.push(v.trim());
  return out;
}

function uriOf(nameAddr: string): string {
  return parseNameAddr(nameAddr)?.uri ?? nameAddr.trim();
}

/** RFC 3261 19.1.1: a route with the `lr` parameter is a loose router. */
function routeIsLoose(route: string): boolean {
  return parseUri(uriOf(route))?.params.has('lr') ?? false;
}

function withTag(nameAddr: string, tag: string): string {
  return getTag(nameAddr) === null ? `${nameAddr};tag=${tag}` : nameAddr;
}

/** RFC 3261 19.1.1 table 1: a Request-URI carries no method parameter and no headers. */
function stripUriParamsForRequestUri(uri: string): string {
  const u = parseUri(uri);
  if (u === null) return uri;
  u.params.delete('method');
  u.headers.clear();
  return formatUri(u);
}

