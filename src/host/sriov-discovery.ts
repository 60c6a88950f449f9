// Gathers everything the SR-IOV planner needs from the host, once, before planning: the pod's
// network-status and device-plugin environment, each candidate VF as sysfs describes it, the PF's
// administrative settings for it, and whether VFIO is usable at all. The planner stays pure.
import type { VmSpec } from '../api/types.js';
import { readFileSync } from 'node:fs';
import { VirtnetError, isVirtnetError } from '../errors/virtnet-error.js';
import {
  deviceInfoPciAddress,
  parseNetworkStatus,
  pciAddressesFromEnv,
  type NetworkStatusEntry,
} from './sriov-device-info.js';
import { readPfVfConfig, type PfVfConfig } from './sriov-pf.js';
import {
  DEFAULT_SYSFS_ROOT,
  inspectVf,
  readVfioHostState,
  type VfSysfsInfo,
  type VfioHostState,
} from './sriov-sysfs.js';

/** One candidate PCI address: what sysfs says, or why it could not be inspected. */
export type SriovDeviceView =
  { ok: true; info: VfSysfsInfo; pfVfConfig?: PfVfConfig } | { ok: false; code: string; message: string };

/** The SR-IOV view of a pod and its host. JSON-serialisable (recorded next to the plan). */
export interface SriovDiscovery {
  /** `/sys` on a host; a synthetic tree in tests. Plan steps write below it. */
  sysfsRoot: string;
  host: VfioHostState;
  networkStatus: NetworkStatusEntry[];
  /** The pod's `PCIDEVICE_*` variables (device plugin allocations). */
  deviceEnv: Record<string, string>;
  /** Multus network name → device plugin resource (NAD annotation `k8s.v1.cni.cncf.io/resourceName`). */
  resourceNames: Record<string, string>;
  /** Every address named by device-info or PCIDEVICE_*. */
  devices: Record<string, SriovDeviceView>;
}

/** Options of discoverSriov. */
export interface SriovDiscoveryOptions {
  sysfsRoot?: string;
  networkStatus: NetworkStatusEntry[];
  env: Readonly<Record<string, string | undefined>>;
  resourceNames?: Record<string, string>;
  /** Reads the PF's settings for a VF; default `ip -j -d link show dev PF` in this namespace. */
  readVfConfig?: (pfNetdev: string, vfIndex: number) => Promise<PfVfConfig | undefined>;
}

/** Inspects every candidate VF of the pod. Never throws for a bad device: the planner reports it per interface. */
export async function discoverSriov(options: SriovDiscoveryOptions): Promise<SriovDiscovery> {
  const sysfsRoot = options.sysfsRoot ?? DEFAULT_SYSFS_ROOT;
  const deviceEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env))
    if (k.startsWith('PCIDEVICE_') && v !== undefined) deviceEnv[k] = v;
  const addresses = new Set<string>(pciAddressesFromEnv(deviceEnv));
  for (const entry of options.networkStatus) {
    const a = deviceInfoPciAddress(entry);
    if (a) addresses.add(a);
  }
  const readVfConfig = options.readVfConfig ?? readPfVfConfig;
  const devices: Record<string, SriovDeviceView> = {};
  for (const address of [...addresses].sort()) {
    try {
      const info = inspectVf(address, sysfsRoot);
      const pfNetdev = info.pf.netdevs[0];
      let pfVfConfig: PfVfConfig | undefined;
      if (pfNetdev !== undefined) {
        try {
          pfVfConfig = await readVfConfig(pfNetdev, info.vfIndex);
        } catch {
          pfVfConfig = undefined;
        }
      }
      devices[address] = { ok: true, info, ...(pfVfConfig ? { pfVfConfig } : {}) };
    } catch (err) {
      if (!isVirtnetError(err)) throw err;
      devices[address] = { ok: false, code: err.code, message: err.message };
    }
  }
  return {
    sysfsRoot,
    host: readVfioHostState(sysfsRoot),
    networkStatus: options.networkStatus,
    deviceEnv,
    resourceNames: options.resourceNames ?? {},
    devices,
  };
}

/** True when the VM has an interface with the sriov binding (only then is SR-IOV discovery needed). */
export function vmUsesSriov(vm: Pick<VmSpec, 'interfaces'>): boolean {
  return vm.interfaces.some((i) => i.binding === 'sriov' && i.state !== 'absent');
}

/**
 * The SR-IOV view for planning `vm` (pass it as `planVmNetwork(..., { sriov })`), or undefined when the
 * VM has no SR-IOV interface. `networkStatus` is the pod's network-status (src/cni pod state, or the
 * annotation); `env` the pod's environment holding the device plugin's PCIDEVICE_* variables. A
 * function is only called when the VM has SR-IOV interfaces.
 */
export async function discoverSriovForVm(
  vm: Pick<VmSpec, 'interfaces'>,
  options: SriovDiscoveryOptions | (() => SriovDiscoveryOptions),
): Promise<SriovDiscovery | undefined> {
  if (!vmUsesSriov(vm)) return undefined;
  return discoverSriov(typeof options === 'function' ? options() : options);
}

/**
 * Discovery inputs from a process environment (what a launcher in the pod sees): the device plugin's
 * PCIDEVICE_* variables, the network-status as JSON in VIRTNET_NETWORK_STATUS or in the file named by
 * VIRTNET_NETWORK_STATUS_FILE (e.g. a downward-API volume), the sysfs root in VIRTNET_SYSFS_ROOT
 * (default /sys), and network → resource names as JSON in VIRTNET_SRIOV_RESOURCES.
 * Throws SRIOV_BAD_NETWORK_STATUS for unreadable or malformed input.
 */
export function sriovDiscoveryOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): SriovDiscoveryOptions {
  let statusText = env.VIRTNET_NETWORK_STATUS;
  const file = env.VIRTNET_NETWORK_STATUS_FILE;
  if (statusText === undefined && file !== undefined) {
    try {
      statusText = readFileSync(file, 'utf8');
    } catch (err) {
      throw new VirtnetError(
        'SRIOV_BAD_NETWORK_STATUS',
        `cannot read network-status file ${file}: ${(err as Error).message}`,
        { path: file },
        { cause: err },
      );
    }
  }
  let resourceNames: Record<string, string> = {};
  if (env.VIRTNET_SRIOV_RESOURCES !== undefined) {
    const parsed: unknown = JSON.parse(env.VIRTNET_SRIOV_RESOURCES);
    if (typeof parsed === 'object' && parsed !== null) resourceNames = parsed as Record<string, string>;
  }
  return {
    sysfsRoot: env.VIRTNET_SYSFS_ROOT ?? DEFAULT_SYSFS_ROOT,
    networkStatus: statusText === undefined ? [] : parseNetworkStatus(statusText),
    env,
    resourceNames,
  };
}
