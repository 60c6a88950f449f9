// The administrative VF settings a PF holds (what the SR-IOV CNI set with `ip link set PF vf N ...`):
// MAC, VLAN, QoS, spoof check, trust — read from `ip -j -d link show dev PF` (IFLA_VFINFO_LIST) in the
// host namespace, where the PF lives.
import { runIp } from './ip.js';
import { assertIfName } from './link-names.js';

/** One VF's administrative configuration on its PF. */
export interface PfVfConfig {
  vf: number;
  /** Lower-case; absent when the PF reports the all-zero MAC (none set). */
  mac?: string;
  /** 1–4094; absent when none. */
  vlan?: number;
  qos?: number;
  spoofchk?: boolean;
  trust?: boolean;
}

interface VfInfoJson {
  vf?: number;
  address?: string;
  mac?: string;
  vlan?: number;
  qos?: number;
  vlan_list?: { vlan?: number; qos?: number }[];
  spoofchk?: boolean;
  trust?: boolean;
}

/** Extracts VF `vfIndex` from `ip -j -d link show dev PF` output; undefined when the PF does not list it. */
export function parsePfVfConfig(ipJson: unknown, vfIndex: number): PfVfConfig | undefined {
  const links = Array.isArray(ipJson) ? (ipJson as { vfinfo_list?: VfInfoJson[] }[]) : [];
  const vf = links[0]?.vfinfo_list?.find((v) => v.vf === vfIndex);
  if (!vf) return undefined;
  const mac = (vf.address ?? vf.mac)?.toLowerCase();
  // iproute2 prints either a vlan_list (IFLA_VF_VLAN_LIST) or flat vlan/qos (IFLA_VF_VLAN).
  const vlanEntry = vf.vlan_list?.[0] ?? { vlan: vf.vlan, qos: vf.qos };
  return {
    vf: vfIndex,
    ...(mac && mac !== '00:00:00:00:00:00' ? { mac } : {}),
    ...(vlanEntry.vlan ? { vlan: vlanEntry.vlan } : {}),
    ...(vlanEntry.qos ? { qos: vlanEntry.qos } : {}),
    ...(vf.spoofchk !== undefined ? { spoofchk: vf.spoofchk } : {}),
    ...(vf.trust !== undefined ? { trust: vf.trust } : {}),
  };
}

/** Reads VF `vfIndex`'s settings from PF netdev `pf` in the caller's (host) namespace. */
export async function readPfVfConfig(pf: string, vfIndex: number): Promise<PfVfConfig | undefined> {
  const out = await runIp(undefined, ['-j', '-d', 'link', 'show', 'dev', assertIfName(pf)]);
  return parsePfVfConfig(JSON.parse(out), vfIndex);
}
