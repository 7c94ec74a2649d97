// The SRTP of one media leg (SDES, RFC 4568): the phone's master key decrypts what it sends, the
// PBX's own encrypts what goes to it. Packets are protected into buffers of a small ring kept for
// the leg, so that a datagram node:dgram has queued (not sent at once) is not overwritten by the next.
import { MAX_PACKET } from './aes-cm.js';
import { SrtpContext } from './context.js';
import { srtpSuite, type SrtpSuiteName } from './suites.js';

/** What a media leg is told (MediaEngine.setRemote): base64 master key || salt each way. Never logged. */
export interface SrtpLegKeys {
  suite: SrtpSuiteName;
  /** The PBX's key: what the leg sends is protected with it. */
  send: string;
  /** The phone's key: what the leg receives is checked and decrypted with it. */
  receive: string;
}

const RING = 8;

export class SrtpLegCrypto {
  readonly inbound: SrtpContext;
  readonly outbound: SrtpContext;
  /** The buffer the last protect*() wrote into. */
  output: Buffer;
  readonly #ring: Buffer[] = [];
  #next = 0;
  readonly #keys: SrtpLegKeys;

  constructor(keys: SrtpLegKeys) {
    const suite = srtpSuite(keys.suite);
    if (suite === null) throw new RangeError(`unknown SRTP suite ${keys.suite}`);
    this.#keys = { ...keys };
    this.inbound = new SrtpContext(suite, Buffer.from(keys.receive, 'base64'));
    this.outbound = new SrtpContext(suite, Buffer.from(keys.send, 'base64'));
    for (let i = 0; i < RING; i++) this.#ring.push(Buffer.alloc(MAX_PACKET + SrtpContext.OVERHEAD));
    this.output = this.#ring[0]!;
  }

  /** Whether these are the keys the leg already uses (a re-INVITE that kept them keeps the streams' state). */
  sameKeys(k: SrtpLegKeys): boolean {
    return k.suite === this.#keys.suite && k.send === this.#keys.send && k.receive === this.#keys.receive;
  }

  protectRtp(packet: Uint8Array, length: number): number {
    return this.outbound.protectRtp(packet, length, this.#take());
  }

  protectRtcp(packet: Uint8Array, length: number): number {
    return this.outbound.protectRtcp(packet, length, this.#take());
  }

  /** Packets from the phone refused so far (failed authentication, replayed, malformed). */
  get refused(): number {
    const i = this.inbound;
    return i.authFailures + i.replays + i.malformed;
  }

  #take(): Buffer {
    const b = this.#ring[this.#next]!;
    this.#next = (this.#next + 1) % RING;
    this.output = b;
    return b;
  }
}
