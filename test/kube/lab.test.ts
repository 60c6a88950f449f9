// virtnet on a real Kubernetes: the lab cluster (scripts/k8s-lab.sh) with virtnet deployed from deploy/,
// driven with the machine's kubectl as a user would. Takes a minute with the Kubernetes build cached
// (about 15 more the first time). VIRTNET_SKIP_K8S_LAB=1 skips it for quick local runs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import type { CoreV1EventList, V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';
import type { VmiCondition, VmiInterfaceStatus } from '../../src/kube/vmi-status.js';
import { kubeClients, MERGE_PATCH } from '../../src/kube/kube-client.js';
import {
  getJson,
  hostState,
  kubectl,
  LAB_BRIDGE,
  LAB_DIR,
  LAB_NFT_TABLE,
  labDown,
  labFootprint,
  labRelease,
  labUp,
  otherLabUsers,
  linkExists,
  mountsUnder,
  nftTableExists,
  waitFor,
  type HostState,
  type Lab,
  type LabFootprint,
} from './lab-cluster.js';

const skip =
  process.env.VIRTNET_SKIP_K8S_LAB === '1'
    ? 'VIRTNET_SKIP_K8S_LAB=1'
    : process.getuid?.() !== 0
      ? 'needs root'
      : false;
const NODE = 'virtnet-lab';

interface Vmi {
  metadata: { uid: string; finalizers?: string[] };
  spec: { domain: { devices: { interfaces: unknown[] } }; networks: { name: string }[] };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    nodeName?: string;
    launcherPod?: string;
    conditions: VmiCondition[];
    interfaces: VmiInterfaceStatus[];
    undeclared?: unknown;
  };
}
interface WebhookConfiguration {
  webhooks: { failurePolicy: string; clientConfig: { caBundle: string } }[];
}
type Selection = { name: string; namespace: string; mac: string; interface: string };

const vmiGet = (lab: Lab, name: string) => getJson<Vmi>(lab, ['-n', ns, 'vmi', name]);
const podGet = (lab: Lab, name: string) => getJson<V1Pod>(lab, ['-n', ns, 'pod', name]);

const ns = `vntest-${randomBytes(3).toString('hex')}`;
/** The host bridge of this run's secondary network (the bridge plugin leaves it behind). */
const DATA_BRIDGE = `vnd${randomBytes(3).toString('hex')}`;

function vmiYaml(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'virtnet.io/v1alpha1',
    kind: 'VirtualMachineInstance',
    metadata: { name, namespace: ns },
    spec,
  });
}

describe('virtnet on the lab cluster', { skip, timeout: 70 * 60_000 }, () => {
  let lab: Lab;
  let hostBefore: HostState;
  let footprint: LabFootprint | undefined;

  before(() => {
    hostBefore = hostState();
    lab = labUp();
    kubectl(lab, ['create', 'namespace', ns]);
    // The namespace's default ServiceAccount (made by the controller-manager) before any pod.
    return waitFor('default service account', 60_000, () =>
      kubectl(lab, ['-n', ns, 'get', 'serviceaccount', 'default'], { check: false }).code === 0
        ? true
        : undefined,
    );
  });

  after(async () => {
    if (!lab) return;
    kubectl(lab, ['delete', 'namespace', ns, '--wait=false'], { check: false });
    // The NAD's last DELs (host-local recreates its dir on each) come while the namespace goes.
    await waitFor('namespace gone', 180_000, () =>
      getJson(lab, ['namespace', ns]) === undefined ? true : undefined,
    ).catch(() => undefined);
    spawnSync('ip', ['link', 'del', DATA_BRIDGE]);
    rmSync(`/run/${DATA_BRIDGE}-ipam`, { recursive: true, force: true });
    labRelease();
    if (lab.startedHere && !footprint) {
      await waitFor('other lab test files to finish', 60 * 60_000, () =>
        otherLabUsers().length === 0 ? true : undefined,
      );
      labDown();
    }
  });

  test('the node is Ready and virtnet runs: both components available, webhooks configured with a caBundle', () => {
    const node = getJson<V1Node>(lab, ['node', NODE])!;
    assert.equal(node.status!.conditions!.find((c) => c.type === 'Ready')!.status, 'True');
    for (const d of ['virtnet-controller', 'virtnet-webhook'])
      assert.equal(
        getJson<V1Deployment>(lab, ['-n', 'virtnet-system', 'deployment', d])!.status!.availableReplicas,
        1,
        d,
      );
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
      const cfg = getJson<WebhookConfiguration>(lab, [kind, 'virtnet'])!;
      assert.equal(cfg.webhooks[0]!.failurePolicy, 'Fail');
      assert.ok(cfg.webhooks[0]!.clientConfig.caBundle.length > 100, `${kind} caBundle`);
    }
  });

  test('a webhook configuration that loses its caBundle gets it back from the webhook', async () => {
    const before = getJson<WebhookConfiguration>(lab, ['validatingwebhookconfiguration', 'virtnet'])!
      .webhooks[0]!.clientConfig.caBundle;
    kubectl(lab, [
      'patch',
      'validatingwebhookconfiguration',
      'virtnet',
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/webhooks/0/clientConfig/caBundle"}]',
    ]);
    await waitFor('caBundle restored', 30_000, () =>
      getJson<WebhookConfiguration>(lab, ['validatingwebhookconfiguration', 'virtnet'])!.webhooks[0]!
        .clientConfig.caBundle === before
        ? true
        : undefined,
    );
  });

  test('kubectl apply of a VMI creates its launcher pod with the network annotations, owner and grace period', async () => {
    // The secondary network: a NAD the lab's delegating plugin attaches (bridge plugin, host-local).
    kubectl(lab, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'k8s.cni.cncf.io/v1',
        kind: 'NetworkAttachmentDefinition',
        metadata: { name: 'data-net', namespace: ns },
        spec: {
          config: JSON.stringify({
            cniVersion: '0.4.0',
            type: 'bridge',
            bridge: DATA_BRIDGE,
            ipam: { type: 'host-local', subnet: '172.30.97.0/24', dataDir: `/run/${DATA_BRIDGE}-ipam` },
          }),
        },
      }),
    });
    kubectl(lab, ['apply', '-f', '-'], {
      input: vmiYaml('vm-multus', {
        terminationGracePeriodSeconds: 2,
        domain: {
          devices: {
            interfaces: [
              { name: 'default', masquerade: {} },
              { name: 'data', bridge: {}, macAddress: '02:00:00:00:00:2a' },
            ],
          },
        },
        networks: [
          { name: 'default', pod: {} },
          { name: 'data', multus: { networkName: 'data-net' } },
        ],
      }),
    });
    const vmi = vmiGet(lab, 'vm-multus')!;
    const pod = await waitFor('launcher pod', 30_000, () => podGet(lab, 'virtnet-launcher-vm-multus'));
    assert.deepEqual(pod.metadata!.ownerReferences, [
      {
        apiVersion: 'virtnet.io/v1alpha1',
        kind: 'VirtualMachineInstance',
        name: 'vm-multus',
        uid: vmi.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    const selections = JSON.parse(pod.metadata!.annotations!['k8s.v1.cni.cncf.io/networks']!) as Selection[];
    assert.equal(selections.length, 1);
    assert.equal(selections[0]!.name, 'data-net');
    assert.equal(selections[0]!.namespace, ns);
    assert.equal(selections[0]!.mac, '02:00:00:00:00:2a');
    assert.match(selections[0]!.interface, /^pod[0-9a-f]{11}$/);
    assert.equal(pod.spec!.terminationGracePeriodSeconds, 2);
    const sc = pod.spec!.containers[0]!.securityContext!;
    // The node agent wires the network from outside: the launcher binds DHCP's port, nothing more.
    assert.deepEqual(sc.capabilities, { drop: ['ALL'], add: ['NET_BIND_SERVICE'] });
    assert.equal(sc.privileged, false);
    assert.deepEqual(pod.spec!.containers[0]!.readinessProbe!.exec!.command, [
      '/bin/busybox',
      'test',
      '-f',
      '/var/run/virtnet/ready',
    ]);
    assert.equal(pod.spec!.containers[0]!.volumeMounts![0]!.subPathExpr, '$(POD_UID)');
    assert.ok(vmi.metadata.finalizers === undefined || Array.isArray(vmi.metadata.finalizers));
  });

  test('a Multus default network and Genie networks become their annotations on the launcher pod', async () => {
    kubectl(lab, ['apply', '-f', '-'], {
      input: vmiYaml('vm-mdefault', {
        domain: { devices: { interfaces: [{ name: 'flat', bridge: {} }] } },
        networks: [{ name: 'flat', multus: { networkName: 'other/flat', default: true } }],
      }),
    });
    kubectl(lab, ['apply', '-f', '-'], {
      input: vmiYaml('vm-genie', {
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
      }),
    });
    const m = await waitFor('launcher pod', 30_000, () => podGet(lab, 'virtnet-launcher-vm-mdefault'));
    assert.equal(m.metadata!.annotations!['v1.multus-cni.io/default-network'], 'other/flat');
    assert.equal(m.metadata!.annotations!['k8s.v1.cni.cncf.io/networks'], undefined);
    const g = await waitFor('launcher pod', 30_000, () => podGet(lab, 'virtnet-launcher-vm-genie'));
    assert.equal(g.metadata!.annotations!.cni, 'flannel,ovs');
    kubectl(lab, ['-n', ns, 'delete', 'vmi', 'vm-mdefault', 'vm-genie', '--wait=false']);
  });

  test('a second up changes nothing that runs: same daemons, same pods, same two last lines', () => {
    const daemonsBefore = labFootprint(lab).daemonPids;
    const podUid = podGet(lab, 'virtnet-launcher-vm-multus')!.metadata!.uid;
    const again = labUp();
    assert.equal(again.kubeconfig, lab.kubeconfig);
    assert.equal(again.containerdAddress, lab.containerdAddress);
    assert.equal(
      again.startedHere,
      lab.startedHere,
      'a second up in the same run keeps who brought the lab up',
    );
    assert.deepEqual(labFootprint(lab).daemonPids, daemonsBefore);
    assert.equal(podGet(lab, 'virtnet-launcher-vm-multus')!.metadata!.uid, podUid);
  });

  test('a restarted controller resumes: VMIs keep their phase, new ones get pods', async () => {
    await waitFor('vm-multus Running', 240_000, () =>
      vmiGet(lab, 'vm-multus')?.status?.phase === 'Running' ? true : undefined,
    );
    // The old controller gone, then its replacement ready.
    const controllers = () =>
      kubectl(lab, [
        '-n',
        'virtnet-system',
        'get',
        'pod',
        '-l',
        'app.kubernetes.io/name=virtnet-controller',
        '-o',
        'name',
      ])
        .stdout.split('\n')
        .filter(Boolean);
    const old = controllers();
    assert.ok(old.length > 0, 'a controller pod');
    kubectl(lab, ['-n', 'virtnet-system', 'delete', ...old, '--wait=false']);
    await waitFor('the old controller pods gone and a new one', 180_000, () => {
      const now = controllers();
      return now.length > 0 && !now.some((p) => old.includes(p)) ? true : undefined;
    });
    kubectl(lab, [
      '-n',
      'virtnet-system',
      'wait',
      '--for=condition=Ready',
      'pod',
      '-l',
      'app.kubernetes.io/name=virtnet-controller',
      '--timeout=120s',
    ]);
    // A pod change makes the new controller reconcile vm-multus.
    kubectl(lab, ['-n', ns, 'label', 'pod', 'virtnet-launcher-vm-multus', 'after-restart=yes']);
    kubectl(lab, ['apply', '-f', '-'], {
      input: vmiYaml('vm-after', { terminationGracePeriodSeconds: 1, domain: { devices: {} } }),
    });
    await waitFor('vm-after launcher pod', 60_000, () => podGet(lab, 'virtnet-launcher-vm-after'));
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(vmiGet(lab, 'vm-multus')!.status!.phase, 'Running');
    kubectl(lab, ['-n', ns, 'delete', 'vmi', 'vm-after', '--wait=false']);
  });

  test('status follows the pod and the guest: the node, the launcher pod named, the pod IP for the masquerade interface with the guest MAC', async () => {
    const vmi = await waitFor('VMI Running with both interfaces ACKed', 120_000, () => {
      const v = vmiGet(lab, 'vm-multus');
      return v?.status?.phase === 'Running' && v.status.interfaces.every((i) => i.infoSource === 'guest-dhcp')
        ? v
        : undefined;
    });
    const pod = podGet(lab, 'virtnet-launcher-vm-multus')!;
    assert.equal(vmi.status!.nodeName, NODE);
    assert.equal(vmi.status!.launcherPod, 'virtnet-launcher-vm-multus');
    assert.ok(vmi.metadata.finalizers!.includes('virtnet.io/launcher-pod'));
    const { mac, ...rest } = vmi.status!.interfaces[0]!;
    assert.match(mac ?? '', /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    assert.deepEqual(rest, {
      name: 'default',
      interfaceName: 'eth0',
      ipAddress: pod.status!.podIP,
      ipAddresses: [pod.status!.podIP],
      infoSource: 'guest-dhcp',
    });
    assert.equal(vmi.status!.interfaces[1]!.mac, '02:00:00:00:00:2a');
    assert.match(vmi.status!.interfaces[1]!.ipAddress ?? '', /^172\.30\.97\./);
    assert.equal(vmi.status!.conditions.find((c) => c.type === 'Ready')!.status, 'True');
    const columns = kubectl(lab, ['-n', ns, 'get', 'vmi', 'vm-multus', '--no-headers'])
      .stdout.trim()
      .split(/\s+/);
    assert.deepEqual(columns.slice(0, 4), ['vm-multus', 'Running', NODE, pod.status!.podIP]);
    const events = getJson<CoreV1EventList>(lab, [
      '-n',
      ns,
      'events',
      '--field-selector',
      'involvedObject.name=vm-multus',
    ])!;
    assert.ok(
      events.items.some(
        (e) => e.reason === 'SuccessfulCreate' && e.source?.component === 'virtnet-controller',
      ),
      'a SuccessfulCreate event',
    );
  });

  test('an invalid VMI is refused by kubectl apply with every field path, and nothing is stored', () => {
    const r = kubectl(lab, ['apply', '-f', '-'], {
      check: false,
      input: vmiYaml('vm-bad', {
        domain: {
          devices: {
            interfaces: [
              // Ports are checked where KubeVirt checks them: on the pod network's interface.
              { name: 'default', masquerade: {}, macAddress: 'zz:00:00:00:00:01', ports: [{ port: 70000 }] },
              { name: 'data', bridge: {}, model: 'rtl9999' },
            ],
          },
        },
        networks: [{ name: 'default', pod: {} }],
      }),
    });
    assert.notEqual(r.code, 0);
    for (const field of [
      'spec.domain.devices.interfaces[0].macAddress',
      'spec.domain.devices.interfaces[1].model',
      'spec.domain.devices.interfaces[1].name',
      'spec.domain.devices.interfaces[0].ports[0].port',
    ]) {
      assert.ok(r.stderr.includes(field), `${field} in:\n${r.stderr}`);
    }
    assert.equal(vmiGet(lab, 'vm-bad'), undefined);
  });

  test('defaults appear on the stored object; server-side dry-run shows them without storing', () => {
    kubectl(lab, ['apply', '-f', '-'], { input: vmiYaml('vm-defaults', { domain: { devices: {} } }) });
    const stored = vmiGet(lab, 'vm-defaults')!;
    assert.deepEqual(stored.spec.domain.devices.interfaces, [
      { name: 'default', bridge: {}, model: 'virtio' },
    ]);
    assert.deepEqual(stored.spec.networks, [{ name: 'default', pod: {} }]);
    // Applying the same manifest again is no change (the defaults are stable).
    assert.match(
      kubectl(lab, ['apply', '-f', '-'], { input: vmiYaml('vm-defaults', { domain: { devices: {} } }) })
        .stdout,
      /unchanged|configured/,
    );
    const dry = JSON.parse(
      kubectl(lab, ['create', '--dry-run=server', '-o', 'json', '-f', '-'], {
        input: vmiYaml('vm-dry', { domain: { devices: {} } }),
      }).stdout,
    );
    assert.equal(dry.spec.networks[0].name, 'default');
    assert.equal(vmiGet(lab, 'vm-dry'), undefined);
  });

  test("status writes survive: declared fields are stored, the node side's addresses are kept by the controller", async () => {
    await waitFor('vm-defaults Scheduled', 60_000, () =>
      vmiGet(lab, 'vm-defaults')?.status?.phase === 'Scheduled' ? true : undefined,
    );
    const reported = {
      name: 'default',
      mac: '02:00:00:00:00:77',
      ipAddress: '10.213.0.250',
      ipAddresses: ['10.213.0.250'],
      interfaceName: 'eth0',
      infoSource: 'guest-dhcp',
    };
    // Through the API (kubectl patch --subresource needs kubectl >= 1.24; Debian's is 1.20).
    await kubeClients(lab.kubeconfig).custom.patchNamespacedCustomObjectStatus(
      {
        group: 'virtnet.io',
        version: 'v1alpha1',
        namespace: ns,
        plural: 'virtualmachineinstances',
        name: 'vm-defaults',
        body: { status: { interfaces: [reported], undeclared: 'pruned' } },
      },
      MERGE_PATCH,
    );
    const v = vmiGet(lab, 'vm-defaults')!;
    assert.deepEqual(v.status!.interfaces, [reported]);
    assert.equal(v.status!.undeclared, undefined, 'fields outside the schema are pruned');
    // A pod change makes the controller reconcile; the reported entry stays.
    kubectl(lab, ['-n', ns, 'label', 'pod', 'virtnet-launcher-vm-defaults', 'touched=yes']);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(vmiGet(lab, 'vm-defaults')!.status!.interfaces, [reported]);
  });

  test("an SR-IOV interface requests its NAD's resource; with no such device the VMI stays Scheduling", async () => {
    kubectl(lab, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'k8s.cni.cncf.io/v1',
        kind: 'NetworkAttachmentDefinition',
        metadata: {
          name: 'sriov-a',
          namespace: ns,
          annotations: { 'k8s.v1.cni.cncf.io/resourceName': 'example.com/sriov_a' },
        },
        spec: { config: '{"cniVersion":"0.4.0","type":"sriov","name":"sriov-a"}' },
      }),
    });
    kubectl(lab, ['apply', '-f', '-'], {
      input: vmiYaml('vm-sriov', {
        domain: {
          devices: {
            interfaces: [
              { name: 'default', masquerade: {} },
              { name: 'vf', sriov: {} },
            ],
          },
        },
        networks: [
          { name: 'default', pod: {} },
          { name: 'vf', multus: { networkName: 'sriov-a' } },
        ],
      }),
    });
    const pod = await waitFor('SR-IOV launcher pod', 30_000, () => podGet(lab, 'virtnet-launcher-vm-sriov'));
    assert.deepEqual(pod.spec!.containers[0]!.resources, {
      // With the KVM slot every launcher asks of the node agent.
      requests: { memory: '448Mi', 'devices.virtnet.io/kvm': '1', 'example.com/sriov_a': '1' },
      limits: { 'devices.virtnet.io/kvm': '1', 'example.com/sriov_a': '1' },
    });
    // WaitingForScheduler first, Unschedulable once the scheduler has looked at the pod.
    const vmi = await waitFor('VMI Scheduling, Unschedulable', 60_000, () => {
      const v = vmiGet(lab, 'vm-sriov');
      return v?.status?.phase === 'Scheduling' && v.status.reason === 'Unschedulable' ? v : undefined;
    });
    assert.equal(vmi.status!.phase, 'Scheduling');
  });

  test('deleting a VMI removes its launcher pod, then the VMI', async () => {
    kubectl(lab, ['-n', ns, 'delete', 'vmi', 'vm-multus', '--wait=false']);
    // Its grace period (30 s: a guest still booting ignores the ACPI power button) and the sandbox's
    // CNI DELs, on a node busy with the other files' TCG guests.
    await waitFor('launcher pod gone', 150_000, () =>
      podGet(lab, 'virtnet-launcher-vm-multus') === undefined ? true : undefined,
    );
    await waitFor('VMI gone', 30_000, () => (vmiGet(lab, 'vm-multus') === undefined ? true : undefined));
  });

  test('a VMI whose launcher pod is deleted goes Failed with the reason', async () => {
    kubectl(lab, ['-n', ns, 'delete', 'pod', 'virtnet-launcher-vm-defaults', '--grace-period=1']);
    const v = await waitFor('VMI Failed', 60_000, () => {
      const x = vmiGet(lab, 'vm-defaults');
      return x?.status?.phase === 'Failed' ? x : undefined;
    });
    // Seen while the pod terminates, or only once it is gone.
    assert.ok(['LauncherPodDeleted', 'LauncherPodDisappeared'].includes(v.status!.reason!), v.status!.reason);
  });

  test('k8s-lab.sh down stops what it started and leaves the host as it was', { skip: false }, async (t) => {
    if (!lab.startedHere) {
      t.skip('the lab was already up before this run: left running');
      return;
    }
    labRelease();
    await waitFor('other lab test files to finish', 60 * 60_000, () =>
      otherLabUsers().length === 0 ? true : undefined,
    );
    footprint = labFootprint(lab);
    assert.equal(footprint.daemonPids.length, 6, `daemons recorded: ${footprint.daemonPids.join(' ')}`);
    assert.ok(footprint.netns.length > 0 && footprint.hostVeths.length > 0, 'pods had namespaces and veths');
    labDown();
    for (const pid of [...footprint.daemonPids, ...footprint.shimPids])
      assert.ok(!existsSync(`/proc/${pid}`), `process ${pid} still runs`);
    for (const n of footprint.netns) assert.ok(!existsSync(n), `${n} left behind`);
    for (const v of footprint.hostVeths) assert.ok(!linkExists(v), `${v} left behind`);
    assert.ok(!linkExists(LAB_BRIDGE), 'bridge left behind');
    assert.ok(!nftTableExists(LAB_NFT_TABLE), 'nft table left behind');
    assert.deepEqual(mountsUnder(LAB_DIR), []);
    assert.ok(!existsSync(LAB_DIR), `${LAB_DIR} left behind`);
    assert.deepEqual(hostState(), hostBefore);
  });
});
