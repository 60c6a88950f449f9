// libvirt domain XML for a VmMachine (https://libvirt.org/formatdomain.html), built as an element tree
// (xml-element.ts) from typed data — never by string concatenation. One <interface> (or <hostdev>) per VmNic:
// tap → type='ethernet' + <target managed='no'> (bridge, masquerade), macvtap → type='direct',
// passt → type='user' + <backend type='passt'>, SR-IOV → <hostdev> with managed='no' (virtnet binds
// vfio-pci itself). libvirt cannot express slirp's hostfwd, so slirp NICs go through
// <qemu:commandline> with the same -netdev/-device the embedded runner uses (as KubeVirt did).
// Pure: no I/O.
import type { VmNic } from '../bindings/vm-nic.js';
import { netdevArg, nicDeviceArg } from './qemu-args.js';
import {
  type HostFacts,
  type PciAddress,
  type VmMachine,
  diskBootOrder,
  hexAttr,
  nicField,
  nicQueues,
  parsePciAddress,
} from './vm-machine.js';
import { XmlElement, xmlDocument } from './xml-element.js';

const QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0';

/** Options of the XML that are not part of the machine. */
export interface DomainXmlOptions {
  host: HostFacts;
  /** Emulator path; default /usr/bin/qemu-system-x86_64. */
  emulator?: string;
}

/** `<address>`; a hostdev's <source> address carries no type attribute (libvirt's schema). */
function pciAddressElement(parent: XmlElement, addr: PciAddress, typed = true): void {
  parent.ele('address', {
    ...(typed ? { type: 'pci' } : {}),
    domain: hexAttr(addr.domain, 4),
    bus: hexAttr(addr.bus, 2),
    slot: hexAttr(addr.slot, 2),
    function: hexAttr(addr.function, 1),
  });
}

/** Elements every NIC kind shares: boot order or no ROM, alias, guest PCI address, ACPI index. */
function commonNicElements(el: XmlElement, nic: VmNic, index: number, romAllowed: boolean): void {
  if (nic.bootOrder !== undefined) el.ele('boot', { order: String(nic.bootOrder) });
  else if (romAllowed) el.ele('rom', { enabled: 'no' });
  el.ele('alias', { name: nic.alias });
  if (nic.guestPciAddress)
    pciAddressElement(el, parsePciAddress(nic.guestPciAddress, nicField(index, 'guestPciAddress')));
  if (nic.acpiIndex !== undefined) el.ele('acpi', { index: String(nic.acpiIndex) });
}

function interfaceElement(devices: XmlElement, nic: VmNic, index: number, options: DomainXmlOptions): void {
  const b = nic.backend;
  if (b.kind === 'hostdev') {
    const hd = devices.ele('hostdev', { mode: 'subsystem', type: 'pci', managed: 'no' });
    hd.ele('driver', { name: 'vfio' });
    pciAddressElement(
      hd.ele('source'),
      parsePciAddress(b.hostPciAddress, nicField(index, 'backend.hostPciAddress')),
      false,
    );
    commonNicElements(hd, nic, index, false);
    return;
  }
  const type = b.kind === 'tap' ? 'ethernet' : b.kind === 'macvtap' ? 'direct' : 'user';
  const el = devices.ele('interface', { type });
  el.ele('mac', { address: nic.mac });
  if (b.kind === 'tap') {
    el.ele('target', { dev: b.tapName, managed: 'no' });
  } else if (b.kind === 'macvtap') {
    el.ele('source', { dev: b.parent, mode: b.mode });
    el.ele('target', { dev: b.device, managed: 'no' });
  } else if (b.kind === 'passt') {
    el.ele('backend', { type: 'passt' });
    for (const p of b.ports ?? [])
      el.ele('portForward', { proto: p.protocol.toLowerCase() }).ele('range', { start: String(p.port) });
  }
  el.ele('model', { type: nic.model });
  const queues = nicQueues(nic);
  if (b.kind === 'tap' || b.kind === 'macvtap') {
    const driver: Record<string, string> = { name: options.host.vhostNet ? 'vhost' : 'qemu' };
    if (queues > 1) driver.queues = String(queues);
    el.ele('driver', driver);
  }
  if (nic.mtuBytes !== undefined) el.ele('mtu', { size: String(nic.mtuBytes) });
  el.ele('link', { state: nic.linkState });
  commonNicElements(el, nic, index, true);
}

/** The libvirt domain XML of `machine` (a complete document). */
export function buildDomainXml(machine: VmMachine, options: DomainXmlOptions): string {
  const domain = new XmlElement('domain').att('type', machine.accel === 'kvm' ? 'kvm' : 'qemu');
  const slirp = machine.nics
    .map((nic, index) => ({ nic, index }))
    .filter(({ nic }) => nic.backend.kind === 'user');
  if (slirp.length > 0) domain.att('xmlns:qemu', QEMU_NS);
  domain.ele('name').txt(machine.name);
  if (machine.uuid) domain.ele('uuid').txt(machine.uuid);
  domain.ele('memory', { unit: 'MiB' }).txt(String(machine.memoryMiB));
  domain.ele('vcpu', { placement: 'static' }).txt(String(machine.vcpus));
  const os = domain.ele('os');
  os.ele('type', { arch: 'x86_64', machine: 'pc' }).txt('hvm');
  if (machine.boot.kind === 'kernel') {
    os.ele('kernel').txt(machine.boot.kernelPath);
    if (machine.boot.initrdPath !== undefined) os.ele('initrd').txt(machine.boot.initrdPath);
    os.ele('cmdline').txt(machine.boot.cmdline);
  }
  domain.ele('features').ele('acpi');
  if (machine.accel === 'kvm') domain.ele('cpu', { mode: 'host-passthrough' });
  domain.ele('on_poweroff').txt('destroy');
  domain.ele('on_reboot').txt('destroy');
  domain.ele('on_crash').txt('destroy');

  const devices = domain.ele('devices');
  devices.ele('emulator').txt(options.emulator ?? '/usr/bin/qemu-system-x86_64');
  if (machine.boot.kind === 'disk') {
    const disk = devices.ele('disk', { type: 'file', device: 'disk' });
    disk.ele('driver', { name: 'qemu', type: machine.boot.format });
    disk.ele('source', { file: machine.boot.diskPath });
    disk.ele('target', { dev: 'vda', bus: 'virtio' });
    disk.ele('boot', { order: String(diskBootOrder(machine)) });
    disk.ele('alias', { name: 'ua-disk0' });
  }
  if (machine.cloudInitIsoPath) {
    const seed = devices.ele('disk', { type: 'file', device: 'disk' });
    seed.ele('driver', { name: 'qemu', type: 'raw' });
    seed.ele('source', { file: machine.cloudInitIsoPath });
    seed.ele('target', { dev: machine.boot.kind === 'disk' ? 'vdb' : 'vda', bus: 'virtio' });
    seed.ele('readonly');
    seed.ele('alias', { name: 'ua-cidata' });
  }
  machine.nics.forEach((nic, index) => {
    if (nic.backend.kind !== 'user') interfaceElement(devices, nic, index, options);
  });
  const serial = machine.serialLogPath
    ? devices.ele('serial', { type: 'file' })
    : devices.ele('serial', { type: 'pty' });
  if (machine.serialLogPath) serial.ele('source', { path: machine.serialLogPath });
  serial.ele('target', { port: '0' });
  const consoleEl = machine.serialLogPath
    ? devices.ele('console', { type: 'file' })
    : devices.ele('console', { type: 'pty' });
  if (machine.serialLogPath) consoleEl.ele('source', { path: machine.serialLogPath });
  consoleEl.ele('target', { type: 'serial', port: '0' });
  devices.ele('memballoon', { model: 'none' });

  if (slirp.length > 0) {
    const cmd = domain.ele('qemu:commandline');
    for (const { nic, index } of slirp) {
      const qemuOptions = { host: options.host };
      for (const value of [
        '-netdev',
        netdevArg(nic, index, qemuOptions) ?? '',
        '-device',
        nicDeviceArg(nic, index, qemuOptions),
      ]) {
        cmd.ele('qemu:arg', { value });
      }
    }
  }
  return xmlDocument(domain);
}
