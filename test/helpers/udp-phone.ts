import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { Headers, SipRequest, responseTo, type SipMessage, type SipResponse } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { serialize } from '../../src/sip/serializer.js';
import { digestAnswer } from './digest-client.js';

/** A SIP phone as a bare UDP socket on 127.0.0.1: sends REGISTERs, queues what arrives. */
export class UdpPhone {
  readonly #socket: Socket;
  readonly #queue: SipMessage[] = [];
  #wake: (() => void) | null = null;
  #seq = 0;
  /** Answer OPTIONS with 200 (keep-alive) automatically. */
  answerOptions = true;
  readonly options: SipRequest[] = [];

  private constructor(socket: Socket, readonly port: number, readonly server: { address: string; port: number }) {
    this.#socket = socket;
    socket.on('message', (buf) => {
      const r = parseMessage(buf);
      if (!r.ok) return;
      const m = r.message;
      if (m.kind === 'request' && m.method === 'OPTIONS') {
        this.options.push(m);
        if (this.answerOptions) this.send(responseTo(m, 200));
      } else {
        this.#queue.push(m);
      }
      this.#wake?.();
    });
  }

  static async open(server: { address: string; port: number }): Promise<UdpPhone> {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return new UdpPhone(socket, socket.address().port, server);
  }

  send(m: SipMessage): void {
    this.#socket.send(serialize(m), this.server.port, this.server.address);
  }

  /** The next response that arrives, or a rejection after `ms`. */
  async response(ms = 3000): Promise<SipResponse> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.#queue.shift();
      if (m !== undefined && m.kind === 'response') return m;
      if (m !== undefined) continue;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no response in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#wake = () => { clearTimeout(t); this.#wake = null; resolve(); };
      });
    }
  }

  /** Waits until `n` OPTIONS have arrived. */
  async waitForOptions(n: number, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.options.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${this.options.length} OPTIONS in time`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#wake = () => { clearTimeout(t); this.#wake = null; resolve(); };
      });
    }
  }

  request(o: { user: string; to?: string; contacts: string[]; expires?: number; callId: string; authorization?: string }): SipRequest {
    const seq = ++this.#seq;
    const h = new Headers();
    h.add('via', `SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK-ph${this.port}-${seq};rport`);
    h.add('max-forwards', '70');
    h.add('from', `<sip:${o.user}@pbx.test>;tag=ph${seq}`);
    h.add('to', `<sip:${o.to ?? o.user}@pbx.test>`);
    h.add('call-id', o.callId);
    h.add('cseq', `${seq} REGISTER`);
    for (const c of o.contacts) h.add('contact', c);
    if (o.expires !== undefined) h.add('expires', String(o.expires));
    h.add('user-agent', 'test-phone');
    if (o.authorization !== undefined) h.add('authorization', o.authorization);
    return new SipRequest('REGISTER', 'sip:pbx.test', h);
  }

  /** REGISTER, answer the 401 with digest, return the final response (and the 401 seen first). */
  async register(o: { user: string; password: string; to?: string; contacts?: string[]; expires?: number; callId?: string }): Promise<{ challenge: SipResponse; final: SipResponse }> {
    const base = { contacts: [`<sip:${o.user}@127.0.0.1:${this.port}>`], callId: `reg-${this.port}`, ...o };
    this.send(this.request(base));
    const challenge = await this.response();
    if (challenge.status !== 401) return { challenge, final: challenge };
    const www = challenge.headers.get('www-authenticate')!;
    const authorization = digestAnswer(www, { user: o.user, password: o.password, method: 'REGISTER', uri: 'sip:pbx.test' });
    this.send(this.request({ ...base, authorization }));
    return { challenge, final: await this.response() };
  }

  close(): void {
    this.#socket.close();
  }
}
