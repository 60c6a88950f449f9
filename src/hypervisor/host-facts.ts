// What the hypervisor builders need to know about this host, probed here so the builders stay pure:
// the accelerator that works (KVM, or TCG when /dev/kvm is missing or is KVM-PVM, under which stock
// guest kernels hang), whether /dev/vhost-net exists, and which QEMU devices are built in.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { VirtnetError } from '../errors/virtnet-error.js';
import { runProgram } from '../exec/run-program.js';
import type { Accel, HostFacts } from './vm-machine.js';

/** The chosen accelerator and why. */
export interface AccelChoice {
  accel: Accel;
  reason: string;
}

/** Paths the probes read; tests point them at a synthetic tree. */
export interface ProbePaths {
  kvmDevice: string;
  vhostNetDevice: string;
  sysModule: string;
  procModules: string;
}

export const DEFAULT_PROBE_PATHS: ProbePaths = {
  kvmDevice: '/dev/kvm',
  vhostNetDevice: '/dev/vhost-net',
  sysModule: '/sys/module',
  procModules: '/proc/modules',
};

function readWritable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** True when the KVM module is KVM-PVM (PVM guests only; stock kernels hang under it). */
function kvmIsPvm(paths: ProbePaths): boolean {
  if (existsSync(`${paths.sysModule}/kvm_pvm`)) return true;
  try {
    return /^kvm_pvm\s/m.test(readFileSync(paths.procModules, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Picks the accelerator: `force` wins (KVM forced without a usable /dev/kvm is an ACCEL_UNAVAILABLE
 * error); otherwise KVM when /dev/kvm is usable and not KVM-PVM, else TCG.
 */
export function chooseAccel(
  force: Accel | 'auto' = 'auto',
  paths: ProbePaths = DEFAULT_PROBE_PATHS,
): AccelChoice {
  const kvmUsable = readWritable(paths.kvmDevice);
  if (force === 'tcg') return { accel: 'tcg', reason: 'forced with --accel tcg' };
  if (force === 'kvm') {
    if (!kvmUsable)
      throw new VirtnetError(
        'ACCEL_UNAVAILABLE',
        `--accel kvm: ${paths.kvmDevice} is missing or not accessible`,
        { field: 'accel', device: paths.kvmDevice },
      );
    return { accel: 'kvm', reason: 'forced with --accel kvm' };
  }
  if (!kvmUsable) return { accel: 'tcg', reason: `${paths.kvmDevice} is missing or not accessible` };
  if (kvmIsPvm(paths))
    return { accel: 'tcg', reason: 'KVM is KVM-PVM (kvm_pvm), under which stock guest kernels hang' };
  return { accel: 'kvm', reason: `${paths.kvmDevice} is usable` };
}

/** Host facts for the builders. */
export function probeHostFacts(paths: ProbePaths = DEFAULT_PROBE_PATHS): HostFacts {
  return { vhostNet: readWritable(paths.vhostNetDevice) };
}

const deviceCache = new Map<string, Promise<string[]>>();

/** Device names the QEMU binary knows (`-device help`), cached per binary. */
export function qemuDevices(qemuBinary = 'qemu-system-x86_64'): Promise<string[]> {
  let cached = deviceCache.get(qemuBinary);
  if (!cached) {
    cached = runProgram([qemuBinary, '-device', 'help'], { timeoutMs: 30_000 }).then((r) =>
      [...r.stdout.matchAll(/^name "([^"]+)"/gm)].map((m) => m[1] ?? ''),
    );
    deviceCache.set(qemuBinary, cached);
    cached.catch(() => deviceCache.delete(qemuBinary));
  }
  return cached;
}
