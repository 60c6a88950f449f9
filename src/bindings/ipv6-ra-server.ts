// The IPv6 service on a binding's in-pod bridge (masquerade and bridge bindings): Router
// Advertisements (managed flag, default route, MTU,
// RDNSS when the pod has IPv6 nameservers) and stateful DHCPv6 (IA_NA with exactly the VM's address for
// exactly the VM's MAC, DNS, search list) — what KubeVirt lacks (issue #19193), so a guest gets its
// IPv6 address and default route with no cloud-init. Sending RAs needs an ICMPv6 raw socket, which
// Node cannot open, so the server is dnsmasq (Debian dnsmasq-base) with DNS and DHCPv4 off, bound to
// the bridge only, configured entirely by argv (no config file). Pure: builds the argv.
import { isNormalisedMac } from '../api/mac-address.js';
import { VirtnetError } from '../errors/virtnet-error.js';
import { parseIpv6 } from '../api/ip-address.js';

/** What the bridge serves to the VM over IPv6. */
export interface Ipv6RaServerConfig {
  bridge: string;
  vmMac: string;
  vmAddress: string;
  prefixLength: number;
  /** The IPv6 subnet's network address (fd10:0:2::). */
  network: string;
  mtuBytes: number;
  dnsServers: string[];
  searchDomains: string[];
  leaseSeconds: number;
  /**
   * Whether the RAs name the bridge a default router (default true). False: lifetime 0, the RAs
   * still carry the on-link prefix and the managed flag, the guest gets no default route here.
   */
  defaultRouter?: boolean;
}

const DNS_NAME_RE = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/;
/** Router lifetime (s) and maximum RA interval (s): guests keep the default route between RAs. */
const ROUTER_LIFETIME_SECONDS = 1800;
const RA_INTERVAL_SECONDS = 60;

/** The dnsmasq argv serving RA + DHCPv6 on the bridge. Throws on values unfit for its comma syntax. */
export function ipv6RaServerArgv(c: Ipv6RaServerConfig): string[] {
  const bad = (what: string, value: string): never => {
    throw new VirtnetError(
      'INVALID_IPV6_SERVER_CONFIG',
      `invalid ${what} ${JSON.stringify(value)} for the IPv6 RA/DHCPv6 server`,
      { device: c.bridge },
    );
  };
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(c.bridge)) bad('bridge', c.bridge);
  if (!isNormalisedMac(c.vmMac)) bad('MAC', c.vmMac);
  for (const a of [c.vmAddress, c.network, ...c.dnsServers])
    if (parseIpv6(a) === undefined) bad('IPv6 address', a);
  for (const d of c.searchDomains) if (!DNS_NAME_RE.test(d)) bad('search domain', d);
  return [
    'dnsmasq',
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    // DNS off: the VM uses the pod's resolvers.
    '--port=0',
    '--pid-file=',
    '--leasefile-ro',
    `--interface=${c.bridge}`,
    '--bind-interfaces',
    '--except-interface=lo',
    '--enable-ra',
    // RFC 4191: a router with lifetime 0 must advertise medium preference.
    c.defaultRouter === false
      ? `--ra-param=${c.bridge},mtu:${c.mtuBytes},${RA_INTERVAL_SECONDS},0`
      : `--ra-param=${c.bridge},mtu:${c.mtuBytes},high,${RA_INTERVAL_SECONDS},${ROUTER_LIFETIME_SECONDS}`,
    // `static`: only dhcp-host reservations are served, i.e. only the VM's MAC gets an address.
    `--dhcp-range=${c.network},static,${c.prefixLength},${c.leaseSeconds}`,
    `--dhcp-host=${c.vmMac},[${c.vmAddress}]`,
    ...(c.dnsServers.length > 0
      ? [`--dhcp-option=option6:dns-server,${c.dnsServers.map((s) => `[${s}]`).join(',')}`]
      : []),
    ...(c.searchDomains.length > 0
      ? [`--dhcp-option=option6:domain-search,${c.searchDomains.join(',')}`]
      : []),
  ];
}
