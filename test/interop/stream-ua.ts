// A minimal SIP user agent over one TLS connection, written with the project's own parser and
// serializer (the Debian SIPp is built without TLS). It only sends what the test writes and
// records what arrives; waitFor() resolves on the first matching message, with a deadline.
import { createHash } from 'node:crypto';
import { connect, type TLSSocket } from 'node:tls';
import { StreamFramer } from '../../src/sip/framer.js';
import type { SipMessage, SipRequest } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { serialize } from '../../src/sip/serializer.js';

export class TlsUa {
  readonly received: SipMessage[] = [];
  readonly #socket: TLSSocket;
  #waiters: { pred: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }[] = [];
  #seen = 0;

  private constructor(socket: TLSSocket) {
    this.#socket = socket;
    const framer = new StreamFramer({
      onMessage: (buf) => {
        const r = parseMessage(buf, { stream: true });
        if (r.ok) this.#arrived(r.message);
      },
      onPing: () => socket.write('\r\n'),
      onError: () => socket.destroy(),
    });
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.on('error', () => undefined);
  }

  /** Connects to host:port, verifying the server against `ca`. */
  static open(host: string, port: number, ca: Buffer): Promise<TlsUa> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, ca });
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        socket.off('error', reject);
        resolve(new TlsUa(socket));
      });
    });
  }

  get localPort(): number {
    return this.#socket.localPort ?? 0;
  }

  send(message: SipMessage): void {
    this.#socket.write(serialize(message));
  }

  #arrived(m: SipMessage): void {
    this.received.push(m);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.pred(m)) return true;
      w.resolve(m);
      return false;
    });
  }

  /** The next message (not returned by an earlier waitFor) that matches; rejects after timeoutMs. */
  waitFor(pred: (m: SipMessage) => boolean, timeoutMs = 10000): Promise<SipMessage> {
    const from = this.#seen;
    const i = this.received.findIndex((m, idx) => idx >= from && pred(m));
    if (i >= 0) {
      this.#seen = i + 1;
      return Promise.resolve(this.received[i]!);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(`TLS UA: no matching message within ${timeoutMs} ms; got ${this.received.map(describeMessage).join(', ')}`));
      }, timeoutMs);
      const done = (m: SipMessage): void => {
        clearTimeout(timer);
        this.#seen = this.received.indexOf(m) + 1;
        resolve(m);
      };
      this.#waiters.push({ pred, resolve: done });
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

export function describeMessage(m: SipMessage): string {
  return m.kind === 'request' ? m.method : `${m.status} ${m.headers.get('cseq') ?? ''}`;
}

export function isRequest(m: SipMessage, method: string): m is SipRequest {
  return m.kind === 'request' && m.method === method;
}

/** RFC 2617 3.2.2 / RFC 3261 22.4: the Authorization value answering a WWW-Authenticate challenge (MD5, qop=auth). */
export function digestAuthorization(challenge: string, user: string, password: string, method: string, uri: string): string {
  const param = (name: string): string => new RegExp(`${name}="?([^",]*)"?`, 'i').exec(challenge)?.[1] ?? '';
  const realm = param('realm');
  const nonce = param('nonce');
  const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
  const cnonce = 'c0ffee';
  const nc = '00000001';
  const response = md5(`${md5(`${user}:${realm}:${password}`)}:${nonce}:${nc}:${cnonce}:auth:${md5(`${method}:${uri}`)}`);
  const opaque = param('opaque');
  return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"${opaque === '' ? '' : `, opaque="${opaque}"`}`;
}
