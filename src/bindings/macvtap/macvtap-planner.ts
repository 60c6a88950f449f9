// Plans the macvtap binding (libvirt's `type='direct'`): a macvtap `mvt-<podif>` on the pod
// interface (mode from the spec, bridge by default; vepa, private, passthrough accepted), handed to QEMU
// as the fd of its /dev/tapN (src/hypervisor/macvtap-fd.ts) and to libvirt as `<interface
// type='direct'>`. The pod interface's global addresses (and the routes through it) move to the guest,
// which gets them by cloud-init static config (addresses, gateway, routes, DNS) — no DHCP from virtnet;
// the pod keeps only its link, which stays up as the macvtap's lower device. The guest's MAC is
// `macAddress`, else a stable locally administered one derived from the VM (never the pod's, which the
// lower device keeps). Teardown deletes the macvtap and restores the pod's addresses and routes.
//
// What can reach what (macvtap's well-known host isolation): frames between a macvtap and its lower
// device never loop back inside the host, in any mode. So the guest reaches, and is reached by, other
// hosts/pods on the pod interface's network (through the CNI bridge or switch behind it), but NOT the
// pod's own network stack through the lower device (the pod keeps no address on it anyway) and not the
// node through the same link unless the outside switch hairpins (VEPA + reflective relay). In `bridge`
// mode several macvtaps on one lower device reach each other; `private` isolates them too; `vepa`
// sends everything to the external switch; `passthrough` gives the single macvtap the whole device. Pure.
import type { InterfaceSpec, MacvtapMode, NetworkSpec } from '../../api/types.js';
import { VirtnetError } from '../../errors/virtnet-error.js';
import type {
  BindingContext,
  BindingModule,
  DiscoveredInterface,
  DiscoveredRoute,
  InterfacePlan,
  LinkDevice,
  PlanNote,
  PlanStep,
} from '../plan-types.js';
import { fnv1aHex, stableMac } from '../stable-hash.js';
import type { GuestStaticConfig, VmNic } from '../vm-nic.js';
import { nicFrontend } from '../nic-frontend.js';
import { multiqueueNotes, tapQueues } from '../tap-device.js';
import { podInterfaceFor } from '../pod-network.js';

const IFNAMSIZ_MAX = 15;

/** The macvtap's name on pod interface `podInterface`: `mvt-eth0`, hashed when longer than 15 bytes. */
export function macvtapName(podInterface: string): string {
  const plain = `mvt-${podInterface}`;
  return Buffer.byteLength(plain) <= IFNAMSIZ_MAX ? plain : `mvt-${fnv1aHex(podInterface)}`;
}

/** A stable locally administered unicast MAC for `key`. */
export function macvtapMac(key: string): string {
  return stableMac(key);
}

/** The kernel's name of a spec mode (`ip link ... mode passthru`). */
function kernelMode(mode: MacvtapMode): Extract<LinkDevice, { type: 'macvtap' | 'macvlan' }>['mode'] {
  return mode === 'passthrough' ? 'passthru' : mode;
}

/** Routes through the pod interface the kernel does not recreate when the addresses come back. */
function explicitRoutes(pod: DiscoveredInterface): DiscoveredRoute[] {
  return pod.routes.filter(
    (r) =>
      r.protocol !== 'kernel' &&
      r.protocol !== 'ra' &&
      (r.type ?? 'unicast') === 'unicast' &&
      !r.destination.startsWith('fe80:'),
  );
}

/** The guest's static configuration: the pod interface's global addresses, its main-table routes, DNS. */
export function macvtapGuestConfig(pod: DiscoveredInterface, ctx: BindingContext): GuestStaticConfig {
  const config: GuestStaticConfig = {
    addresses: pod.addresses.filter((a) => a.scope === 'global').map((a) => `${a.address}/${a.prefixLength}`),
    routes: [],
    dnsServers: [...ctx.pod.dns.nameservers],
    searchDomains: [...ctx.pod.dns.search],
  };
  const main = explicitRoutes(pod)
    .filter((r) => r.gateway !== undefined && (r.table === undefined || r.table === 'main'))
    .sort((x, y) => (x.metric ?? 0) - (y.metric ?? 0));
  for (const r of main) {
    if (r.destination === '0.0.0.0/0') config.gateway4 ??= r.gateway;
    else if (r.destination === '::/0') config.gateway6 ??= r.gateway;
    else config.routes.push({ destination: r.destination, gateway: r.gateway! });
  }
  return config;
}

/** Plans one `macvtap: {}` interface. Throws VirtnetError with the spec field at fault. */
export function planMacvtap(
  iface: InterfaceSpec,
  network: NetworkSpec,
  podInterface: DiscoveredInterface | undefined,
  ctx: BindingContext,
): InterfacePlan {
  const field = ctx.fieldPath;
  const pod = podInterfaceFor(
    iface,
    network,
    podInterface,
    iface.sourceDevice ? `${field}.sourceDevice` : field,
  );
  if (pod.master)
    throw new VirtnetError(
      'POD_INTERFACE_IN_USE',
      `pod interface ${pod.name} is enslaved to ${pod.master} and cannot be a macvtap lower device`,
      { field, device: pod.name },
    );
  if (['bridge', 'tun', 'macvtap', 'lo'].includes(pod.kind) || pod.name === 'lo') {
    throw new VirtnetError(
      'POD_INTERFACE_UNSUITABLE',
      `pod interface ${pod.name} is a ${pod.kind || 'loopback'} device and cannot carry a macvtap`,
      { field, device: pod.name },
    );
  }
  const device = macvtapName(pod.name);
  if (ctx.pod.interfaces.some((i) => i.name === device)) {
    throw new VirtnetError(
      'DEVICE_NAME_TAKEN',
      `device ${device} already exists in the pod (another plan applied? run virtnet down)`,
      { field, device },
    );
  }
  const mode = iface.macvtapMode ?? 'bridge';
  const mac =
    iface.macAddress ?? macvtapMac(`virtnet-macvtap/${ctx.vm.namespace}/${ctx.vm.name}/${iface.name}`);
  if (mac === pod.mac && mode !== 'passthrough') {
    throw new VirtnetError(
      'MACVTAP_MAC_COLLISION',
      `interface ${iface.name}: macAddress ${mac} is the pod interface's own MAC; the lower device would swallow the guest's frames`,
      { field: `${field}.macAddress` },
    );
  }
  const queues = tapQueues(iface, ctx);
  const notes: PlanNote[] = [
    {
      level: 'info',
      code: 'MACVTAP_HOST_ISOLATION',
      message: `interface ${iface.name}: the guest is reachable from the network behind ${pod.name}, not from the pod's own stack or the node through ${pod.name} (macvtap never loops frames back to its lower device)`,
    },
    ...multiqueueNotes(iface, ctx),
  ];
  const p = pod.name;
  const steps: PlanStep[] = [];
  for (const route of explicitRoutes(pod)) {
    steps.push({
      id: `${iface.name}/route/${route.table ?? 'main'}/${route.destination}/${route.metric ?? 0}`,
      phase: 'network',
      kind: 'route.remove',
      route,
      summary: `remove route ${route.destination}${route.gateway ? ` via ${route.gateway}` : ''} dev ${p} (moves to the guest)`,
    });
  }
  for (const address of pod.addresses.filter((a) => a.scope === 'global')) {
    steps.push({
      id: `${iface.name}/addr/${address.address}/${address.prefixLength}`,
      phase: 'network',
      kind: 'addr.remove',
      device: p,
      address,
      summary: `remove ${address.address}/${address.prefixLength} from ${p} (moves to the guest)`,
    });
  }
  steps.push({
    id: `${iface.name}/macvtap`,
    phase: 'network',
    kind: 'link.create',
    device,
    link: { type: 'macvtap', parent: p, mode: kernelMode(mode) },
    mac,
    mtuBytes: pod.mtuBytes,
    up: true,
    summary: `create macvtap ${device} on ${p} (mode ${kernelMode(mode)}, mac ${mac}, mtu ${pod.mtuBytes})`,
  });
  const guest = macvtapGuestConfig(pod, ctx);
  if (guest.addresses.length === 0) {
    notes.push({
      level: 'info',
      code: 'MACVTAP_NO_ADDRESS',
      message: `${p} has no global address: the guest NIC is left to the network's own DHCP`,
    });
  }
  const nic: VmNic = {
    ...nicFrontend(iface),
    mac,
    mtuBytes: pod.mtuBytes,
    backend: { kind: 'macvtap', device, parent: p, mode, queues },
    guestConfig: guest.addresses.length > 0 ? { kind: 'static', config: guest } : { kind: 'dhcp' },
  };
  return {
    name: iface.name,
    network: network.name,
    binding: 'macvtap',
    podInterface: p,
    podInterfaceBefore: pod,
    createdDevices: [device],
    steps,
    nic,
    notes,
  };
}

/** The macvtap binding module. */
export const macvtapBinding: BindingModule = { binding: 'macvtap', plan: planMacvtap };
