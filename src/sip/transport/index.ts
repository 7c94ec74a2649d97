// The transports as one TransportLayer: opens every `sip.listen` socket, parses what arrives,
// answers unparseable requests itself, stamps received/rport, and sends by transport name.
import { isIP } from 'node:net';
import { formatVia, hostAddress, parseVia, splitList, stampVia } from '../grammar.js';
import { type Peer, type SipMessage, type SipRequest, type TransportName, responseTo } from '../message.js';
import type { Log } from '../../util/log.js';
import { newTag } from '../ids.js';
import { parseMessage } from '../parser.js';
import { serialize } from '../serializer.js';
import { PbxError } from '../../util/errors.js';
import type { Listener, MessageSink } from './listener.js';
import { StreamListener } from './stream.js';
import { tcpKind } from './tcp.js';
import { tlsKind, type TlsFiles } from './tls.js';
import type { Inbound, ListenSpec, TransportLayer } from './types.js';
import { UdpListener } from './udp.js';

export interface TransportOptions {
  listen: ListenSpec[];
  tls?: TlsFiles | null;
  /** Largest message accepted, bytes; a larger one on a stream closes the connection. */
  maxMessageSize: number;
  tcpIdleTimeoutS: number;
  maxConnectionsPerSource: number;
  /**
   * Host written in Via/Contact instead of the bound address, for a message to `to` (null: no
   * peer in particular); null from it keeps the bound address (config `sip.external_address`).
   */
  advertise?: ((to: Peer | null) => string | null) | null;
  log?: Log | null;
}

export interface TransportStats {
  /** Messages parsed and handed up. */
  received: number;
  /** Unparseable requests answered with 400/505/513. */
  rejected: number;
  /** Input dropped: unparseable responses, hopeless bytes, streams that could not be framed. */
  dropped: number;
  /** Connections refused by the per-source cap. */
  refused: number;
  /** TCP and TLS connections open now. */
  connections: number;
}

/** The layer as created: the TransportLayer interface plus counters. */
export interface SipTransports extends TransportLayer {
  readonly stats: Readonly<TransportStats>;
}

/** RFC 3261 18.2.1, RFC 3581 4: received and rport written into the top Via of a request. */
function stampTopVia(req: SipRequest, source: Peer): void {
  const line = req.headers.get('via');
  if (line === null) return;
  const parts = line.indexOf(',') < 0 ? [line] : splitList(line);
  const via = parts.length === 0 ? null : parseVia(parts[0]!);
  if (via === null || !stampVia(via, source.address, source.port)) return;
  parts[0] = formatVia(via);
  req.headers.setFirst('via', parts.join(', '));
}

class Transports implements SipTransports, MessageSink {
  onMessage: ((inbound: Inbound) => void) | null = null;
  readonly #stats = { received: 0, rejected: 0, dropped: 0, refused: 0 };
  readonly #listeners: Listener[] = [];
  readonly #maxMessageSize: number;
  readonly #advertise: ((to: Peer | null) => string | null) | null;
  readonly #log: Log | null;
  #closed: Promise<void> | null = null;

  constructor(opts: TransportOptions) {
    this.#maxMessageSize = opts.maxMessageSize;
    this.#advertise = opts.advertise ?? null;
    this.#log = opts.log ?? null;
  }

  async open(opts: TransportOptions): Promise<void> {
    let nextId = 0;
    const settings = {
      sink: this,
      maxMessageSize: opts.maxMessageSize,
      idleTimeoutMs: opts.tcpIdleTimeoutS * 1000,
      maxConnectionsPerSource: opts.maxConnectionsPerSource,
      nextConnectionId: () => ++nextId,
      log: this.#log,
    };
    const tls = opts.listen.some((l) => l.transport === 'tls') ? await this.#tls(opts.tls) : null;
    for (const spec of opts.listen) {
      const host = hostAddress(spec.host);
      const want = { ...spec, host };
      try {
        if (spec.transport === 'udp') this.#listeners.push(await UdpListener.open(want, this, this.#log));
        else if (spec.transport === 'tcp') this.#listeners.push(await StreamListener.open(want, tcpKind, settings));
        else if (spec.transport === 'tls' && tls !== null) this.#listeners.push(await StreamListener.open(want, tls, settings));
        else throw new Error(`transport ${spec.transport} is not supported yet`);
      } catch (err) {
        await this.close();
        throw new PbxError('PBX_ERR_SIP_LISTEN', `cannot listen on ${spec.transport}:${spec.host}:${spec.port}: ${(err as Error).message}`);
      }
      this.#log?.info({ listen: this.#listeners.at(-1)?.spec }, 'SIP listening');
    }
  }

  async #tls(files: TlsFiles | null | undefined): Promise<Awaited<ReturnType<typeof tlsKind>>> {
    if (files === null || files === undefined) {
      throw new PbxError('PBX_ERR_SIP_TLS_CONFIG', 'a tls listener needs sip.tls.cert and sip.tls.key');
    }
    return tlsKind(files);
  }

  get stats(): TransportStats {
    let connections = 0;
    for (const l of this.#listeners) connections += l.connections;
    return { ...this.#stats, connections };
  }

  local(transport: TransportName, to?: Peer): ListenSpec | null {
    const l = this.#listeners.find((x) => x.spec.transport === transport);
    if (l === undefined) return null;
    const host = this.#advertise === null ? null : this.#advertise(to ?? null);
    return host === null ? l.spec : { transport, host, port: l.spec.port };
  }

  #listenerFor(to: Peer): Listener | undefined {
    const v6 = isIP(to.address) === 6;
    let any: Listener | undefined;
    for (const l of this.#listeners) {
      if (l.spec.transport !== to.transport) continue;
      if (l.ipv6 === v6) return l;
      any ??= l;
    }
    return any;
  }

  async send(message: SipMessage, to: Peer): Promise<void> {
    const l = this.#closed === null ? this.#listenerFor(to) : undefined;
    if (l === undefined) throw new PbxError('PBX_ERR_SIP_NO_TRANSPORT', `no ${to.transport} transport to send to ${to.address}:${to.port}`);
    await l.send(serialize(message), to);
  }

  receive(buf: Buffer, source: Peer, listener: Listener, stream: boolean): void {
    const result = parseMessage(buf, { stream, maxSize: this.#maxMessageSize });
    if (!result.ok) {
      if (result.request === null) {
        this.#stats.dropped++;
        this.#log?.debug({ source, status: result.status, reason: result.reason }, 'unparseable SIP message dropped');
        return;
      }
      this.#stats.rejected++;
      this.#log?.debug({ source, status: result.status, reason: result.reason }, 'unparseable SIP request answered');
      try {
        // RFC 3261 8.2.6.2: a To tag on every response but 100.
        listener.reply(serialize(responseTo(result.request, result.status, result.reason, newTag())), source);
      } catch (err) {
        this.#log?.debug({ err, source }, 'no answer possible to an unparseable request');
      }
      return;
    }
    const message = result.message;
    if (message.kind === 'request') stampTopVia(message, source);
    this.#stats.received++;
    try {
      this.onMessage?.({ message, source, local: listener.spec });
    } catch (err) {
      this.#log?.error({ err, source }, 'SIP message handler failed');
    }
  }

  unframed(source: Peer, status: number, reason: string): void {
    this.#stats.dropped++;
    this.#log?.info({ source, status, reason }, 'SIP stream could not be framed; connection closed');
  }

  refused(address: string): void {
    this.#stats.refused++;
    this.#log?.warn({ address }, 'SIP connection refused: too many from this source');
  }

  close(): Promise<void> {
    this.#closed ??= Promise.all(this.#listeners.map((l) => l.close())).then(() => undefined);
    return this.#closed;
  }
}

export async function createTransportLayer(opts: TransportOptions): Promise<SipTransports> {
  const t = new Transports(opts);
  await t.open(opts);
  return t;
}
