// The masquerade binding's private VM subnets (seed 004: `vmNetworkCIDR`, default 10.0.2.0/24, and
// `vmIPv6NetworkCIDR`, default fd10:0:2::/120): parses them and derives the gateway (first host, the
// bridge's address) and the VM address (second host). Pure.

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

/** Parses a dotted quad to a number, or undefined. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Parses an IPv6 address (with `::` and an optional dotted-quad tail) to a bigint, or undefined. */
export function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.split('::').length > 2) return undefined;
  let s = text;
  const v4 = /:(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = parseIpv4(v4[1]!);
    if (n === undefined) return undefined;
    s = `${s.slice(0, v4.index)}:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const groups = (x: string): string[] => (x === '' ? [] : x.split(':'));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const missing = 8 - h.length - t.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const all = [...h, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...t];
  let n = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

/** RFC 5952 text form of an IPv6 address. */
export function formatIpv6(n: bigint): string {
  const g = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j += 1;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

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
