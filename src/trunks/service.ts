// The PBX's outside lines: a registration per register trunk (kept in step with the config on
// start and reload; removed ones un-REGISTER, and all do when the PBX stops), which INVITEs are
// calls from a trunk (and their DID), channels in use per trunk, the spend guards (per extension
// and PBX-wide), and the status `pbx status` and GET /api/trunks show.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { TrunkInfo } from '../api/control-types.js';
import type { Config, TrunkConfig } from '../config/types.js';
import { parseNameAddr } from '../sip/grammar.js';
import type { Peer, SipRequest, TransportName } from '../sip/message.js';
import type { Clock, TransactionLayer } from '../sip/transaction/types.js';
import { parseUri } from '../sip/uri.js';
import type { Log } from '../util/log.js';
import { Counter, OutsideCallLimits } from './limits.js';
import { TrunkRegistration } from './registration.js';

export interface TrunkServiceOptions {
  transactions: TransactionLayer;
  /** Our Contact URI on a transport (the user part is replaced by the trunk's). */
  localContact(transport: TransportName, to?: string): string;
  clock: Clock;
  log: Log;
  userAgent: string;
}

/** How long close() waits for the providers to answer the un-REGISTERs. */
export const UNREGISTER_WAIT_MS = 2000;

/** An INVITE that came from a trunk: which one, and the number it was for. */
export interface TrunkCall {
  trunk: TrunkConfig;
  did: string;
}

export class TrunkService {
  readonly #o: TrunkServiceOptions;
  readonly #registrations = new Map<string, { key: string; reg: TrunkRegistration }>();
  /** Resolved addresses of trunk hosts (name -> IP), refreshed at each registration attempt. */
  readonly #addresses = new Map<string, string>();
  readonly channels = new Counter();
  readonly limits: OutsideCallLimits;
  #config: Config | null = null;
  #closed = false;

  constructor(opts: TrunkServiceOptions) {
    this.#o = opts;
    this.limits = new OutsideCallLimits(opts.clock);
  }

  /** Starts registrations of new or changed register trunks, stops those no longer configured. */
  apply(config: Config): void {
    if (this.#closed) return;
    this.#config = config;
    const wanted = new Set<string>();
    for (const trunk of config.trunks.values()) {
      if (!trunk.register) continue;
      wanted.add(trunk.name);
      const key = JSON.stringify(trunk);
      const existing = this.#registrations.get(trunk.name);
      if (existing?.key === key) continue;
      existing?.reg.close();
      const reg = new TrunkRegistration(trunk, {
        transactions: this.#o.transactions,
        peer: (t) => this.peerOf(t),
        contact: (t) => this.contactOf(t),
        clock: this.#o.clock,
        log: this.#o.log,
        userAgent: this.#o.userAgent,
      });
      this.#registrations.set(trunk.name, { key, reg });
      reg.start();
    }
    for (const [name, { reg }] of this.#registrations) {
      if (!wanted.has(name)) {
        void reg.unregister(UNREGISTER_WAIT_MS);
        this.#registrations.delete(name);
      }
    }
  }

  /** Where a trunk's provider is: its host resolved (IP literals as they are). */
  async peerOf(trunk: TrunkConfig): Promise<Peer> {
    const host = trunk.host.replace(/^\[|\]$/g, '');
    const address = isIP(host) !== 0 ? host : (await lookup(host)).address;
    this.#addresses.set(trunk.name, address);
    return { transport: trunk.transport, address, port: trunk.port, connectionId: null };
  }

  /** Our Contact for a trunk: the user part is the trunk's user name (the provider calls us at it). */
  contactOf(trunk: TrunkConfig): string {
    const ours = this.#o.localContact(trunk.transport, this.#addresses.get(trunk.name) ?? trunk.host);
    const user = trunk.username ?? trunk.name;
    return ours.replace(/^sip:[^@]*@/, `sip:${user}@`);
  }

  /**
   * The trunk an INVITE came from, or null (then it is an extension's and must authenticate): a
   * source listed in a trunk's `match` (IP, or IP:PORT), or a register trunk's contact user in the
   * Request-URI arriving from that provider's address.
   */
  match(config: Config, req: SipRequest, source: Peer): TrunkCall | null {
    const address = source.address.replace(/^\[|\]$/g, '');
    const withPort = address.includes(':') ? `[${address}]:${source.port}` : `${address}:${source.port}`;
    const ruUser = parseUri(req.uri)?.user ?? null;
    for (const trunk of config.trunks.values()) {
      const listed = trunk.match.some((m) => m === address || m === withPort);
      const registered = trunk.register && trunk.match.length === 0 && ruUser !== null && ruUser === (trunk.username ?? trunk.name) && this.#addresses.get(trunk.name) === address;
      if (listed || registered) return { trunk, did: didOf(trunk, req) };
    }
    return null;
  }

  /** One line per trunk, for `pbx status` and GET /api/trunks. */
  list(): TrunkInfo[] {
    const config = this.#config;
    if (config === null) return [];
    return [...config.trunks.values()].map((t) => {
      const s = this.#registrations.get(t.name)?.reg.status ?? null;
      return {
        name: t.name,
        type: t.type,
        host: `${t.host}:${t.port}`,
        state: s === null ? 'ip' : s.state,
        expires_at: s?.expires_at ?? null,
        next_attempt_at: s?.next_attempt_at ?? null,
        last_error: s?.last_error ?? null,
        channels: this.channels.inUse(t.name),
        max_channels: t.max_channels,
      };
    });
  }

  /**
   * Stops every registration, un-REGISTERing those in force; resolves when the providers answered
   * or after `waitMs`. Safe to call twice.
   */
  async close(waitMs = UNREGISTER_WAIT_MS): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const regs = [...this.#registrations.values()].map(({ reg }) => reg);
    this.#registrations.clear();
    await Promise.all(regs.map((reg) => reg.unregister(waitMs)));
  }
}

/** The dialled number of a trunk call, from the header the trunk's did_header names. */
function didOf(trunk: TrunkConfig, req: SipRequest): string {
  const userOf = (value: string | null): string | null => {
    const na = value === null ? null : parseNameAddr(value);
    return na === null ? null : (parseUri(na.uri)?.user ?? null);
  };
  const fromHeader = trunk.did_header === 'to' ? userOf(req.headers.get('to')) : trunk.did_header === 'p-called-party-id' ? userOf(req.headers.get('p-called-party-id')) : null;
  return fromHeader ?? parseUri(req.uri)?.user ?? '';
}
