import type { Peer, SipMessage, TransportName } from '../../src/sip/message.js';
import type { Inbound, ListenSpec, TransportLayer } from '../../src/sip/transport/types.js';

export interface Sent {
  message: SipMessage;
  to: Peer;
  at: number;
}

/** An in-memory transport: records what is sent, loses the first `drop` sends, fails on demand. */
export class FakeTransport implements TransportLayer {
  onMessage: ((inbound: Inbound) => void) | null = null;
  readonly sent: Sent[] = [];
  /** Sends lost on the wire (recorded in `lost`, not in `sent`). */
  drop = 0;
  readonly lost: Sent[] = [];
  /** When set, send() rejects with this error. */
  failWith: Error | null = null;
  closed = false;
  readonly #now: () => number;

  constructor(now: () => number = () => 0) {
    this.#now = now;
  }

  async send(message: SipMessage, to: Peer): Promise<void> {
    if (this.failWith !== null) throw this.failWith;
    const s = { message, to, at: this.#now() };
    if (this.drop > 0) {
      this.drop--;
      this.lost.push(s);
      return;
    }
    this.sent.push(s);
  }

  local(transport: TransportName): ListenSpec | null {
    return transport === 'udp' || transport === 'tcp' ? { transport, host: '192.0.2.1', port: 5060 } : null;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Hands a message up as if it arrived from `source`. */
  deliver(message: SipMessage, source: Peer): void {
    this.onMessage?.({ message, source, local: { transport: source.transport, host: '192.0.2.1', port: 5060 } });
  }
}
