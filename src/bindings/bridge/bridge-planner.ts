// Plans the bridge binding: a bridge in the pod joining the pod interface
// and the VM's TAP; the pod interface's IPv4 address moves to the VM (served by virtnet's DHCPv4
// server, with its routes as router + option 121), its MAC moves to the VM NIC (the pod interface
// takes a derived one so frames for the VM are not swallowed), its MTU goes to bridge, TAP and DHCP.
// A link-local /32 on the bridge is the DHCP server's identity; arp_ignore=1 (all) keeps the
// pod from answering ARP on the bridge for addresses it holds elsewhere. No IPv4 → pure L2, no DHCP.
// IPv6 (ipv6-delegation.ts) moves to the VM too: DHCPv6 IA_NA + RAs from dnsmasq on the bridge.
// Teardown is the executor's reverse of these steps, which restores the pod interface exactly. Pure.
import type { InterfaceSpec, NetworkSpec } from '../../api/types.js';
import type { Dhcp4Lease } from '../../dhcp/server-config.js';
import { VirtnetError } from '../../errors/virtnet-error.js';
import type {
  BindingContext,
  BindingModule,
  DiscoveredInterface,
  DiscoveredRoute,
  InterfacePlan,
  PlanNote,
  PlanStep,
} from '../plan-types.js';
import type { VmNic } from '../vm-nic.js';
import { bridgeName, handoverMac, serverAddress, tapName } from './bridge-names.js';
import { dhcpGuardStep } from './dhcp-guard.js';
import { planIpv6Delegation } from './ipv6-delegation.js';
import { nicFrontend } from '../nic-frontend.js';
import { previousSysctl } from '../previous-sysctl.js';
import { tapLinkStep, tapQueues } from '../tap-device.js';

/** Infinite lease (RFC 2131 0xffffffff): the address is the pod's for the pod's lifetime, and renewals
 * unicast to the link-local server id could not be routed back anyway. */
export const BRIDGE_LEASE_SECONDS = 0xffffffff;
const MAX_INTERFACE_INDEX = 240;

/** Routes through the pod interface the kernel does not recreate when the address comes back. */
function explicitIpv4Routes(pod: DiscoveredInterface): DiscoveredRoute[] {
  return pod.routes.filter(
    (r) => r.family === 4 && r.protocol !== 'kernel' && (r.type ?? 'unicast') === 'unicast',
  );
}

function defaultGateway(routes: DiscoveredRoute[]): string | undefined {
  return routes
    .filter((r) => r.destination === '0.0.0.0/0' && r.gateway !== undefined && r.table === undefined)
    .sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0))[0]?.gateway;
}

/** The DHCPv4 lease that hands the pod interface's configuration to the VM. */
function lease(
  iface: InterfaceSpec,
  pod: DiscoveredInterface,
  vmMac: string,
  bridge: string,
  ctx: BindingContext,
): { lease?: Dhcp4Lease; notes: PlanNote[] } {
  const notes: PlanNote[] = [];
  const v4 = pod.addresses.filter((a) => a.family === 4 && a.scope === 'global');
  const first = v4[0];
  if (!first) return { notes };
  if (v4.length > 1) {
    notes.push({
      level: 'warning',
      code: 'EXTRA_IPV4_NOT_DELEGATED',
      message: `${pod.name} has ${v4.length} IPv4 addresses; only ${first.address}/${first.prefixLength} is served to the VM (the others are removed and restored at teardown)`,
    });
  }
  const mainRoutes = explicitIpv4Routes(pod).filter((r) => r.table === undefined);
  const gateway = defaultGateway(mainRoutes);
  const others = mainRoutes.filter((r) => r.destination !== '0.0.0.0/0');
  // RFC 3442: a client that gets option 121 ignores option 3, so the default route must be in it too.
  const classlessRoutes = others.map((r) => ({
    destination: r.destination,
    gateway: r.gateway ?? '0.0.0.0',
  }));
  if (classlessRoutes.length > 0 && gateway) classlessRoutes.push({ destination: '0.0.0.0/0', gateway });
  const dns = ctx.pod.dns;
  const nameservers = dns.nameservers.filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n));
  if (nameservers.length < dns.nameservers.length) {
    notes.push({
      level: 'info',
      code: 'IPV6_DNS_NOT_SERVED',
      message: 'IPv6 nameservers of the pod are not served over DHCPv4',
    });
  }
  const opts = iface.dhcpOptions;
  const domainName = dns.domain ?? dns.search[0];
  return {
    notes,
    lease: {
      clientMac: vmMac,
      bridge,
      serverAddress: serverAddress(ctx.interfaceIndex),
      address: first.address,
      prefixLength: first.prefixLength,
      routers: gateway ? [gateway] : [],
      classlessRoutes,
      dnsServers: nameservers,
      searchDomains: [...dns.search],
      ...(domainName ? { domainName } : {}),
      hostname: ctx.vm.hostname ?? ctx.vm.name,
      mtuBytes: pod.mtuBytes,
      leaseSeconds: BRIDGE_LEASE_SECONDS,
      ntpServers: [...(opts?.ntpServers ?? [])],
      ...(opts?.tftpServerName ? { tftpServerName: opts.tftpServerName } : {}),
      ...(opts?.bootFileName ? { bootFileName: opts.bootFileName } : {}),
      privateOptions: (opts?.privateOptions ?? []).map((o) => ({ code: o.option, value: o.value })),
    },
  };
}

function fail(code: string, message: string, field: string): never {
  throw new VirtnetError(code, message, { field });
}

/** Plans one VM interface with `bridge: {}`. Throws VirtnetError with the spec field at fault. */
export function planBridge(
  iface: InterfaceSpec,
  network: NetworkSpec,
  pod: DiscoveredInterface | undefined,
  ctx: BindingContext,
): InterfacePlan {
  const field = ctx.fieldPath;
  if (network.source.kind === 'pod' && !ctx.cluster.permitBridgeInterfaceOnPodNetwork) {
    fail(
      'BRIDGE_ON_POD_NETWORK_FORBIDDEN',
      `interface ${iface.name}: bridge on the pod network is disabled (permitBridgeInterfaceOnPodNetwork: false)`,
      `${field}.bridge`,
    );
  }
  if (!pod)
    fail(
      'POD_INTERFACE_NOT_FOUND',
      `interface ${iface.name}: the pod has no interface for network ${network.name}`,
      field,
    );
  if (ctx.interfaceIndex > MAX_INTERFACE_INDEX)
    fail(
      'TOO_MANY_INTERFACES',
      `interface ${iface.name}: at most ${MAX_INTERFACE_INDEX + 1} interfaces`,
      field,
    );
  if (pod.master)
    fail(
      'POD_INTERFACE_IN_USE',
      `pod interface ${pod.name} is already enslaved to ${pod.master} (already set up? run virtnet down)`,
      field,
    );
  if (['bridge', 'tun', 'macvtap'].includes(pod.kind))
    fail(
      'POD_INTERFACE_UNSUITABLE',
      `pod interface ${pod.name} is a ${pod.kind} device and cannot be bridged`,
      field,
    );
  const bridge = bridgeName(pod.name);
  const tap = tapName(pod.name);
  for (const name of [bridge, tap]) {
    if (ctx.pod.interfaces.some((i) => i.name === name))
      fail(
        'DEVICE_NAME_TAKEN',
        `device ${name} already exists in the pod (another plan applied? run virtnet down)`,
        field,
      );
  }
  const vmMac = iface.macAddress ?? pod.mac;
  // The pod NIC must not keep the MAC the VM uses, or it would swallow the VM's frames.
  const podMac = vmMac === pod.mac ? handoverMac(pod.mac, pod.name) : pod.mac;
  const mtuBytes = pod.mtuBytes;
  const queues = tapQueues(iface, ctx);
  const p = pod.name;
  const notes: PlanNote[] = [];
  const steps: PlanStep[] = [
    {
      id: `${p}/bridge`,
      phase: 'network',
      kind: 'link.create',
      device: bridge,
      link: { type: 'bridge' },
      mac: podMac,
      mtuBytes,
      up: true,
      summary: `create bridge ${bridge} (mac ${podMac}, mtu ${mtuBytes})`,
    },
    tapLinkStep({
      id: `${p}/tap`,
      summary: `create tap ${tap} (${queues > 1 ? `multi_queue, ${queues} queues` : 'single queue'}, vnet_hdr, mtu ${mtuBytes}) in ${bridge}`,
      tap,
      bridge,
      queues,
      mtuBytes,
      ctx,
    }),
  ];
  const v4 = pod.addresses.filter((a) => a.family === 4);
  for (const route of explicitIpv4Routes(pod)) {
    steps.push({
      id: `${p}/route/${route.table ?? 'main'}/${route.destination}/${route.metric ?? 0}`,
      phase: 'network',
      kind: 'route.remove',
      route,
      summary: `remove route ${route.destination}${route.gateway ? ` via ${route.gateway}` : ''} dev ${p} (served to the VM)`,
    });
  }
  for (const address of v4) {
    steps.push({
      id: `${p}/addr/${address.address}/${address.prefixLength}`,
      phase: 'network',
      kind: 'addr.remove',
      device: p,
      address,
      summary: `remove ${address.address}/${address.prefixLength} from ${p} (delegated to the VM)`,
    });
  }
  steps.push({
    id: `${p}/link`,
    phase: 'network',
    kind: 'link.set',
    device: p,
    ...(podMac !== pod.mac ? { mac: podMac } : {}),
    master: bridge,
    up: true,
    summary: `${podMac !== pod.mac ? `hand MAC ${pod.mac} over to the VM (${p} takes ${podMac}), ` : ''}enslave ${p} to ${bridge}`,
  });
  const served = lease(iface, pod, vmMac, bridge, ctx);
  notes.push(...served.notes);
  if (served.lease) {
    const server = served.lease.serverAddress;
    steps.push(
      {
        id: `${p}/server-address`,
        phase: 'network',
        kind: 'addr.add',
        device: bridge,
        address: `${server}/32`,
        scope: 'link',
        summary: `add ${server}/32 to ${bridge} (DHCP server identifier)`,
      },
      // KubeVirt sets the `all` knob too (the kernel uses max(all, dev)): a key that exists before the
      // bridge does, so the executor writes it concurrently with the device batch. Shared by every
      // bridge interface of the plan (same id: the planner keeps one), restored at teardown.
      {
        id: 'arp-ignore-all',
        phase: 'network',
        kind: 'sysctl.set',
        key: 'net/ipv4/conf/all/arp_ignore',
        value: '1',
        ...previousSysctl(ctx, 'net/ipv4/conf/all/arp_ignore'),
        summary:
          "arp_ignore=1 in the pod (answer ARP only for addresses of the receiving interface, never the VM's)",
      },
    );
  } else {
    notes.push({
      level: 'info',
      code: 'PURE_L2',
      message: `${p} has no IPv4 address: pure L2 bridge, no DHCP server for ${iface.name}`,
    });
  }
  const v6 = planIpv6Delegation(pod, bridge, vmMac, ctx);
  if (v6) {
    // Before the enslave step: the pod interface's IPv6 leaves it while it is still a plain link.
    steps.splice(
      steps.findIndex((st) => st.id === `${p}/link`),
      0,
      ...v6.podSteps,
    );
    steps.push(...v6.bridgeSteps);
    notes.push(...v6.notes);
  }
  const guard = dhcpGuardStep(p, bridge, tap, vmMac, {
    dhcp4: served.lease !== undefined,
    ipv6: v6 !== undefined,
  });
  if (guard) steps.push(guard);
  const nic: VmNic = {
    ...nicFrontend(iface),
    mac: vmMac,
    mtuBytes,
    backend: { kind: 'tap', tapName: tap, queues },
    guestConfig: served.lease ? { kind: 'dhcp' } : { kind: 'none' },
  };
  return {
    name: iface.name,
    network: network.name,
    binding: 'bridge',
    podInterface: p,
    podInterfaceBefore: pod,
    createdDevices: [bridge, tap],
    steps,
    ...(served.lease ? { dhcp4: served.lease } : {}),
    nic,
    notes,
  };
}

/** The bridge binding module. */
export const bridgeBinding: BindingModule = { binding: 'bridge', plan: planBridge };
