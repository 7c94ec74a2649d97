// Networks in CIDR notation (RFC 4632 3.1; RFC 4291 2.3 for IPv6) and a compiled list of them that
// answers "is this address inside?" (node:net BlockList does the matching).
import { BlockList, isIP } from 'node:net';

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * The private, loopback and link-local ranges (RFC 1918, RFC 1122 3.2.1.3, RFC 3927, RFC 4193,
 * RFC 4291): where an office's own phones are unless `sip.local_networks` says otherwise.
 */
export const DEFAULT_LOCAL_NETWORKS: readonly string[] = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
];

/** "192.168.1.0/24", "fd00::/8", or a bare address (one host); null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const kind = isIP(address);
  if (kind === 0) return null;
  const max = kind === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > max) return null;
    prefix = Number(p);
  }
  return { address, prefix, family: kind === 4 ? 'ipv4' : 'ipv6' };
}

/** A list of networks compiled once; contains() is a lookup, no parsing. */
export class NetworkList {
  readonly #list = new BlockList();
  readonly size: number;

  /** Throws on a malformed network (config validation has refused those already). */
  constructor(networks: readonly string[]) {
    for (const n of networks) {
      const c = parseCidr(n);
      if (c === null) throw new Error(`bad network ${n}`);
      this.#list.addSubnet(c.address, c.prefix, c.family);
    }
    this.size = networks.length;
  }

  /** Whether `address` (an IP literal, IPv6 with or without brackets) is in one of the networks; a name never is. */
  contains(address: string): boolean {
    const a = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
    const kind = isIP(a);
    if (kind === 0) return false;
    return this.#list.check(a, kind === 4 ? 'ipv4' : 'ipv6');
  }
}
