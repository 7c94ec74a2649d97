// A small SIP phone for flow tests: a real UDP socket on 127.0.0.1, messages written and read by
// the PBX's own serializer and parser, one RTP socket. It does what a test tells it, step by step.
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { parseMessage } from '../../../src/sip/parser.js';
import { serialize } from '../../../src/sip/serializer.js';
import { getTag } from '../../../src/sip/grammar.js';
import { Headers, SipRequest, SipResponse, responseTo, type SipMessage } from '../../../src/sip/message.js';
import { digestAnswer } from '../../helpers/digest-client.js';

export interface Addr {
  address: string;
  port: number;
}

const WAIT_MS = 8000;

/** A random token for tags, Call-IDs and branches. */
export function token(): string {
  return randomBytes(6).toString('hex');
}

/** An SDP offer/answer for a phone's RTP socket (at `address`, 127.0.0.1 by default). */
export function sdpFor(port: number, codecs: Array<[number, string]> = [[0, 'PCMU'], [8, 'PCMA'], [101, 'telephone-event']], direction = 'sendrecv', address = '127.0.0.1'): Buffer {
  const lines = [
    'v=0',
    `o=phone ${port} 1 IN IP4 ${address}`,
    's=-',
    `c=IN IP4 ${address}`,
    't=0 0',
    `m=audio ${port} RTP/AVP ${codecs.map((c) => c[0]).join(' ')}`,
    ...codecs.map(([pt, name]) => `a=rtpmap:${pt} ${name}/8000`),
    `a=${direction}`,
  ];
  return Buffer.from(lines.join('\r\n') + '\r\n');
}

/** The audio port and connection address of an SDP body. */
export function sdpMedia(body: Buffer): Addr & { direction: string } {
  const text = body.toString();
  const c = /^c=IN IP4 (\S+)/m.exec(text);
  const m = /^m=audio (\d+) /m.exec(text);
  const d = /^a=(sendrecv|sendonly|recvonly|inactive)/m.exec(text);
  return { address: c?.[1] ?? '', port: Number(m?.[1] ?? 0), direction: d?.[1] ?? 'sendrecv' };
}

/** What a phone remembers of one dialog it is in (enough to send BYE and re-INVITE). */
export interface PhoneDialog {
  callId: string;
  localTag: string;
  remoteTag: string;
  local: string;
  remote: string;
  target: string;
  cseq: number;
}

export class Phone {
  readonly user: string;
  readonly sip: dgram.Socket;
  readonly rtp: dgram.Socket;
  readonly #inbox: SipMessage[] = [];
  readonly #waiters: Array<{ pred: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }> = [];
  readonly rtpReceived: Array<{ payload: Buffer; from: Addr }> = [];
  #rtpWaiters: Array<() => void> = [];
  readonly pbx: Addr;
  readonly password: string;
  /** The address the phone's sockets are bound to, written in its Via and Contact. */
  readonly host: string;

  private constructor(user: string, password: string, sip: dgram.Socket, rtp: dgram.Socket, pbx: Addr, host: string) {
    this.host = host;
    this.user = user;
    this.password = password;
    this.sip = sip;
    this.rtp = rtp;
    this.pbx = pbx;
    sip.on('message', (buf) => {
      const r = parseMessage(buf);
      if (!r.ok) return;
      const i = this.#waiters.findIndex((w) => w.pred(r.message));
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(r.message);
      else this.#inbox.push(r.message);
    });
    rtp.on('message', (payload, rinfo) => {
      this.rtpReceived.push({ payload, from: { address: rinfo.address, port: rinfo.port } });
      const w = this.#rtpWaiters;
      this.#rtpWaiters = [];
      for (const f of w) f();
    });
  }

  /** A phone with its SIP and RTP sockets on `host` (127.0.0.1 unless it sits in another network, e.g. behind NAT). */
  static async open(user: string, password: string, pbx: Addr, host = '127.0.0.1'): Promise<Phone> {
    const bind = async (): Promise<dgram.Socket> => {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => s.bind(0, host, resolve));
      return s;
    };
    return new Phone(user, password, await bind(), await bind(), pbx, host);
  }

  get port(): number {
    return this.sip.address().port;
  }

  get rtpPort(): number {
    return this.rtp.address().port;
  }

  get contact(): string {
    return `sip:${this.user}@${this.host}:${this.port}`;
  }

  close(): void {
    this.sip.close();
    this.rtp.close();
  }

  send(msg: SipMessage, to: Addr = this.pbx): void {
    this.sip.send(serialize(msg), to.port, to.address);
  }

  /** The next message matching `pred` (already received or still to come); rejects after a while. */
  next<T extends SipMessage = SipMessage>(pred: (m: SipMessage) => boolean, what = 'message'): Promise<T> {
    const i = this.#inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.#inbox.splice(i, 1)[0] as T);
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (m: SipMessage) => {
          clearTimeout(timer);
          resolve(m as T);
        },
      };
      const timer = setTimeout(() => {
        const j = this.#waiters.indexOf(waiter);
        if (j >= 0) this.#waiters.splice(j, 1);
        reject(new Error(`${this.user}: no ${what} within ${WAIT_MS} ms`));
      }, WAIT_MS);
      this.#waiters.push(waiter);
    });
  }

  request(method: string): Promise<SipRequest> {
    return this.next<SipRequest>((m) => m.kind === 'request' && m.method === method, method);
  }

  /** A response to `req` (same Call-ID and CSeq) whose status passes `pred`. */
  response(req: SipRequest, pred: (status: number) => boolean = () => true): Promise<SipResponse> {
    const callId = req.headers.get('call-id');
    const cseq = normalCSeq(req.headers.get('cseq'));
    return this.next<SipResponse>(
      (m) => m.kind === 'response' && m.headers.get('call-id') === callId && normalCSeq(m.headers.get('cseq')) === cseq && pred(m.status),
      `response to ${req.method}`,
    );
  }

  /** The final response to a request of ours (100-199 skipped). */
  final(req: SipRequest): Promise<SipResponse> {
    return this.response(req, (s) => s >= 200);
  }

  /** Messages received but not asked for yet. */
  get pending(): readonly SipMessage[] {
    return this.#inbox;
  }

  #via(): string {
    return `SIP/2.0/UDP ${this.host}:${this.port};branch=z9hG4bK${token()};rport`;
  }

  /** REGISTERs the phone's contact (or removes it with expires 0), answering the digest challenge; resolves with the 200. */
  async register(expires = 600): Promise<SipResponse> {
    const callId = `${token()}@127.0.0.1`;
    const tag = token();
    const build = (seq: number, auth?: string): SipRequest => {
      const h = new Headers()
        .add('Via', this.#via())
        .add('Max-Forwards', '70')
        .add('From', `<sip:${this.user}@pbx.test>;tag=${tag}`)
        .add('To', `<sip:${this.user}@pbx.test>`)
        .add('Call-ID', callId)
        .add('CSeq', `${seq} REGISTER`)
        .add('Contact', `<${this.contact}>`)
        .add('Expires', String(expires));
      if (auth !== undefined) h.add('Authorization', auth);
      return new SipRequest('REGISTER', 'sip:pbx.test', h);
    };
    const first = build(1);
    this.send(first);
    const challenge = await this.final(first);
    if (challenge.status !== 401) throw new Error(`REGISTER got ${challenge.status}`);
    const auth = digestAnswer(challenge.headers.get('www-authenticate')!, {
      user: this.user,
      password: this.password,
      method: 'REGISTER',
      uri: 'sip:pbx.test',
    });
    const second = build(2, auth);
    this.send(second);
    const ok = await this.final(second);
    if (ok.status !== 200) throw new Error(`REGISTER with credentials got ${ok.status}`);
    return ok;
  }

  /**
   * Calls `number`: the INVITE, its 407 challenge (ACKed), and the INVITE again with credentials.
   * Returns the INVITE that carries them. `from` replaces the From value (its tag included),
   * `headers` are added to both INVITEs.
   */
  async dial(number: string, body: Buffer, o: { from?: string; headers?: Array<[string, string]> } = {}): Promise<SipRequest> {
    const headers = o.headers ?? [];
    const first = this.invite(number, body, headers, o.from === undefined ? undefined : { callId: `${token()}@127.0.0.1`, from: o.from, seq: 1 });
    const callId = first.headers.get('call-id')!;
    const challenge = await this.final(first);
    if (challenge.status !== 407) throw new Error(`INVITE got ${challenge.status}, not 407`);
    this.ackNon2xx(first, challenge);
    const auth = digestAnswer(challenge.headers.get('proxy-authenticate')!, {
      user: this.user,
      password: this.password,
      method: 'INVITE',
      uri: first.uri,
    });
    return this.invite(number, body, [...headers, ['Proxy-Authorization', auth]], { callId, from: first.headers.get('from')!, seq: 2 });
  }

  /** A new INVITE to `number` at the PBX (or the same call again, with `again`). */
  invite(
    number: string,
    body: Buffer,
    extra: Array<[string, string]> = [],
    again?: { callId: string; from: string; seq: number },
  ): SipRequest {
    const h = new Headers()
      .add('Via', this.#via())
      .add('Max-Forwards', '70')
      .add('From', again?.from ?? `<sip:${this.user}@pbx.test>;tag=${token()}`)
      .add('To', `<sip:${number}@pbx.test>`)
      .add('Call-ID', again?.callId ?? `${token()}@127.0.0.1`)
      .add('CSeq', `${again?.seq ?? 1} INVITE`)
      .add('Contact', `<${this.contact}>`);
    for (const [n, v] of extra) h.add(n, v);
    if (body.length > 0) h.add('Content-Type', 'application/sdp');
    const req = new SipRequest('INVITE', `sip:${number}@pbx.test`, h, body);
    this.send(req);
    return req;
  }

  /** CANCEL for an INVITE we sent (RFC 3261 9.1: same Via branch, Call-ID, From, To, CSeq number). */
  cancel(invite: SipRequest): SipRequest {
    const h = new Headers()
      .add('Via', invite.headers.get('via')!)
      .add('Max-Forwards', '70')
      .add('From', invite.headers.get('from')!)
      .add('To', invite.headers.get('to')!)
      .add('Call-ID', invite.headers.get('call-id')!)
      .add('CSeq', `${Number.parseInt(invite.headers.get('cseq')!, 10)} CANCEL`);
    const cancel = new SipRequest('CANCEL', invite.uri, h);
    this.send(cancel);
    return cancel;
  }

  /** ACK for a non-2xx final response (same branch as the INVITE, RFC 3261 17.1.1.3). */
  ackNon2xx(invite: SipRequest, res: SipResponse): void {
    const h = new Headers()
      .add('Via', invite.headers.get('via')!)
      .add('Max-Forwards', '70')
      .add('From', invite.headers.get('from')!)
      .add('To', res.headers.get('to')!)
      .add('Call-ID', invite.headers.get('call-id')!)
      .add('CSeq', `${Number.parseInt(invite.headers.get('cseq')!, 10)} ACK`);
    this.send(new SipRequest('ACK', invite.uri, h));
  }

  /** The dialog our INVITE made with this 2xx. */
  dialogFromUac(invite: SipRequest, res: SipResponse): PhoneDialog {
    const contact = res.headers.get('contact') ?? '';
    return {
      callId: invite.headers.get('call-id')!,
      localTag: getTag(invite.headers.get('from')!)!,
      remoteTag: getTag(res.headers.get('to')!)!,
      local: invite.headers.get('from')!,
      remote: res.headers.get('to')!,
      target: /<([^>]+)>/.exec(contact)?.[1] ?? contact,
      cseq: Number.parseInt(invite.headers.get('cseq')!, 10),
    };
  }

  /** The dialog an INVITE we received made with our answer (To tag `tag`). */
  dialogFromUas(invite: SipRequest, tag: string): PhoneDialog {
    const contact = invite.headers.get('contact') ?? '';
    return {
      callId: invite.headers.get('call-id')!,
      localTag: tag,
      remoteTag: getTag(invite.headers.get('from')!)!,
      local: `${invite.headers.get('to')!};tag=${tag}`,
      remote: invite.headers.get('from')!,
      target: /<([^>]+)>/.exec(contact)?.[1] ?? contact,
      cseq: 0,
    };
  }

  /**
   * Sends a request in a dialog (ACK uses `ackSeq`); returns it. A body is `contentType` (SDP by
   * default); `extra` header lines are added (Refer-To...).
   */
  inDialog(
    d: PhoneDialog,
    method: string,
    body: Buffer = Buffer.alloc(0),
    ackSeq?: number,
    contentType = 'application/sdp',
    extra: Array<[string, string]> = [],
  ): SipRequest {
    const seq = method === 'ACK' ? ackSeq ?? d.cseq : ++d.cseq;
    const h = new Headers()
      .add('Via', this.#via())
      .add('Max-Forwards', '70')
      .add('From', d.local)
      .add('To', d.remote)
      .add('Call-ID', d.callId)
      .add('CSeq', `${seq} ${method}`);
    if (method === 'INVITE' || method === 'UPDATE' || method === 'REFER') h.add('Contact', `<${this.contact}>`);
    for (const [n, v] of extra) h.add(n, v);
    if (body.length > 0) h.add('Content-Type', contentType);
    const req = new SipRequest(method, d.target, h, body);
    this.send(req);
    return req;
  }

  /** Answers a request the PBX sent us; for INVITE 1xx/2xx the To tag is `tag`. */
  reply(req: SipRequest, status: number, tag: string, body?: Buffer): SipResponse {
    const res = responseTo(req, status, undefined, status > 100 ? tag : undefined);
    if (req.method === 'INVITE' && status < 300 && status > 100) res.headers.add('Contact', `<${this.contact}>`);
    if (body !== undefined) {
      res.headers.add('Content-Type', 'application/sdp');
      res.body = body;
    }
    this.send(res, viaTarget(req));
    return res;
  }

  /** Sends an RTP packet to `to` from the phone's RTP socket. */
  sendRtp(to: Addr, pt: number, seq: number, payload = Buffer.alloc(160, 0xff)): void {
    const pkt = Buffer.alloc(12 + payload.length);
    pkt[0] = 0x80;
    pkt[1] = pt & 0x7f;
    pkt.writeUInt16BE(seq & 0xffff, 2);
    pkt.writeUInt32BE(seq * 160, 4);
    pkt.writeUInt32BE(0x1234abcd, 8);
    payload.copy(pkt, 12);
    this.rtp.send(pkt, to.port, to.address);
  }

  /** Resolves once at least `count` RTP packets have arrived. */
  async waitRtp(count: number): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (this.rtpReceived.length < count) {
      if (Date.now() > deadline) throw new Error(`${this.user}: ${this.rtpReceived.length}/${count} RTP packets`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.#rtpWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

function normalCSeq(value: string | null): string {
  return (value ?? '').trim().replace(/\s+/g, ' ');
}

/** Where a response to `req` goes: the top Via's sent-by (rport/received honoured). */
function viaTarget(req: SipRequest): Addr {
  const via = req.headers.get('via') ?? '';
  const m = /SIP\/2\.0\/UDP ([^:;\s]+):(\d+)/i.exec(via);
  const rport = /;rport=(\d+)/.exec(via);
  const received = /;received=([^;\s]+)/.exec(via);
  return { address: received?.[1] ?? m?.[1] ?? '127.0.0.1', port: Number(rport?.[1] ?? m?.[2] ?? 5060) };
}
