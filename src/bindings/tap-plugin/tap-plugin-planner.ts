// Network binding plugins registered with `domainAttachmentType: tap` (KubeVirt's binding plugin API):
// the plugin's NetworkAttachmentDefinition runs as one more CNI network of the pod and its CNI plugin
// creates a tap there (src/cni/vm-networks.ts asks for it under the interface's tap name). This module
// only hands that tap to the VM: it creates and changes nothing in the pod (the plugin owns the tap and
// CNI DEL removes it) and serves no DHCP (the plugin's network decides how the guest is configured).
import { createHash } from 'node:crypto';
import { VirtnetError } from '../../errors/virtnet-error.js';
import type { InterfaceSpec, NetworkSpec } from '../../api/types.js';
import { nicFrontend } from '../nic-frontend.js';
import type { BindingContext, BindingModule, DiscoveredInterface, InterfacePlan } from '../plan-types.js';
import type { VmNic } from '../vm-nic.js';

/** A stable locally administered unicast MAC for the interface (when the spec gives none). */
function pluginMac(key: string): string {
  const h = createHash('sha256').update(key).digest();
  return [0x02, h[0]!, h[1]!, h[2]!, h[3]!, h[4]!].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function planTapPlugin(
  iface: InterfaceSpec,
  network: NetworkSpec,
  tap: DiscoveredInterface | undefined,
  ctx: BindingContext,
): InterfacePlan {
  const field = `${ctx.fieldPath}.binding.name`;
  const plugin = iface.bindingPlugin ?? '';
  if (!tap) {
    throw new VirtnetError(
      'PLUGIN_TAP_MISSING',
      `interface ${iface.name}: binding plugin ${plugin} created no tap in the pod (its NetworkAttachmentDefinition's CNI plugin must create one named after the interface)`,
      { field },
    );
  }
  if (tap.kind !== 'tun') {
    throw new VirtnetError(
      'PLUGIN_TAP_MISSING',
      `interface ${iface.name}: binding plugin ${plugin} left ${tap.name} in the pod, which is a ${tap.kind || 'plain'} device, not a tap`,
      { field, device: tap.name },
    );
  }
  const nic: VmNic = {
    ...nicFrontend(iface),
    mac: iface.macAddress ?? pluginMac(`virtnet-plugin/${ctx.vm.namespace}/${ctx.vm.name}/${iface.name}`),
    mtuBytes: tap.mtuBytes,
    backend: { kind: 'tap', tapName: tap.name, queues: 1 },
    guestConfig: { kind: 'dhcp' },
  };
  const notes = [
    {
      level: 'info' as const,
      code: 'PLUGIN_TAP',
      message: `interface ${iface.name}: attached to tap ${tap.name}, created by binding plugin ${plugin}`,
    },
  ];
  return {
    name: iface.name,
    network: network.name,
    binding: 'plugin',
    podInterface: tap.name,
    podInterfaceBefore: tap,
    createdDevices: [],
    steps: [],
    nic,
    notes,
  };
}

/** The tap binding plugin module. */
export const tapPluginBinding: BindingModule = { binding: 'plugin', plan: planTapPlugin };
