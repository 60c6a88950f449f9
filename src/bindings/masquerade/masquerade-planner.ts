// Plans the masquerade binding (KubeVirt's masquerade): in the pod a bridge `k6t-<podif>`
// holding the VM's gateway address (first host of vmNetworkCIDR / vmIPv6NetworkCIDR) and the reserved
// MAC 02:00:00:00:00:00, the VM's TAP enslaved to it, forwarding on, and one atomic nft transaction
// NATing between the VM subnet and the pod IP. The pod interface keeps its IP and MAC; the VM gets the
// second host (.2 / ::2): IPv4 by virtnet's DHCPv4 server, IPv6 by DHCPv6 with the default route from
// Router Advertisements (ipv6-ra-server.ts), and IPv6 again as a cloud-init static fallback. Pure.
import type { InterfaceSpec, NetworkSpec } from '../../api/types.js';
import type { Dhcp4Lease } from '../../dhcp/server-config.js';
import { isIPv4, isIPv6 } from '../../api/ip-address.js';
import { VirtnetError } from '../../errors/virtnet-error.js';
import type { NftFamily } from '../../host/nft-json.js';
import { buildMasqueradeRuleset, masqueradeTableName, type MasqueradeTable } from './nft-ruleset.js';
import type {
  BindingContext,
  DiscoveredInterface,
  InterfacePlan,
  PlanNote,
  PlanStep,
} from '../plan-types.js';
import type { GuestStaticConfig, VmNic } from '../vm-nic.js';
import { ipv6RaServerArgv } from '../ipv6-ra-server.js';
import {
  DEFAULT_VM_IPV6_NETWORK_CIDR,
  DEFAULT_VM_NETWORK_CIDR,
  ipv4VmSubnet,
  ipv6VmSubnet,
  type VmSubnet,
} from './vm-subnet.js';
import { nicFrontend } from '../nic-frontend.js';
import { multiqueueNotes, tapLinkStep, tapQueues } from '../tap-device.js';
import { previousSysctl } from '../previous-sysctl.js';
import { fnv1aHex } from '../stable-hash.js';
import { podInterfaceFor, podNetworkSource, type PodNetworkSource } from '../pod-network.js';

/** The bridge's MAC: reserved, locally administered, never a VM's (KubeVirt uses the same). */
export const MASQUERADE_BRIDGE_MAC = '02:00:00:00:00:00';
export const DEFAULT_LEASE_SECONDS = 86_400;
const IFNAMSIZ_MAX = 15;

/** `<prefix><podif>`, or `<prefix><hash>` when that exceeds 15 bytes. */
function deviceName(prefix: string, podInterface: string): string {
  const plain = `${prefix}${podInterface}`;
  return Buffer.byteLength(plain) <= IFNAMSIZ_MAX
    ? plain
    : `${prefix}${fnv1aHex(podInterface)}`.slice(0, IFNAMSIZ_MAX);
}

/** Device names of the masquerade binding for a pod interface: bridge `k6t-eth0`, TAP `tap-eth0`. */
export function masqueradeDeviceNames(podInterface: string): { bridge: string; tap: string } {
  return { bridge: deviceName('k6t-', podInterface), tap: deviceName('tap-', podInterface) };
}

function networkIndex(ctx: BindingContext, network: NetworkSpec): number {
  return ctx.vm.networks.findIndex((n) => n.name === network.name);
}

function globalAddresses(pod: DiscoveredInterface, family: 4 | 6): string[] {
  return pod.addresses.filter((a) => a.family === family && a.scope === 'global').map((a) => a.address);
}

/** The addresses one masquerade interface NATs between: the VM subnets and the pod's own. */
interface Addressing {
  /** The IPv4 VM subnet (validated even when the pod has no IPv4). */
  v4: VmSubnet;
  /** The IPv6 VM subnet, when the pod has IPv6 to NAT to. */
  v6: VmSubnet | undefined;
  pod4: string[];
  pod6: string[];
  useV4: boolean;
}

/** Everything the steps of one interface share. */
interface Wiring {
  iface: InterfaceSpec;
  podInterface: DiscoveredInterface;
  ctx: BindingContext;
  addressing: Addressing;
  bridge: string;
  tap: string;
  mac: string;
  mtuBytes: number;
  id: (suffix: string) => string;
}

/** The VM subnets of `network` and the pod addresses they NAT to; throws naming the field at fault. */
function addressingOf(
  iface: InterfaceSpec,
  network: NetworkSpec,
  source: PodNetworkSource,
  podInterface: DiscoveredInterface,
  ctx: BindingContext,
): Addressing {
  const netField = `spec.networks[${networkIndex(ctx, network)}].pod`;
  const v4 = ipv4VmSubnet(source.vmNetworkCIDR ?? DEFAULT_VM_NETWORK_CIDR);
  if (typeof v4 === 'string')
    throw new VirtnetError('INVALID_VM_NETWORK_CIDR', v4, { field: `${netField}.vmNetworkCIDR` });
  const pod4 = globalAddresses(podInterface, 4);
  const pod6 = globalAddresses(podInterface, 6);
  let v6: VmSubnet | undefined;
  if (pod6.length > 0 || source.vmIPv6NetworkCIDR !== undefined) {
    const parsed = ipv6VmSubnet(source.vmIPv6NetworkCIDR ?? DEFAULT_VM_IPV6_NETWORK_CIDR);
    if (typeof parsed === 'string')
      throw new VirtnetError('INVALID_VM_NETWORK_CIDR', parsed, { field: `${netField}.vmIPv6NetworkCIDR` });
    // A declared IPv6 subnet is only used when the pod has IPv6 to NAT to.
    v6 = pod6.length > 0 ? parsed : undefined;
  }
  if (pod4.length === 0 && v6 === undefined) {
    throw new VirtnetError(
      'MASQUERADE_NO_POD_ADDRESS',
      `interface ${iface.name}: pod interface ${podInterface.name} has no global IP address to masquerade to`,
      { field: ctx.fieldPath, device: podInterface.name },
    );
  }
  return { v4, v6, pod4, pod6, useV4: pod4.length > 0 };
}

/** Forwarding on in the pod, for each family the VM uses. */
function forwardingSteps(w: Wiring): PlanStep[] {
  const { ctx, id } = w;
  const { v6, useV4 } = w.addressing;
  const steps: PlanStep[] = [];
  if (useV4)
    steps.push({
      id: id('sysctl/ipv4-forward'),
      phase: 'network',
      summary: 'enable IPv4 forwarding in the pod',
      kind: 'sysctl.set',
      key: 'net/ipv4/ip_forward',
      value: '1',
      ...previousSysctl(ctx, 'net/ipv4/ip_forward'),
    });
  if (v6) {
    steps.push({
      id: id('sysctl/ipv6-forward'),
      phase: 'network',
      summary: 'enable IPv6 forwarding in the pod',
      kind: 'sysctl.set',
      key: 'net/ipv6/conf/all/forwarding',
      value: '1',
      ...previousSysctl(ctx, 'net/ipv6/conf/all/forwarding'),
    });
  }
  return steps;
}

/** The bridge holding the gateway addresses (and route_localnet for loopback port-forwards). */
function bridgeSteps(w: Wiring): PlanStep[] {
  const { bridge, mtuBytes, id } = w;
  const { v4, v6, useV4 } = w.addressing;
  const steps: PlanStep[] = [];
  steps.push({
    id: id('bridge'),
    phase: 'network',
    summary: `create bridge ${bridge} (MAC ${MASQUERADE_BRIDGE_MAC}, MTU ${mtuBytes})`,
    kind: 'link.create',
    device: bridge,
    link: { type: 'bridge' },
    mac: MASQUERADE_BRIDGE_MAC,
    mtuBytes,
    up: true,
  });
  if (useV4) {
    steps.push({
      id: id('bridge/addr4'),
      phase: 'network',
      summary: `gateway ${v4.gateway}/${v4.prefixLength} on ${bridge}`,
      kind: 'addr.add',
      device: bridge,
      address: `${v4.gateway}/${v4.prefixLength}`,
    });
  }
  if (v6) {
    // No DAD on the gateway address: the subnet is private to this bridge, and a tentative address
    // would make the first second of IPv6 traffic fail.
    steps.push({
      id: id('bridge/accept-dad'),
      phase: 'network',
      summary: `no IPv6 DAD on ${bridge}`,
      kind: 'sysctl.set',
      key: `net/ipv6/conf/${bridge}/accept_dad`,
      value: '0',
    });
    steps.push({
      id: id('bridge/addr6'),
      phase: 'network',
      summary: `gateway ${v6.gateway}/${v6.prefixLength} on ${bridge}`,
      kind: 'addr.add',
      device: bridge,
      address: `${v6.gateway}/${v6.prefixLength}`,
    });
  }
  if (useV4 && w.iface.ports.length > 0) {
    // Output-DNATed loopback connections leave through the bridge with source 127.0.0.1 until
    // postrouting SNATs them; the kernel drops such packets unless route_localnet is set there.
    steps.push({
      id: id('bridge/route-localnet'),
      phase: 'network',
      summary: `route_localnet on ${bridge} (pod loopback port-forward)`,
      kind: 'sysctl.set',
      key: `net/ipv4/conf/${bridge}/route_localnet`,
      value: '1',
    });
  }
  return steps;
}

/** The NAT: one table per family, all applied in one nft transaction. */
function natStep(w: Wiring): PlanStep {
  const { iface, podInterface, bridge } = w;
  const { v4, v6, pod4, pod6, useV4 } = w.addressing;
  const name = masqueradeTableName(w.ctx.vm.name);
  const table = (family: NftFamily, subnet: VmSubnet, podAddresses: string[]): MasqueradeTable => ({
    family,
    name,
    interfaces: [
      {
        podInterface: podInterface.name,
        podAddresses,
        bridge,
        gatewayAddress: subnet.gateway,
        vmAddress: subnet.vm,
        ports: iface.ports,
      },
    ],
  });
  const tables: MasqueradeTable[] = [];
  if (useV4) tables.push(table('ip', v4, pod4));
  if (v6) tables.push(table('ip6', v6, pod6));
  const portText =
    iface.ports.length === 0
      ? 'every port'
      : iface.ports.map((p) => `${p.port}/${p.protocol.toLowerCase()}`).join(', ');
  return {
    id: w.id('nft'),
    phase: 'network',
    summary: `nft tables ${tables.map((t) => `${t.family} ${t.name}`).join(' + ')} in one transaction: VM → outside as pod IP, inbound ${portText} → VM`,
    kind: 'nft.ruleset',
    tables: tables.map((t) => ({ family: t.family, name: t.name })),
    commands: buildMasqueradeRuleset(tables),
  };
}

/** The RA and DHCPv6 helper that gives the VM its IPv6 address and default route. */
function ipv6RaStep(w: Wiring, v6: VmSubnet): PlanStep {
  const { bridge, mac, ctx } = w;
  return {
    id: w.id('ipv6-ra-dhcpv6'),
    phase: 'network',
    summary: `serve RA (managed, default route, MTU) and DHCPv6 (${v6.vm} for ${mac} only) on ${bridge}`,
    kind: 'process.start',
    name: `ra6-${bridge}`,
    inNetns: true,
    argv: ipv6RaServerArgv({
      bridge,
      vmMac: mac,
      vmAddress: v6.vm,
      prefixLength: v6.prefixLength,
      network: v6.cidr.split('/')[0]!,
      mtuBytes: w.mtuBytes,
      dnsServers: ctx.pod.dns.nameservers.filter(isIPv6),
      searchDomains: ctx.pod.dns.search,
      leaseSeconds: DEFAULT_LEASE_SECONDS,
    }),
  };
}

/** The VM's IPv4 lease from virtnet's DHCPv4 server. */
function dhcp4Lease(w: Wiring, v4: VmSubnet): Dhcp4Lease {
  const { iface, ctx } = w;
  const opts = iface.dhcpOptions;
  return {
    clientMac: w.mac,
    bridge: w.bridge,
    serverAddress: v4.gateway,
    address: v4.vm,
    prefixLength: v4.prefixLength,
    routers: [v4.gateway],
    // Only a default route: option 3 says it all (option 121 would have to repeat it, RFC 3442).
    classlessRoutes: [],
    dnsServers: ctx.pod.dns.nameservers.filter(isIPv4),
    searchDomains: ctx.pod.dns.search,
    domainName: ctx.pod.dns.domain,
    hostname: ctx.vm.hostname ?? ctx.vm.name,
    mtuBytes: w.mtuBytes,
    leaseSeconds: DEFAULT_LEASE_SECONDS,
    ntpServers: opts?.ntpServers ?? [],
    tftpServerName: opts?.tftpServerName,
    bootFileName: opts?.bootFileName,
    privateOptions: (opts?.privateOptions ?? []).map((o) => ({ code: o.option, value: o.value })),
  };
}

/** How the guest configures itself: DHCP for IPv4 (IPv6 as a static fallback), else IPv6 static. */
function guestConfigOf(w: Wiring, notes: PlanNote[]): VmNic['guestConfig'] {
  const { v6, useV4 } = w.addressing;
  const dns = w.ctx.pod.dns;
  if (dns.nameservers.some((s) => s.startsWith('127.') || s === '::1')) {
    notes.push({
      level: 'warning',
      code: 'DNS_LOOPBACK',
      message: `the pod's nameserver is on loopback, which the VM cannot reach`,
    });
  }
  let static6: GuestStaticConfig | undefined;
  if (v6) {
    static6 = {
      addresses: [`${v6.vm}/${v6.prefixLength}`],
      gateway6: v6.gateway,
      routes: [],
      dnsServers: dns.nameservers.filter(isIPv6),
      searchDomains: dns.search,
    };
    notes.push({
      level: 'info',
      code: 'IPV6_RA_DHCPV6',
      message: `interface ${w.iface.name}: IPv6 ${v6.vm} by DHCPv6 and the default route by RA on ${w.bridge} (also in cloud-init as a static fallback)`,
    });
    if (w.iface.ports.length > 0) {
      notes.push({
        level: 'info',
        code: 'IPV6_NO_LOOPBACK_FORWARD',
        message: 'pod loopback port-forward is IPv4 only: Linux never routes ::1 off the loopback device',
      });
    }
  }
  return useV4
    ? { kind: 'dhcp', ...(static6 ? { staticFallback: static6 } : {}) }
    : { kind: 'static', config: static6! };
}

/** Plans one masquerade interface. Throws VirtnetError with the spec field at fault. */
export function planMasquerade(
  iface: InterfaceSpec,
  network: NetworkSpec,
  pod: DiscoveredInterface | undefined,
  ctx: BindingContext,
): InterfacePlan {
  const source = podNetworkSource(iface, network, 'masquerade', ctx.fieldPath);
  const podInterface = podInterfaceFor(iface, network, pod, ctx.fieldPath);
  const addressing = addressingOf(iface, network, source, podInterface, ctx);
  const { bridge, tap } = masqueradeDeviceNames(podInterface.name);
  const w: Wiring = {
    iface,
    podInterface,
    ctx,
    addressing,
    bridge,
    tap,
    mac: iface.macAddress ?? podInterface.mac,
    mtuBytes: podInterface.mtuBytes,
    id: (suffix) => `${iface.name}/${suffix}`,
  };
  const notes: PlanNote[] = multiqueueNotes(iface, ctx);
  const queues = tapQueues(iface, ctx);
  const { v4, v6, useV4 } = addressing;
  const steps = [
    ...forwardingSteps(w),
    ...bridgeSteps(w),
    tapLinkStep({
      id: w.id('tap'),
      summary: `create TAP ${tap} (${queues} queue${queues > 1 ? 's' : ''}) on ${bridge}`,
      tap,
      bridge,
      queues,
      mtuBytes: w.mtuBytes,
      ctx,
    }),
    natStep(w),
    ...(v6 ? [ipv6RaStep(w, v6)] : []),
  ];
  const guestConfig = guestConfigOf(w, notes);
  return {
    name: iface.name,
    network: network.name,
    binding: 'masquerade',
    podInterface: podInterface.name,
    podInterfaceBefore: podInterface,
    createdDevices: [bridge, tap],
    steps,
    dhcp4: useV4 ? dhcp4Lease(w, v4) : undefined,
    nic: {
      ...nicFrontend(iface),
      mac: w.mac,
      mtuBytes: w.mtuBytes,
      backend: { kind: 'tap', tapName: tap, queues },
      guestConfig,
    },
    notes,
  };
}
