import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { everyBackendNics, machine, nic } from '../../test/hypervisor/machines.js';
import { buildDomainXml } from './domain-xml.js';
import type { VmMachine } from './vm-machine.js';

const host = { vhostNet: true };

function validate(xml: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'vnxml-'));
  try {
    const file = join(dir, 'domain.xml');
    writeFileSync(file, xml);
    const r = spawnSync('virt-xml-validate', [file, 'domain'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `virt-xml-validate rejected:\n${r.stderr}${r.stdout}\n${xml}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const machines: [string, VmMachine][] = [
  [
    'every backend, kernel boot',
    machine(everyBackendNics(), {
      serialLogPath: '/run/virtnet/vm1/console.log',
      uuid: '0b8b4a8e-7a2e-4d43-9a7c-7bd1bb0a2c11',
    }),
  ],
  [
    'disk boot with cloud-init, kvm',
    machine([nic({ name: 'default', backend: { kind: 'tap', tapName: 'tap0', queues: 1 } })], {
      accel: 'kvm',
      boot: { kind: 'disk', diskPath: '/images/vm.qcow2', format: 'qcow2' },
      cloudInitIsoPath: '/run/vm1/cidata.iso',
    }),
  ],
  ['no NICs', machine([])],
  [
    'slirp only',
    machine([
      nic({ name: 'slirp', backend: { kind: 'user', netCidr: '10.0.2.0/24', dnsSearch: [], hostfwd: [] } }),
    ]),
  ],
];

for (const [name, m] of machines) {
  test(`domain XML passes virt-xml-validate: ${name}`, () => validate(buildDomainXml(m, { host })));
}

test('tap NIC: ethernet + unmanaged target, model, mac, mtu, vhost queues, boot order, address, acpi, alias', () => {
  const xml = buildDomainXml(machine(everyBackendNics()), { host });
  const tap = /<interface type="ethernet">[\s\S]*?<\/interface>/.exec(xml)?.[0] ?? '';
  for (const part of [
    '<mac address="0a:58:0a:f4:00:05"/>',
    '<target dev="tap0" managed="no"/>',
    '<model type="virtio"/>',
    '<driver name="vhost" queues="4"/>',
    '<mtu size="1450"/>',
    '<link state="up"/>',
    '<boot order="1"/>',
    '<alias name="ua-default"/>',
    '<address type="pci" domain="0x0000" bus="0x00" slot="0x05" function="0x0"/>',
    '<acpi index="3"/>',
  ]) {
    assert.ok(tap.includes(part), `missing ${part} in\n${tap}`);
  }
  assert.ok(!tap.includes('<rom'), 'a NIC with a boot order keeps its ROM');
});

test('macvtap is type=direct with mode, link down, ROM disabled without boot order; single queue for e1000', () => {
  const xml = buildDomainXml(machine(everyBackendNics()), { host: { vhostNet: false } });
  const el = /<interface type="direct">[\s\S]*?<\/interface>/.exec(xml)?.[0] ?? '';
  assert.match(el, /<source dev="net1" mode="vepa"\/>/);
  assert.match(el, /<target dev="mvt0" managed="no"\/>/);
  assert.match(el, /<driver name="qemu"\/>/);
  assert.match(el, /<link state="down"\/>/);
  assert.match(el, /<rom enabled="no"\/>/);
});

test('passt is type=user with the passt backend and the declared port forwards', () => {
  const xml = buildDomainXml(machine(everyBackendNics()), { host });
  const el = /<interface type="user">[\s\S]*?<\/interface>/.exec(xml)?.[0] ?? '';
  assert.match(el, /<backend type="passt"\/>/);
  assert.match(el, /<portForward proto="tcp">\s*<range start="8080"\/>\s*<\/portForward>/);
  assert.match(el, /<model type="e1000e"\/>/);
});

test('SR-IOV is an unmanaged vfio hostdev with host and guest addresses and boot order', () => {
  const xml = buildDomainXml(machine(everyBackendNics()), { host });
  const el = /<hostdev [\s\S]*?<\/hostdev>/.exec(xml)?.[0] ?? '';
  assert.match(el, /mode="subsystem" type="pci" managed="no"/);
  assert.match(
    el,
    /<source>\s*<address domain="0x0000" bus="0x3b" slot="0x02" function="0x1"\/>\s*<\/source>/,
  );
  assert.match(el, /<boot order="3"\/>/);
  assert.match(el, /<alias name="ua-sriov"\/>/);
  assert.match(el, /slot="0x0a"/);
});

test('slirp goes through qemu:commandline with exactly the declared hostfwd ports', () => {
  const xml = buildDomainXml(machine(everyBackendNics()), { host });
  assert.match(xml, /xmlns:qemu="http:\/\/libvirt.org\/schemas\/domain\/qemu\/1.0"/);
  const args = [...xml.matchAll(/<qemu:arg value="([^"]*)"\/>/g)].map((m) => m[1]);
  assert.deepEqual(args.slice(0, 2), [
    '-netdev',
    'user,id=hostua-slirp,net=10.0.2.0/24,dnssearch=default.svc.cluster.local,dnssearch=svc.cluster.local,hostfwd=tcp::80-:80,hostfwd=udp::53-:53',
  ]);
  assert.equal(args[2], '-device');
  assert.match(args[3]!, /^rtl8139,netdev=hostua-slirp,mac=02:00:00:00:00:03,id=ua-slirp,romfile=$/);
});

test('whole domain: memory, vcpus, kernel boot, serial console to a file', () => {
  const xml = buildDomainXml(machine([], { serialLogPath: '/tmp/c.log' }), { host });
  assert.match(xml, /<domain type="qemu">/);
  assert.match(xml, /<memory unit="MiB">256<\/memory>/);
  assert.match(xml, /<vcpu placement="static">4<\/vcpu>/);
  assert.match(xml, /<kernel>\/var\/cache\/virtnet\/guest\/vmlinuz<\/kernel>/);
  assert.match(xml, /<cmdline>console=ttyS0 quiet<\/cmdline>/);
  assert.match(xml, /<serial type="file">\s*<source path="\/tmp\/c.log"\/>/);
});

test('disk boot: the disk boots after every NIC with a boot order; seed disk is read-only', () => {
  const m = machine([nic({ name: 'a', bootOrder: 2, backend: { kind: 'tap', tapName: 't', queues: 1 } })], {
    boot: { kind: 'disk', diskPath: '/d.raw', format: 'raw' },
    cloudInitIsoPath: '/seed.iso',
  });
  const xml = buildDomainXml(m, { host });
  assert.match(xml, /<source file="\/d.raw"\/>\s*<target dev="vda" bus="virtio"\/>\s*<boot order="3"\/>/);
  assert.match(xml, /<source file="\/seed.iso"\/>\s*<target dev="vdb" bus="virtio"\/>\s*<readonly\/>/);
});

test('names with XML specials are escaped, not concatenated', () => {
  const xml = buildDomainXml(machine([], { name: 'a<b>&"c' }), { host });
  assert.match(xml, /<name>a&lt;b&gt;&amp;"c<\/name>/);
});

test('a bad guest PCI address names the field', () => {
  assert.throws(
    () =>
      buildDomainXml(
        machine([
          nic({ name: 'x', guestPciAddress: '00:05.0', backend: { kind: 'tap', tapName: 't', queues: 1 } }),
        ]),
        { host },
      ),
    (e: unknown) =>
      (e as { code: string; detail: { field: string } }).code === 'PCI_ADDRESS_INVALID' &&
      (e as { detail: { field: string } }).detail.field === 'nics[0].guestPciAddress',
  );
});
