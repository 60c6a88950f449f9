import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateVmDocument } from '../api/index.js';
import { computeVmiStatus, rejectedAtAdmission, type PodView } from './vmi-status.js';

const now = new Date('2026-01-01T00:00:00.123Z');
const spec = validateVmDocument({
  kind: 'VirtualMachineInstance',
  metadata: { name: 'vm1', namespace: 'ns1' },
  spec: {
    domain: {
      devices: {
        interfaces: [
          { name: 'default', masquerade: {} },
          { name: 'data', bridge: {} },
        ],
      },
    },
    networks: [
      { name: 'default', pod: {} },
      { name: 'data', multus: { networkName: 'data-net' } },
    ],
  },
}).spec!;

const pod = (
  status: PodView['status'],
  nodeName?: string,
  annotations?: Record<string, string>,
): PodView => ({
  metadata: { name: 'virtnet-launcher-vm1', ...(annotations ? { annotations } : {}) },
  spec: nodeName ? { nodeName } : {},
  status,
});

test('phases follow the pod: none → Pending, unscheduled → Scheduling, on a node → Scheduled', () => {
  assert.equal(computeVmiStatus(undefined, spec, undefined, now).phase, 'Pending');
  const s1 = computeVmiStatus(
    undefined,
    spec,
    pod({
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes' }],
    }),
    now,
  );
  assert.equal(s1.phase, 'Scheduling');
  assert.equal(s1.reason, 'Unschedulable');
  assert.equal(s1.launcherPod, 'virtnet-launcher-vm1');
  const s2 = computeVmiStatus(
    s1,
    spec,
    pod({ phase: 'Running', podIPs: [{ ip: '10.1.0.5' }] }, 'node1'),
    now,
  );
  assert.equal(s2.phase, 'Scheduled');
  assert.equal(s2.nodeName, 'node1');
  assert.deepEqual(s2.conditions[0], {
    type: 'Ready',
    status: 'False',
    reason: 'LauncherPodRunning',
    lastTransitionTime: '2026-01-01T00:00:00Z',
  });
});

test('interfaces: the pod IP for the pod network (masquerade says so), Multus status for secondaries', () => {
  const status = JSON.stringify([
    { name: 'cbr0', interface: 'eth0', ips: ['10.1.0.5'], default: true },
    { name: 'ns1/data-net', interface: 'net1', ips: ['192.168.5.9'], mac: '02:11:22:33:44:55' },
  ]);
  const s = computeVmiStatus(
    undefined,
    spec,
    pod({ phase: 'Running', podIPs: [{ ip: '10.1.0.5' }, { ip: 'fd00::5' }] }, 'node1', {
      'k8s.v1.cni.cncf.io/network-status': status,
    }),
    now,
  );
  assert.deepEqual(s.interfaces, [
    {
      name: 'default',
      interfaceName: 'eth0',
      ipAddress: '10.1.0.5',
      ipAddresses: ['10.1.0.5', 'fd00::5'],
      infoSource: 'masquerade-pod',
    },
    {
      name: 'data',
      interfaceName: 'net1',
      mac: '02:11:22:33:44:55',
      ipAddress: '192.168.5.9',
      ipAddresses: ['192.168.5.9'],
      infoSource: 'multus-status',
    },
  ]);
});

test('addresses the node side reported are kept', () => {
  const prev = {
    phase: 'Running' as const,
    conditions: [],
    interfaces: [
      { name: 'data', ipAddress: '192.168.5.77', ipAddresses: ['192.168.5.77'], infoSource: 'guest-dhcp' },
    ],
  };
  const s = computeVmiStatus(prev, spec, pod({ phase: 'Running' }, 'node1'), now);
  assert.equal(s.phase, 'Running');
  assert.equal(s.conditions[0]!.status, 'True');
  assert.deepEqual(s.interfaces[1], prev.interfaces[0]);
});

test('a pod that fails or disappears makes the VMI Failed with the reason; terminal phases stay', () => {
  const failed = computeVmiStatus(
    undefined,
    spec,
    pod(
      {
        phase: 'Failed',
        containerStatuses: [{ name: 'launcher', state: { terminated: { reason: 'Error', exitCode: 3 } } }],
      },
      'node1',
    ),
    now,
  );
  assert.equal(failed.phase, 'Failed');
  assert.equal(failed.reason, 'LauncherPodFailed');
  assert.equal(failed.message, 'Error, exit code 3');
  const gone = computeVmiStatus(
    { phase: 'Scheduled', launcherPod: 'virtnet-launcher-vm1', conditions: [], interfaces: [] },
    spec,
    undefined,
    now,
  );
  assert.equal(gone.phase, 'Failed');
  assert.equal(gone.reason, 'LauncherPodDisappeared');
  const deleting = computeVmiStatus(
    { phase: 'Scheduled', conditions: [], interfaces: [] },
    spec,
    {
      ...pod({ phase: 'Succeeded' }, 'node1'),
      metadata: { name: 'virtnet-launcher-vm1', deletionTimestamp: '2026-01-01T00:00:00Z' },
    },
    now,
  );
  assert.equal(deleting.phase, 'Failed');
  assert.equal(deleting.reason, 'LauncherPodDeleted');
  const later = computeVmiStatus(gone, spec, pod({ phase: 'Running' }, 'node1'), now);
  assert.equal(later.phase, 'Failed');
});

test('the Ready condition keeps its transition time while its status holds', () => {
  const s1 = computeVmiStatus(undefined, spec, undefined, now);
  const s2 = computeVmiStatus(s1, spec, pod({ phase: 'Pending' }, 'node1'), new Date('2026-01-02T00:00:00Z'));
  assert.equal(s2.conditions[0]!.lastTransitionTime, '2026-01-01T00:00:00Z');
});

test('Running once the launcher pod is Ready (the guest was ACKed); it stays Running while the pod stops', () => {
  const scheduled = computeVmiStatus(undefined, spec, pod({ phase: 'Running' }, 'node1'), now);
  assert.equal(scheduled.phase, 'Scheduled');
  const ready = pod(
    { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], podIPs: [{ ip: '10.1.0.5' }] },
    'node1',
  );
  const running = computeVmiStatus(scheduled, spec, ready, new Date('2026-01-01T00:00:05Z'));
  assert.equal(running.phase, 'Running');
  assert.deepEqual(running.conditions[0], {
    type: 'Ready',
    status: 'True',
    reason: 'VMRunning',
    lastTransitionTime: '2026-01-01T00:00:05Z',
  });
  const stopping = computeVmiStatus(
    running,
    spec,
    pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] }, 'node1'),
    now,
  );
  assert.equal(stopping.phase, 'Running');
});

test("the node agent's interfaces (guest-dhcp) survive every status write; the pod's are recomputed", () => {
  const agent = [
    {
      name: 'default',
      mac: '02:00:00:00:00:01',
      ipAddress: '10.0.2.2',
      ipAddresses: ['10.0.2.2'],
      interfaceName: 'eth0',
      infoSource: 'guest-dhcp',
    },
    {
      name: 'data',
      mac: '02:00:00:00:00:02',
      ipAddress: '192.168.5.9',
      ipAddresses: ['192.168.5.9'],
      infoSource: 'guest-dhcp',
    },
  ];
  const ready = pod(
    { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], podIPs: [{ ip: '10.1.0.5' }] },
    'node1',
  );
  const s = computeVmiStatus({ phase: 'Scheduled', conditions: [], interfaces: agent }, spec, ready, now);
  assert.equal(s.phase, 'Running');
  assert.deepEqual(s.interfaces, agent);
  // What the controller derived itself (the pod's IP) is not kept as if the guest had reported it.
  const derived = computeVmiStatus(
    undefined,
    spec,
    pod({ phase: 'Running', podIPs: [{ ip: '10.1.0.5' }] }, 'node1'),
    now,
  );
  const again = computeVmiStatus(
    derived,
    spec,
    pod({ phase: 'Running', podIPs: [{ ip: '10.1.0.6' }] }, 'node1'),
    now,
  );
  assert.equal(again.interfaces[0]!.ipAddress, '10.1.0.6');
});

test("a launcher that exits non-zero: the VMI is Failed with the container's termination message", () => {
  const failed = computeVmiStatus(
    { phase: 'Running', launcherPod: 'virtnet-launcher-vm1', conditions: [], interfaces: [] },
    spec,
    pod(
      {
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'launcher',
            state: {
              terminated: {
                reason: 'Error',
                exitCode: 1,
                message: 'QemuExited: QEMU ended unexpectedly (killed by SIGKILL)',
              },
            },
          },
        ],
      },
      'node1',
    ),
    now,
  );
  assert.equal(failed.phase, 'Failed');
  assert.equal(failed.reason, 'LauncherPodFailed');
  assert.equal(failed.message, 'Error, exit code 1, QemuExited: QEMU ended unexpectedly (killed by SIGKILL)');
  assert.equal(failed.conditions[0]!.status, 'False');
  assert.equal(failed.conditions[0]!.message, failed.message);
});

test("a failed init container (kernelBoot's copy) is the reason the VMI failed", () => {
  const failed = computeVmiStatus(
    undefined,
    spec,
    pod(
      {
        phase: 'Failed',
        initContainerStatuses: [
          { name: 'kernel-boot-tools', state: { terminated: { reason: 'Completed', exitCode: 0 } } },
          {
            name: 'kernel-boot',
            state: {
              terminated: { reason: 'Error', exitCode: 1, message: "cp: can't stat '/boot/vmlinuz'" },
            },
          },
        ],
        containerStatuses: [{ name: 'launcher', state: {} }],
      },
      'node1',
    ),
    now,
  );
  assert.equal(failed.phase, 'Failed');
  assert.equal(
    failed.message,
    "init container kernel-boot, Error, exit code 1, cp: can't stat '/boot/vmlinuz'",
  );
});

test('a pod the kubelet refused before any container ran may be replaced; one that ran may not', () => {
  const refused = pod(
    {
      phase: 'Failed',
      reason: 'UnexpectedAdmissionError',
      message:
        'Pod Allocate failed due to requested number of devices unavailable for devices.virtnet.io/kvm',
    },
    'node1',
  );
  assert.equal(rejectedAtAdmission(refused), true);
  const waited = pod(
    {
      phase: 'Failed',
      containerStatuses: [{ name: 'launcher', state: { waiting: { reason: 'ContainerCreating' } } }],
    },
    'node1',
  );
  assert.equal(rejectedAtAdmission(waited), true);
  const ran = pod(
    { phase: 'Failed', containerStatuses: [{ name: 'launcher', state: { terminated: { exitCode: 137 } } }] },
    'node1',
  );
  assert.equal(rejectedAtAdmission(ran), false);
  const initRan = pod(
    {
      phase: 'Failed',
      initContainerStatuses: [{ name: 'kernel', state: { terminated: { exitCode: 1 } } }],
      containerStatuses: [{ name: 'launcher', state: { waiting: {} } }],
    },
    'node1',
  );
  assert.equal(rejectedAtAdmission(initRan), false);
  assert.equal(rejectedAtAdmission(pod({ phase: 'Pending' }, 'node1')), false);
});
