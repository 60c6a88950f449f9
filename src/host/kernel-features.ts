// Kernel feature detection: which link types and devices this kernel offers, so callers can say
// "this kernel has no 8021q" instead of surfacing an obscure RTNETLINK error. Link types are probed
// by creating them in a throwaway namespace (`unshare --net ip -force -batch -`: one spawn, nothing
// visible outside, gone when ip exits); device files are checked directly. Cached per process.
import { existsSync } from 'node:fs';
import { VirtnetError } from '../errors/virtnet-error.js';
import { runProgram } from '../exec/run-program.js';

export const LINK_FEATURES = [
  'bridge',
  'veth',
  'tap',
  'macvlan',
  'macvtap',
  'dummy',
  'vlan',
  'ipvlan',
  'vxlan',
] as const;
export type LinkFeature = (typeof LINK_FEATURES)[number];
export type DeviceFeature = 'vhost-net' | 'tun' | 'vfio' | 'kvm';
export type KernelFeature = LinkFeature | DeviceFeature;

/** One probe line per feature; a parent veth (line 1) gives vlan/macvlan/ipvlan something to sit on. */
const PROBES: Record<LinkFeature, string> = {
  veth: 'link add vnp0 type veth peer name vnp1',
  bridge: 'link add vnpbr type bridge',
  tap: 'tuntap add dev vnptap mode tap',
  dummy: 'link add vnpdum type dummy',
  vlan: 'link add link vnp0 name vnpvlan type vlan id 5',
  macvlan: 'link add link vnp0 name vnpmvl type macvlan mode bridge',
  macvtap: 'link add link vnp0 name vnpmvt type macvtap mode bridge',
  ipvlan: 'link add link vnp0 name vnpipv type ipvlan mode l2',
  vxlan: 'link add vnpvx type vxlan id 5 dstport 4789 dev vnp0',
};

const DEVICE_FILES: Record<DeviceFeature, string> = {
  'vhost-net': '/dev/vhost-net',
  tun: '/dev/net/tun',
  vfio: '/dev/vfio/vfio',
  kvm: '/dev/kvm',
};

/** Human explanation for a missing feature (what it is for). */
const PURPOSE: Record<KernelFeature, string> = {
  bridge: 'bridge binding',
  veth: 'pod interfaces',
  tap: 'VM NICs (TUN/TAP)',
  macvlan: 'macvlan CNI networks',
  macvtap: 'macvtap binding',
  dummy: 'dummy devices (CONFIG_DUMMY)',
  vlan: '802.1Q VLANs (CONFIG_VLAN_8021Q)',
  ipvlan: 'ipvlan (CONFIG_IPVLAN)',
  vxlan: 'VXLAN (CONFIG_VXLAN)',
  'vhost-net': 'in-kernel virtio-net acceleration (vhost-net)',
  tun: 'TUN/TAP devices',
  vfio: 'PCI passthrough (VFIO)',
  kvm: 'hardware virtualisation',
};

let cached: Promise<Map<KernelFeature, boolean>> | undefined;

async function probe(): Promise<Map<KernelFeature, boolean>> {
  const features = new Map<KernelFeature, boolean>();
  const names = [...LINK_FEATURES];
  const lines = names.map((n) => PROBES[n]);
  const { stderr } = await runProgram(['unshare', '--net', '--', 'ip', '-force', '-batch', '-'], {
    timeoutMs: 15_000,
    input: `${lines.join('\n')}\n`,
    okExitCodes: [0, 1],
  });
  const failed = new Set([...stderr.matchAll(/Command failed -:(\d+)/g)].map((m) => Number(m[1])));
  names.forEach((n, i) => features.set(n, !failed.has(i + 1)));
  for (const [feature, path] of Object.entries(DEVICE_FILES) as [DeviceFeature, string][])
    features.set(feature, existsSync(path));
  return features;
}

/** All features, probed once per process. */
export function kernelFeatures(): Promise<Map<KernelFeature, boolean>> {
  cached ??= probe();
  return cached;
}

/** True when the kernel offers `feature`. */
export async function hasKernelFeature(feature: KernelFeature): Promise<boolean> {
  return (await kernelFeatures()).get(feature) ?? false;
}

/** Why `feature` is unavailable (for test skips and error messages), or undefined when it is there. */
export async function missingFeatureReason(feature: KernelFeature): Promise<string | undefined> {
  return (await hasKernelFeature(feature))
    ? undefined
    : `this kernel has no ${feature}: needed for ${PURPOSE[feature]}`;
}

/** Throws KERNEL_FEATURE_MISSING naming the feature and what needs it. */
export async function requireKernelFeature(feature: KernelFeature): Promise<void> {
  const reason = await missingFeatureReason(feature);
  if (reason) throw new VirtnetError('KERNEL_FEATURE_MISSING', reason, { feature });
}
