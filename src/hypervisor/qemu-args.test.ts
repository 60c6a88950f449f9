import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { everyBackendNics, machine, nic } from '../../test/hypervisor/machines.js';
import { buildQemuArgs } from './qemu-args.js';
import { connectQmpWhenListening } from './vm-runner.js';

const host = { vhostNet: false };
const options = { host, qmpSocketPath: '/run/vm1/qmp.sock', macvtapFds: { mvt: [3] } };

function valuesOf(argv: string[], flag: string): string[] {
  return argv.flatMap((a, i) => (argv[i - 1] === flag ? [a] : []));
}

test('every backend maps to its -netdev and -device', () => {
  const argv = buildQemuArgs(machine(everyBackendNics()), options);
  const netdevs = valuesOf(argv, '-netdev');
  const devices = valuesOf(argv, '-device');
  assert.deepEqual(netdevs, [
    'tap,id=hostua-default,ifname=tap0,script=no,downscript=no,queues=4,vhost=off',
    'tap,id=hostua-mvt,fd=3,vhost=off',
    'user,id=hostua-slirp,net=10.0.2.0/24,dnssearch=default.svc.cluster.local,dnssearch=svc.cluster.local,hostfwd=tcp::80-:80,hostfwd=udp::53-:53',
    'stream,id=hostua-passt,server=off,addr.type=unix,addr.path=/run/virtnet/vm1/passt.sock',
  ]);
  // Devices with fixed addresses come first (the tap NIC and the VF), then the rest in spec order.
  assert.deepEqual(devices, [
    'virtio-net-pci,netdev=hostua-default,mac=0a:58:0a:f4:00:05,id=ua-default,bootindex=1,addr=05.0,acpi-index=3,mq=on,vectors=10,host_mtu=1450',
    'vfio-pci,host=0000:3b:02.1,id=ua-sriov,bootindex=3,addr=0a.0',
    'e1000,netdev=hostua-mvt,mac=02:00:00:00:00:02,id=ua-mvt,romfile=',
    'rtl8139,netdev=hostua-slirp,mac=02:00:00:00:00:03,id=ua-slirp,romfile=',
    'e1000e,netdev=hostua-passt,mac=02:00:00:00:00:04,id=ua-passt,bootindex=2',
  ]);
});

test('machine: accelerator, memory, vCPUs, kernel boot, console on stdio, QMP', () => {
  const argv = buildQemuArgs(machine([]), { host, qmpSocketPath: '/q.sock', consoleLogPath: '/c,1.log' });
  assert.deepEqual(valuesOf(argv, '-accel'), ['tcg']);
  assert.deepEqual(valuesOf(argv, '-m'), ['256M']);
  assert.deepEqual(valuesOf(argv, '-smp'), ['4']);
  assert.deepEqual(valuesOf(argv, '-kernel'), ['/var/cache/virtnet/guest/vmlinuz']);
  assert.deepEqual(valuesOf(argv, '-append'), ['console=ttyS0 quiet']);
  assert.deepEqual(valuesOf(argv, '-chardev'), ['stdio,id=console0,signal=off,logfile=/c,,1.log']);
  assert.deepEqual(valuesOf(argv, '-qmp'), ['unix:/q.sock,server=on,wait=off']);
  assert.ok(!argv.includes('-cpu'));
  const kvm = buildQemuArgs(machine([], { accel: 'kvm' }), { host });
  assert.deepEqual(valuesOf(kvm, '-cpu'), ['host']);
});

test('vhost only when the host has vhost-net; multiqueue only for virtio', () => {
  const tap = (model: 'virtio' | 'e1000') =>
    nic({ name: 'n', model, backend: { kind: 'tap', tapName: 'tap1', queues: 2 } });
  const withVhost = buildQemuArgs(machine([tap('virtio')]), { host: { vhostNet: true } });
  assert.match(valuesOf(withVhost, '-netdev')[0]!, /queues=2,vhost=on$/);
  const e1000 = buildQemuArgs(machine([tap('e1000')]), { host });
  assert.equal(
    valuesOf(e1000, '-netdev')[0],
    'tap,id=hostua-n,ifname=tap1,script=no,downscript=no,vhost=off',
  );
  assert.doesNotMatch(valuesOf(e1000, '-device')[0]!, /mq=/);
});

test('multiqueue macvtap takes one fd per queue', () => {
  const m = machine([
    nic({
      name: 'm',
      backend: { kind: 'macvtap', device: 'mvt1', parent: 'eth0', mode: 'bridge', queues: 2 },
    }),
  ]);
  assert.equal(
    valuesOf(buildQemuArgs(m, { host, macvtapFds: { m: [3, 4] } }), '-netdev')[0],
    'tap,id=hostua-m,fds=3:4,vhost=off',
  );
  assert.throws(() => buildQemuArgs(m, { host, macvtapFds: { m: [3] } }), {
    code: 'QEMU_MACVTAP_FD_MISSING',
  });
});

test('igb is refused with a clear error on QEMU 7.2; PCI bus other than 0 is refused', () => {
  const igb = machine([nic({ name: 'x', model: 'igb', backend: { kind: 'tap', tapName: 't', queues: 1 } })]);
  assert.throws(
    () => buildQemuArgs(igb, { host }),
    (e: unknown) =>
      (e as { code: string }).code === 'QEMU_NIC_MODEL_UNSUPPORTED' &&
      /igb needs QEMU 8.0/.test((e as Error).message),
  );
  assert.doesNotThrow(() => buildQemuArgs(igb, { host, availableDevices: ['igb'] }));
  const bus1 = machine([
    nic({ name: 'x', guestPciAddress: '0000:01:00.0', backend: { kind: 'tap', tapName: 't', queues: 1 } }),
  ]);
  assert.throws(() => buildQemuArgs(bus1, { host }), { code: 'QEMU_PCI_BUS_UNSUPPORTED' });
});

test('disk boot puts the disk after NIC boot orders; the seed ISO is a read-only drive', () => {
  const m = machine([nic({ name: 'a', bootOrder: 1, backend: { kind: 'tap', tapName: 't', queues: 1 } })], {
    boot: { kind: 'disk', diskPath: '/img.qcow2', format: 'qcow2' },
    cloudInitIsoPath: '/seed.iso',
  });
  const argv = buildQemuArgs(m, { host });
  assert.deepEqual(valuesOf(argv, '-drive'), [
    'file=/img.qcow2,format=qcow2,if=none,id=disk0',
    'file=/seed.iso,format=raw,if=none,id=cidata,readonly=on',
  ]);
  assert.ok(valuesOf(argv, '-device').includes('virtio-blk-pci,drive=disk0,id=ua-disk0,bootindex=2'));
});

test('QEMU 7.2 accepts the generated arguments for every emulated model and slirp', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vnqemu-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const models = ['virtio', 'e1000', 'e1000e', 'rtl8139', 'ne2k_pci', 'pcnet'] as const;
  const nics = models.map((model, i) =>
    nic({
      name: `n${i}`,
      model,
      mac: `02:00:00:00:01:0${i}`,
      bootOrder: i === 0 ? 1 : undefined,
      guestPciAddress: i === 1 ? '0000:00:07.0' : undefined,
      backend: {
        kind: 'user',
        netCidr: `10.0.${i}.0/24`,
        dnsSearch: ['a.test'],
        hostfwd: [{ protocol: 'TCP', port: 18080 + i }],
      },
    }),
  );
  const qmpPath = join(dir, 'qmp.sock');
  const disk = join(dir, 'empty.raw');
  writeFileSync(disk, Buffer.alloc(512));
  const argv = buildQemuArgs(
    machine(nics, { vcpus: 1, memoryMiB: 64, boot: { kind: 'disk', diskPath: disk, format: 'raw' } }),
    { host, qmpSocketPath: qmpPath },
  );
  const child = spawn(argv[0]!, [...argv.slice(1), '-S'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const up = await Promise.race([
      (async () => {
        while (!existsSync(qmpPath)) await new Promise((r) => setTimeout(r, 20));
        return true;
      })(),
      exited.then(() => false),
    ]);
    assert.ok(up, `QEMU refused the arguments: ${stderr}`);
    // The greeting comes once every device exists; the guest sees each NIC where the arguments put it.
    // The socket file appears a moment before QEMU listens: the runner's connect retries that.
    const qmp = await connectQmpWhenListening(qmpPath, exited, 15_000);
    const pci = (await qmp.execute('query-pci')) as { devices: { slot: number; qdev_id: string }[] }[];
    qmp.close();
    const ids = pci[0]!.devices.map((d) => d.qdev_id);
    for (let i = 0; i < models.length; i++)
      assert.ok(ids.includes(`ua-n${i}`), `ua-n${i} in ${ids.join(' ')}`);
    assert.equal(pci[0]!.devices.find((d) => d.qdev_id === 'ua-n1')?.slot, 7);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
});
