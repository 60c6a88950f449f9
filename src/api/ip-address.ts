// IPv4/IPv6 address and CIDR syntax, strict (no leading zeros in IPv4 octets, no zone ids), and
// the number form of IPv6 addresses the planners compute with (VM subnets, delegated prefixes). Pure.
import { parseIpv4 } from './ipv4.js';

/** True for dotted-quad IPv4 `a.b.c.d`. */
export function isIPv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

/** True for an IPv6 address (RFC 4291 text forms, including an embedded IPv4 tail). */
export function isIPv6(text: string): boolean {
  return parseIpv6(text) !== undefined;
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

/** 4 or 6 for an address of that family, 0 for anything else (the shape of node:net `isIP`, kept pure). */
export function ipFamily(text: string): 0 | 4 | 6 {
  if (isIPv4(text)) return 4;
  return isIPv6(text) ? 6 : 0;
}

/** Splits `addr/prefix`; undefined when the prefix is not a decimal integer in range. */
function splitCidr(text: string, maxPrefix: number): { addr: string; prefix: number } | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const p = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > maxPrefix) return undefined;
  return { addr: text.slice(0, slash), prefix: Number(p) };
}

/** Why a CIDR cannot be a VM's private subnet. */
export type VmCidrProblem = 'CIDR_INVALID' | 'CIDR_TOO_SMALL' | 'CIDR_TOO_BIG' | 'CIDR_UNUSABLE';

/**
 * Checks an IPv4 CIDR for a VM's private subnet: it must leave ≥ 2 host addresses (gateway + VM:
 * prefix ≤ 30), must not be so big that its routes shadow the pod's own (prefix ≥ 8), and must lie
 * where interface addresses can be (not 0/8, 127/8, 224/3).
 */
export function checkIPv4Cidr(text: string): VmCidrProblem | undefined {
  const c = splitCidr(text, 32);
  if (!c || !isIPv4(c.addr)) return 'CIDR_INVALID';
  if (c.prefix > 30) return 'CIDR_TOO_SMALL';
  if (c.prefix < 8) return 'CIDR_TOO_BIG';
  const first = Number(c.addr.split('.')[0]);
  if (first === 0 || first === 127 || first >= 224) return 'CIDR_UNUSABLE';
  return undefined;
}

/** The same for an IPv6 VM subnet: prefix 16-126, not ::/128, ::1 or multicast ff00::/8. */
export function checkIPv6VmCidr(text: string): VmCidrProblem | undefined {
  const c = splitCidr(text, 128);
  if (!c || !isIPv6(c.addr)) return 'CIDR_INVALID';
  if (c.prefix > 126) return 'CIDR_TOO_SMALL';
  if (c.prefix < 16) return 'CIDR_TOO_BIG';
  const a = c.addr.toLowerCase();
  const firstGroup = a.split(':')[0]!;
  if ((firstGroup.length === 4 && firstGroup.startsWith('ff')) || /^::1?$/.test(a)) return 'CIDR_UNUSABLE';
  return undefined;
}

/** True for an IPv6 CIDR `addr/0-128`. */
export function isIPv6Cidr(text: string): boolean {
  const c = splitCidr(text, 128);
  return c !== undefined && isIPv6(c.addr);
}
