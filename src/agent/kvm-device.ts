// The KVM device for launcher pods, as KubeVirt's virt-handler offers devices.kubevirt.io/kvm: every
// launcher pod asks for one `devices.virtnet.io/kvm`, and gets /dev/kvm in its container when the
// node has it. On a node without KVM the slot gives no device and QEMU runs under TCG, so a VM runs
// on any node "under TCG or KVM as the node allows" (the launcher picks; KVM-PVM, whose stock guests
// hang, is TCG too). The slots also cap the VMs a node takes.
import { existsSync } from 'node:fs';
import { DevicePluginServer } from '../cri/device-plugin-server.js';
import { KVM_RESOURCE } from '../kube/launcher-pod.js';

/** As many as a node's pods by default (the kubelet's maxPods). */
export const KVM_SLOTS = 110;
export const KVM_DEVICE = '/dev/kvm';

/** What a launcher container gets for its slot: /dev/kvm when the node has it. */
export function kvmAllocation(
  hasKvm: boolean,
): { containerPath: string; hostPath: string; permissions: string }[] {
  return hasKvm ? [{ containerPath: KVM_DEVICE, hostPath: KVM_DEVICE, permissions: 'rw' }] : [];
}

export function kvmDevicePlugin(
  dir: string,
  serverDir: string,
  log: (msg: string) => void,
): DevicePluginServer {
  return new DevicePluginServer({
    dir,
    serverDir,
    endpoint: 'virtnet-kvm.sock',
    resourceName: KVM_RESOURCE,
    devices: Array.from({ length: KVM_SLOTS }, (_, i) => ({ id: `kvm${i}`, healthy: true })),
    // Asked at each allocation: a node's /dev/kvm may come with a module loaded after the agent started.
    allocate: () => ({ devices: kvmAllocation(existsSync(KVM_DEVICE)) }),
    log,
  });
}
