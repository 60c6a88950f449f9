// Which device the kernel would route a unicast reply through, from /proc/net/route (the main
// table of the namespace). A unicast reply is only sent when it would leave through the client's
// bridge; otherwise the server broadcasts on that bridge, which RFC 2131 §4.1 permits.
import { readFileSync } from 'node:fs';
import { parseIpv4 } from './codec/ipv4.js';

/** Reads the route table text; injectable for tests. */
export type RouteTableReader = () => string;

/** The /proc reader. */
export const procRouteReader: RouteTableReader = () => {
  try {
    return readFileSync('/proc/net/route', 'utf8');
  } catch {
    return '';
  }
};

function hexLe(hex: string): number {
  const n = parseInt(hex, 16);
  // /proc/net/route prints addresses as the in-memory (network order) u32 on a little-endian host.
  return (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | (n >>> 24)) >>> 0;
}

/** The output device of the longest matching route to `address`, if any. */
export function routeDevice(table: string, address: string): string | undefined {
  const target = parseIpv4(address);
  if (target === undefined) return undefined;
  let best: { device: string; maskBits: number } | undefined;
  for (const line of table.split('\n').slice(1)) {
    const [device, dest, , flags, , , , mask] = line.trim().split(/\s+/);
    if (device === undefined || dest === undefined || mask === undefined || flags === undefined) continue;
    if ((parseInt(flags, 16) & 1) === 0) continue; // RTF_UP
    const m = hexLe(mask);
    if (((target & m) >>> 0) !== hexLe(dest)) continue;
    const bits = m.toString(2).replace(/0/g, '').length;
    if (best === undefined || bits > best.maskBits) best = { device, maskBits: bits };
  }
  return best?.device;
}
