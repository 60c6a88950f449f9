// The passt planner on a hand-written pod: the passt process step (socket in the VM's state dir,
// interface, ports), the stale socket cleanup around it, the stream backend, socket paths too long for
// sun_path, and the issues with their spec fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_CLUSTER_CONFIG,
  type InterfaceSpec,
  type NetworkSpec,
  type VmSpec,
} from '../../api/types.js';
import type { DiscoveredInterface, DiscoveredPod } from '../plan-types.js';
import { planVmNetwork } from '../planner.js';
import { nicSpec, oneNicVm, podEth0 } from '../../../test/support/planner-inputs.js';
import { MAX_SOCKET_PATH_BYTES, passtArgv, passtSocketPath } from './passt-planner.js';

const iface = (extra: Partial<InterfaceSpec> = {}): InterfaceSpec => nicSpec('passt', extra);
const vm = (i: InterfaceSpec = iface(), network?: NetworkSpec): VmSpec => oneNicVm(i, network);
const pod = (i: DiscoveredInterface = podEth0()): DiscoveredPod => ({
  netns: 'p1',
  interfaces: [i],
  dns: { nameservers: [], search: [], options: [], source: 'test' },
});

test('passt: socket cleanup, then passt in the pod forwarding the declared ports; QEMU gets the socket', () => {
  const r = planVmNetwork(
    vm(
      iface({
        ports: [
          { port: 80, protocol: 'TCP' },
          { port: 7, protocol: 'TCP' },
        ],
      }),
    ),
    DEFAULT_CLUSTER_CONFIG,
    pod(),
    { stateDir: '/srv/virtnet' },
  );
  assert.ok(r.ok);
  const p = r.plan.interfaces[0]!;
  const socket = '/srv/virtnet/vms/vm1/passt-default.sock';
  assert.deepEqual(
    p.steps.map((s) => [s.id, s.kind]),
    [
      ['default/passt-socket', 'host.command'],
      ['default/passt', 'process.start'],
    ],
  );
  const clean = p.steps[0]!;
  assert.ok(clean.kind === 'host.command');
  assert.deepEqual(clean.argv, ['rm', '-f', '--', socket]);
  assert.deepEqual(clean.undoArgv, clean.argv);
  const start = p.steps[1]!;
  assert.ok(start.kind === 'process.start');
  assert.equal(start.inNetns, true);
  assert.equal(start.readyPath, socket);
  assert.deepEqual(start.argv, [
    'passt',
    '--foreground',
    '--quiet',
    '--socket',
    socket,
    '--runas',
    '0:0',
    '--interface',
    'eth0',
    '--mtu',
    '1450',
    '--tcp-ports',
    '7,80',
    '--udp-ports',
    'none',
  ]);
  assert.deepEqual(p.nic.backend, {
    kind: 'passt',
    socketPath: socket,
    ports: [
      { port: 80, protocol: 'TCP' },
      { port: 7, protocol: 'TCP' },
    ],
  });
  assert.equal(p.nic.mac, '0a:58:0a:f4:00:05', 'the guest may use the pod MAC');
  assert.deepEqual(p.nic.guestConfig, { kind: 'dhcp' });
  assert.equal(p.dhcp4, undefined);
  assert.deepEqual(p.createdDevices, []);
});

test('passt: every port when none are declared; UDP-only declarations close TCP', () => {
  const all = passtArgv({ socketPath: '/tmp/s.sock', ports: [] });
  assert.deepEqual(all.slice(-4), ['--tcp-ports', 'all', '--udp-ports', 'all']);
  const udp = passtArgv({ socketPath: '/tmp/s.sock', ports: [{ port: 53, protocol: 'UDP' }] });
  assert.deepEqual(udp.slice(-4), ['--tcp-ports', 'none', '--udp-ports', '53']);
  assert.deepEqual(
    passtArgv({ socketPath: '/tmp/s.sock', ports: [], runAs: { uid: 107, gid: 108 } }).slice(3, 7),
    ['--socket', '/tmp/s.sock', '--runas', '107:108'],
  );
});

test('passt socket path: the default state dir without one; a hash for a long interface name; a typed error when nothing fits', () => {
  const plain = planVmNetwork(vm(), DEFAULT_CLUSTER_CONFIG, pod());
  assert.ok(plain.ok);
  assert.deepEqual(plain.plan.interfaces[0]!.nic.backend, {
    kind: 'passt',
    socketPath: '/var/lib/virtnet/vms/vm1/passt-default.sock',
  });
  const owner = planVmNetwork(vm(), DEFAULT_CLUSTER_CONFIG, pod(), { tapOwner: { uid: 107, gid: 108 } });
  assert.ok(owner.ok);
  const start = owner.plan.interfaces[0]!.steps.find((s) => s.kind === 'process.start');
  assert.ok(
    start?.kind === 'process.start' && start.argv.join(' ').includes('--runas 107:108'),
    'a non-root hypervisor runs passt as itself',
  );

  const longName = `n${'x'.repeat(90)}`;
  const hashed = passtSocketPath('/var/lib/virtnet/vms/vm1', longName);
  assert.match(hashed ?? '', /^\/var\/lib\/virtnet\/vms\/vm1\/passt\.[0-9a-f]{16}\.sock$/);
  assert.equal(hashed, passtSocketPath('/var/lib/virtnet/vms/vm1', longName), 'deterministic');
  assert.notEqual(hashed, passtSocketPath('/var/lib/virtnet/vms/vm1', `${longName}y`));
  const longIface = iface({ name: longName });
  const r = planVmNetwork(
    vm(longIface, { name: longName, source: { kind: 'pod' } }),
    DEFAULT_CLUSTER_CONFIG,
    pod(),
  );
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  assert.ok(
    r.plan.interfaces[0]!.nic.backend.kind === 'passt' &&
      r.plan.interfaces[0]!.nic.backend.socketPath === hashed,
  );

  const deep = `/${'d'.repeat(70)}`;
  assert.equal(passtSocketPath(`${deep}/vms/vm1`, 'default'), `${deep}/vms/vm1/passt-default.sock`);
  assert.ok(Buffer.byteLength(`${deep}/vms/vm1/passt-default.sock`) <= MAX_SOCKET_PATH_BYTES);
  const tooDeep = `${deep}${'d'.repeat(10)}`;
  assert.equal(passtSocketPath(`${tooDeep}/vms/vm1`, 'default'), undefined);
  const bad = planVmNetwork(vm(), DEFAULT_CLUSTER_CONFIG, pod(), { stateDir: tooDeep });
  assert.ok(!bad.ok);
  assert.deepEqual(
    bad.issues.map((i) => [i.code, i.field]),
    [['PASST_SOCKET_PATH_TOO_LONG', 'spec.domain.devices.interfaces[0]']],
  );
  assert.match(bad.issues[0]!.message, /over the 107 bytes a unix socket allows/);
});

test('passt: no pod interface, no address, or a non-pod network are issues naming the field', () => {
  const none = planVmNetwork(vm(), DEFAULT_CLUSTER_CONFIG, { ...pod(), interfaces: [] });
  assert.ok(!none.ok);
  assert.deepEqual(
    none.issues.map((i) => [i.code, i.field]),
    [['POD_INTERFACE_NOT_FOUND', 'spec.domain.devices.interfaces[0]']],
  );
  const bare = planVmNetwork(vm(), DEFAULT_CLUSTER_CONFIG, pod(podEth0({ addresses: [] })));
  assert.ok(!bare.ok);
  assert.equal(bare.issues[0]!.code, 'PASST_NO_POD_ADDRESS');
  const multus = planVmNetwork(
    vm(iface(), { name: 'default', source: { kind: 'multus', networkName: 'red', default: false } }),
    DEFAULT_CLUSTER_CONFIG,
    pod(),
  );
  assert.ok(!multus.ok);
  assert.deepEqual(
    multus.issues.map((i) => [i.code, i.field]),
    [['PASST_NOT_POD_NETWORK', 'spec.domain.devices.interfaces[0].passt']],
  );
});
