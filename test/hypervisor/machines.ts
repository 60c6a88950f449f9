// Sample machines covering every NIC backend and option, shared by the XML, QEMU and cloud-init tests.
import type { VmNic } from '../../src/bindings/vm-nic.js';
import type { VmMachine } from '../../src/hypervisor/vm-machine.js';

/** A NIC with defaults, overridable per test. */
export function nic(over: Partial<VmNic> & Pick<VmNic, 'name' | 'backend'>): VmNic {
  return {
    alias: `ua-${over.name}`,
    model: 'virtio',
    mac: '02:00:00:00:00:01',
    linkState: 'up',
    guestConfig: { kind: 'dhcp' },
    ...over,
  };
}

/** One NIC of each backend kind, with every optional field used somewhere. */
export function everyBackendNics(): VmNic[] {
  return [
    nic({
      name: 'default',
      mac: '0a:58:0a:f4:00:05',
      mtuBytes: 1450,
      bootOrder: 1,
      backend: { kind: 'tap', tapName: 'tap0', queues: 4 },
      guestPciAddress: '0000:00:05.0',
      acpiIndex: 3,
    }),
    nic({
      name: 'mvt',
      model: 'e1000',
      mac: '02:00:00:00:00:02',
      backend: { kind: 'macvtap', device: 'mvt0', parent: 'net1', mode: 'vepa', queues: 1 },
      linkState: 'down',
      guestConfig: {
        kind: 'static',
        config: {
          addresses: ['10.1.0.5/24', 'fd00:1::5/64'],
          gateway4: '10.1.0.1',
          gateway6: 'fd00:1::1',
          routes: [{ destination: '192.168.0.0/16', gateway: '10.1.0.254' }],
          dnsServers: ['10.1.0.1'],
          searchDomains: ['example.test'],
        },
      },
    }),
    nic({
      name: 'slirp',
      model: 'rtl8139',
      mac: '02:00:00:00:00:03',
      backend: {
        kind: 'user',
        netCidr: '10.0.2.0/24',
        dnsSearch: ['default.svc.cluster.local', 'svc.cluster.local'],
        hostfwd: [
          { protocol: 'TCP', port: 80 },
          { protocol: 'UDP', port: 53 },
        ],
      },
    }),
    nic({
      name: 'passt',
      model: 'e1000e',
      mac: '02:00:00:00:00:04',
      bootOrder: 2,
      backend: {
        kind: 'passt',
        socketPath: '/run/virtnet/vm1/passt.sock',
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
    }),
    nic({
      name: 'sriov',
      mac: '02:00:00:00:00:06',
      backend: { kind: 'hostdev', hostPciAddress: '0000:3b:02.1' },
      guestPciAddress: '0000:00:0a.0',
      bootOrder: 3,
      guestConfig: { kind: 'none' },
    }),
  ];
}

/** A kernel-booted machine with the given NICs. */
export function machine(nics: VmNic[], over: Partial<VmMachine> = {}): VmMachine {
  return {
    name: 'vm1',
    memoryMiB: 256,
    vcpus: 4,
    accel: 'tcg',
    boot: {
      kind: 'kernel',
      kernelPath: '/var/cache/virtnet/guest/vmlinuz',
      initrdPath: '/var/cache/virtnet/guest/initrd.img',
      cmdline: 'console=ttyS0 quiet',
    },
    nics,
    ...over,
  };
}
