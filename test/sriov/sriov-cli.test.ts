// `virtnet plan` for a VM with masquerade + SR-IOV (examples/sriov-masquerade.yaml): the launcher
// discovers SR-IOV from its environment (VIRTNET_NETWORK_STATUS, PCIDEVICE_*, VIRTNET_SYSFS_ROOT →
// a synthetic sysfs tree here) and prints the PF pin, the vfio-pci steps and the hostdev NIC.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { needsRoot, sandbox } from '../support/sandbox.js';
import { fakeSysfs, snapshot } from './fake-sysfs.js';

const root = new URL('../..', import.meta.url).pathname;

test('virtnet plan: masquerade + SR-IOV from environment discovery', { skip: needsRoot() }, async (t) => {
  const sb = sandbox(t);
  const ns = await sb.netns('pod');
  spawnSync('ip', ['-n', ns, '-batch', '-'], {
    input: 'link add eth0 type veth peer name x0\naddr add 10.1.1.2/24 dev eth0\nlink set eth0 up\n',
  });
  const tree = fakeSysfs({
    pf: { address: '0000:3b:00.0', driver: 'ixgbe', netdev: 'enp59s0f0' },
    vfs: [{ address: '0000:3b:10.3', index: 1, driver: 'ixgbevf', iommuGroup: '71' }],
  });
  t.after(tree.cleanup);
  const before = snapshot(tree.root);
  const networkStatus = [
    { name: 'k8s-pod-network', interface: 'eth0', ips: ['10.1.1.2'], default: true },
    {
      name: 'default/sriov-net-crd',
      interface: 'net1',
      ips: ['192.168.50.7'],
      mac: 'de:ad:00:00:be:af',
      gateway: ['192.168.50.1'],
    },
  ];
  const env = {
    PATH: process.env.PATH,
    VIRTNET_SYSFS_ROOT: tree.root,
    VIRTNET_NETWORK_STATUS: JSON.stringify(networkStatus),
    // No device-info: the device plugin's allocation is the fallback.
    PCIDEVICE_INTEL_COM_INTEL_SRIOV_NETDEVICE: '0000:3b:10.3',
  };
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'plan',
      '--netns',
      ns,
      '-o',
      'json',
      'examples/sriov-masquerade.yaml',
    ],
    { cwd: root, env, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const plan = JSON.parse(r.stdout) as {
    interfaces: {
      name: string;
      binding: string;
      steps: { kind: string; argv?: string[]; path?: string }[];
      nic: Record<string, unknown>;
    }[];
  };
  const sriov = plan.interfaces.find((i) => i.binding === 'sriov')!;
  assert.deepEqual(sriov.steps[0]!.argv, [
    'ip',
    'link',
    'set',
    'enp59s0f0',
    'vf',
    '1',
    'mac',
    'de:ad:00:00:be:af',
  ]);
  assert.deepEqual(
    sriov.steps.slice(1).map((s) => s.path!.slice(tree.root.length)),
    [
      '/bus/pci/drivers/ixgbevf/unbind',
      '/bus/pci/devices/0000:3b:10.3/driver_override',
      '/bus/pci/drivers_probe',
    ],
  );
  assert.deepEqual(sriov.nic.backend, { kind: 'hostdev', hostPciAddress: '0000:3b:10.3' });
  assert.equal(sriov.nic.guestPciAddress, '0000:00:06.0');
  assert.deepEqual(sriov.nic.guestConfig, {
    kind: 'static',
    config: {
      addresses: ['192.168.50.7/32'],
      routes: [],
      dnsServers: [],
      searchDomains: [],
      gateway4: '192.168.50.1',
    },
  });
  assert.ok(plan.interfaces.some((i) => i.binding === 'masquerade'));
  // `plan` changes nothing.
  assert.deepEqual(snapshot(tree.root), before);
});
