// The VM-side description of one NIC: what a binding plan hands to the hypervisor layer, which turns
// it into libvirt XML, QEMU arguments and cloud-init. Pure types.
import type { MacvtapMode, NicModel, PortSpec } from '../api/types.js';

/** How the NIC's frames reach the pod network. */
export type VmNicBackend =
  /** bridge, masquerade: a TAP in the pod namespace that QEMU opens by name. */
  | { kind: 'tap'; tapName: string; queues: number }
  /** macvtap: QEMU gets /dev/tapN of this macvtap as a file descriptor. */
  | { kind: 'macvtap'; device: string; parent: string; mode: MacvtapMode; queues: number }
  /** slirp: QEMU user networking. */
  | { kind: 'user'; netCidr: string; net6Cidr?: string; dnsSearch: string[]; hostfwd: PortSpec[] }
  /** passt: QEMU's stream netdev on passt's unix socket. */
  | {
      kind: 'passt';
      socketPath: string;
      /** Ports passt forwards (all when absent or empty); only rendered into libvirt's <portForward>. */
      ports?: PortSpec[];
    }
  /** SR-IOV: a VF passed through with vfio-pci. */
  | { kind: 'hostdev'; hostPciAddress: string };

/** Static guest addressing for NICs that get no DHCP (SR-IOV, macvtap, IPv6 fallbacks): cloud-init input. */
export interface GuestStaticConfig {
  /** CIDRs, e.g. 10.1.2.3/24, fd00::5/64. */
  addresses: string[];
  gateway4?: string;
  gateway6?: string;
  routes: { destination: string; gateway: string }[];
  dnsServers: string[];
  searchDomains: string[];
}

/** One guest NIC as the hypervisor must present it. */
export interface VmNic {
  /** The interface name from the spec. */
  name: string;
  /** libvirt alias: `ua-<name>`. */
  alias: string;
  model: NicModel;
  /** Lower-case, colon separated. */
  mac: string;
  mtuBytes?: number;
  backend: VmNicBackend;
  bootOrder?: number;
  /** Guest PCI address `DDDD:BB:SS.F`. */
  guestPciAddress?: string;
  acpiIndex?: number;
  linkState: 'up' | 'down';
  /** How the guest configures this NIC: DHCP from virtnet/the network, or static via cloud-init. */
  guestConfig:
    | {
        kind: 'dhcp';
        /**
         * Addressing DHCPv4 does not cover, for cloud-init to set statically next to DHCP (masquerade's
         * IPv6 `fd10:0:2::2/120` + default route, also served by RA/DHCPv6 on the bridge, for guests
         * without a DHCPv6 client).
         */
        staticFallback?: GuestStaticConfig;
      }
    | { kind: 'static'; config: GuestStaticConfig }
    | { kind: 'none' };
}
