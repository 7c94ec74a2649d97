// A Leg is one SIP dialog side of a call: the UAS leg towards the caller, a UAC leg towards each
// contact of the callee. It owns the dialog, sends in-dialog requests, and keeps the INVITE/2xx/ACK
// exchange reliable end to end (RFC 3261 13.3.1.4 and 13.2.2.4), which the transaction layer leaves
// to the TU.
import { Dialog, dialogKey, type InDialogOptions } from '../sip/dialog.js';
import { parseCSeq, tagOf } from '../sip/grammar.js';
import { newTag } from '../sip/ids.js';
import { Headers, SipRequest, responseTo, type Peer, type SipResponse } from '../sip/message.js';
import type { Clock, ClientTransaction, ServerTransaction, Timers, TransactionLayer } from '../sip/transaction/types.js';
import { cseqNumber } from './headers.js';

/** The methods a leg accepts in its dialog (RFC 3261 20.5). */
const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER';

export interface LegContext {
  transactions: TransactionLayer;
  clock: Clock;
  timers: Timers;
  /** Header lines every request we originate carries (User-Agent, Allow). */
  requestHeaders: ReadonlyArray<[string, string]>;
  /** Header lines every response we originate carries (Server). */
  responseHeaders: ReadonlyArray<[string, string]>;
  /** Our SDP as the peer `to` is to see it (the external media address outside the local networks); as is when absent. */
  sdpFor?: (body: Buffer, to: Peer) => Buffer;
}

interface Pending2xx {
  seq: number;
  res: SipResponse;
  to: Peer;
  interval: number;
  deadline: number;
  handle: unknown;
}

export abstract class Leg {
  readonly callId: string;
  readonly localTag: string;
  dialog: Dialog | null = null;
  /** Called when a 2xx we sent got no ACK within 64*T1 (RFC 3261 13.3.1.4: the UAS then sends BYE). */
  onAckTimeout: (() => void) | null = null;
  protected readonly ctx: LegContext;
  #pending2xx: Pending2xx | null = null;
  /** The ACK we sent for the latest 2xx to one of our INVITEs, re-sent when that 2xx comes again. */
  #lastAck: { seq: number; ack: SipRequest } | null = null;
  #closed = false;

  protected constructor(ctx: LegContext, callId: string, localTag: string) {
    this.ctx = ctx;
    this.callId = callId;
    this.localTag = localTag;
  }

  get key(): string {
    return dialogKey(this.callId, this.localTag);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Where this leg's phone (or provider) is: the caller's source, or the contact a fork went to. */
  abstract get farEnd(): Peer;

  /** An SDP body of ours as the far end is to see it. */
  protected sdpOut(body: Buffer, to: Peer = this.farEnd): Buffer {
    return this.ctx.sdpFor === undefined || body.length === 0 ? body : this.ctx.sdpFor(body, to);
  }

  /**
   * Sends a request inside the dialog and resolves with its final response. A 2xx to an INVITE is
   * ACKed here at once (the B2BUA answers each leg on its own).
   */
  request(method: string, options: InDialogOptions = {}): Promise<SipResponse> {
    const dialog = this.dialog;
    if (dialog === null || this.#closed) return Promise.resolve(localResponse(408, 'No dialog'));
    const sdp = options.body !== undefined && (options.contentType ?? 'application/sdp') === 'application/sdp';
    const body = sdp ? this.sdpOut(options.body!, dialog.peer) : options.body;
    const req = dialog.createRequest(method, { ...options, ...(body === undefined ? {} : { body }), headers: [...this.ctx.requestHeaders, ...(options.headers ?? [])] });
    const seq = dialog.localSeq;
    return new Promise((resolve) => {
      try {
        this.ctx.transactions.request(req, dialog.peer, {
          onFinal: (res) => {
            dialog.receiveResponse(res, method);
            if (method === 'INVITE' && res.status >= 200 && res.status < 300) this.sendAck(seq);
            resolve(res);
          },
        });
      } catch {
        // The transaction layer is closed (PBX stopping): nothing can be sent any more.
        resolve(localResponse(503, 'Service Unavailable'));
      }
    });
  }

  /**
   * RFC 3261 13.2.2.4: ACKs the 2xx to our INVITE with CSeq `seq` (carrying the answer when the
   * 2xx held the offer), and remembers the ACK for retransmitted 2xx.
   */
  protected sendAck(seq: number, body?: Buffer): void {
    const dialog = this.dialog;
    if (dialog === null || this.#closed) return;
    const ack = dialog.createAck(seq, body === undefined ? {} : { body: this.sdpOut(body, dialog.peer) });
    this.#lastAck = { seq, ack };
    this.ctx.transactions.sendStateless(ack, dialog.peer);
  }

  /**
   * Answers an INVITE (initial or re-INVITE) with a 2xx and retransmits it at T1, doubling up to T2,
   * until the ACK comes or 64*T1 has passed (RFC 3261 13.3.1.4).
   */
  protected respond2xx(st: ServerTransaction, res: SipResponse): void {
    this.#stopPending2xx();
    st.respond(res);
    if (this.#closed) return;
    const { clock, timers } = this.ctx;
    const pending: Pending2xx = {
      seq: cseqNumber(st.request),
      res,
      to: st.source,
      interval: timers.t1,
      deadline: clock.now() + 64 * timers.t1,
      handle: null,
    };
    this.#pending2xx = pending;
    const fire = (): void => {
      if (this.#pending2xx !== pending) return;
      if (clock.now() >= pending.deadline) {
        this.#pending2xx = null;
        this.onAckTimeout?.();
        return;
      }
      this.ctx.transactions.sendResponse(pending.res, pending.to);
      pending.interval = Math.min(pending.interval * 2, timers.t2);
      pending.handle = clock.setTimeout(fire, pending.interval);
    };
    pending.handle = clock.setTimeout(fire, pending.interval);
  }

  /** An ACK arrived in this dialog. Returns true when it acknowledges the 2xx we are retransmitting. */
  receiveAck(ack: SipRequest): boolean {
    const pending = this.#pending2xx;
    if (pending === null || cseqNumber(ack) !== pending.seq) return false;
    this.#stopPending2xx();
    return true;
  }

  /** A 2xx that matched no transaction: a retransmission of one we already ACKed; ACK it again. */
  receiveStrayResponse(res: SipResponse): void {
    const last = this.#lastAck;
    const dialog = this.dialog;
    if (last === null || dialog === null || this.#closed) return;
    const cseq = parseCSeq(res.headers.get('cseq') ?? '');
    if (res.status >= 200 && res.status < 300 && cseq !== null && cseq.seq === last.seq && cseq.method === 'INVITE') {
      this.ctx.transactions.sendStateless(last.ack, dialog.peer);
    }
  }

  #stopPending2xx(): void {
    if (this.#pending2xx !== null) {
      this.ctx.clock.clearTimeout(this.#pending2xx.handle);
      this.#pending2xx = null;
    }
  }

  /** Builds a response to a request of this leg's dialog, with our tag and Contact where they belong. */
  responseTo(req: SipRequest, status: number, options: { body?: Buffer; headers?: Array<[string, string]> } = {}): SipResponse {
    const res = responseTo(req, status, undefined, this.localTag);
    for (const [n, v] of this.ctx.responseHeaders) res.headers.add(n, v);
    if (status > 100 && status < 300 && (req.method === 'INVITE' || req.method === 'UPDATE') && this.dialog !== null) {
      res.headers.add('contact', this.dialog.localContact);
    }
    const ok = status >= 200 && status < 300;
    if ((ok && (req.method === 'INVITE' || req.method === 'OPTIONS')) || status === 405 || status === 501) {
      res.headers.add('allow', ALLOW);
    }
    for (const [n, v] of options.headers ?? []) res.headers.add(n, v);
    const body = options.body;
    if (body !== undefined && body.length > 0) {
      res.headers.add('content-type', 'application/sdp');
      res.body = this.sdpOut(body);
    }
    res.headers.add('content-length', String(res.body.length));
    return res;
  }

  /** Answers an in-dialog INVITE or UPDATE; a 2xx to an INVITE is sent reliably. */
  answer(st: ServerTransaction, status: number, options: { body?: Buffer; headers?: Array<[string, string]> } = {}): void {
    const res = this.responseTo(st.request, status, options);
    if (st.request.method === 'INVITE' && status >= 200 && status < 300) this.respond2xx(st, res);
    else st.respond(res);
  }

  /** Stops timers; the leg sends nothing more. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopPending2xx();
    this.dialog?.terminate();
  }
}

/** The leg towards the caller: we are the UAS of its INVITE. */
export class UasLeg extends Leg {
  readonly st: ServerTransaction;
  readonly #localContact: string;

  constructor(ctx: LegContext, st: ServerTransaction, localContact: string) {
    super(ctx, st.request.headers.get('call-id') ?? '', newTag());
    this.st = st;
    this.#localContact = localContact;
  }

  get farEnd(): Peer {
    return this.st.source;
  }

  /** The caller's tag (From tag of its INVITE). */
  get remoteTag(): string {
    return tagOf(this.st.request.headers.get('from'));
  }

  #ensureDialog(status: number): void {
    if (this.dialog === null) this.dialog = Dialog.fromUas(this.st.request, this.localTag, status, this.#localContact, this.st.source);
  }

  /** 100 Trying, without a tag and without creating a dialog. */
  trying(): void {
    if (this.st.finished) return;
    const res = responseTo(this.st.request, 100);
    res.headers.add('content-length', '0');
    this.st.respond(res);
  }

  /** 180/183 to the caller, with SDP for early media; makes the early dialog. */
  progress(status: number, body?: Buffer): void {
    if (this.st.finished || this.closed) return;
    this.#ensureDialog(status);
    this.st.respond(this.responseTo(this.st.request, status, body === undefined ? {} : { body }));
  }

  /** 200 OK to the caller with our answer; retransmitted until the ACK. */
  accept(body: Buffer): void {
    if (this.st.finished || this.closed) return;
    this.#ensureDialog(200);
    this.dialog!.confirm();
    this.respond2xx(this.st, this.responseTo(this.st.request, 200, { body }));
  }

  /** A final error to the caller's INVITE (no-op once a final response went out). */
  reject(status: number, headers: Array<[string, string]> = []): void {
    if (this.st.finished) return;
    const res = responseTo(this.st.request, status, undefined, this.localTag);
    for (const [n, v] of this.ctx.responseHeaders) res.headers.add(n, v);
    for (const [n, v] of headers) res.headers.add(n, v);
    res.headers.add('content-length', '0');
    this.st.respond(res);
    this.dialog?.terminate();
  }
}

export interface UacCallbacks {
  onProvisional(leg: UacLeg, res: SipResponse): void;
  onFinal(leg: UacLeg, res: SipResponse): void;
}

/** What a fork's INVITE carries, beyond the dialog headers the leg writes itself. */
export interface UacInvite {
  requestUri: string;
  from: string;
  to: string;
  localContact: string;
  maxForwards: number;
  body: Buffer;
  extraHeaders: Array<[string, string]>;
  /**
   * The INVITE carries no offer (the caller sent none): the 2xx holds the callee's offer and its
   * ACK must wait for the answer (acknowledge()).
   */
  deferAck: boolean;
  /**
   * RFC 3261 8.1.3.5 / 22.2: this INVITE retries one the peer challenged (401/407) with
   * credentials: the same Call-ID and From tag, the CSeq one higher.
   */
  retryOf?: InviteRetry;
}

/** The dialog identifiers of a challenged INVITE that is sent again with credentials. */
export interface InviteRetry {
  callId: string;
  localTag: string;
  /** The CSeq number of the challenged INVITE. */
  cseq: number;
}

/** A leg towards one contact of the callee: we are the UAC of its INVITE. */
export class UacLeg extends Leg {
  readonly peer: Peer;
  readonly invite: SipRequest;
  #ct: ClientTransaction | null = null;
  #final: SipResponse | null = null;
  readonly #deferAck: boolean;
  /** The CSeq number of the INVITE (its ACK carries it too). */
  readonly #seq: number;
  #acked = false;

  get farEnd(): Peer {
    return this.peer;
  }

  constructor(ctx: LegContext, peer: Peer, spec: UacInvite) {
    super(ctx, spec.retryOf?.callId ?? `${newTag()}${newTag()}`, spec.retryOf?.localTag ?? newTag());
    this.peer = peer;
    this.#deferAck = spec.deferAck;
    this.#seq = (spec.retryOf?.cseq ?? 0) + 1;
    const h = new Headers()
      .add('max-forwards', String(spec.maxForwards))
      .add('from', `${spec.from};tag=${this.localTag}`)
      .add('to', spec.to)
      .add('call-id', this.callId)
      .add('cseq', `${this.#seq} INVITE`)
      .add('contact', spec.localContact)
      .add('allow', ALLOW);
    for (const [n, v] of ctx.requestHeaders) h.add(n, v);
    for (const [n, v] of spec.extraHeaders) h.add(n, v);
    const body = this.sdpOut(spec.body, peer);
    if (body.length > 0) h.add('content-type', 'application/sdp');
    h.add('content-length', String(body.length));
    this.invite = new SipRequest('INVITE', spec.requestUri, h, body);
  }

  /** The final response, once it came. */
  get final(): SipResponse | null {
    return this.#final;
  }

  /** Sends the INVITE. */
  start(cb: UacCallbacks): void {
    this.#ct = this.ctx.transactions.request(this.invite, this.peer, {
      onProvisional: (res) => {
        if (this.closed || this.#final !== null) return;
        if (res.status > 100 && this.dialog === null && res.headers.get('to') !== null && tagOf(res.headers.get('to')) !== '') {
          this.dialog = Dialog.fromUac(this.invite, res, this.peer);
        }
        cb.onProvisional(this, res);
      },
      onFinal: (res) => {
        if (this.#final !== null) return;
        this.#final = res;
        if (res.status >= 200 && res.status < 300) {
          const tag = tagOf(res.headers.get('to'));
          if (tag === '') {
            // RFC 3261 8.2.6.2: a 2xx without a To tag makes no dialog; the fork counts as failed.
            cb.onFinal(this, localResponse(502, 'Bad Gateway'));
            return;
          }
          if (this.dialog === null || this.dialog.remoteTag !== tag) this.dialog = Dialog.fromUac(this.invite, res, this.peer);
          else this.dialog.receiveResponse(res, 'INVITE');
          if (!this.#deferAck) this.acknowledge();
        }
        cb.onFinal(this, res);
      },
    });
  }

  /** ACKs the 2xx to the INVITE, once; `answer` goes in the ACK when the 2xx held the offer. */
  acknowledge(answer?: Buffer): void {
    if (this.#acked || this.dialog === null || this.#final === null || this.#final.status >= 300) return;
    this.#acked = true;
    this.sendAck(this.#seq, answer);
  }

  /** Any request in the dialog goes after the ACK of the INVITE's 2xx (RFC 3261 13.2.2.4). */
  override request(method: string, options: InDialogOptions = {}): Promise<SipResponse> {
    this.acknowledge();
    return super.request(method, options);
  }

  /** Cancels the INVITE (the transaction waits for a provisional first, RFC 3261 9.1). */
  cancel(): void {
    if (this.#final === null) this.#ct?.cancel();
  }
}

function localResponse(status: number, reason: string): SipResponse {
  const res = responseTo(new SipRequest('BYE', 'sip:invalid'), status, reason);
  return res;
}

/**
 * A request other than BYE in a dialog whose media the PBX keeps to itself (an originated call, a
 * consultation): an offer (re-INVITE, UPDATE) gets `lastSdp`, the PBX's SDP as last sent, back
 * unchanged; OPTIONS and INFO get 200; anything else 501.
 */
export function answerInDialog(leg: Leg, st: ServerTransaction, lastSdp: Buffer | null): void {
  switch (st.request.method) {
    case 'INVITE':
    case 'UPDATE':
      leg.answer(st, 200, lastSdp === null ? {} : { body: lastSdp });
      return;
    case 'OPTIONS':
    case 'INFO':
      leg.answer(st, 200);
      return;
    default:
      leg.answer(st, 501);
  }
}
