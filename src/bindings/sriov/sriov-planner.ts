// Plans the SR-IOV binding: the VF the device plugin allocated is found from the
// Multus network-status device-info (or PCIDEVICE_<RESOURCE>), checked against sysfs, its MAC and VLAN
// pinned host-side on the PF (`ip link set PF vf N mac .. vlan ..`, so the guest cannot change them),
// then moved from its network driver to vfio-pci (unbind, driver_override, drivers_probe) and handed to
// the hypervisor as a hostdev. The guest is configured by cloud-init network-config from the IPs the
// CNI assigned (the preferred way); no DHCP. Pure: works on SriovDiscovery data.
import { isNormalisedMac, isZeroMac } from '../../api/mac-address.js';
import type { InterfaceSpec, NetworkSpec } from '../../api/types.js';
import { VirtnetError } from '../../errors/virtnet-error.js';
import { findNetworkStatus, selectVfAddress, type NetworkStatusEntry } from '../../host/sriov-device-info.js';
import type { SriovDiscovery } from '../../host/sriov-discovery.js';
import type { VfSysfsInfo } from '../../host/sriov-sysfs.js';
import type {
  BindingContext,
  DiscoveredInterface,
  InterfacePlan,
  PlanNote,
  PlanStep,
} from '../plan-types.js';
import type { GuestStaticConfig, VmNic } from '../vm-nic.js';
import { nicFrontend } from '../nic-frontend.js';

export const VFIO_PCI = 'vfio-pci';

/**
 * Kernel drivers of SR-IOV VF netdevs virtnet may take a VF away from. Anything else bound to a VF
 * (a storage or crypto driver, pci-stub, a PF-only driver) is refused rather than guessed at.
 */
export const VF_NETDEV_DRIVERS: readonly string[] = [
  'iavf',
  'i40evf',
  'ixgbevf',
  'igbvf',
  'mlx4_core',
  'mlx5_core',
  'bnxt_en',
  'qede',
  'qlcnic',
  'cxgb4vf',
  'enic',
  'liquidio_vf',
  'hinic',
  'rvu_nicvf',
  'nfp_netvf',
  'nfp',
  'sfc',
  'thunder-nicvf',
  'octeon_ep_vf',
  'idpf',
];

function networkIndex(ctx: BindingContext, network: NetworkSpec): number {
  return ctx.vm.networks.findIndex((n) => n.name === network.name);
}

/** PCI addresses other SR-IOV interfaces of the VM take through their device-info. */
function claimedByOthers(ctx: BindingContext, sriov: SriovDiscovery, self: string): string[] {
  const out: string[] = [];
  for (const other of ctx.vm.interfaces) {
    if (other.binding !== 'sriov' || other.name === self) continue;
    const net = ctx.vm.networks.find((n) => n.name === other.name);
    if (net?.source.kind !== 'multus') continue;
    const entry = findNetworkStatus(
      sriov.networkStatus,
      net.source.networkName,
      net.source.namespace ?? ctx.vm.namespace,
    );
    const a = entry?.['device-info']?.pci?.['pci-address']?.toLowerCase();
    if (a) out.push(a);
  }
  return out;
}

/** Refuses a VF that cannot be passed through; each check names what is wrong and changes nothing. */
function checkVf(
  vf: VfSysfsInfo,
  sriov: SriovDiscovery,
  entry: NetworkStatusEntry | undefined,
  field: string,
): void {
  const device = vf.pciAddress;
  if (!sriov.host.iommuGroups) {
    throw new VirtnetError(
      'SRIOV_NO_IOMMU',
      'no IOMMU groups on this host (/sys/kernel/iommu_groups is empty or absent): enable VT-d/AMD-Vi (intel_iommu=on) for VFIO',
      {
        field,
        device,
      },
    );
  }
  if (vf.iommuGroup === undefined) {
    throw new VirtnetError(
      'SRIOV_NO_IOMMU_GROUP',
      `VF ${device} has no IOMMU group: it cannot be assigned with VFIO`,
      { field, device },
    );
  }
  const blocking = vf.iommuGroupPeers.filter(
    (p) =>
      p.driver !== undefined && p.driver !== VFIO_PCI && p.driver !== 'pci-stub' && p.driver !== 'pcieport',
  );
  if (blocking.length > 0) {
    throw new VirtnetError(
      'SRIOV_IOMMU_GROUP_NOT_VIABLE',
      `VF ${device} shares IOMMU group ${vf.iommuGroup} with ${blocking.map((p) => `${p.pciAddress} (${p.driver})`).join(', ')}, which are not bound to vfio-pci`,
      { field, device },
    );
  }
  if (vf.driver !== undefined && vf.driver !== VFIO_PCI && !VF_NETDEV_DRIVERS.includes(vf.driver)) {
    throw new VirtnetError(
      'SRIOV_WRONG_DRIVER',
      `VF ${device} is bound to ${vf.driver}, which is not an SR-IOV network VF driver: refusing to rebind it`,
      {
        field,
        device,
        driver: vf.driver,
      },
    );
  }
  if (vf.driver !== VFIO_PCI && !sriov.host.vfioPciDriver) {
    throw new VirtnetError(
      'SRIOV_NO_VFIO',
      `the vfio-pci driver is not loaded (no /sys/bus/pci/drivers/vfio-pci): modprobe vfio-pci`,
      { field, device },
    );
  }
  // A netdev visible in our sysfs view lives in the host namespace, not in the pod the CNI moved it to:
  // if it is up, something on the host is using this VF.
  const busy = vf.netdevs.find((n) => n.up && n.name !== entry?.interface);
  if (busy) {
    throw new VirtnetError(
      'SRIOV_VF_IN_USE',
      `VF ${device} is in use: its netdev ${busy.name} is up outside the pod`,
      { field, device, netdev: busy.name },
    );
  }
}

/** The static guest configuration from the pod's view of the VF netdev, else from network-status. */
function guestStatic(
  podInterface: DiscoveredInterface | undefined,
  entry: NetworkStatusEntry | undefined,
  notes: PlanNote[],
): GuestStaticConfig {
  const config: GuestStaticConfig = {
    addresses: [],
    routes: [],
    dnsServers: entry?.dns?.nameservers ?? [],
    searchDomains: entry?.dns?.search ?? [],
  };
  const global = podInterface?.addresses.filter((a) => a.scope === 'global') ?? [];
  if (global.length > 0) {
    config.addresses = global.map((a) => `${a.address}/${a.prefixLength}`);
    for (const r of podInterface?.routes ?? []) {
      if (r.gateway === undefined || (r.table !== undefined && r.table !== 'main')) continue;
      if (r.destination === '0.0.0.0/0') config.gateway4 ??= r.gateway;
      else if (r.destination === '::/0') config.gateway6 ??= r.gateway;
      else config.routes.push({ destination: r.destination, gateway: r.gateway });
    }
  } else {
    // network-status lists bare addresses: without the pod's netdev the prefix is unknown.
    config.addresses = (entry?.ips ?? []).map((ip) =>
      ip.includes('/') ? ip : `${ip}/${ip.includes(':') ? 128 : 32}`,
    );
    if ((entry?.ips ?? []).some((ip) => !ip.includes('/'))) {
      notes.push({
        level: 'warning',
        code: 'SRIOV_PREFIX_UNKNOWN',
        message:
          'network-status gives addresses without prefix length; the guest gets host routes (/32, /128)',
      });
    }
  }
  for (const gw of entry?.gateway ?? []) {
    if (gw.includes(':')) config.gateway6 ??= gw;
    else config.gateway4 ??= gw;
  }
  return config;
}

/** Plans one SR-IOV interface from the host's SR-IOV view. Throws VirtnetError naming the spec field. */
export function planSriov(
  iface: InterfaceSpec,
  network: NetworkSpec,
  podInterface: DiscoveredInterface | undefined,
  ctx: BindingContext,
  sriov: SriovDiscovery | undefined,
): InterfacePlan {
  const field = ctx.fieldPath;
  if (network.source.kind !== 'multus') {
    throw new VirtnetError(
      'SRIOV_NOT_MULTUS',
      `interface ${iface.name}: sriov needs a Multus network (the SR-IOV CNI and device plugin allocate the VF)`,
      {
        field: `${field}.sriov`,
      },
    );
  }
  if (sriov === undefined) {
    throw new VirtnetError(
      'SRIOV_NOT_DISCOVERED',
      `interface ${iface.name}: no SR-IOV discovery was made for this pod`,
      { field: `${field}.sriov` },
    );
  }
  const netField = `spec.networks[${networkIndex(ctx, network)}].multus.networkName`;
  const entry = findNetworkStatus(
    sriov.networkStatus,
    network.source.networkName,
    network.source.namespace ?? ctx.vm.namespace,
  );
  const selection = selectVfAddress({
    entry,
    env: sriov.deviceEnv,
    resourceName: sriov.resourceNames[network.source.networkName],
    claimed: claimedByOthers(ctx, sriov, iface.name),
    field: netField,
    networkName: network.source.networkName,
  });
  const view = sriov.devices[selection.pciAddress];
  if (view === undefined || !view.ok) {
    throw new VirtnetError(
      view?.code ?? 'SRIOV_VF_NOT_FOUND',
      view?.message ?? `PCI device ${selection.pciAddress} was not inspected`,
      {
        field: netField,
        device: selection.pciAddress,
      },
    );
  }
  const vf = view.info;
  checkVf(vf, sriov, entry, netField);
  const pf = vf.pf.netdevs[0];
  if (pf === undefined) {
    throw new VirtnetError(
      'SRIOV_PF_NO_NETDEV',
      `PF ${vf.pf.pciAddress} of VF ${vf.pciAddress} has no netdev to set the VF's MAC and VLAN on`,
      {
        field: netField,
        device: vf.pf.pciAddress,
      },
    );
  }

  // The MAC: the spec's, else the one the CNI set administratively, else the VF netdev's.
  const mac = (
    iface.macAddress ??
    view.pfVfConfig?.mac ??
    podInterface?.mac ??
    entry?.mac ??
    vf.netdevs[0]?.mac
  )?.toLowerCase();
  if (mac === undefined || !isNormalisedMac(mac) || isZeroMac(mac)) {
    throw new VirtnetError(
      'SRIOV_NO_MAC',
      `interface ${iface.name}: no MAC for VF ${vf.pciAddress} (set macAddress)`,
      { field: `${field}.macAddress` },
    );
  }
  const vlan = view.pfVfConfig?.vlan;
  const vlanArgs = vlan
    ? ['vlan', String(vlan), ...(view.pfVfConfig?.qos ? ['qos', String(view.pfVfConfig.qos)] : [])]
    : [];
  const cniMac = view.pfVfConfig?.mac;
  const id = (s: string): string => `${iface.name}/${s}`;
  const devDir = `${sriov.sysfsRoot}/bus/pci/devices/${vf.pciAddress}`;
  const drivers = `${sriov.sysfsRoot}/bus/pci/drivers`;
  const notes: PlanNote[] = [];
  const steps: PlanStep[] = [
    {
      id: id('pf-vf-config'),
      phase: 'network',
      summary: `pin MAC ${mac}${vlan ? ` and VLAN ${vlan}` : ''} on ${pf} VF ${vf.vfIndex} (host side, the guest cannot change them)`,
      kind: 'host.command',
      argv: ['ip', 'link', 'set', pf, 'vf', String(vf.vfIndex), 'mac', mac, ...vlanArgs],
      // A spec MAC replaced the one the CNI set: give the CNI's back at teardown (its DEL expects it).
      ...(cniMac !== undefined && cniMac !== mac
        ? { undoArgv: ['ip', 'link', 'set', pf, 'vf', String(vf.vfIndex), 'mac', cniMac, ...vlanArgs] }
        : {}),
    },
  ];
  if (view.pfVfConfig === undefined) {
    notes.push({
      level: 'warning',
      code: 'SRIOV_PF_CONFIG_UNKNOWN',
      message: `could not read VF ${vf.vfIndex}'s settings from ${pf} (ip -d link show): no VLAN to pin, MAC from the pod's view`,
    });
  }
  if (vf.driver === VFIO_PCI) {
    notes.push({
      level: 'info',
      code: 'SRIOV_ALREADY_VFIO',
      message: `VF ${vf.pciAddress} is already bound to vfio-pci (device plugin in vfio mode)`,
    });
  } else {
    // Order matters for the reverse-order undo: vfio-pci unbind, override cleared, original driver bound.
    if (vf.driver !== undefined) {
      steps.push({
        id: id('vf-unbind'),
        phase: 'network',
        summary: `unbind VF ${vf.pciAddress} from ${vf.driver}`,
        kind: 'sysfs.write',
        path: `${drivers}/${vf.driver}/unbind`,
        value: vf.pciAddress,
        restorePath: `${drivers}/${vf.driver}/bind`,
        restoreValue: vf.pciAddress,
      });
    }
    steps.push({
      id: id('vf-driver-override'),
      phase: 'network',
      summary: `driver_override of ${vf.pciAddress} = vfio-pci`,
      kind: 'sysfs.write',
      path: `${devDir}/driver_override`,
      value: VFIO_PCI,
      // Writing a newline clears the override (sysfs shows "(null)").
      restoreValue: vf.driverOverride ?? '\n',
    });
    steps.push({
      id: id('vf-bind-vfio'),
      phase: 'network',
      summary: `bind VF ${vf.pciAddress} to vfio-pci (drivers_probe)`,
      kind: 'sysfs.write',
      path: `${sriov.sysfsRoot}/bus/pci/drivers_probe`,
      value: vf.pciAddress,
      restorePath: `${drivers}/${VFIO_PCI}/unbind`,
      restoreValue: vf.pciAddress,
    });
    if (podInterface !== undefined) {
      notes.push({
        level: 'info',
        code: 'SRIOV_NETDEV_LEAVES_POD',
        message: `pod interface ${podInterface.name} disappears while VF ${vf.pciAddress} is bound to vfio-pci`,
      });
    }
  }

  const config = guestStatic(podInterface, entry, notes);
  const nic: VmNic = {
    ...nicFrontend(iface),
    mac,
    ...(podInterface?.mtuBytes !== undefined ? { mtuBytes: podInterface.mtuBytes } : {}),
    backend: { kind: 'hostdev', hostPciAddress: vf.pciAddress },
    guestConfig: config.addresses.length > 0 ? { kind: 'static', config } : { kind: 'none' },
  };
  return {
    name: iface.name,
    network: network.name,
    binding: 'sriov',
    ...(podInterface ? { podInterface: podInterface.name, podInterfaceBefore: podInterface } : {}),
    createdDevices: [],
    steps,
    nic,
    notes: [
      ...notes,
      {
        level: 'info',
        code: 'SRIOV_VF',
        message: `VF ${vf.pciAddress} (${vf.vendor}:${vf.device}, VF ${vf.vfIndex} of ${pf}, IOMMU group ${vf.iommuGroup}) via ${selection.source}`,
      },
    ],
  };
}
