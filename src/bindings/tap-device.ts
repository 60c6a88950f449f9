// The VM's TAP (or macvtap) queues and the TAP link step, shared by the bindings that wire a VM NIC
// through a TAP on a bridge in the pod (bridge, masquerade) and by macvtap's queue count. Pure.
import type { InterfaceSpec } from '../api/types.js';
import type { BindingContext, PlanNote, PlanStep } from './plan-types.js';

/** The kernel's limit on a TAP's (and a macvtap's) queues. */
export const MAX_TAP_QUEUES = 256;

/** One queue per vCPU for a virtio NIC of a VM that asks for multiqueue (up to the limit), else one. */
export function tapQueues(iface: InterfaceSpec, ctx: BindingContext): number {
  if (!ctx.vm.networkInterfaceMultiqueue || iface.model !== 'virtio') return 1;
  return Math.max(1, Math.min(ctx.vm.vcpus, MAX_TAP_QUEUES));
}

/** The warning for a multiqueue VM's NIC that gets one queue because it is not virtio, if that applies. */
export function multiqueueNotes(iface: InterfaceSpec, ctx: BindingContext): PlanNote[] {
  if (!ctx.vm.networkInterfaceMultiqueue || iface.model === 'virtio') return [];
  return [
    {
      level: 'warning',
      code: 'MULTIQUEUE_VIRTIO_ONLY',
      message: `interface ${iface.name}: multiqueue needs model virtio; using one queue`,
    },
  ];
}

/** Creating the VM's TAP `tap` (vnet_hdr, owned by the context's TAP owner) on `bridge`, up. */
export function tapLinkStep(t: {
  id: string;
  summary: string;
  tap: string;
  bridge: string;
  queues: number;
  mtuBytes: number;
  ctx: BindingContext;
}): PlanStep {
  const owner = t.ctx.tapOwner;
  return {
    id: t.id,
    phase: 'network',
    kind: 'link.create',
    device: t.tap,
    link: {
      type: 'tap',
      multiQueue: t.queues > 1,
      vnetHdr: true,
      ...(owner ? { ownerUid: owner.uid, ownerGid: owner.gid } : {}),
    },
    mtuBytes: t.mtuBytes,
    master: t.bridge,
    up: true,
    summary: t.summary,
  };
}
