// The bridge binding's IPv6 delegation (beyond KubeVirt #7979): the pod interface's global
// IPv6 address leaves it (restored at teardown) and is served to the VM's MAC only, by DHCPv6 IA_NA
// from dnsmasq on the in-pod bridge (src/bindings/ipv6-ra-server.ts), whose RAs carry the on-link
// prefix (managed, no SLAAC), the MTU and a default route via the bridge's link-local address.
// Why the bridge holds the prefix's subnet-router anycast address (`<network>/<len>`, nodad):
// dnsmasq serves DHCPv6 and prefix information only for a prefix the interface has an address in,
// and that address is reserved by RFC 4291 (no IPAM hands it out), so it takes nothing from the pod
// network; nodad because the network's real router joins it as anycast.
// Why the pod forwards IPv6: an RA can only name its sender as a router, so the guest's default route
// points at the bridge; the pod's own routes move to the bridge and it forwards off-link traffic to
// the real gateway (on-link destinations the guest reaches directly, the prefix being on-link).
// A pod interface with no IPv6 route of its own (a secondary network whose IPAM gives none) gets no
// default router either: the RAs say lifetime 0, so the guest, like the pod, reaches only the
// on-link prefix there and does not send its other traffic into that network.
// The bridge's DHCP guard (dhcp-guard.ts) keeps RAs and DHCPv6 between the VM and dnsmasq. Pure.
import { formatIpv6, parseIpv6 } from '../../api/ip-address.js';
import { ipv6RaServerArgv } from '../ipv6-ra-server.js';
import type {
  BindingContext,
  DiscoveredInterface,
  DiscoveredRoute,
  PlanNote,
  PlanStep,
} from '../plan-types.js';
import { previousSysctl } from '../previous-sysctl.js';

/** DHCPv6 lease time: renewals are multicast to dnsmasq on the bridge, so a day is enough. */
export const BRIDGE_IPV6_LEASE_SECONDS = 86_400;
const FORWARDING_KEY = 'net/ipv6/conf/all/forwarding';

/** The steps that hand the pod interface's IPv6 to the VM, split by where they go in the plan. */
export interface Ipv6Delegation {
  /** Route and address removals on the pod interface (before it is enslaved). */
  podSteps: PlanStep[];
  /** Subnet-router address, routes and forwarding, dnsmasq. */
  bridgeSteps: PlanStep[];
  notes: PlanNote[];
}

/** Routes through the pod interface that are not the kernel's (they do not come back with the address). */
function explicitIpv6Routes(pod: DiscoveredInterface): DiscoveredRoute[] {
  return pod.routes.filter(
    (r) =>
      r.family === 6 &&
      r.protocol !== 'kernel' &&
      (r.type ?? 'unicast') === 'unicast' &&
      !r.destination.startsWith('fe80:'),
  );
}

/** The network address of `address/prefixLength`. */
function networkOf(address: string, prefixLength: number): string | undefined {
  const n = parseIpv6(address);
  if (n === undefined || prefixLength < 1 || prefixLength > 128) return undefined;
  const hostBits = BigInt(128 - prefixLength);
  return formatIpv6((n >> hostBits) << hostBits);
}

/** IPv6 forwarding in the pod, for VMs whose default route is their bridge. */
function forwarding(ctx: BindingContext): PlanStep {
  return {
    id: 'ipv6-forwarding',
    phase: 'network',
    kind: 'sysctl.set',
    key: FORWARDING_KEY,
    value: '1',
    ...previousSysctl(ctx, FORWARDING_KEY),
    summary: "IPv6 forwarding in the pod (the VM's default route is the bridge)",
  };
}

/** Plans the IPv6 delegation, or undefined when the pod interface has no global IPv6 address. */
export function planIpv6Delegation(
  pod: DiscoveredInterface,
  bridge: string,
  vmMac: string,
  ctx: BindingContext,
): Ipv6Delegation | undefined {
  const v6 = pod.addresses.filter((a) => a.family === 6 && a.scope === 'global');
  const first = v6[0];
  if (!first) return undefined;
  const network = networkOf(first.address, first.prefixLength);
  if (network === undefined) return undefined;
  const p = pod.name;
  const notes: PlanNote[] = [];
  if (v6.length > 1) {
    notes.push({
      level: 'warning',
      code: 'EXTRA_IPV6_NOT_DELEGATED',
      message: `${p} has ${v6.length} global IPv6 addresses; only ${first.address}/${first.prefixLength} is served to the VM (the others are removed and restored at teardown)`,
    });
  }
  const routes = explicitIpv6Routes(pod);
  const podSteps: PlanStep[] = [
    ...routes.map((route): PlanStep => ({
      id: `${p}/route6/${route.table ?? 'main'}/${route.destination}/${route.metric ?? 0}`,
      phase: 'network',
      kind: 'route.remove',
      route,
      summary: `remove route ${route.destination}${route.gateway ? ` via ${route.gateway}` : ''} dev ${p} (the pod forwards for the VM through ${bridge})`,
    })),
    ...v6.map((address): PlanStep => ({
      id: `${p}/addr6/${address.address}/${address.prefixLength}`,
      phase: 'network',
      kind: 'addr.remove',
      device: p,
      address,
      summary: `remove ${address.address}/${address.prefixLength} from ${p} (delegated to the VM)`,
    })),
  ];
  const movedRoutes = routes.filter((r) => r.table === undefined);
  const defaultRouter = movedRoutes.length > 0;
  if (!defaultRouter) {
    notes.push({
      level: 'info',
      code: 'IPV6_ON_LINK_ONLY',
      message: `${p} has no IPv6 routes beyond its prefix: the VM gets ${first.address} on-link only, no IPv6 default route through ${bridge}`,
    });
  }
  const dnsServers = ctx.pod.dns.nameservers.filter((s) => s.includes(':'));
  const bridgeSteps: PlanStep[] = [
    {
      id: `${p}/subnet-router`,
      phase: 'network',
      kind: 'addr.add',
      device: bridge,
      address: `${network}/${first.prefixLength}`,
      noDad: true,
      summary: `add ${network}/${first.prefixLength} (subnet-router anycast, nodad) to ${bridge}: the prefix dnsmasq serves`,
    },
    ...movedRoutes.map((r): PlanStep => {
      const { prefsrc: _prefsrc, ...rest } = r;
      const route: DiscoveredRoute = { ...rest, device: bridge };
      return {
        id: `${p}/bridge-route6/${r.destination}/${r.metric ?? 0}`,
        phase: 'network',
        kind: 'route.add',
        route,
        summary: `route ${r.destination}${r.gateway ? ` via ${r.gateway}` : ''} dev ${bridge} (the VM's traffic beyond the prefix)`,
      };
    }),
    // Shared by every delegating interface (same id: the planner keeps one).
    ...(defaultRouter ? [forwarding(ctx)] : []),
    {
      id: `${p}/ra6-dhcpv6`,
      phase: 'network',
      kind: 'process.start',
      name: `ra6-${bridge}`,
      inNetns: true,
      argv: ipv6RaServerArgv({
        bridge,
        vmMac,
        vmAddress: first.address,
        prefixLength: first.prefixLength,
        network,
        mtuBytes: pod.mtuBytes,
        dnsServers,
        searchDomains: [...ctx.pod.dns.search],
        leaseSeconds: BRIDGE_IPV6_LEASE_SECONDS,
        defaultRouter,
      }),
      summary: `serve RA (managed, on-link ${network}/${first.prefixLength}, ${defaultRouter ? 'default route' : 'no default route'}, MTU) and DHCPv6 (${first.address} for ${vmMac} only) on ${bridge}`,
    },
  ];
  return { podSteps, bridgeSteps, notes };
}
