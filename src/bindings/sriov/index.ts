// The SR-IOV binding module: what the per-VM planner registers for `sriov: {}` interfaces. The host
// view (network-status, PCIDEVICE_* env, sysfs) arrives in the binding context, discovered beforehand
// by src/host/sriov-discovery.ts.
import type { BindingModule } from '../plan-types.js';
import { planSriov } from './sriov-planner.js';

/** sriov: VF passthrough with vfio-pci. */
export const sriovBinding: BindingModule = {
  binding: 'sriov',
  plan: (iface, network, podInterface, ctx) => planSriov(iface, network, podInterface, ctx, ctx.sriov),
};

export { planSriov, VFIO_PCI, VF_NETDEV_DRIVERS } from './sriov-planner.js';
