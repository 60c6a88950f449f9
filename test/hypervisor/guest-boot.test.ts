// Real guests under QEMU (TCG here): the virtnet guest boots with virtio (4 vCPUs, 4 queues), e1000
// (plus a second NIC configured statically from a cloud-init seed) and rtl8139 NICs, gets DHCP leases
// from dnsmasq on a bridge in a test namespace, reports each NIC on the console, serves HTTP and echo,
// and powers off cleanly through QMP. The three VMs boot in parallel, once, with several checks each.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCidataIso } from '../../src/hypervisor/cloud-init-iso.js';
import { buildNoCloudFiles } from '../../src/hypervisor/cloud-init.js';
import type { GuestNicReport } from '../../src/hypervisor/guest-console.js';
import { ensureGuest } from '../../src/hypervisor/guest/build-guest.js';
import { guestBoot } from '../../src/hypervisor/guest/guest-boot.js';
import { chooseAccel } from '../../src/hypervisor/host-facts.js';
import { type RunningVm, type VmExit, startVm } from '../../src/hypervisor/vm-runner.js';
import { needsRoot, sandbox } from '../support/sandbox.js';
import { addTap, inNetns, startLan } from './lan.js';
import { nic } from './machines.js';

const BOOT_TIMEOUT_MS = 120_000;
const isReport = (e: { kind: string }): e is { kind: 'ready'; nics: number; uptimeSeconds: number } =>
  e.kind === 'ready';

describe('virtnet guest on real QEMU', { skip: needsRoot(), timeout: 240_000 }, () => {
  let netns = '';
  const vms: Record<string, RunningVm> = {};
  const reports: Record<string, GuestNicReport> = {};
  const exits: Record<string, VmExit> = {};
  const macs = {
    virtio: '52:54:00:0a:00:01',
    e1000: '52:54:00:0a:00:02',
    e1000Static: '52:54:00:0a:00:12',
    rtl8139: '52:54:00:0a:00:03',
  };

  // The sandbox lives for the whole suite: its cleanup runs after the last test.
  let cleanup: () => unknown = () => undefined;
  after(() => cleanup());

  before(async () => {
    const sb = sandbox({
      after: (fn) => {
        cleanup = fn as () => unknown;
      },
    });
    const image = await ensureGuest();
    netns = await sb.netns('lan');
    startLan(
      sb,
      netns,
      '10.77.0',
      [
        '--dhcp-option=6,10.77.0.1,10.77.0.2',
        '--dhcp-option=119,virtnet.test,svc.virtnet.test',
        '--dhcp-option=26,1400',
        '--dhcp-option=66,tftp.virtnet.test',
        '--dhcp-option=67,pxelinux.0',
      ],
      'fd00:77::',
    );
    addTap(netns, 'tapv', true);
    addTap(netns, 'tape');
    addTap(netns, 'tape2');
    addTap(netns, 'tapr');
    const accel = chooseAccel().accel;
    const seedIso = join(sb.dir, 'seed.iso');
    const staticNic = nic({
      name: 'net2',
      model: 'e1000',
      mac: macs.e1000Static,
      backend: { kind: 'tap', tapName: 'tape2', queues: 1 },
      guestConfig: {
        kind: 'static',
        config: {
          addresses: ['10.77.0.200/24'],
          routes: [],
          dnsServers: ['10.77.0.1'],
          searchDomains: ['static.test'],
        },
      },
    });
    const e1000Nics = [
      nic({
        name: 'default',
        model: 'e1000',
        mac: macs.e1000,
        backend: { kind: 'tap', tapName: 'tape', queues: 1 },
      }),
      staticNic,
    ];
    await writeCidataIso(
      buildNoCloudFiles({ instanceId: 'vm-e1000', hostname: 'vm-e1000', nics: e1000Nics }),
      seedIso,
    );
    const machines = {
      virtio: {
        vcpus: 4,
        nics: [
          nic({
            name: 'default',
            mac: macs.virtio,
            mtuBytes: 1400,
            backend: { kind: 'tap', tapName: 'tapv', queues: 4 },
          }),
        ],
      },
      e1000: { vcpus: 1, nics: e1000Nics, cloudInitIsoPath: seedIso },
      rtl8139: {
        vcpus: 1,
        nics: [
          nic({
            name: 'default',
            model: 'rtl8139',
            mac: macs.rtl8139,
            backend: { kind: 'tap', tapName: 'tapr', queues: 1 },
          }),
        ],
      },
    };
    await Promise.all(
      Object.entries(machines).map(async ([name, m]) => {
        const vm = await startVm({
          netns,
          runDir: join(sb.dir, name),
          host: { vhostNet: false },
          machine: {
            name: `vm-${name}`,
            memoryMiB: 160,
            accel,
            boot: guestBoot(image, { hostname: `vm-${name}` }),
            ...m,
          },
        });
        sb.trackPid(vm.pid);
        vms[name] = vm;
      }),
    );
    const ready = await Promise.all(Object.values(vms).map((vm) => vm.waitFor(isReport, BOOT_TIMEOUT_MS)));
    console.log(`guests ready after ${ready.map((r) => r.uptimeSeconds).join(', ')} s of guest uptime`);
    // A lease may come after READY (a first round without an answer is reported as failed).
    const dhcpMacs: Record<string, string[]> = {
      virtio: [macs.virtio],
      e1000: [macs.e1000],
      rtl8139: [macs.rtl8139],
    };
    for (const [name, vm] of Object.entries(vms)) {
      await vm.waitForNics(dhcpMacs[name]!, BOOT_TIMEOUT_MS, (r) => r.dhcp === 'bound');
      for (const r of vm.nics.values()) reports[r.mac === macs.e1000Static ? 'e1000Static' : name] = r;
    }
  });

  for (const [model, driver] of [
    ['virtio', 'virtio_net'],
    ['e1000', 'e1000'],
    ['rtl8139', /^8139(cp|too)$/],
  ] as const) {
    test(`${model}: the guest gets a DHCP lease and reports it on the console`, () => {
      const r = reports[model]!;
      assert.ok(r, `no report for ${model}`);
      assert.equal(r.mac, macs[model]);
      assert.equal(r.dhcp, 'bound');
      assert.match(r.ipv4 ?? '', /^10\.77\.0\.([5-9]\d)\/24$/);
      assert.equal(r.gateway4, '10.77.0.1');
      assert.deepEqual(r.dns, ['10.77.0.1', '10.77.0.2']);
      assert.deepEqual(r.search, ['virtnet.test', 'svc.virtnet.test']);
      assert.equal(r.mtuBytes, 1400);
      // Options 66/67 reach the DHCP client.
      assert.equal(r.tftpServer, 'tftp.virtnet.test');
      assert.equal(r.bootFile, 'pxelinux.0');
      if (typeof driver === 'string') assert.equal(r.driver, driver);
      else assert.match(r.driver ?? '', driver);
      assert.match(r.pci ?? '', /^0000:00:[0-9a-f]{2}\.0$/);
    });

    test(`${model}: HTTP on port 80 names the address; TCP echo on port 7`, () => {
      const address = reports[model]!.ipv4!.split('/')[0]!;
      const page = inNetns(netns, ['nc', '-N', '-w', '5', address, '80'], 'GET / HTTP/1.0\r\n\r\n');
      assert.match(page, /^HTTP\/1\.[01] 200/);
      assert.ok(page.includes(`ipv4=${address}/24`), page);
      assert.equal(
        inNetns(netns, ['nc', '-N', '-w', '5', address, '7'], `echo-${model}\n`),
        `echo-${model}\n`,
      );
    });
  }

  test('IPv6: managed RA + DHCPv6 give the guest its address (IA_NA) and a default route, reported again', async () => {
    const [r] = await vms.virtio!.waitForNics([macs.virtio], 40_000, (n) => n.ipv6.length > 0);
    assert.equal(r!.ipv6.length, 1);
    assert.match(r!.ipv6[0]!, /^fd00:77::1[0-9a-f]{2}\/128$/);
    assert.equal(
      inNetns(netns, ['nc', '-N', '-w', '5', r!.ipv6[0]!.split('/')[0]!, '7'], 'over ipv6\n'),
      'over ipv6\n',
    );
    assert.match(r!.gateway6 ?? '', /^fe80::/);
    assert.equal(r!.ipv4, reports.virtio!.ipv4, 'the IPv4 lease is still in the line');
  });

  test('multiqueue: the virtio guest with 4 vCPUs uses 4 queues', () => {
    assert.equal(reports.virtio!.queues, 4);
    assert.equal(reports.e1000!.queues, 1);
  });

  test('cloud-init seed: the second e1000 NIC gets its static address by MAC and answers', () => {
    const r = reports.e1000Static!;
    assert.equal(r.dhcp, 'static');
    assert.equal(r.ipv4, '10.77.0.200/24');
    assert.deepEqual(r.search, ['static.test']);
    assert.equal(inNetns(netns, ['nc', '-N', '-w', '5', '10.77.0.200', '7'], 'static\n'), 'static\n');
  });

  test('the runner wrote the QEMU command and a valid libvirt XML next to it', () => {
    const vm = vms.virtio!;
    const argv = JSON.parse(readFileSync(vm.files.qemuArgv, 'utf8')) as string[];
    assert.ok(argv.includes('tap,id=hostua-default,ifname=tapv,script=no,downscript=no,queues=4,vhost=off'));
    const v = spawnSync('virt-xml-validate', [vm.files.domainXml, 'domain'], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.match(readFileSync(vm.files.consoleLog, 'utf8'), /VIRTNET-NIC name=eth0/);
  });

  test('stop: ACPI power-off ends every QEMU cleanly', async () => {
    await Promise.all(
      Object.entries(vms).map(async ([name, vm]) => {
        exits[name] = await vm.stop({ graceMs: 20_000 });
      }),
    );
    for (const [name, e] of Object.entries(exits)) {
      assert.deepEqual([e.code, e.signal], [0, null], `${name}: ${e.stderrTail}`);
      assert.match(readFileSync(vms[name]!.files.consoleLog, 'utf8'), /VIRTNET-POWEROFF/);
    }
    assert.ok(existsSync(vms.virtio!.files.consoleLog));
  });
});
