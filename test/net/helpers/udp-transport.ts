// A one-socket UDP TransportLayer for the call-flow tests: real datagrams on 127.0.0.1 through the
// PBX's parser and serializer, nothing else (no TCP, no 400 answers).
import dgram from 'node:dgram';
import { parseMessage } from '../../../src/sip/parser.js';
import { serialize } from '../../../src/sip/serializer.js';
import type { Peer, SipMessage, TransportName } from '../../../src/sip/message.js';
import type { Inbound, ListenSpec, TransportLayer } from '../../../src/sip/transport/types.js';

export class UdpTransport implements TransportLayer {
  onMessage: ((inbound: Inbound) => void) | null = null;
  readonly #sock: dgram.Socket;
  readonly #spec: ListenSpec;
  #closed = false;

  private constructor(sock: dgram.Socket) {
    this.#sock = sock;
    this.#spec = { transport: 'udp', host: '127.0.0.1', port: sock.address().port };
    sock.on('message', (buf, rinfo) => {
      const r = parseMessage(buf);
      if (!r.ok) return;
      this.onMessage?.({
        message: r.message,
        source: { transport: 'udp', address: rinfo.address, port: rinfo.port, connectionId: null },
        local: this.#spec,
      });
    });
  }

  static async open(): Promise<UdpTransport> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    return new UdpTransport(sock);
  }

  get port(): number {
    return this.#spec.port;
  }

  async send(message: SipMessage, to: Peer): Promise<void> {
    if (this.#closed) return;
    const buf = serialize(message);
    await new Promise<void>((resolve, reject) => this.#sock.send(buf, to.port, to.address, (err) => (err ? reject(err) : resolve())));
  }

  local(transport: TransportName): ListenSpec | null {
    return transport === 'udp' ? this.#spec : null;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sock.close();
  }
}
