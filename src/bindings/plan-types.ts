// The contract between binding planners, the executor, `virtnet plan` and the DHCP/hypervisor phases:
// a per-VM network plan as plain JSON data. A binding module (like a CNI plugin's cmdAdd) turns one VM
// interface + its discovered pod interface into an InterfacePlan: a list of declarative, idempotent
// steps, the DHCPv4 lease to serve and the VM-side NIC. The executor (src/apply/executor.ts) applies
// steps generically, records progress per step, and undoes them in reverse order from that record.
// Pure types: no I/O, JSON-serialisable (the plan is printed by `virtnet plan -o json` and stored in
// the record).
import type { BindingKind, ClusterConfig, InterfaceSpec, NetworkSpec, VmSpec } from '../api/types.js';
import type { Dhcp4Lease } from '../dhcp/server-config.js';
import type {
  DiscoveredAddress,
  DiscoveredInterface,
  DiscoveredPod,
  DiscoveredRoute,
} from '../host/discovered-types.js';
import type { VmNic } from './vm-nic.js';
import type { NftCommand, NftTableRef } from '../host/nft-json.js';
import type { SriovDiscovery } from '../host/sriov-discovery.js';

// Discovery types live with discovery (src/host/discovered-types.ts); re-exported as part of the contract.
export type {
  DiscoveredAddress,
  DiscoveredDns,
  DiscoveredInterface,
  DiscoveredPod,
  DiscoveredRoute,
} from '../host/discovered-types.js';

// ---------------------------------------------------------------------------------------------------
// Steps: declarative device changes. Every step is idempotent ("ensure") and has an inverse the
// executor derives from the step plus what it recorded just before applying it (previous values).

/** Which privilege phase runs a step: `network` needs CAP_NET_ADMIN, `dhcp` only CAP_NET_BIND_SERVICE. */
export type StepPhase = 'network' | 'dhcp';

interface StepBase {
  /** Stable, unique within the plan (e.g. `eth0/bridge`); the record is keyed by it. */
  id: string;
  phase: StepPhase;
  /** One line for `virtnet plan -o text`. */
  summary: string;
}

/** A link virtnet creates (and therefore deletes at teardown). */
export type LinkDevice =
  | { type: 'bridge' }
  | {
      type: 'tap';
      multiQueue: boolean;
      vnetHdr: boolean;
      ownerUid?: number;
      ownerGid?: number;
    }
  | { type: 'veth'; peerName: string; peerNetns?: string; peerMac?: string }
  | { type: 'macvtap' | 'macvlan'; parent: string; mode: 'bridge' | 'vepa' | 'private' | 'passthru' };

/** Create a link in the plan's namespace; undo deletes it. */
export interface CreateLinkStep extends StepBase {
  kind: 'link.create';
  device: string;
  link: LinkDevice;
  mac?: string;
  mtuBytes?: number;
  /** Bridge to enslave it to right away. */
  master?: string;
  up: boolean;
}

/** Change attributes of an existing link; undo restores the recorded previous values. */
export interface SetLinkStep extends StepBase {
  kind: 'link.set';
  device: string;
  mac?: string;
  mtuBytes?: number;
  /** A bridge name, or null to release from any master. */
  master?: string | null;
  up?: boolean;
  /** Rename (undo renames back). */
  newName?: string;
}

/** Add an address; undo removes it. */
export interface AddAddressStep extends StepBase {
  kind: 'addr.add';
  device: string;
  /** CIDR, e.g. 169.254.75.10/32. */
  address: string;
  scope?: 'global' | 'link' | 'host';
  noPrefixRoute?: boolean;
  /** IPv6: skip duplicate address detection (`nodad`), for an address no node on the link may answer for. */
  noDad?: boolean;
}

/** Remove an address that exists in the pod; undo re-adds it exactly (flags, broadcast, label). */
export interface RemoveAddressStep extends StepBase {
  kind: 'addr.remove';
  device: string;
  address: DiscoveredAddress;
}

/** Add a route; undo removes it. */
export interface AddRouteStep extends StepBase {
  kind: 'route.add';
  route: DiscoveredRoute;
}

/**
 * Remove a route (or record one the kernel removes as a side effect of another step, e.g. a default
 * route that disappears with its interface's address); undo re-adds it exactly.
 */
export interface RemoveRouteStep extends StepBase {
  kind: 'route.remove';
  route: DiscoveredRoute;
}

/** A permanent neighbour entry; undo removes it. */
export interface AddNeighbourStep extends StepBase {
  kind: 'neigh.add';
  device: string;
  address: string;
  mac: string;
}

/**
 * Set a sysctl inside the namespace; undo writes the previous value (nothing to undo when the key
 * belongs to a device the plan creates: it goes away with the device).
 */
export interface SysctlStep extends StepBase {
  kind: 'sysctl.set';
  /** Path under /proc/sys with `/` separators (device names may contain dots): `net/ipv4/conf/k6t-eth0/arp_ignore`. */
  key: string;
  value: string;
  /** The value discovery saw (pod.sysctls); the executor records it as `before` on a first apply. */
  previousValue?: string;
}

/** Bridge port flags (IFLA_BRPORT_*); undo restores the previous values. */
export interface BridgePortStep extends StepBase {
  kind: 'bridge-port.set';
  device: string;
  learning?: boolean;
  flood?: boolean;
  isolated?: boolean;
  hairpin?: boolean;
}

/**
 * Load whole nftables tables (several families) as ONE atomic transaction, `nft -j -f FILE` in the
 * namespace (src/host/nft.ts `applyNftCommands(commands, { netns })`); undo deletes exactly `tables` in
 * one transaction (`deleteNftTables(tables, { netns })`). Rules match interfaces by name (iifname,
 * oifname), never by index, so an ip/ip6 transaction does not need the plan's devices to exist: the
 * executor runs it beside the `ip` batch. A bridge-family table runs after the batch: its chains
 * see no frames when they were created before the namespace had any bridge (seen on Linux 6.18).
 */
export interface NftRulesetStep extends StepBase {
  kind: 'nft.ruleset';
  /** The tables the commands (re)create; all start with `virtnet-`. */
  tables: NftTableRef[];
  /** libnftables JSON commands: each table deleted if present, then recreated with chains and rules. */
  commands: NftCommand[];
}

/** Write a sysfs attribute (SR-IOV driver bind/unbind, driver_override); undo writes `restoreValue`. */
export interface SysfsWriteStep extends StepBase {
  kind: 'sysfs.write';
  path: string;
  value: string;
  /** What to write at teardown; absent = nothing to undo. */
  restoreValue?: string;
  restorePath?: string;
}

/** A long-running helper process (passt, a DHCP server); undo stops it by its recorded PID. */
export interface ProcessStep extends StepBase {
  kind: 'process.start';
  /** Short name, also the base of its pid/log file names in the VM state dir. */
  name: string;
  argv: string[];
  /** Run inside the plan's namespace. */
  inNetns: boolean;
  /** A file the process creates when ready (e.g. passt's socket); the executor waits for it. */
  readyPath?: string;
}

/**
 * Run a command to completion in the HOST's (initial) namespace, not the pod's: SR-IOV's
 * `ip link set PF vf N mac M vlan V` (the PF lives on the host). Undo runs `undoArgv` when given.
 */
export interface HostCommandStep extends StepBase {
  kind: 'host.command';
  argv: string[];
  undoArgv?: string[];
}

/** Every step kind the executor knows. Add a kind here and a handler in the executor. */
export type PlanStep =
  | CreateLinkStep
  | SetLinkStep
  | AddAddressStep
  | RemoveAddressStep
  | AddRouteStep
  | RemoveRouteStep
  | AddNeighbourStep
  | SysctlStep
  | BridgePortStep
  | NftRulesetStep
  | SysfsWriteStep
  | ProcessStep
  | HostCommandStep;

export type PlanStepKind = PlanStep['kind'];

// ---------------------------------------------------------------------------------------------------
// Plans.

/** Something `virtnet plan` tells the user (IPv6 left for later, MAC collision risk, ...). */
export interface PlanNote {
  level: 'info' | 'warning';
  code: string;
  message: string;
}

/** The plan for one VM interface. */
export interface InterfacePlan {
  /** The spec interface name (`spec.domain.devices.interfaces[i].name`). */
  name: string;
  /** The spec network name it is backed by. */
  network: string;
  binding: BindingKind;
  /** The pod interface it consumes (`eth0`, `pod1a2b...`), or undefined (slirp). */
  podInterface?: string;
  /** The pod interface as discovered before any change (for `plan` output and exact restore). */
  podInterfaceBefore?: DiscoveredInterface;
  /** Devices this interface's plan creates, in the plan's namespace (for gc and tests). */
  createdDevices: string[];
  steps: PlanStep[];
  /** Served by virtnet's DHCPv4 server in phase dhcp; absent = no DHCP (pure L2, SR-IOV, slirp). */
  dhcp4?: Dhcp4Lease;
  nic: VmNic;
  notes: PlanNote[];
}

/** The network plan of one VM in one pod namespace. */
export interface VmNetworkPlan {
  /** Format version of this JSON document. */
  version: 1;
  vm: { name: string; namespace: string };
  netns: string;
  interfaces: InterfacePlan[];
  notes: PlanNote[];
}

// ---------------------------------------------------------------------------------------------------
// Binding modules.

/** What a binding planner may look at besides its own interface. Pure data. */
export interface BindingContext {
  vm: VmSpec;
  cluster: ClusterConfig;
  pod: DiscoveredPod;
  /** Position of the interface in `spec.domain.devices.interfaces` (for field paths and name slots). */
  interfaceIndex: number;
  /** `spec.domain.devices.interfaces[i]`. */
  fieldPath: string;
  /** Owner of created TAPs (the hypervisor's uid/gid when it does not run as root). */
  tapOwner?: { uid: number; gid: number };
  /** The pod's SR-IOV view (network-status, PCIDEVICE_* env, sysfs), when it has SR-IOV interfaces. */
  sriov?: SriovDiscovery;
  /**
   * The VM's state directory (`<stateDir>/vms/<vm>`, src/state/state-dir.ts) the plan is applied
   * with: where helper sockets go (passt). The planner always sets it (default state dir when none given).
   */
  vmDir?: string;
}

/**
 * One binding (bridge, masquerade, macvtap, slirp, passt, sriov), like a CNI plugin: a pure `plan`
 * per VM interface. Throws VirtnetError with `field` for input it cannot plan (the planner collects).
 */
export interface BindingModule {
  binding: BindingKind;
  plan(
    iface: InterfaceSpec,
    network: NetworkSpec,
    podInterface: DiscoveredInterface | undefined,
    ctx: BindingContext,
  ): InterfacePlan;
}
