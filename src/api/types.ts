// The normalised, defaulted VM network spec: what validation produces and every later stage consumes.
// Field names follow KubeVirt's API (kubevirt.io/v1). Pure types, no I/O.

export const BINDINGS = ['bridge', 'masquerade', 'slirp', 'sriov', 'macvtap', 'passt'] as const;
/**
 * How a NIC is connected. `plugin` is a KubeVirt network binding plugin (`binding: {name: X}`) that
 * virtnet has no module of its own for: the cluster configuration's `network.binding.X` says how it
 * attaches; its name is in `InterfaceSpec.bindingPlugin`.
 */
export type BindingKind = (typeof BINDINGS)[number] | 'plugin';

/** KubeVirt's network binding plugin registration (`network.binding.<name>` of the KubeVirt CR). */
export interface BindingPluginConfig {
  /** `tap` (the NAD's CNI plugin creates a tap in the pod) or `managedTap` (KubeVirt creates it). */
  domainAttachmentType?: string;
  /** The NetworkAttachmentDefinition (`ns/name` or `name`) whose CNI plugin sets up the pod side. */
  networkAttachmentDefinition?: string;
  sidecarImage?: string;
  migration?: unknown;
  downwardAPI?: string;
}

export const NIC_MODELS = ['virtio', 'e1000', 'e1000e', 'igb', 'ne2k_pci', 'pcnet', 'rtl8139'] as const;
export type NicModel = (typeof NIC_MODELS)[number];

export const MACVTAP_MODES = ['bridge', 'vepa', 'private', 'passthrough'] as const;
export type MacvtapMode = (typeof MACVTAP_MODES)[number];

/** A port forwarded to the VM (masquerade, slirp, passt). */
export interface PortSpec {
  name?: string;
  protocol: 'TCP' | 'UDP';
  port: number;
}

/** DHCP extras for one interface (seed form `bootFileName`/`tftpServerName` is folded in here). */
export interface DhcpOptionsSpec {
  bootFileName?: string;
  tftpServerName?: string;
  ntpServers: string[];
  privateOptions: { option: number; value: string }[];
}

/** One VM NIC (`spec.domain.devices.interfaces[i]`), defaulted. */
export interface InterfaceSpec {
  name: string;
  binding: BindingKind;
  /** `binding: {name: X}`: the plugin name as written (also when virtnet runs it with its own module). */
  bindingPlugin?: string;
  /** The interface key the binding was written with when it is not the binding's name (`passtBinding`). */
  bindingKey?: string;
  /** macvtap only: the mode (bridge by default; the legacy `source.mode`). */
  macvtapMode?: MacvtapMode;
  /** Legacy `type: direct` `source.dev`: the pod interface a `direct` NIC attaches to. */
  sourceDevice?: string;
  model: NicModel;
  /** Lower-case, colon separated. */
  macAddress?: string;
  /** Guest PCI address `DDDD:BB:SS.F`. */
  pciAddress?: string;
  ports: PortSpec[];
  bootOrder?: number;
  dhcpOptions?: DhcpOptionsSpec;
  state: 'up' | 'down' | 'absent';
  acpiIndex?: number;
  tag?: string;
}

export type NetworkSource =
  | { kind: 'pod'; vmNetworkCIDR?: string; vmIPv6NetworkCIDR?: string }
  | { kind: 'multus'; networkName: string; namespace?: string; default: boolean }
  | { kind: 'genie'; networkName: string };

/** One backend network (`spec.networks[i]`). */
export interface NetworkSpec {
  name: string;
  source: NetworkSource;
}

/** The document kinds that hold a VM (the legacy `kind: VM` included). */
export const VM_KINDS = [
  'VirtualMachineInstance',
  'VirtualMachine',
  'VirtualMachineInstanceReplicaSet',
  'VirtualMachinePool',
  'VM',
] as const;
export type VmKind = (typeof VM_KINDS)[number];

/** The network part of a VM, normalised from VirtualMachineInstance, VirtualMachine or seed `kind: VM`. */
export interface VmSpec {
  kind: VmKind;
  name: string;
  namespace: string;
  hostname?: string;
  subdomain?: string;
  networks: NetworkSpec[];
  interfaces: InterfaceSpec[];
  networkInterfaceMultiqueue: boolean;
  autoattachPodInterface: boolean;
  /** vCPUs (sockets × cores × threads from spec.domain.cpu; 1 when absent). */
  vcpus: number;
  /** Guest memory in MiB when the spec says (spec.domain.memory.guest or resources.requests.memory). */
  memoryMiB?: number;
}

/** Cluster-wide settings (KubeVirt's kubevirt-config). */
export interface ClusterConfig {
  permitBridgeInterfaceOnPodNetwork: boolean;
  defaultNetworkInterface: 'bridge' | 'masquerade' | 'slirp';
  /** `developerConfiguration.featureGates`: gates explicitly enabled. */
  featureGates: string[];
  /** `developerConfiguration.disabledFeatureGates`: Beta gates explicitly disabled. */
  disabledFeatureGates: string[];
  /** `network.binding`: the registered network binding plugins by name. */
  bindingPlugins: Record<string, BindingPluginConfig>;
}

export const DEFAULT_CLUSTER_CONFIG: ClusterConfig = {
  permitBridgeInterfaceOnPodNetwork: true,
  defaultNetworkInterface: 'bridge',
  featureGates: [],
  disabledFeatureGates: [],
  bindingPlugins: {},
};
