// The guest-visible side of a VM NIC that every binding takes straight from the spec interface:
// name, libvirt alias, model, boot order, guest PCI address, ACPI index, link state. Each binding adds
// only what it decides itself (MAC, MTU, backend, how the guest is configured). Pure.
import type { InterfaceSpec } from '../api/types.js';
import type { VmNic } from './vm-nic.js';

/** The spec-given fields of the VM NIC for `iface`. */
export function nicFrontend(
  iface: InterfaceSpec,
): Pick<VmNic, 'name' | 'alias' | 'model' | 'bootOrder' | 'guestPciAddress' | 'acpiIndex' | 'linkState'> {
  return {
    name: iface.name,
    alias: `ua-${iface.name}`,
    model: iface.model,
    ...(iface.bootOrder !== undefined ? { bootOrder: iface.bootOrder } : {}),
    ...(iface.pciAddress !== undefined ? { guestPciAddress: iface.pciAddress } : {}),
    ...(iface.acpiIndex !== undefined ? { acpiIndex: iface.acpiIndex } : {}),
    linkState: iface.state === 'down' ? 'down' : 'up',
  };
}
