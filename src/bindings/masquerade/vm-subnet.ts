// The masquerade binding's private VM subnets (`vmNetworkCIDR`, default 10.0.2.0/24, and
// `vmIPv6NetworkCIDR`, default fd10:0:2::/120): parses them and derives the gateway (first host, the
// bridge's address) and the VM address (second host). Pure.
import { formatIpv4, parseIpv4 } from '../../api/ipv4.js';
import { formatIpv6, parseIpv6 } from '../../api/ip-address.js';

/** Gateway and VM address inside one private subnet. */
export interface VmSubnet {
  /** Canonical network CIDR, e.g. 10.0.2.0/24. */
  cidr: string;
  prefixLength: number;
  gateway: string;
  vm: string;
}

export const DEFAULT_VM_NETWORK_CIDR = '10.0.2.0/24';
export const DEFAULT_VM_IPV6_NETWORK_CIDR = 'fd10:0:2::/120';

/** The IPv4 VM subnet, or an error message saying what is wrong with `cidr`. */
export function ipv4VmSubnet(cidr: string): VmSubnet | string {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(cidr);
  const addr = m ? parseIpv4(m[1]!) : undefined;
  const len = m ? Number(m[2]) : NaN;
  if (addr === undefined || !(len >= 0 && len <= 30))
    return `${JSON.stringify(cidr)} is not an IPv4 CIDR with a prefix of at most /30`;
  const size = 2 ** (32 - len);
  const net = addr - (addr % size);
  return {
    cidr: `${formatIpv4(net)}/${len}`,
    prefixLength: len,
    gateway: formatIpv4(net + 1),
    vm: formatIpv4(net + 2),
  };
}

/** The IPv6 VM subnet, or an error message saying what is wrong with `cidr`. */
export function ipv6VmSubnet(cidr: string): VmSubnet | string {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  const addr = m ? parseIpv6(m[1]!) : undefined;
  const len = m ? Number(m[2]) : NaN;
  if (addr === undefined || !(len >= 0 && len <= 126))
    return `${JSON.stringify(cidr)} is not an IPv6 CIDR with a prefix of at most /126`;
  const hostBits = BigInt(128 - len);
  const net = (addr >> hostBits) << hostBits;
  return {
    cidr: `${formatIpv6(net)}/${len}`,
    prefixLength: len,
    gateway: formatIpv6(net + 1n),
    vm: formatIpv6(net + 2n),
  };
}
