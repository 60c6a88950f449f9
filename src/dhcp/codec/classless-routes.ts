// RFC 3442 option 121 (Classless Static Route): each route is a prefix width, the significant
// octets of the destination, and a 4-byte router. Pure; decoding never throws.
import { formatIpv4, parseIpv4, prefixMask, readIpv4, writeIpv4 } from '../../api/ipv4.js';
import { fail, ok, type CodecResult } from './result.js';

/** One classless route: destination `a.b.c.d/n`, gateway a dotted quad (0.0.0.0 = on-link). */
export interface ClasslessRoute {
  destination: string;
  gateway: string;
}

/** Encodes routes; a destination with host bits set is rejected rather than silently changed. */
export function encodeClasslessRoutes(routes: readonly ClasslessRoute[]): CodecResult<Uint8Array> {
  const out: number[] = [];
  for (const route of routes) {
    const [net, widthText, extra] = route.destination.split('/');
    const width = Number(widthText);
    const destination = net === undefined ? undefined : parseIpv4(net);
    const gateway = parseIpv4(route.gateway);
    if (
      extra !== undefined ||
      destination === undefined ||
      !/^\d{1,2}$/.test(widthText ?? '') ||
      width > 32
    ) {
      return fail(
        'BAD_VALUE',
        `route destination ${JSON.stringify(route.destination)} is not a.b.c.d/n`,
        121,
      );
    }
    if (gateway === undefined)
      return fail('BAD_VALUE', `route gateway ${JSON.stringify(route.gateway)} is not an IPv4 address`, 121);
    if ((destination & prefixMask(width)) >>> 0 !== destination) {
      return fail('BAD_VALUE', `route destination ${route.destination} has host bits set`, 121);
    }
    const significant = Math.ceil(width / 8);
    const dest = new Uint8Array(4);
    writeIpv4(dest, 0, destination);
    const gw = new Uint8Array(4);
    writeIpv4(gw, 0, gateway);
    out.push(width, ...dest.subarray(0, significant), ...gw);
  }
  return ok(Uint8Array.from(out));
}

/** Decodes option 121 data; host bits beyond the width are cleared as RFC 3442 §2 requires. */
export function decodeClasslessRoutes(data: Uint8Array): CodecResult<ClasslessRoute[]> {
  const routes: ClasslessRoute[] = [];
  let pos = 0;
  while (pos < data.length) {
    const width = data[pos] ?? 0;
    if (width > 32) return fail('BAD_VALUE', `route prefix width ${width} exceeds 32`, 121);
    const significant = Math.ceil(width / 8);
    if (pos + 1 + significant + 4 > data.length)
      return fail('TRUNCATED', 'classless route runs past the option', 121);
    const dest = new Uint8Array(4);
    dest.set(data.subarray(pos + 1, pos + 1 + significant));
    const destination = (readIpv4(dest, 0) & prefixMask(width)) >>> 0;
    const gateway = readIpv4(data, pos + 1 + significant);
    routes.push({ destination: `${formatIpv4(destination)}/${width}`, gateway: formatIpv4(gateway) });
    pos += 1 + significant + 4;
  }
  return ok(routes);
}
