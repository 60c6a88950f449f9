// Where virtnet keeps what it created, so teardown and garbage collection are exact after a restart.
// Layout (all under the state dir):
//   pods/<pod>/          pod state (netns, network-status, CNI attachments)   — src/cni
//   cni/results/         CNI result cache (libcni's /var/lib/cni/results)     — src/cni
//   vms/<vm>/            per-VM plan, executor record, DHCP config, QEMU files — src/apply, src/launcher
//   proxy/               CNI proxy state and per-pod sockets                   — src/cni
import { join } from 'node:path';

export const DEFAULT_STATE_DIR = '/var/lib/virtnet';

/** The state dir: explicit option, else $VIRTNET_STATE_DIR, else /var/lib/virtnet. */
export function resolveStateDir(option?: string): string {
  return option ?? process.env.VIRTNET_STATE_DIR ?? DEFAULT_STATE_DIR;
}

/** `<stateDir>/vms/<vm>`, unchecked (src/apply/vm-record.ts `vmStateDir` checks the name first). */
export function vmDirOf(stateDir: string, vmName: string): string {
  return join(stateDir, 'vms', vmName);
}

/** Paths of the state dir's parts. */
export function stateLayout(stateDir: string): {
  pods: string;
  cniResults: string;
  vms: string;
  proxy: string;
} {
  return {
    pods: join(stateDir, 'pods'),
    cniResults: join(stateDir, 'cni', 'results'),
    vms: join(stateDir, 'vms'),
    proxy: join(stateDir, 'proxy'),
  };
}
