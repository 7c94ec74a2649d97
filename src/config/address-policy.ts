// Which of the PBX's addresses a peer is shown (the PBX behind NAT, as Asterisk's local_net with
// external_signaling_address / external_media_address): peers in `sip.local_networks` see the
// local ones, every other peer (trunks, phones at home) the external ones.
import { isIP } from 'node:net';
import type { Config } from './types.js';
import { NetworkList } from '../util/cidr.js';

export class AddressPolicy {
  readonly #config: Config;
  readonly #local: NetworkList;
  readonly #externalMedia: string | null;

  constructor(config: Config) {
    this.#config = config;
    this.#local = new NetworkList(config.sip.local_networks);
    const sipExternal = config.sip.external_address;
    this.#externalMedia = config.rtp.external_address ?? (sipExternal !== null && isIP(sipExternal) !== 0 ? sipExternal : null);
  }

  /** Whether a peer's address is in the local networks (a name never is). */
  isLocal(address: string): boolean {
    return this.#local.contains(address);
  }

  /**
   * The host written into Via and Contact towards `to` (null: towards no one in particular):
   * sip.external_address for a peer outside the local networks, else rtp.address when a listener
   * is bound to a wildcard (0.0.0.0 or ::, which no phone can send to); null means each socket's own host.
   */
  sipHost(to: string | null): string | null {
    const external = this.#config.sip.external_address;
    if (external !== null && (to === null || !this.isLocal(to))) return external;
    const wildcard = this.#config.sip.listen.some((l) => l.host === '0.0.0.0' || l.host === '::');
    return wildcard ? this.#config.rtp.address : null;
  }

  /** The address written into SDP towards `to`: the external media address for a peer outside the local networks, else rtp.address. */
  mediaAddress(to: string | null): string {
    if (this.#externalMedia !== null && to !== null && !this.isLocal(to)) return this.#externalMedia;
    return this.#config.rtp.address;
  }
}

const policies = new WeakMap<Config, AddressPolicy>();

/** The policy of a config, compiled once per (re)load. */
export function addressPolicy(config: Config): AddressPolicy {
  let p = policies.get(config);
  if (p === undefined) {
    p = new AddressPolicy(config);
    policies.set(config, p);
  }
  return p;
}

/** The host written into Via and Contact when no peer is known (see AddressPolicy.sipHost). */
export function advertisedHost(config: Config): string | null {
  return addressPolicy(config).sipHost(null);
}
