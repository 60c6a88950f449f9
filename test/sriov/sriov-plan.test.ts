// SR-IOV end to end as far as this kernel allows: a synthetic sysfs tree + Multus network-status (or
// the device plugin's PCIDEVICE_* env) → discovery → plan. The plan's PF command and vfio-pci sysfs
// writes are checked exactly and applied/undone against the tree; the VM NIC becomes valid libvirt
// XML (virt-xml-validate) and cloud-init network-config (cloud-init devel net-convert, no warnings).
// Every refusal (missing/ambiguous VF, not a VF, wrong driver, no IOMMU, VF in use, no vfio-pci)
// names the field and leaves the tree untouched.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { stringify } from 'yaml';
import { netConvert } from '../support/cloud-init-convert.js';
import type { VmSpec } from '../../src/api/types.js';
import { DEFAULT_CLUSTER_CONFIG } from '../../src/api/types.js';
import type { BindingContext, DiscoveredInterface, InterfacePlan } from '../../src/bindings/plan-types.js';
import { planSriov } from '../../src/bindings/sriov/index.js';
import { isVirtnetError } from '../../src/errors/virtnet-error.js';
import { discoverSriov, discoverSriovForVm, type SriovDiscovery } from '../../src/host/sriov-discovery.js';
import { planVmNetwork } from '../../src/bindings/planner.js';
import type { NetworkStatusEntry } from '../../src/host/sriov-device-info.js';
import { parsePfVfConfig } from '../../src/host/sriov-pf.js';
import { readVfioHostState } from '../../src/host/sriov-sysfs.js';
import { buildDomainXml } from '../../src/hypervisor/domain-xml.js';
import { networkConfigV1 } from '../../src/hypervisor/cloud-init.js';
import { nicDeviceArg } from '../../src/hypervisor/qemu-args.js';
import { machine } from '../hypervisor/machines.js';
import { fakeSysfs, snapshot, type FakeHost } from './fake-sysfs.js';

const VF = '0000:18:02.5';
const PF = '0000:18:00.0';
const MAC = '0a:c3:47:9e:2b:11';

function host(over: Partial<FakeHost> = {}): FakeHost {
  return {
    pf: { address: PF, driver: 'i40e', netdev: 'ens785f0' },
    vfs: [
      { address: '0000:18:02.4', index: 4, driver: 'iavf', iommuGroup: '44' },
      { address: VF, index: 5, driver: 'iavf', iommuGroup: '45' },
    ],
    ...over,
  };
}

function vm(extra: Partial<VmSpec['interfaces'][number]> = {}): VmSpec {
  return {
    kind: 'VirtualMachineInstance',
    name: 'vm-s',
    namespace: 'default',
    networks: [
      { name: 'default', source: { kind: 'pod' } },
      { name: 'sriov', source: { kind: 'multus', networkName: 'sriov-net', default: false } },
    ],
    interfaces: [
      { name: 'default', binding: 'masquerade', model: 'virtio', ports: [], state: 'up' },
      {
        name: 'sriov',
        binding: 'sriov',
        model: 'virtio',
        ports: [],
        state: 'up',
        bootOrder: 2,
        pciAddress: '0000:00:0a.0',
        ...extra,
      },
    ],
    networkInterfaceMultiqueue: false,
    autoattachPodInterface: true,
    vcpus: 2,
  };
}

function status(deviceInfo = true): NetworkStatusEntry[] {
  return [
    { name: 'kindnet', interface: 'eth0', ips: ['10.244.1.5'], default: true, dns: {} },
    {
      name: 'default/sriov-net',
      interface: 'net1',
      ips: ['10.56.217.171'],
      mac: MAC,
      dns: { nameservers: ['10.56.217.1'], search: ['lab.example'] },
      ...(deviceInfo ? { 'device-info': { type: 'pci', version: '1.1.0', pci: { 'pci-address': VF } } } : {}),
    },
  ];
}

const net1: DiscoveredInterface = {
  name: 'net1',
  index: 7,
  kind: '',
  mac: MAC,
  mtuBytes: 9000,
  up: true,
  addresses: [{ family: 4, address: '10.56.217.171', prefixLength: 24, scope: 'global', flags: [] }],
  routes: [{ family: 4, destination: '10.56.0.0/16', gateway: '10.56.217.1', device: 'net1', flags: [] }],
  pciAddress: VF,
  driver: 'iavf',
};

/** What `ip -j -d link show dev ens785f0` prints for the PF (IFLA_VFINFO_LIST), trimmed to the VF part. */
const PF_IP_JSON = JSON.stringify([
  {
    ifindex: 4,
    ifname: 'ens785f0',
    vfinfo_list: [
      {
        vf: 4,
        link_type: 'ether',
        address: '00:00:00:00:00:00',
        spoofchk: true,
        link_state: 'auto',
        trust: false,
      },
      {
        vf: 5,
        link_type: 'ether',
        address: MAC.toUpperCase(),
        vlan_list: [{ vlan: 100 }],
        spoofchk: true,
        link_state: 'auto',
        trust: false,
      },
    ],
  },
]);

async function discover(
  t: TestContext,
  h: FakeHost,
  options: { entries?: NetworkStatusEntry[]; env?: Record<string, string> } = {},
): Promise<{ sriov: SriovDiscovery; root: string }> {
  const { root, cleanup } = fakeSysfs(h);
  t.after(cleanup);
  const sriov = await discoverSriov({
    sysfsRoot: root,
    networkStatus: options.entries ?? status(),
    env: options.env ?? {},
    readVfConfig: (pf, vf) =>
      Promise.resolve(pf === 'ens785f0' ? parsePfVfConfig(JSON.parse(PF_IP_JSON), vf) : undefined),
  });
  return { sriov, root };
}

function ctxFor(spec: VmSpec, sriov: SriovDiscovery): BindingContext {
  return {
    vm: spec,
    cluster: DEFAULT_CLUSTER_CONFIG,
    pod: {
      netns: 'pod',
      interfaces: [net1],
      dns: { nameservers: [], search: [], options: [], source: 'none' },
    },
    interfaceIndex: 1,
    fieldPath: 'spec.domain.devices.interfaces[1]',
    sriov,
  };
}

/** Plans interface 1; `withPodNetdev: false` is a VF with no netdev in the pod (device plugin in vfio mode). */
function plan(spec: VmSpec, sriov: SriovDiscovery, withPodNetdev = true): InterfacePlan {
  return planSriov(
    spec.interfaces[1]!,
    spec.networks[1]!,
    withPodNetdev ? net1 : undefined,
    ctxFor(spec, sriov),
    sriov,
  );
}

test('sriov: device-info VF → PF pin, vfio-pci rebind, hostdev NIC, cloud-init network-config', async (t) => {
  const { sriov, root } = await discover(t, host());
  const p = plan(vm(), sriov);
  const drivers = `${root}/bus/pci/drivers`;
  assert.deepEqual(
    p.steps.map((s) => ({ ...s, summary: undefined })),
    [
      {
        id: 'sriov/pf-vf-config',
        phase: 'network',
        summary: undefined,
        kind: 'host.command',
        argv: ['ip', 'link', 'set', 'ens785f0', 'vf', '5', 'mac', MAC, 'vlan', '100'],
      },
      {
        id: 'sriov/vf-unbind',
        phase: 'network',
        summary: undefined,
        kind: 'sysfs.write',
        path: `${drivers}/iavf/unbind`,
        value: VF,
        restorePath: `${drivers}/iavf/bind`,
        restoreValue: VF,
      },
      {
        id: 'sriov/vf-driver-override',
        phase: 'network',
        summary: undefined,
        kind: 'sysfs.write',
        path: `${root}/bus/pci/devices/${VF}/driver_override`,
        value: 'vfio-pci',
        restoreValue: '\n',
      },
      {
        id: 'sriov/vf-bind-vfio',
        phase: 'network',
        summary: undefined,
        kind: 'sysfs.write',
        path: `${root}/bus/pci/drivers_probe`,
        value: VF,
        restorePath: `${drivers}/vfio-pci/unbind`,
        restoreValue: VF,
      },
    ],
  );
  assert.equal(p.dhcp4, undefined);
  assert.deepEqual(p.createdDevices, []);

  // Apply the sysfs writes to the tree, then undo them in reverse order, as the executor does.
  const writes = p.steps.filter((s) => s.kind === 'sysfs.write');
  for (const s of writes) writeFileSync(s.path, s.value);
  assert.equal(readFileSync(`${drivers}/iavf/unbind`, 'utf8'), VF);
  assert.equal(readFileSync(`${root}/bus/pci/devices/${VF}/driver_override`, 'utf8'), 'vfio-pci');
  assert.equal(readFileSync(`${root}/bus/pci/drivers_probe`, 'utf8'), VF);
  for (const s of [...writes].reverse()) writeFileSync(s.restorePath ?? s.path, s.restoreValue!);
  assert.equal(readFileSync(`${drivers}/vfio-pci/unbind`, 'utf8'), VF);
  assert.equal(readFileSync(`${root}/bus/pci/devices/${VF}/driver_override`, 'utf8'), '\n');
  assert.equal(readFileSync(`${drivers}/iavf/bind`, 'utf8'), VF);

  assert.deepEqual(p.nic, {
    name: 'sriov',
    alias: 'ua-sriov',
    model: 'virtio',
    mac: MAC,
    mtuBytes: 9000,
    backend: { kind: 'hostdev', hostPciAddress: VF },
    bootOrder: 2,
    guestPciAddress: '0000:00:0a.0',
    linkState: 'up',
    guestConfig: {
      kind: 'static',
      config: {
        addresses: ['10.56.217.171/24'],
        routes: [{ destination: '10.56.0.0/16', gateway: '10.56.217.1' }],
        dnsServers: ['10.56.217.1'],
        searchDomains: ['lab.example'],
      },
    },
  });

  const xml = buildDomainXml(machine([p.nic]), { host: { vhostNet: false } });
  const hostdev = /<hostdev[\s\S]*?<\/hostdev>/.exec(xml)?.[0] ?? '';
  assert.match(
    hostdev,
    /<source>\s*<address domain="0x0000" bus="0x18" slot="0x02" function="0x5"\/>\s*<\/source>/,
  );
  assert.match(hostdev, /<boot order="2"\/>/);
  assert.match(hostdev, /<address type="pci" domain="0x0000" bus="0x00" slot="0x0a" function="0x0"\/>/);
  const dir = mkdtempSync(join(tmpdir(), 'vnsriovxml-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'domain.xml'), xml);
  const v = spawnSync('virt-xml-validate', [join(dir, 'domain.xml'), 'domain'], { encoding: 'utf8' });
  assert.equal(v.status, 0, `${v.stdout}${v.stderr}`);

  // The embedded runner's QEMU device for the same NIC.
  const device = nicDeviceArg(p.nic, 0, { host: { vhostNet: false } });
  assert.match(device, /^vfio-pci,host=0000:18:02\.5,/);
  assert.match(device, /bootindex=2/);
  assert.match(device, /addr=0a\.0/);

  const netplan = netConvert(t, stringify(networkConfigV1([p.nic])), 'netplan');
  for (const part of [MAC, '10.56.217.171/24', '10.56.0.0/16', '10.56.217.1', 'lab.example', 'mtu: 9000'])
    assert.ok(netplan.includes(part), `${part} missing in\n${netplan}`);
});

test('sriov: PCIDEVICE_* fallback, ambiguity, and a VF another interface claims', async (t) => {
  const env = { PCIDEVICE_INTEL_COM_SRIOV_NET: VF };
  const one = await discover(t, host(), { entries: status(false), env });
  const p = plan(vm(), one.sriov, false);
  assert.equal(p.nic.backend.kind === 'hostdev' && p.nic.backend.hostPciAddress, VF);
  // No pod netdev (device plugin in vfio mode): addresses from network-status, as host routes.
  assert.deepEqual(p.nic.guestConfig.kind === 'static' && p.nic.guestConfig.config.addresses, [
    '10.56.217.171/32',
  ]);
  assert.ok(p.notes.some((n) => n.code === 'SRIOV_PREFIX_UNKNOWN'));

  const both = { PCIDEVICE_INTEL_COM_SRIOV_NET: `0000:18:02.4,${VF}` };
  const two = await discover(t, host(), { entries: status(false), env: both });
  assert.throws(
    () => plan(vm(), two.sriov),
    (e) =>
      isVirtnetError(e, 'SRIOV_VF_AMBIGUOUS') &&
      e.detail.field === 'spec.networks[1].multus.networkName' &&
      /0000:18:02\.4, 0000:18:02\.5/.test(e.message),
  );
  // The resource name narrows the env; a second SR-IOV interface with device-info claims its VF.
  const spec = vm();
  spec.networks.push({
    name: 'sriov2',
    source: { kind: 'multus', networkName: 'sriov-net-2', default: false },
  });
  spec.interfaces.push({ name: 'sriov2', binding: 'sriov', model: 'virtio', ports: [], state: 'up' });
  const entries = [
    ...status(false),
    {
      name: 'default/sriov-net-2',
      interface: 'net2',
      'device-info': { type: 'pci', pci: { 'pci-address': '0000:18:02.4' } },
    },
  ];
  const claimed = await discover(t, host(), { entries, env: both });
  const p2 = plan(spec, claimed.sriov, false);
  assert.equal(p2.nic.backend.kind === 'hostdev' && p2.nic.backend.hostPciAddress, VF);
});

test('sriov: already on vfio-pci needs only the PF pin', async (t) => {
  const h = host();
  h.vfs[1] = { ...h.vfs[1]!, driver: 'vfio-pci' };
  const { sriov } = await discover(t, h);
  const p = plan(vm({ macAddress: 'de:ad:00:00:be:af' }), sriov, false);
  assert.deepEqual(
    p.steps.map((s) => s.kind),
    ['host.command'],
  );
  assert.deepEqual(p.steps[0]!.kind === 'host.command' && p.steps[0].argv, [
    'ip',
    'link',
    'set',
    'ens785f0',
    'vf',
    '5',
    'mac',
    'de:ad:00:00:be:af',
    'vlan',
    '100',
  ]);
  // The spec MAC replaced the CNI's: teardown gives the CNI's back.
  assert.deepEqual(p.steps[0]!.kind === 'host.command' && p.steps[0].undoArgv, [
    'ip',
    'link',
    'set',
    'ens785f0',
    'vf',
    '5',
    'mac',
    MAC,
    'vlan',
    '100',
  ]);
  assert.equal(p.nic.mac, 'de:ad:00:00:be:af');
  assert.ok(p.notes.some((n) => n.code === 'SRIOV_ALREADY_VFIO'));
});

test('sriov: every refusal names its field and changes nothing', async (t) => {
  const cases: {
    name: string;
    host: FakeHost;
    entries?: NetworkStatusEntry[];
    env?: Record<string, string>;
    code: string;
  }[] = [
    { name: 'VF missing from sysfs', host: host({ vfs: [] }), code: 'SRIOV_VF_NOT_FOUND' },
    { name: 'no device-info and no env', host: host(), entries: status(false), code: 'SRIOV_VF_NOT_FOUND' },
    {
      name: 'device-info names the PF',
      host: host(),
      entries: status().map((e) =>
        e['device-info'] ? { ...e, 'device-info': { type: 'pci', pci: { 'pci-address': PF } } } : e,
      ),
      code: 'SRIOV_NOT_A_VF',
    },
    {
      name: 'wrong driver',
      host: host({ vfs: [{ address: VF, index: 5, driver: 'nvme', iommuGroup: '45' }] }),
      code: 'SRIOV_WRONG_DRIVER',
    },
    { name: 'no IOMMU on the host', host: host({ iommu: false }), code: 'SRIOV_NO_IOMMU' },
    {
      name: 'VF without IOMMU group',
      host: host({ vfs: [{ address: VF, index: 5, driver: 'iavf' }] }),
      code: 'SRIOV_NO_IOMMU_GROUP',
    },
    {
      name: 'IOMMU group shared with a bound device',
      host: host({ others: [{ address: '0000:19:00.0', driver: 'nvme', iommuGroup: '45' }] }),
      code: 'SRIOV_IOMMU_GROUP_NOT_VIABLE',
    },
    {
      name: 'VF in use on the host',
      host: host({
        vfs: [
          {
            address: VF,
            index: 5,
            driver: 'iavf',
            iommuGroup: '45',
            netdev: { name: 'ens785f0v5', up: true },
          },
        ],
      }),
      code: 'SRIOV_VF_IN_USE',
    },
    { name: 'vfio-pci not loaded', host: host({ vfioLoaded: false }), code: 'SRIOV_NO_VFIO' },
  ];
  for (const c of cases) {
    const { root, cleanup } = fakeSysfs(c.host);
    t.after(cleanup);
    const before = snapshot(root);
    const sriov = await discoverSriov({
      sysfsRoot: root,
      networkStatus: c.entries ?? status(),
      env: c.env ?? {},
      readVfConfig: () => Promise.resolve(undefined),
    });
    assert.throws(
      () => plan(vm(), sriov),
      (e) => isVirtnetError(e, c.code) && e.detail.field === 'spec.networks[1].multus.networkName',
      c.name,
    );
    assert.deepEqual(snapshot(root), before, `${c.name}: the tree changed`);
  }
  // A VF netdev that is down (or is the pod's own interface) is not "in use".
  const idle = await discover(
    t,
    host({
      vfs: [{ address: VF, index: 5, driver: 'iavf', iommuGroup: '45', netdev: { name: 'net1', up: true } }],
    }),
  );
  assert.equal(plan(vm(), idle.sriov).nic.backend.kind, 'hostdev');
  // sriov on the pod network is refused with the interface's field.
  const spec = vm();
  assert.throws(
    () => planSriov(spec.interfaces[1]!, spec.networks[0]!, net1, ctxFor(spec, idle.sriov), idle.sriov),
    (e) =>
      isVirtnetError(e, 'SRIOV_NOT_MULTUS') && e.detail.field === 'spec.domain.devices.interfaces[1].sriov',
  );
});

test('sriov through the per-VM planner: discovery only for VMs with SR-IOV, plan with the hostdev NIC', async (t) => {
  const { root, cleanup } = fakeSysfs(host());
  t.after(cleanup);
  const spec = vm();
  spec.networks = [spec.networks[1]!];
  spec.interfaces = [spec.interfaces[1]!];
  const options = {
    sysfsRoot: root,
    networkStatus: status(),
    env: {},
    readVfConfig: () => Promise.resolve(undefined),
  };
  assert.equal(await discoverSriovForVm({ interfaces: [] }, options), undefined);
  const sriov = await discoverSriovForVm(spec, options);
  const pod = {
    netns: 'pod',
    interfaces: [net1],
    dns: { nameservers: [], search: [], options: [], source: 'none' },
  };
  const result = planVmNetwork(spec, DEFAULT_CLUSTER_CONFIG, pod, sriov ? { sriov } : {});
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(result.plan.interfaces[0]!.nic.backend, { kind: 'hostdev', hostPciAddress: VF });
  // Without discovery the planner reports the interface instead of guessing.
  const missing = planVmNetwork(spec, DEFAULT_CLUSTER_CONFIG, pod);
  assert.ok(
    !missing.ok &&
      missing.issues.some(
        (i) => i.code === 'SRIOV_NOT_DISCOVERED' && i.field === 'spec.domain.devices.interfaces[0].sriov',
      ),
  );
});

test("sriov against this host's real /sys: a VF that is not there is refused, and nothing is written", async () => {
  const state = readVfioHostState();
  // Informational: this kernel has no VFIO; a host that has it reports true here.
  assert.equal(typeof state.iommuGroups, 'boolean');
  const sriov = await discoverSriov({
    networkStatus: status().map((e) =>
      e['device-info'] ? { ...e, 'device-info': { type: 'pci', pci: { 'pci-address': '0000:ff:1f.7' } } } : e,
    ),
    env: {},
  });
  assert.equal(sriov.sysfsRoot, '/sys');
  assert.deepEqual(sriov.devices['0000:ff:1f.7'], {
    ok: false,
    code: 'SRIOV_VF_NOT_FOUND',
    message: 'PCI device 0000:ff:1f.7 does not exist',
  });
  assert.throws(
    () => plan(vm(), sriov),
    (e) => isVirtnetError(e, 'SRIOV_VF_NOT_FOUND') && e.detail.device === '0000:ff:1f.7',
  );
});
