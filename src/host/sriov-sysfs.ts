// Reads what sysfs says about an SR-IOV VF and the host's VFIO readiness. Every path is relative to a
// root directory (`/sys` on a host) so tests run against a synthetic tree: this kernel has neither
// SR-IOV hardware nor VFIO. Read-only; the writes that rebind a VF are plan steps (sysfs.write).
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { VirtnetError } from '../errors/virtnet-error.js';
import { PCI_ADDRESS_RE } from './sriov-device-info.js';

export const DEFAULT_SYSFS_ROOT = '/sys';
export const VFIO_PCI_DRIVER = 'vfio-pci';

/** A netdev of a PCI function, as visible in this sysfs view (i.e. in the caller's namespace). */
export interface PciNetdev {
  name: string;
  /** IFF_UP from `flags`. */
  up: boolean;
  operstate: string;
  mac?: string;
}

/** Another device sharing the VF's IOMMU group. */
export interface IommuGroupPeer {
  pciAddress: string;
  driver?: string;
}

/** One VF as sysfs describes it. */
export interface VfSysfsInfo {
  pciAddress: string;
  /** `0x8086` */
  vendor: string;
  /** `0x154c` */
  device: string;
  /** Bound driver, absent when unbound. */
  driver?: string;
  /** Current driver_override, absent when `(null)`. */
  driverOverride?: string;
  pf: { pciAddress: string; driver?: string; netdevs: string[] };
  /** N of the PF's `virtfnN` link pointing at this VF. */
  vfIndex: number;
  netdevs: PciNetdev[];
  /** IOMMU group number, absent when the device has none. */
  iommuGroup?: string;
  iommuGroupPeers: IommuGroupPeer[];
}

/** Whether the host can do VFIO passthrough at all. */
export interface VfioHostState {
  /** /sys/kernel/iommu_groups exists and is not empty (IOMMU enabled). */
  iommuGroups: boolean;
  /** /sys/bus/pci/drivers/vfio-pci exists (module loaded). */
  vfioPciDriver: boolean;
}

function readAttr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function linkBase(path: string): string | undefined {
  try {
    return basename(readlinkSync(path));
  } catch {
    return undefined;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The sysfs directory of a PCI device. */
export function pciDevicePath(sysfsRoot: string, pciAddress: string): string {
  if (!PCI_ADDRESS_RE.test(pciAddress))
    throw new VirtnetError('SRIOV_BAD_PCI_ADDRESS', `invalid PCI address ${JSON.stringify(pciAddress)}`, {
      device: pciAddress,
    });
  return join(sysfsRoot, 'bus', 'pci', 'devices', pciAddress);
}

function netdevsOf(deviceDir: string): PciNetdev[] {
  return list(join(deviceDir, 'net')).map((name) => {
    const dir = join(deviceDir, 'net', name);
    const flags = Number.parseInt(readAttr(join(dir, 'flags')) ?? '0', 16);
    return {
      name,
      up: (flags & 0x1) === 1,
      operstate: readAttr(join(dir, 'operstate')) ?? 'unknown',
      mac: readAttr(join(dir, 'address')),
    };
  });
}

/** VFIO readiness of the host under `sysfsRoot`. */
export function readVfioHostState(sysfsRoot = DEFAULT_SYSFS_ROOT): VfioHostState {
  return {
    iommuGroups: list(join(sysfsRoot, 'kernel', 'iommu_groups')).length > 0,
    vfioPciDriver: existsSync(join(sysfsRoot, 'bus', 'pci', 'drivers', VFIO_PCI_DRIVER)),
  };
}

/**
 * Inspects a VF. Throws SRIOV_VF_NOT_FOUND when no such PCI device exists and SRIOV_NOT_A_VF when it
 * has no `physfn` (a PF or a plain device).
 */
export function inspectVf(pciAddress: string, sysfsRoot = DEFAULT_SYSFS_ROOT): VfSysfsInfo {
  const dir = pciDevicePath(sysfsRoot, pciAddress);
  if (!existsSync(dir))
    throw new VirtnetError('SRIOV_VF_NOT_FOUND', `PCI device ${pciAddress} does not exist`, {
      device: pciAddress,
    });
  const pfAddress = linkBase(join(dir, 'physfn'));
  if (pfAddress === undefined)
    throw new VirtnetError(
      'SRIOV_NOT_A_VF',
      `PCI device ${pciAddress} is not an SR-IOV virtual function (no physfn)`,
      { device: pciAddress },
    );
  const pfDir = pciDevicePath(sysfsRoot, pfAddress);
  const vfLink = list(pfDir).find(
    (name) => /^virtfn\d+$/.test(name) && linkBase(join(pfDir, name)) === pciAddress,
  );
  if (vfLink === undefined)
    throw new VirtnetError('SRIOV_NOT_A_VF', `PF ${pfAddress} lists no virtfn for ${pciAddress}`, {
      device: pciAddress,
    });
  const override = readAttr(join(dir, 'driver_override'));
  const iommuGroup = linkBase(join(dir, 'iommu_group'));
  const peers =
    iommuGroup === undefined
      ? []
      : list(join(sysfsRoot, 'kernel', 'iommu_groups', iommuGroup, 'devices'))
          .filter((a) => a !== pciAddress)
          .map((a) => ({
            pciAddress: a,
            driver: linkBase(join(sysfsRoot, 'bus', 'pci', 'devices', a, 'driver')),
          }));
  return {
    pciAddress,
    vendor: readAttr(join(dir, 'vendor')) ?? '',
    device: readAttr(join(dir, 'device')) ?? '',
    driver: linkBase(join(dir, 'driver')),
    driverOverride: override === undefined || override === '(null)' || override === '' ? undefined : override,
    pf: {
      pciAddress: pfAddress,
      driver: linkBase(join(pfDir, 'driver')),
      netdevs: netdevsOf(pfDir).map((n) => n.name),
    },
    vfIndex: Number(vfLink.slice('virtfn'.length)),
    netdevs: netdevsOf(dir),
    iommuGroup,
    iommuGroupPeers: peers,
  };
}
