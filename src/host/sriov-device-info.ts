// Where an SR-IOV VF's PCI address comes from: the Multus network-status annotation's `device-info`
// (k8snetworkplumbingwg device-info spec: `{"type":"pci","version":"1.1.0","pci":{"pci-address":..}}`)
// and, as the fallback, the device plugin's `PCIDEVICE_<RESOURCE>` environment variables (a comma
// separated list of the VFs allocated to the pod). Pure parsing and selection, no I/O.
import { VirtnetError } from '../errors/virtnet-error.js';

/** A PCI address in sysfs form, lower-case: `0000:18:02.5`. */
export const PCI_ADDRESS_RE = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/;

/** The `device-info` object of one network-status entry. */
export interface DeviceInfo {
  type: string;
  version?: string;
  pci?: { 'pci-address'?: string; 'pf-pci-address'?: string; 'rdma-device'?: string };
}

/** One entry of `k8s.v1.cni.cncf.io/network-status`. */
export interface NetworkStatusEntry {
  /** `namespace/name` of the NetworkAttachmentDefinition (or the default network's name). */
  name: string;
  interface?: string;
  ips?: string[];
  mac?: string;
  default?: boolean;
  gateway?: string[];
  dns?: { nameservers?: string[]; search?: string[]; domain?: string };
  'device-info'?: DeviceInfo;
}

/** Normalises a PCI address (lower-case, domain added when missing), or undefined when malformed. */
export function normalizePciAddress(text: string): string | undefined {
  const t = text.trim().toLowerCase();
  const full = /^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(t) ? `0000:${t}` : t;
  return PCI_ADDRESS_RE.test(full) ? full : undefined;
}

/** Parses the network-status annotation (a JSON array). Throws SRIOV_BAD_NETWORK_STATUS. */
export function parseNetworkStatus(text: string): NetworkStatusEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new VirtnetError(
      'SRIOV_BAD_NETWORK_STATUS',
      `network-status is not JSON: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
  if (
    !Array.isArray(parsed) ||
    !parsed.every(
      (e) => typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string',
    )
  ) {
    throw new VirtnetError(
      'SRIOV_BAD_NETWORK_STATUS',
      'network-status must be an array of objects with a name',
    );
  }
  return parsed as NetworkStatusEntry[];
}

/** The entry of a Multus network (`name` or `namespace/name`; a bare name is looked up in `vmNamespace`). */
export function findNetworkStatus(
  entries: readonly NetworkStatusEntry[],
  networkName: string,
  vmNamespace: string,
): NetworkStatusEntry | undefined {
  const wanted = networkName.includes('/') ? [networkName] : [`${vmNamespace}/${networkName}`, networkName];
  for (const name of wanted) {
    const hit = entries.find((e) => e.name === name);
    if (hit) return hit;
  }
  return undefined;
}

/** The PCI address in an entry's device-info, when it has a PCI one. */
export function deviceInfoPciAddress(entry: NetworkStatusEntry | undefined): string | undefined {
  const info = entry?.['device-info'];
  if (info?.type !== 'pci') return undefined;
  const raw = info.pci?.['pci-address'];
  return raw === undefined ? undefined : normalizePciAddress(raw);
}

/** `intel.com/sriov_net` → `PCIDEVICE_INTEL_COM_SRIOV_NET` (the device plugin's naming). */
export function resourceEnvName(resourceName: string): string {
  return `PCIDEVICE_${resourceName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * PCI addresses the device plugin allocated: from `PCIDEVICE_<resource>` when the resource is known,
 * else from every `PCIDEVICE_*` variable (excluding `*_INFO` device-info variables). Sorted, unique.
 */
export function pciAddressesFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  resourceName?: string,
): string[] {
  const keys =
    resourceName !== undefined
      ? [resourceEnvName(resourceName)]
      : Object.keys(env).filter((k) => k.startsWith('PCIDEVICE_') && !k.endsWith('_INFO'));
  const out = new Set<string>();
  for (const key of keys) {
    for (const part of (env[key] ?? '').split(',')) {
      const addr = normalizePciAddress(part);
      if (addr) out.add(addr);
    }
  }
  return [...out].sort();
}

/** Where a VF address was found. */
export interface VfSelection {
  pciAddress: string;
  source: 'device-info' | 'env';
}

/** Input of selectVfAddress. */
export interface VfSelectionInput {
  entry: NetworkStatusEntry | undefined;
  env: Readonly<Record<string, string | undefined>>;
  resourceName?: string;
  /** Addresses other SR-IOV interfaces of the VM already use (excluded from the env fallback). */
  claimed: readonly string[];
  /** Spec field the errors name. */
  field: string;
  networkName: string;
}

/** Picks the VF: device-info first, else the one unclaimed env address. Throws SRIOV_VF_NOT_FOUND / SRIOV_VF_AMBIGUOUS. */
export function selectVfAddress(input: VfSelectionInput): VfSelection {
  const fromInfo = deviceInfoPciAddress(input.entry);
  if (fromInfo) return { pciAddress: fromInfo, source: 'device-info' };
  const candidates = pciAddressesFromEnv(input.env, input.resourceName).filter(
    (a) => !input.claimed.includes(a),
  );
  if (candidates.length === 1) return { pciAddress: candidates[0]!, source: 'env' };
  if (candidates.length === 0) {
    throw new VirtnetError(
      'SRIOV_VF_NOT_FOUND',
      `network ${input.networkName}: no VF PCI address in its network-status device-info nor in a PCIDEVICE_* variable`,
      { field: input.field },
    );
  }
  throw new VirtnetError(
    'SRIOV_VF_AMBIGUOUS',
    `network ${input.networkName}: no device-info, and the device plugin allocated several VFs (${candidates.join(', ')}): cannot tell which one is this interface's`,
    { field: input.field, candidates },
  );
}
