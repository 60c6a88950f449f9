// Plans the slirp binding (KubeVirt's slirp): QEMU user networking inside the pod's
// namespace. QEMU itself is the guest's router, DHCP and DNS server on a private subnet (`net=` from
// vmNetworkCIDR, 10.0.2.0/24 by default; the guest gets .15), outbound connections leave as ordinary
// sockets of the QEMU process, i.e. from the pod IP. Inbound: `hostfwd` for exactly the declared ports
// (TCP/UDP), listening on every pod address because QEMU runs in the pod namespace; nothing else
// reaches the guest. No host devices, no steps, no DHCP from virtnet. slirp translates TCP and UDP to
// sockets; ICMP to the pod network is not supported (KubeVirt says the same), so the plan says so. Pure.
import type { InterfaceSpec, NetworkSpec } from '../../api/types.js';
import { VirtnetError } from '../../errors/virtnet-error.js';
import type {
  BindingContext,
  BindingModule,
  DiscoveredInterface,
  InterfacePlan,
  PlanNote,
} from '../plan-types.js';
import { stableMac } from '../stable-hash.js';
import type { VmNic } from '../vm-nic.js';
import { nicFrontend } from '../nic-frontend.js';
import { podNetworkSource } from '../pod-network.js';

export const DEFAULT_SLIRP_NETWORK_CIDR = '10.0.2.0/24';
/** QEMU's slirp needs room for gateway (.2), DNS (.3) and the DHCP pool starting at .15. */
const MAX_PREFIX_LENGTH = 27;
const DNS_NAME_RE = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/;

/** The normalised network CIDR for QEMU's `net=`, or an error message. */
export function slirpNetwork(cidr: string): string | { error: string } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || prefix < 1 || prefix > MAX_PREFIX_LENGTH) {
    return {
      error: `vmNetworkCIDR ${JSON.stringify(cidr)} is not an IPv4 CIDR with a prefix length of 1 to ${MAX_PREFIX_LENGTH}`,
    };
  }
  const value = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const network = value - (value % size);
  const parts = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256);
  return `${parts.join('.')}/${prefix}`;
}

/** Plans one `slirp: {}` interface. Throws VirtnetError with the spec field at fault. */
export function planSlirp(
  iface: InterfaceSpec,
  network: NetworkSpec,
  podInterface: DiscoveredInterface | undefined,
  ctx: BindingContext,
): InterfacePlan {
  const field = ctx.fieldPath;
  const source = podNetworkSource(iface, network, 'slirp', field);
  const netIndex = ctx.vm.networks.findIndex((n) => n.name === network.name);
  const net = slirpNetwork(source.vmNetworkCIDR ?? DEFAULT_SLIRP_NETWORK_CIDR);
  if (typeof net !== 'string')
    throw new VirtnetError('INVALID_VM_NETWORK_CIDR', net.error, {
      field: `spec.networks[${netIndex}].pod.vmNetworkCIDR`,
    });
  const notes: PlanNote[] = [
    {
      level: 'warning',
      code: 'SLIRP_NO_ICMP',
      message: `interface ${iface.name}: slirp does not forward ICMP (ping from the guest to the pod network fails); use TCP/UDP`,
    },
  ];
  const searchDomains = ctx.pod.dns.search.filter((d) => DNS_NAME_RE.test(d));
  if (searchDomains.length < ctx.pod.dns.search.length) {
    notes.push({
      level: 'warning',
      code: 'SLIRP_SEARCH_DOMAIN_SKIPPED',
      message: `interface ${iface.name}: search domains unfit for QEMU's dnssearch skipped`,
    });
  }
  const hostfwd = iface.ports;
  notes.push(
    hostfwd.length > 0
      ? {
          level: 'info',
          code: 'SLIRP_PORTS',
          message: `interface ${iface.name}: inbound only on ${hostfwd.map((p) => `${p.port}/${p.protocol}`).join(', ')} (hostfwd on every pod address)`,
        }
      : {
          level: 'info',
          code: 'SLIRP_NO_INBOUND',
          message: `interface ${iface.name}: no ports declared, nothing outside reaches the guest`,
        },
  );
  const nic: VmNic = {
    ...nicFrontend(iface),
    // KubeVirt's slirp default MAC is QEMU's; a fixed one keeps it stable across restarts.
    mac: iface.macAddress ?? slirpMac(`${ctx.vm.namespace}/${ctx.vm.name}/${iface.name}`),
    backend: { kind: 'user', netCidr: net, dnsSearch: searchDomains, hostfwd },
    // QEMU's built-in DHCP server configures the guest.
    guestConfig: { kind: 'dhcp' },
  };
  return {
    name: iface.name,
    network: network.name,
    binding: 'slirp',
    ...(podInterface ? { podInterface: podInterface.name, podInterfaceBefore: podInterface } : {}),
    createdDevices: [],
    steps: [],
    nic,
    notes,
  };
}

/** A stable locally administered unicast MAC for `key`. */
export function slirpMac(key: string): string {
  return stableMac(key);
}

/** The slirp binding module. */
export const slirpBinding: BindingModule = { binding: 'slirp', plan: planSlirp };
