// What `virtnet run` can start, checked before anything is created: limits of the embedded QEMU
// machine (i440fx `pc`: at most 255 vCPUs, PCI bus 0000:00 whose slots 00 and 01 hold the host
// bridge and PIIX3), of guest memory, and of the unix socket paths under the VM's state dir. KubeVirt
// accepts more; each message says why virtnet does not. Pure: the state dir is a parameter.
import type { IssueCollector } from './issue-collector.js';
import { quantityBytes } from './quantity.js';
import { isRawMap, type RawMap } from './spec-entries.js';
import type { FieldPath } from './spec-issue.js';

/** Where `virtnet run` keeps VM state unless told otherwise (src/state/state-dir.ts re-exports it). */
export const DEFAULT_STATE_DIR = '/var/lib/virtnet';

/** A unix socket path has at most 107 bytes (sun_path is 108 with the NUL). */
export const MAX_SOCKET_PATH_BYTES = 107;
/** Longest socket name under `<stateDir>/vms/<vm>`: QMP's, and passt's hashed one when a passt NIC exists. */
const QMP_SOCKET_SUFFIX = '/run/qmp.sock';
const PASST_SOCKET_SUFFIX = '/passt.0123456789abcdef.sock';

/** Guest memory when the spec asks for none. */
export const DEFAULT_MEMORY_MIB = 256;

/** The most vCPUs QEMU's i440fx machine takes. */
export const MAX_VCPUS = 255;
/** Guest memory bounds: KubeVirt's floor (1M) below which QEMU has nothing to map; TCG's 40 physical address bits end at 1 TiB. */
export const MIN_MEMORY_BYTES = 1_000_000;
export const MAX_MEMORY_MIB = 1024 * 1024;
/** PCI slots of bus 0000:00 a NIC may take (00: host bridge, 01: PIIX3). */
const FIRST_FREE_PCI_SLOT = 2;

/** The VM name's length limit from its socket paths. */
export function checkVmNameFitsSockets(
  name: string,
  stateDir: string,
  hasPasst: boolean,
  issues: IssueCollector,
  path: FieldPath,
): void {
  const suffix = hasPasst ? PASST_SOCKET_SUFFIX : QMP_SOCKET_SUFFIX;
  const fixed = Buffer.byteLength(`${stateDir}/vms/${suffix}`);
  const room = MAX_SOCKET_PATH_BYTES - fixed;
  if (Buffer.byteLength(name) <= room) return;
  issues.error(
    path,
    'VM_NAME_TOO_LONG',
    room <= 0
      ? `the state dir ${stateDir} is too deep for the VM's unix sockets (${MAX_SOCKET_PATH_BYTES} bytes at most); use a shorter state dir`
      : `the VM name has ${Buffer.byteLength(name)} bytes; with the state dir ${stateDir} at most ${room} fit in the VM's ${hasPasst ? 'passt' : 'QMP'} socket path (${MAX_SOCKET_PATH_BYTES} bytes at most)`,
  );
}

/** sockets × cores × threads of spec.domain.cpu must be 1-255. */
export function checkVcpus(domain: RawMap | undefined, domainPath: FieldPath, issues: IssueCollector): void {
  const cpu = domain && isRawMap(domain.cpu) ? domain.cpu : undefined;
  if (!cpu) return;
  let product = 1;
  for (const key of ['sockets', 'cores', 'threads'] as const) {
    const v = cpu[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      issues.error(
        [...domainPath, 'cpu', key],
        'VCPUS_RANGE',
        `cpu.${key} must be a positive integer, got ${JSON.stringify(v)}`,
      );
      return;
    }
    product *= v;
    if (v > MAX_VCPUS) {
      issues.error(
        [...domainPath, 'cpu', key],
        'VCPUS_RANGE',
        `cpu.${key} is ${v}; the embedded machine (QEMU i440fx) takes at most ${MAX_VCPUS} vCPUs`,
      );
      return;
    }
  }
  if (product > MAX_VCPUS)
    issues.error(
      [...domainPath, 'cpu'],
      'VCPUS_RANGE',
      `sockets × cores × threads is ${product}; the embedded machine (QEMU i440fx) takes at most ${MAX_VCPUS} vCPUs`,
    );
}

/** The memory field the VM's size comes from (memory.guest, else requests, else limits) and its path. */
function memoryField(domain: RawMap, domainPath: FieldPath): { value: unknown; path: FieldPath } | undefined {
  if (isRawMap(domain.memory) && domain.memory.guest !== undefined && domain.memory.guest !== null)
    return { value: domain.memory.guest, path: [...domainPath, 'memory', 'guest'] };
  const resources = isRawMap(domain.resources) ? domain.resources : {};
  for (const kind of ['requests', 'limits'] as const) {
    const r = resources[kind];
    if (isRawMap(r) && r.memory !== undefined && r.memory !== null)
      return { value: r.memory, path: [...domainPath, 'resources', kind, 'memory'] };
  }
  return undefined;
}

/** Guest memory must be a quantity from 1M to 1 TiB. */
export function checkMemory(domain: RawMap | undefined, domainPath: FieldPath, issues: IssueCollector): void {
  const field = domain ? memoryField(domain, domainPath) : undefined;
  if (!field) return;
  const bytes = quantityBytes(field.value);
  if (bytes === undefined) {
    issues.error(
      field.path,
      'MEMORY_RANGE',
      `${JSON.stringify(field.value).slice(0, 64)} is not a memory quantity like 512Mi or 2Gi`,
    );
    return;
  }
  if (bytes < MIN_MEMORY_BYTES)
    issues.error(
      field.path,
      'MEMORY_RANGE',
      `${String(field.value)} is below 1M, the least guest memory KubeVirt and QEMU take`,
    );
  else if (bytes / 2 ** 20 > MAX_MEMORY_MIB)
    issues.error(
      field.path,
      'MEMORY_RANGE',
      `${String(field.value).slice(0, 64)} is above 1 TiB, more than QEMU can map for a guest (40 physical address bits)`,
    );
}

/** A NIC's pciAddress must be on bus 0000:00, slot 02-1f: the embedded machine has no other bus. */
export function checkPciAddressUsable(text: string, path: FieldPath, issues: IssueCollector): void {
  const [domain, bus, slotFn] = text.toLowerCase().split(':');
  const slot = parseInt(slotFn?.split('.')[0] ?? '', 16);
  if (domain !== '0000' || bus !== '00') {
    issues.error(
      path,
      'PCI_ADDRESS_UNUSABLE',
      `PCI address ${text} is not on bus 0000:00, the only PCI bus of the embedded machine (KubeVirt accepts it; QEMU would not start)`,
    );
  } else if (slot < FIRST_FREE_PCI_SLOT) {
    issues.error(
      path,
      'PCI_ADDRESS_UNUSABLE',
      `PCI slot ${slotFn} is taken by the machine (00: host bridge, 01: PIIX3); use a slot from 02 to 1f`,
    );
  }
}
