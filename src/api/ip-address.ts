// IPv4/IPv6 address and CIDR syntax, strict (no leading zeros in IPv4 octets, no zone ids). Pure.
import { parseIpv4 } from './ipv4.js';

/** True for dotted-quad IPv4 `a.b.c.d`. */
export function isIPv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

/** True for an IPv6 address (RFC 4291 text forms, including an embedded IPv4 tail). */
export function isIPv6(text: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || text.length > 45) return false;
  let groups = text.split(':');
  const last = groups[groups.length - 1]!;
  if (last.includes('.')) {
    if (!isIPv4(last)) return false;
    groups = groups.slice(0, -1).concat(['0', '0']);
  }
  const body = groups.join(':');
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const hex = (s: string) => (s === '' ? [] : s.split(':'));
  const ok = (gs: string[]) => gs.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g));
  if (halves.length === 2) {
    const left = hex(halves[0]!);
    const right = hex(halves[1]!);
    return ok(left) && ok(right) && left.length + right.length <= 7;
  }
  const all = hex(body);
  return ok(all) && all.length === 8;
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
