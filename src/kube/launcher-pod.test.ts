import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateVmDocument } from '../api/index.js';
import {
  launcherPod,
  launcherPodName,
  nadReferences,
  sriovResources,
  type VmiObject,
} from './launcher-pod.js';

function vmiOf(
  spec: Record<string, unknown>,
  name = 'vm1',
): { vmi: VmiObject; spec: NonNullable<ReturnType<typeof validateVmDocument>['spec']> } {
  const vmi: VmiObject = {
    apiVersion: 'virtnet.io/v1alpha1',
    kind: 'VirtualMachineInstance',
    metadata: { name, namespace: 'ns1', uid: 'uid-1' },
    spec,
  };
  const r = validateVmDocument(vmi);
  assert.deepEqual(r.errors, []);
  return { vmi, spec: r.spec! };
}

/** The parts of the generated Pod the tests read. */
interface PodJson {
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string | undefined>;
    ownerReferences: unknown[];
  };
  spec: {
    terminationGracePeriodSeconds: number;
    nodeSelector?: unknown;
    restartPolicy: string;
    containers: {
      image: string;
      imagePullPolicy: string;
      resources: unknown;
      securityContext: { privileged: boolean; capabilities: unknown };
    }[];
  };
}
type Selection = { name: string; namespace: string; interface: string };

const multusVmi = {
  terminationGracePeriodSeconds: 5,
  nodeSelector: { 'kubernetes.io/hostname': 'n1' },
  domain: {
    devices: {
      interfaces: [
        { name: 'default', masquerade: {} },
        { name: 'data', bridge: {}, macAddress: '02:00:00:00:00:02' },
        { name: 'vf', sriov: {} },
        { name: 'vf2', sriov: {} },
      ],
    },
  },
  networks: [
    { name: 'default', pod: {} },
    { name: 'data', multus: { networkName: 'other/data-net' } },
    { name: 'vf', multus: { networkName: 'sriov-a' } },
    { name: 'vf2', multus: { networkName: 'sriov-a' } },
  ],
};

test('the launcher pod: owned by the VMI, Multus selections with interface names and MACs, SR-IOV requests', () => {
  const { vmi, spec } = vmiOf(multusVmi);
  const pod = launcherPod(vmi, spec, new Map([['ns1/sriov-a', 'intel.com/sriov_a']]), {
    image: 'img:1',
    imagePullPolicy: 'Never',
  }) as unknown as PodJson;
  assert.equal(pod.metadata.name, 'virtnet-launcher-vm1');
  assert.equal(pod.metadata.namespace, 'ns1');
  assert.deepEqual(pod.metadata.ownerReferences, [
    {
      apiVersion: 'virtnet.io/v1alpha1',
      kind: 'VirtualMachineInstance',
      name: 'vm1',
      uid: 'uid-1',
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
  assert.equal(pod.metadata.labels['virtnet.io/vmi'], 'vm1');
  const selections = JSON.parse(pod.metadata.annotations['k8s.v1.cni.cncf.io/networks']!) as Selection[];
  assert.equal(selections.length, 3);
  assert.deepEqual(selections[0], {
    name: 'data-net',
    namespace: 'other',
    interface: selections[0]!.interface,
    mac: '02:00:00:00:00:02',
  });
  assert.match(selections[0].interface, /^pod[0-9a-f]{11}$/);
  assert.deepEqual(
    selections.slice(1).map((s) => `${s.namespace}/${s.name}`),
    ['ns1/sriov-a', 'ns1/sriov-a'],
  );
  assert.equal(pod.metadata.annotations['v1.multus-cni.io/default-network'], undefined);
  const c = pod.spec.containers[0]!;
  // Guest memory (the default 256 MiB) plus what QEMU and the launcher need, for the scheduler.
  assert.deepEqual(c.resources, {
    requests: { memory: '448Mi', 'devices.virtnet.io/kvm': '1', 'intel.com/sriov_a': '2' },
    limits: { 'devices.virtnet.io/kvm': '1', 'intel.com/sriov_a': '2' },
  });
  assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'], add: ['NET_BIND_SERVICE'] });
  assert.equal(c.securityContext.privileged, false);
  assert.equal(c.image, 'img:1');
  assert.equal(c.imagePullPolicy, 'Never');
  assert.equal(pod.spec.terminationGracePeriodSeconds, 5);
  assert.deepEqual(pod.spec.nodeSelector, { 'kubernetes.io/hostname': 'n1' });
  assert.equal(pod.spec.restartPolicy, 'Never');
});

test('a Multus default network becomes the default-network override; Genie networks the cni annotation', () => {
  const { vmi, spec } = vmiOf({
    domain: { devices: { interfaces: [{ name: 'm', bridge: {} }] } },
    networks: [{ name: 'm', multus: { networkName: 'ns2/flat', default: true } }],
  });
  const pod = launcherPod(vmi, spec, new Map(), {
    image: 'i',
    imagePullPolicy: 'IfNotPresent',
  }) as unknown as PodJson;
  assert.equal(pod.metadata.annotations['v1.multus-cni.io/default-network'], 'ns2/flat');
  assert.equal(pod.metadata.annotations['k8s.v1.cni.cncf.io/networks'], undefined);
  assert.equal(pod.spec.terminationGracePeriodSeconds, 30);
  const g = vmiOf({
    domain: {
      devices: {
        interfaces: [
          { name: 'a', bridge: {} },
          { name: 'b', bridge: {} },
        ],
      },
    },
    networks: [
      { name: 'a', genie: { networkName: 'flannel' } },
      { name: 'b', genie: { networkName: 'ovs' } },
    ],
  });
  const gp = launcherPod(g.vmi, g.spec, new Map(), {
    image: 'i',
    imagePullPolicy: 'IfNotPresent',
  }) as unknown as PodJson;
  assert.equal(gp.metadata.annotations.cni, 'flannel,ovs');
});

test('SR-IOV interfaces whose NAD is unknown are reported, NAD references are namespaced', () => {
  const { spec } = vmiOf(multusVmi);
  assert.deepEqual(sriovResources(spec, new Map()), {
    resources: {},
    missing: ['ns1/sriov-a', 'ns1/sriov-a'],
  });
  assert.deepEqual(nadReferences(spec).sort(), ['ns1/sriov-a', 'other/data-net']);
});

test('launcher pod names stay DNS labels and distinct for long VMI names', () => {
  const long = 'a'.repeat(60);
  const n1 = launcherPodName(long);
  const n2 = launcherPodName(`${'a'.repeat(59)}b`);
  assert.ok(n1.length <= 63 && n2.length <= 63);
  assert.notEqual(n1, n2);
  assert.match(n1, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
});

test('the launcher container: the pod state dir by uid, /dev/net/tun, readiness from the ready file, grace, termination message', () => {
  const { vmi, spec } = vmiOf(multusVmi);
  const pod = launcherPod(vmi, spec, new Map([['ns1/sriov-a', 'intel.com/sriov_a']]), {
    image: 'img:1',
    imagePullPolicy: 'Never',
  }) as unknown as {
    spec: {
      initContainers?: unknown;
      volumes: unknown[];
      containers: Record<string, unknown>[];
    };
  };
  const c = pod.spec.containers[0]!;
  assert.deepEqual(c.args, ['kube', 'launcher', '--state-dir', '/var/run/virtnet']);
  assert.deepEqual((c.env as unknown[])[0], {
    name: 'POD_UID',
    valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } },
  });
  assert.deepEqual(c.volumeMounts, [
    { name: 'state', mountPath: '/var/run/virtnet', subPathExpr: '$(POD_UID)' },
    { name: 'tun', mountPath: '/dev/net/tun' },
  ]);
  assert.deepEqual(pod.spec.volumes, [
    { name: 'state', hostPath: { path: '/var/lib/virtnet/k8s/pods', type: 'DirectoryOrCreate' } },
    { name: 'tun', hostPath: { path: '/dev/net/tun', type: 'CharDevice' } },
  ]);
  assert.deepEqual(c.securityContext, {
    privileged: false,
    allowPrivilegeEscalation: false,
    runAsUser: 0,
    runAsNonRoot: false,
    capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
  });
  assert.deepEqual((c.readinessProbe as { exec: unknown }).exec, {
    command: ['/bin/busybox', 'test', '-f', '/var/run/virtnet/ready'],
  });
  assert.equal(c.terminationMessagePath, '/dev/termination-log');
  assert.equal(c.terminationMessagePolicy, 'FallbackToLogsOnError');
  assert.equal(pod.spec.initContainers, undefined);
});

test('kernelBoot: init containers copy the kernel and initrd out of their image with the launcher busybox', () => {
  const { vmi, spec } = vmiOf({
    domain: {
      firmware: {
        kernelBoot: {
          kernelArgs: 'console=ttyS0',
          container: { image: 'kernels:1', kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd.img' },
        },
      },
      devices: { interfaces: [{ name: 'default', bridge: {} }] },
    },
    networks: [{ name: 'default', pod: {} }],
  });
  const pod = launcherPod(vmi, spec, new Map(), { image: 'img:1', imagePullPolicy: 'Never' }) as unknown as {
    spec: {
      initContainers: { image: string; command: string[]; volumeMounts: unknown[] }[];
      volumes: { name: string }[];
      containers: { volumeMounts: { name: string; readOnly?: boolean }[] }[];
    };
  };
  const [tools, copy] = pod.spec.initContainers;
  assert.equal(tools!.image, 'img:1');
  assert.deepEqual(tools!.command, ['/bin/busybox', 'cp', '/bin/busybox', '/var/run/virtnet-boot/.busybox']);
  assert.equal(copy!.image, 'kernels:1');
  assert.deepEqual(copy!.command, [
    '/var/run/virtnet-boot/.busybox',
    'cp',
    '/boot/vmlinuz',
    '/boot/initrd.img',
    '/var/run/virtnet-boot/',
  ]);
  assert.ok(pod.spec.volumes.some((v) => v.name === 'kernel-boot'));
  assert.deepEqual(pod.spec.containers[0]!.volumeMounts.at(-1), {
    name: 'kernel-boot',
    mountPath: '/var/run/virtnet-boot',
    readOnly: true,
  });
});

test("the pod requests the guest's memory plus the launcher's and QEMU's, sets no memory limit, and asks for its KVM slot", () => {
  const { vmi, spec } = vmiOf({
    domain: {
      resources: { requests: { memory: '1Gi' } },
      devices: { interfaces: [{ name: 'default', bridge: {} }] },
    },
    networks: [{ name: 'default', pod: {} }],
  });
  const pod = launcherPod(vmi, spec, new Map(), { image: 'i', imagePullPolicy: 'Never' }) as unknown as {
    spec: { containers: { resources: unknown }[] };
  };
  assert.deepEqual(pod.spec.containers[0]!.resources, {
    requests: { memory: '1216Mi', 'devices.virtnet.io/kvm': '1' },
    limits: { 'devices.virtnet.io/kvm': '1' },
  });
});
