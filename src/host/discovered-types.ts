// What discovery learns about a pod network namespace before virtnet changes it: the input of every
// binding planner and the reference for an exact restore. Pure types, JSON-serialisable.

/** One address on a pod interface, as `ip -j addr` reports it. */
export interface DiscoveredAddress {
  family: 4 | 6;
  address: string;
  prefixLength: number;
  /** `global`, `link`, `host`. */
  scope: string;
  /** Kernel address flags that matter for an exact restore: `noprefixroute`, `nodad`, `permanent`, ... */
  flags: string[];
  /** IPv4 broadcast address when set. */
  broadcast?: string;
  /** IFA_LABEL (IPv4 only), when it differs from the device name. */
  label?: string;
  /** Seconds, or undefined for forever. */
  validLifetimeSeconds?: number;
  preferredLifetimeSeconds?: number;
}

/** One route through a pod interface (main table unless `table` says otherwise). */
export interface DiscoveredRoute {
  family: 4 | 6;
  /** CIDR; the default route is `0.0.0.0/0` or `::/0`. */
  destination: string;
  gateway?: string;
  device: string;
  /** `kernel`, `boot`, `static`, `dhcp`, a number ... as `ip` prints it. */
  protocol?: string;
  /** `global`, `link`, `host`. */
  scope?: string;
  metric?: number;
  /** Numeric or named table; absent means main. */
  table?: string;
  prefsrc?: string;
  /** `unicast` unless otherwise. */
  type?: string;
  /** Next-hop flags, e.g. `onlink`. */
  flags: string[];
  mtuBytes?: number;
  /**
   * Position in the namespace's route dump. Alternatives of one destination (several default routes
   * through different interfaces) are preferred in insertion order, so an exact restore re-adds them
   * in this order.
   */
  dumpIndex?: number;
}

/** One interface in the pod namespace. */
export interface DiscoveredInterface {
  name: string;
  index: number;
  /** rtnl link kind (`veth`, `bridge`, `macvlan`, `tun`, ...) or '' for a plain device. */
  kind: string;
  /** Lower-case, colon-separated (discovery normalises it; planners take it as is). */
  mac: string;
  mtuBytes: number;
  up: boolean;
  master?: string;
  addresses: DiscoveredAddress[];
  /** Routes whose output device is this interface (all tables). */
  routes: DiscoveredRoute[];
  /** PCI address of the backing device (SR-IOV VFs), from sysfs. */
  pciAddress?: string;
  /** Kernel driver bound to the backing device, from sysfs. */
  driver?: string;
}

/** The pod's resolver configuration, and where it came from. */
export interface DiscoveredDns {
  nameservers: string[];
  search: string[];
  domain?: string;
  options: string[];
  /** The file or `cni-result:<path>` it was read from; `none` when nothing was found. */
  source: string;
}

/** Everything discovery learns about a pod network namespace. */
export interface DiscoveredPod {
  /** Namespace name or nsfs path (what `ip -n` accepts). */
  netns: string;
  interfaces: DiscoveredInterface[];
  dns: DiscoveredDns;
  /** The pod's hostname when known (/etc/netns/<name>/hostname). */
  hostname?: string;
  /** Pod-wide sysctls bindings change (POD_SYSCTLS in discover.ts), `/`-separated keys → value. */
  sysctls?: Record<string, string>;
}
