// QEMU command line for a VmMachine: the same machine the libvirt domain XML describes, for the
// embedded runner (no libvirtd needed). Pure: host facts (vhost-net, available devices) and the file
// descriptors of macvtap queues are passed in, never probed here.
import type { VmNic } from '../bindings/vm-nic.js';
import { VirtnetError } from '../errors/virtnet-error.js';
import {
  type HostFacts,
  type VmMachine,
  QEMU_NIC_DEVICES,
  diskBootOrder,
  nicField,
  nicQueues,
  parsePciAddress,
} from './vm-machine.js';

/** Options of the QEMU command line that are not part of the machine. */
export interface QemuArgsOptions {
  host: HostFacts;
  /** QEMU binary; default qemu-system-x86_64. */
  qemuBinary?: string;
  /** QMP socket (server, no wait) for shutdown and link state. */
  qmpSocketPath?: string;
  /** QEMU also writes the serial console into this file (the runner reads it from stdout). */
  consoleLogPath?: string;
  /** macvtap NICs: child fd numbers of the opened /dev/tapN, one per queue, by NIC name. */
  macvtapFds?: Readonly<Record<string, readonly number[]>>;
  /** QEMU device names available (from `-device help`); when given, models missing here are refused. */
  availableDevices?: readonly string[];
}

/** QEMU ids of one NIC: the device carries libvirt's alias, the netdev libvirt's `host` prefix. */
export function nicIds(nic: VmNic): { deviceId: string; netdevId: string } {
  return { deviceId: nic.alias, netdevId: `host${nic.alias}` };
}

/** QEMU's option syntax doubles commas inside values; reject what cannot be made safe. */
function optValue(value: string, field: string): string {
  if (/[\0\n]/.test(value))
    throw new VirtnetError('QEMU_ARG_INVALID', `${field}: control characters are not allowed`, { field });
  return value.replaceAll(',', ',,');
}

function opts(head: string, props: [string, string | number | undefined][]): string {
  return [head, ...props.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`)].join(',');
}

/** The `-netdev` value of one NIC, or undefined for a passed-through VF (no netdev). */
export function netdevArg(nic: VmNic, index: number, options: QemuArgsOptions): string | undefined {
  const { netdevId } = nicIds(nic);
  const b = nic.backend;
  const queues = nicQueues(nic);
  switch (b.kind) {
    case 'tap':
      return opts('tap', [
        ['id', netdevId],
        ['ifname', optValue(b.tapName, nicField(index, 'backend.tapName'))],
        ['script', 'no'],
        ['downscript', 'no'],
        ['queues', queues > 1 ? queues : undefined],
        ['vhost', options.host.vhostNet ? 'on' : 'off'],
      ]);
    case 'macvtap': {
      const fds = options.macvtapFds?.[nic.name];
      if (!fds || fds.length !== queues) {
        throw new VirtnetError(
          'QEMU_MACVTAP_FD_MISSING',
          `${nicField(index, 'backend')}: macvtap ${b.device} needs ${queues} open tap fd(s), got ${fds?.length ?? 0}`,
          {
            field: nicField(index, 'backend'),
            device: b.device,
          },
        );
      }
      return opts('tap', [
        ['id', netdevId],
        [fds.length > 1 ? 'fds' : 'fd', fds.join(':')],
        ['vhost', options.host.vhostNet ? 'on' : 'off'],
      ]);
    }
    case 'user': {
      const props: [string, string | number | undefined][] = [
        ['id', netdevId],
        ['net', optValue(b.netCidr, nicField(index, 'backend.netCidr'))],
      ];
      if (b.net6Cidr) props.push(['ipv6-net', optValue(b.net6Cidr, nicField(index, 'backend.net6Cidr'))]);
      for (const d of b.dnsSearch)
        props.push(['dnssearch', optValue(d, nicField(index, 'backend.dnsSearch'))]);
      // Exactly the declared ports, same number inside and out, on every pod address.
      for (const p of b.hostfwd) props.push(['hostfwd', `${p.protocol.toLowerCase()}::${p.port}-:${p.port}`]);
      return opts('user', props);
    }
    case 'passt':
      return opts('stream', [
        ['id', netdevId],
        ['server', 'off'],
        ['addr.type', 'unix'],
        ['addr.path', optValue(b.socketPath, nicField(index, 'backend.socketPath'))],
      ]);
    case 'hostdev':
      return undefined;
  }
}

/** The `-device` value of one NIC. */
export function nicDeviceArg(nic: VmNic, index: number, options: QemuArgsOptions): string {
  const { deviceId, netdevId } = nicIds(nic);
  const addr = nic.guestPciAddress
    ? parsePciAddress(nic.guestPciAddress, nicField(index, 'guestPciAddress'))
    : undefined;
  if (addr && (addr.domain !== 0 || addr.bus !== 0)) {
    throw new VirtnetError(
      'QEMU_PCI_BUS_UNSUPPORTED',
      `${nicField(index, 'guestPciAddress')}: the embedded machine has only PCI bus 0000:00 (got ${nic.guestPciAddress})`,
      {
        field: nicField(index, 'guestPciAddress'),
      },
    );
  }
  const common: [string, string | number | undefined][] = [
    ['id', deviceId],
    ['bootindex', nic.bootOrder],
    ['addr', addr ? `${addr.slot.toString(16).padStart(2, '0')}.${addr.function}` : undefined],
    ['acpi-index', nic.acpiIndex],
  ];
  if (nic.backend.kind === 'hostdev') {
    parsePciAddress(nic.backend.hostPciAddress, nicField(index, 'backend.hostPciAddress'));
    return opts('vfio-pci', [['host', nic.backend.hostPciAddress.toLowerCase()], ...common]);
  }
  const device = QEMU_NIC_DEVICES[nic.model];
  if (options.availableDevices ? !options.availableDevices.includes(device) : nic.model === 'igb') {
    throw new VirtnetError(
      'QEMU_NIC_MODEL_UNSUPPORTED',
      `${nicField(index, 'model')}: this QEMU has no ${device} device (igb needs QEMU 8.0 or newer)`,
      {
        field: nicField(index, 'model'),
      },
    );
  }
  const queues = nicQueues(nic);
  const props: [string, string | number | undefined][] = [['netdev', netdevId], ['mac', nic.mac], ...common];
  // No boot order: no option ROM (libvirt's <rom enabled='no'/>), so iPXE neither probes nor delays boot.
  if (nic.bootOrder === undefined) props.push(['romfile', '']);
  if (nic.model === 'virtio') {
    if (queues > 1) props.push(['mq', 'on'], ['vectors', 2 * queues + 2]);
    if (nic.mtuBytes !== undefined) props.push(['host_mtu', nic.mtuBytes]);
  }
  return opts(device, props);
}

/** The full argv (binary first) that runs `machine`. */
export function buildQemuArgs(machine: VmMachine, options: QemuArgsOptions): string[] {
  const argv = [options.qemuBinary ?? 'qemu-system-x86_64'];
  argv.push('-name', `guest=${optValue(machine.name, 'name')}`);
  argv.push('-machine', 'pc', '-accel', machine.accel);
  if (machine.accel === 'kvm') argv.push('-cpu', 'host');
  argv.push('-m', `${machine.memoryMiB}M`, '-smp', String(machine.vcpus));
  argv.push('-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot');
  argv.push(
    '-chardev',
    opts('stdio', [
      ['id', 'console0'],
      ['signal', 'off'],
      ['logfile', options.consoleLogPath ? optValue(options.consoleLogPath, 'consoleLogPath') : undefined],
    ]),
  );
  argv.push('-serial', 'chardev:console0');
  if (options.qmpSocketPath)
    argv.push('-qmp', `unix:${optValue(options.qmpSocketPath, 'qmpSocketPath')},server=on,wait=off`);

  // Devices with a fixed guest PCI address first, so automatic placement cannot take their slot.
  const nics = machine.nics.map((nic, index) => ({ nic, index }));
  nics.sort(
    (a, b) => Number(b.nic.guestPciAddress !== undefined) - Number(a.nic.guestPciAddress !== undefined),
  );
  for (const { nic, index } of nics) {
    const netdev = netdevArg(nic, index, options);
    if (netdev !== undefined) argv.push('-netdev', netdev);
    argv.push('-device', nicDeviceArg(nic, index, options));
  }

  const boot = machine.boot;
  if (boot.kind === 'kernel') {
    argv.push('-kernel', boot.kernelPath);
    if (boot.initrdPath !== undefined) argv.push('-initrd', boot.initrdPath);
    argv.push('-append', boot.cmdline);
  } else {
    argv.push(
      '-drive',
      `file=${optValue(boot.diskPath, 'boot.diskPath')},format=${boot.format},if=none,id=disk0`,
    );
    argv.push(
      '-device',
      opts('virtio-blk-pci', [
        ['drive', 'disk0'],
        ['id', 'ua-disk0'],
        ['bootindex', diskBootOrder(machine)],
      ]),
    );
  }
  if (machine.cloudInitIsoPath) {
    argv.push(
      '-drive',
      `file=${optValue(machine.cloudInitIsoPath, 'cloudInitIsoPath')},format=raw,if=none,id=cidata,readonly=on`,
    );
    argv.push('-device', 'virtio-blk-pci,drive=cidata,id=ua-cidata');
  }
  return argv;
}
