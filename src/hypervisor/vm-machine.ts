// The whole VM the hypervisor layer describes: what both the libvirt domain XML builder and the QEMU
// argument builder take, so the two always describe the same machine. Pure types and small pure
// helpers (PCI address parsing, NIC model names); no I/O.
import type { NicModel } from '../api/types.js';
import type { VmNic } from '../bindings/vm-nic.js';
import { VirtnetError } from '../errors/virtnet-error.js';

/** How the VM boots: a kernel + initrd (the virtnet guest) or a disk image. */
export type VmBoot =
  | { kind: 'kernel'; kernelPath: string; initrdPath?: string; cmdline: string }
  | { kind: 'disk'; diskPath: string; format: 'qcow2' | 'raw' };

/** The accelerator QEMU runs the guest with. */
export type Accel = 'kvm' | 'tcg';

/** A complete VM for the embedded runner and for libvirt. */
export interface VmMachine {
  /** Domain name (the VM's name). */
  name: string;
  /** Optional fixed UUID (libvirt generates one when absent). */
  uuid?: string;
  memoryMiB: number;
  vcpus: number;
  boot: VmBoot;
  /** The NoCloud seed (`cidata` ISO), attached as a read-only virtio disk. */
  cloudInitIsoPath?: string;
  /** Serial console: into this file (XML) — the QEMU runner reads the console from a pipe instead. */
  serialLogPath?: string;
  nics: VmNic[];
  accel: Accel;
}

/** Facts about the host the builders must not probe themselves. */
export interface HostFacts {
  /** /dev/vhost-net exists and opens. */
  vhostNet: boolean;
}

/** A guest PCI address, numbers as parsed from `DDDD:BB:SS.F`. */
export interface PciAddress {
  domain: number;
  bus: number;
  slot: number;
  function: number;
}

const PCI_RE = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/;

/** Parses `DDDD:BB:SS.F`; throws PCI_ADDRESS_INVALID naming `field`. */
export function parsePciAddress(value: string, field: string): PciAddress {
  const m = PCI_RE.exec(value);
  if (!m)
    throw new VirtnetError(
      'PCI_ADDRESS_INVALID',
      `${field}: ${JSON.stringify(value)} is not a PCI address DDDD:BB:SS.F`,
      { field },
    );
  const n = (i: number): number => parseInt(m[i] ?? '0', 16);
  const addr = { domain: n(1), bus: n(2), slot: n(3), function: n(4) };
  if (addr.slot > 0x1f)
    throw new VirtnetError('PCI_ADDRESS_INVALID', `${field}: slot ${m[3]} is above 1f`, { field });
  return addr;
}

/** libvirt's `0x..` attribute form of one address component. */
export function hexAttr(n: number, width: number): string {
  return `0x${n.toString(16).padStart(width, '0')}`;
}

/** QEMU device names of the NIC models; `igb` needs QEMU ≥ 8.0 (Debian 12 ships 7.2). */
export const QEMU_NIC_DEVICES: Record<NicModel, string> = {
  virtio: 'virtio-net-pci',
  e1000: 'e1000',
  e1000e: 'e1000e',
  igb: 'igb',
  ne2k_pci: 'ne2k_pci',
  pcnet: 'pcnet',
  rtl8139: 'rtl8139',
};

/** The field path of NIC `i` in error details. */
export function nicField(i: number, leaf: string): string {
  return `nics[${i}].${leaf}`;
}

/** Queue count the hypervisor should use for `nic` (multiqueue is virtio only). */
export function nicQueues(nic: VmNic): number {
  const b = nic.backend;
  const queues = b.kind === 'tap' || b.kind === 'macvtap' ? b.queues : 1;
  return nic.model === 'virtio' ? Math.max(1, queues) : 1;
}

/** Where the disk without a boot order goes in the boot sequence: after every NIC that has one. */
export function diskBootOrder(machine: VmMachine): number {
  const orders = machine.nics.map((n) => n.bootOrder ?? 0);
  return Math.max(0, ...orders) + 1;
}
