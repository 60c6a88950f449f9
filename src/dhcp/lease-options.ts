// The options one lease offers, in the order they are worth sending, and the selection that
// honours a client's parameter request list (RFC 2132 §9.8) before its byte budget trims the rest.
import type { Dhcp4Lease } from './server-config.js';
import { broadcastOf, formatIpv4, parseIpv4, prefixMask } from '../api/ipv4.js';
import { text } from './codec/option-codecs.js';
import { OPTIONS, encodeOptionValue, type OptionName, type OptionValue } from './codec/option-table.js';

/** Infinite lease (RFC 2131 §3.3). */
export const INFINITE_LEASE_SECONDS = 0xffffffff;

/** The RFC 3442 routes a lease sends: its classless routes plus a default route via the first router. */
export function routesWithDefault(lease: Dhcp4Lease): Dhcp4Lease['classlessRoutes'] {
  if (lease.classlessRoutes.length === 0) return [];
  const hasDefault = lease.classlessRoutes.some((r) => r.destination === '0.0.0.0/0');
  const router = lease.routers[0];
  // RFC 3442 §1: a client that receives option 121 ignores option 3, so the default route must be in 121.
  return hasDefault || router === undefined
    ? lease.classlessRoutes
    : [...lease.classlessRoutes, { destination: '0.0.0.0/0', gateway: router }];
}

/**
 * Every configuration option of a lease as code → data, lease timers excluded. Values were
 * validated when the configuration was loaded; one that still fails to encode is left out.
 */
export function leaseConfigOptions(lease: Dhcp4Lease): ReadonlyMap<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const put = <N extends OptionName>(name: N, value: OptionValue<N> | undefined): void => {
    if (value === undefined) return;
    const r = encodeOptionValue(name, value);
    if (r.ok) out.set(OPTIONS[name].code, r.value);
  };
  const address = parseIpv4(lease.address) ?? 0;
  put('subnetMask', formatIpv4(prefixMask(lease.prefixLength)));
  put('routers', lease.routers.length > 0 ? lease.routers : undefined);
  put('domainNameServers', lease.dnsServers.length > 0 ? lease.dnsServers : undefined);
  put('hostName', lease.hostname);
  put('domainName', lease.domainName);
  put('interfaceMtu', lease.mtuBytes);
  put(
    'broadcastAddress',
    lease.prefixLength < 31 ? formatIpv4(broadcastOf(address, lease.prefixLength)) : undefined,
  );
  put('ntpServers', lease.ntpServers.length > 0 ? lease.ntpServers : undefined);
  put('tftpServerName', lease.tftpServerName);
  put('bootfileName', lease.bootFileName);
  put('domainSearch', lease.searchDomains.length > 0 ? lease.searchDomains : undefined);
  const routes = routesWithDefault(lease);
  put('classlessStaticRoutes', routes.length > 0 ? routes : undefined);
  for (const p of lease.privateOptions) {
    const r = text.encode(p.value);
    if (r.ok) out.set(p.code, r.value);
  }
  return out;
}

/**
 * Orders options for a reply: the `required` ones first, then those the client asked for in its
 * order, then everything else configured. The encoder drops from the end when space runs out, so
 * an unrequested option never displaces a requested one.
 */
export function orderForRequest(
  required: ReadonlyMap<number, Uint8Array>,
  configured: ReadonlyMap<number, Uint8Array>,
  requested: readonly number[] | undefined,
): Map<number, Uint8Array> {
  const out = new Map(required);
  for (const code of requested ?? []) {
    const data = configured.get(code);
    if (data !== undefined && !out.has(code)) out.set(code, data);
  }
  for (const [code, data] of configured) if (!out.has(code)) out.set(code, data);
  return out;
}
