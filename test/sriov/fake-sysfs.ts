// A synthetic sysfs tree shaped like a host's (/sys/devices/... with bus/pci/devices symlinks, driver,
// physfn, virtfnN and iommu_group links, driver bind/unbind files): this kernel has neither SR-IOV
// hardware nor VFIO, so the SR-IOV code is exercised against this tree through its root parameter.
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  lstatSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeNetdev {
  name: string;
  up: boolean;
  mac?: string;
}

export interface FakeVf {
  address: string;
  index: number;
  driver?: string;
  override?: string;
  /** IOMMU group number; undefined = none. */
  iommuGroup?: string;
  netdev?: FakeNetdev;
  vendor?: string;
  device?: string;
}

export interface FakeHost {
  pf: { address: string; driver: string; netdev?: string };
  vfs: FakeVf[];
  /** Extra devices, e.g. a non-VF NVMe, or a group peer. */
  others?: { address: string; driver?: string; iommuGroup?: string }[];
  iommu?: boolean;
  vfioLoaded?: boolean;
}

/** Creates the tree; returns its root (removed by the returned cleanup). */
export function fakeSysfs(host: FakeHost): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'vnsysfs-'));
  const bridge = join(root, 'devices', 'pci0000:17', '0000:17:02.0');
  const drivers = join(root, 'bus', 'pci', 'drivers');
  mkdirSync(join(root, 'bus', 'pci', 'devices'), { recursive: true });
  writeFileSync(join(root, 'bus', 'pci', 'drivers_probe'), '');
  const names = new Set<string>([
    host.pf.driver,
    ...host.vfs.flatMap((v) => (v.driver ? [v.driver] : [])),
    ...(host.others ?? []).flatMap((o) => (o.driver ? [o.driver] : [])),
  ]);
  if (host.vfioLoaded !== false) names.add('vfio-pci');
  for (const d of names) {
    mkdirSync(join(drivers, d), { recursive: true });
    writeFileSync(join(drivers, d, 'bind'), '');
    writeFileSync(join(drivers, d, 'unbind'), '');
  }
  if (host.iommu !== false) mkdirSync(join(root, 'kernel', 'iommu_groups'), { recursive: true });

  const device = (
    address: string,
    opts: { driver?: string; vendor?: string; device?: string; iommuGroup?: string; netdev?: FakeNetdev },
  ): string => {
    const dir = join(bridge, address);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'vendor'), `${opts.vendor ?? '0x8086'}\n`);
    writeFileSync(join(dir, 'device'), `${opts.device ?? '0x154c'}\n`);
    writeFileSync(join(dir, 'driver_override'), '(null)\n');
    symlinkSync(dir, join(root, 'bus', 'pci', 'devices', address));
    if (opts.driver) symlinkSync(join(drivers, opts.driver), join(dir, 'driver'));
    if (opts.iommuGroup !== undefined && host.iommu !== false) {
      const g = join(root, 'kernel', 'iommu_groups', opts.iommuGroup, 'devices');
      mkdirSync(g, { recursive: true });
      symlinkSync(dir, join(g, address));
      symlinkSync(join(root, 'kernel', 'iommu_groups', opts.iommuGroup), join(dir, 'iommu_group'));
    }
    if (opts.netdev) {
      const n = join(dir, 'net', opts.netdev.name);
      mkdirSync(n, { recursive: true });
      writeFileSync(join(n, 'flags'), opts.netdev.up ? '0x1003\n' : '0x1002\n');
      writeFileSync(join(n, 'operstate'), opts.netdev.up ? 'up\n' : 'down\n');
      writeFileSync(join(n, 'address'), `${opts.netdev.mac ?? '52:54:00:00:00:01'}\n`);
    }
    return dir;
  };
  const pfDir = device(host.pf.address, {
    driver: host.pf.driver,
    device: '0x1572',
    iommuGroup: '40',
    ...(host.pf.netdev ? { netdev: { name: host.pf.netdev, up: true } } : {}),
  });
  writeFileSync(join(pfDir, 'sriov_numvfs'), `${host.vfs.length}\n`);
  for (const vf of host.vfs) {
    const dir = device(vf.address, { ...vf, ...(vf.netdev ? { netdev: vf.netdev } : {}) });
    if (vf.override) writeFileSync(join(dir, 'driver_override'), `${vf.override}\n`);
    symlinkSync(pfDir, join(dir, 'physfn'));
    symlinkSync(dir, join(pfDir, `virtfn${vf.index}`));
  }
  for (const o of host.others ?? []) device(o.address, { ...o, vendor: '0x144d', device: '0xa808' });
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Every file's content and every link's target under `root`: to prove something changed nothing. */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out[p] = `-> ${readlinkSync(p)}`;
      else if (st.isDirectory()) walk(p);
      else out[p] = readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return out;
}
