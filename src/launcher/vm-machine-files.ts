// What `virtnet run` and the Kubernetes launcher both do around QEMU: turn a VM's spec and its applied
// network plan into the machine QEMU runs (with the NoCloud seed it needs written next to it), and
// stop QEMU gracefully within a bound.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MEMORY_MIB } from '../api/runtime-limits.js';
import type { VmSpec } from '../api/types.js';
import type { VmNetworkPlan } from '../bindings/plan-types.js';
import { writeCidataIso } from '../hypervisor/cloud-init-iso.js';
import { buildNoCloudFiles } from '../hypervisor/cloud-init.js';
import type { Accel, VmBoot, VmMachine } from '../hypervisor/vm-machine.js';
import type { RunningVm } from '../hypervisor/vm-runner.js';

/** Input of vmMachineFor. */
export interface VmMachineInput {
  spec: VmSpec;
  plan: VmNetworkPlan;
  boot: VmBoot;
  accel: Accel;
  /** The VM's run dir (the seed ISO goes there). */
  runDir: string;
  hostname: string;
  /** The guest is not virtnet's own (a disk or a foreign kernel): it may need the seed for everything. */
  foreignGuest: boolean;
  memoryMiB?: number;
}

/** The machine for `input`, writing its NoCloud seed first when it needs one. */
export async function vmMachineFor(input: VmMachineInput): Promise<VmMachine> {
  const { spec, plan } = input;
  const nics = plan.interfaces.map((i) => i.nic);
  // The NoCloud seed carries what DHCP cannot (static addresses: SR-IOV, macvtap, IPv6 fallbacks) and
  // everything for a cloud-init disk image; virtnet's own guest with DHCP-only NICs needs none of it.
  const needsSeed =
    input.foreignGuest ||
    nics.some(
      (n) =>
        n.guestConfig.kind === 'static' ||
        (n.guestConfig.kind === 'dhcp' && n.guestConfig.staticFallback !== undefined),
    );
  let isoPath: string | undefined;
  if (needsSeed) {
    mkdirSync(input.runDir, { recursive: true });
    isoPath = join(input.runDir, 'cidata.iso');
    await writeCidataIso(
      buildNoCloudFiles({ instanceId: `${spec.namespace}.${spec.name}`, hostname: input.hostname, nics }),
      isoPath,
    );
  }
  return {
    name: spec.name,
    memoryMiB: input.memoryMiB ?? spec.memoryMiB ?? DEFAULT_MEMORY_MIB,
    vcpus: spec.vcpus,
    boot: input.boot,
    ...(isoPath !== undefined ? { cloudInitIsoPath: isoPath } : {}),
    nics,
    accel: input.accel,
  };
}

/**
 * Stops QEMU: ACPI power-off, QMP quit after `graceMs`, and SIGKILL by PID once `limitMs` passed,
 * whatever QEMU does. Resolves when QEMU is gone.
 */
export async function stopQemu(vm: RunningVm, graceMs: number, limitMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'limit'>((resolve) => (timer = setTimeout(() => resolve('limit'), limitMs)));
  const outcome = await Promise.race([vm.stop({ graceMs }), limit]);
  clearTimeout(timer);
  if (outcome === 'limit') {
    try {
      process.kill(vm.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await vm.exited;
  }
}
