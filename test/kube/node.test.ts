// virtnet's node side on the lab cluster: a VMI applied with kubectl becomes a VM the node agent wired
// (through the CRI's sandbox, the network phase, the launcher's DHCP and QEMU) and that other pods
// reach; deletion and crashes leave nothing behind on the node. Peer pods run their probe themselves
// and exit 0 on success (the lab's kubelet is not reachable for `kubectl exec`). VIRTNET_SKIP_K8S_LAB=1
// skips it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { CriClient } from '../../src/cri/cri-client.js';
import { reachableNetnsPath } from '../../src/agent/pod-network.js';
import type { VmiInterfaceStatus } from '../../src/kube/vmi-status.js';
import { HOST_POD_STATE_ROOT } from '../../src/state/launcher-files.js';
import {
  getJson,
  kubectl,
  labDown,
  labRelease,
  labTestInThisRun,
  labUp,
  otherLabUsers,
  waitFor,
  type Lab,
} from './lab-cluster.js';

const skip =
  process.env.VIRTNET_SKIP_K8S_LAB === '1'
    ? 'VIRTNET_SKIP_K8S_LAB=1'
    : process.getuid?.() !== 0
      ? 'needs root'
      : false;

const ns = `vnnode-${randomBytes(3).toString('hex')}`;
const PEER_IMAGE = 'localhost/virtnet-peer:lab';

interface Vmi {
  metadata: { uid: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    interfaces?: VmiInterfaceStatus[];
  };
}

const vmiGet = (lab: Lab, name: string) => getJson<Vmi>(lab, ['-n', ns, 'vmi', name]);
const podGet = (lab: Lab, name: string) => getJson<V1Pod>(lab, ['-n', ns, 'pod', name]);

function applyVmi(lab: Lab, name: string, spec: Record<string, unknown>): void {
  kubectl(lab, ['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'virtnet.io/v1alpha1',
      kind: 'VirtualMachineInstance',
      metadata: { name, namespace: ns },
      spec: { terminationGracePeriodSeconds: 5, ...spec },
    }),
  });
}

async function waitRunning(lab: Lab, name: string): Promise<Vmi> {
  return waitFor(`VMI ${name} Running`, 240_000, () => {
    const vmi = vmiGet(lab, name);
    if (vmi?.status?.phase === 'Failed')
      assert.fail(`VMI ${name} Failed: ${vmi.status.reason} ${vmi.status.message ?? ''}`);
    const acked = vmi?.status?.interfaces?.some((i) => i.infoSource === 'guest-dhcp');
    return vmi?.status?.phase === 'Running' && acked ? vmi : undefined;
  });
}

/** Runs `script` in a busybox pod on the pod network; resolves to its exit: true when it succeeded. */
async function peerProbe(lab: Lab, name: string, script: string): Promise<{ ok: boolean; log: string }> {
  kubectl(lab, ['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        automountServiceAccountToken: false,
        containers: [
          { name: 'probe', image: PEER_IMAGE, imagePullPolicy: 'Never', command: ['/bin/sh', '-c', script] },
        ],
      },
    }),
  });
  const pod = await waitFor(`peer ${name} done`, 120_000, () => {
    const p = podGet(lab, name);
    return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
  });
  const log = podLog(pod);
  kubectl(lab, ['-n', ns, 'delete', 'pod', name, '--wait=false'], { check: false });
  return { ok: pod.status!.phase === 'Succeeded', log };
}

/** The container logs the kubelet wrote on this node (kubectl logs needs the kubelet's port). */
function podLog(pod: V1Pod): string {
  const dir = `/var/log/pods/${pod.metadata!.namespace}_${pod.metadata!.name}_${pod.metadata!.uid}`;
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .flatMap((c) => readdirSync(join(dir, c)).map((f) => readFileSync(join(dir, c, f), 'utf8')))
    .join('');
}

/** PIDs of processes whose command line contains every one of `words`. */
function processesWith(...words: string[]): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (words.every((w) => cmd.includes(w))) out.push(Number(d));
  }
  return out;
}

function netnsInode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** PIDs in the network namespace with inode `ino` whose command line contains `word`. */
function processesInNetns(ino: number, word: string): number[] {
  return processesWith(word).filter((pid) => netnsInode(`/proc/${pid}/ns/net`) === ino);
}

function nftTablesIn(netnsPath: string): string {
  const r = spawnSync('nsenter', [`--net=${netnsPath}`, 'nft', 'list', 'tables'], { encoding: 'utf8' });
  return r.stdout ?? '';
}

describe('virtnet node side on the lab cluster', { skip, timeout: 40 * 60_000 }, () => {
  let lab: Lab;
  let cri: CriClient;

  before(async () => {
    lab = labUp();
    cri = new CriClient(lab.containerdAddress);
    kubectl(lab, ['create', 'namespace', ns]);
    await waitFor('default service account', 60_000, () =>
      kubectl(lab, ['-n', ns, 'get', 'serviceaccount', 'default'], { check: false }).code === 0
        ? true
        : undefined,
    );
  });

  after(async () => {
    cri?.close();
    if (!lab) return;
    kubectl(lab, ['delete', 'namespace', ns, '--wait=false'], { check: false });
    labRelease();
    // The lab test, when this run has it, takes the lab down (and checks the host) at its end.
    if (lab.startedHere && !labTestInThisRun()) {
      await waitFor('other lab test files to finish', 60 * 60_000, () =>
        otherLabUsers().length === 0 ? true : undefined,
      );
      labDown();
    }
  });

  let bridgePodUid = '';
  let guestMac = '';
  let podIp = '';

  test('a bridge VMI on the pod network: Running once the guest is ACKed, status.interfaces has the pod IP and the guest MAC', async () => {
    applyVmi(lab, 'vm-bridge', {
      domain: { devices: { interfaces: [{ name: 'default', bridge: {} }] } },
      networks: [{ name: 'default', pod: {} }],
    });
    const vmi = await waitRunning(lab, 'vm-bridge');
    const pod = podGet(lab, 'virtnet-launcher-vm-bridge')!;
    bridgePodUid = pod.metadata!.uid!;
    podIp = pod.status!.podIP!;
    const iface = vmi.status!.interfaces!.find((i) => i.name === 'default')!;
    assert.equal(iface.infoSource, 'guest-dhcp');
    assert.equal(iface.ipAddress, podIp, 'the guest got the pod IP');
    assert.match(iface.mac!, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    guestMac = iface.mac!;
    // The sandbox the agent wired is the one the runtime reports for the pod.
    const sandbox = (await cri.findPodSandbox({
      namespace: ns,
      name: 'virtnet-launcher-vm-bridge',
      uid: bridgePodUid,
    }))!;
    assert.ok(sandbox, 'the CRI lists the pod sandbox');
    assert.equal(sandbox.ip, podIp);
    const dir = join(HOST_POD_STATE_ROOT, bridgePodUid);
    const ready = JSON.parse(readFileSync(join(dir, 'network-ready.json'), 'utf8')) as {
      netns: string;
      vm: string;
    };
    assert.equal(ready.vm, 'vm-bridge');
    assert.equal(netnsInode(ready.netns), netnsInode(reachableNetnsPath(sandbox.netnsPath, sandbox.pid)!));
    // The MAC the guest used is the one its VM NIC has: QEMU's netdev in the pod.
    const qemu = processesInNetns(netnsInode(ready.netns)!, 'qemu-system');
    assert.equal(qemu.length, 1, 'one QEMU in the pod');
    assert.ok(readFileSync(`/proc/${qemu[0]}/cmdline`, 'utf8').includes(guestMac), 'QEMU NIC has the MAC');
  });

  test('a peer pod reaches the guest on the pod network (TCP echo on port 7, HTTP on 80)', async () => {
    assert.ok(podIp, 'the bridge VMI runs');
    const r = await peerProbe(
      lab,
      'peer-bridge',
      `for i in $(seq 20); do out=$(echo virtnet-ping | nc -w 3 ${podIp} 7) && [ "$out" = virtnet-ping ] && break; sleep 1; done; ` +
        `[ "$out" = virtnet-ping ] || exit 1; printf 'GET /nics.txt HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${podIp} 80 | grep -q VIRTNET-NIC`,
    );
    assert.ok(r.ok, `peer could not reach the guest at ${podIp}:\n${r.log}`);
  });

  test('a masquerade VMI with a declared port: that port is reachable at the pod IP, an undeclared one is not', async () => {
    applyVmi(lab, 'vm-masq', {
      domain: {
        devices: { interfaces: [{ name: 'default', masquerade: {}, ports: [{ name: 'http', port: 80 }] }] },
      },
      networks: [{ name: 'default', pod: {} }],
    });
    await waitRunning(lab, 'vm-masq');
    const ip = podGet(lab, 'virtnet-launcher-vm-masq')!.status!.podIP!;
    const r = await peerProbe(
      lab,
      'peer-masq',
      `for i in $(seq 20); do printf 'GET /nics.txt HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${ip} 80 | grep -q VIRTNET-NIC && ok=1 && break; sleep 1; done; ` +
        `[ -n "$ok" ] || { echo declared-port-unreachable; exit 1; }; ` +
        `out=$(echo x | nc -w 3 ${ip} 7); [ -z "$out" ] || { echo undeclared-port-open; exit 1; }`,
    );
    assert.ok(r.ok, `masquerade ports at ${ip}:\n${r.log}`);
  });

  test('deleting the node agent while VMs run: it comes back, keeps their network, and sets up a new VMI', async () => {
    assert.ok(bridgePodUid, 'the bridge VMI runs');
    const agents = () =>
      getJson<{ items: V1Pod[] }>(lab, [
        '-n',
        'virtnet-system',
        'pod',
        '-l',
        'app.kubernetes.io/name=virtnet-agent',
      ])!.items;
    const old = agents()[0]!;
    const recordBefore = readFileSync(
      join(HOST_POD_STATE_ROOT, bridgePodUid, 'vms', 'vm-bridge', 'network.json'),
      'utf8',
    );
    kubectl(lab, ['-n', 'virtnet-system', 'delete', 'pod', old.metadata!.name!, '--wait=false']);
    // A VMI applied while the agent is away is set up by its successor.
    applyVmi(lab, 'vm-during', {
      domain: { devices: { interfaces: [{ name: 'default', bridge: {} }] } },
      networks: [{ name: 'default', pod: {} }],
    });
    await waitFor('a new agent Ready', 180_000, () =>
      agents().find(
        (p) => p.metadata!.uid !== old.metadata!.uid && p.status?.containerStatuses?.[0]?.ready === true,
      ),
    );
    await waitRunning(lab, 'vm-during');
    assert.equal(vmiGet(lab, 'vm-bridge')!.status!.phase, 'Running');
    assert.equal(
      readFileSync(join(HOST_POD_STATE_ROOT, bridgePodUid, 'vms', 'vm-bridge', 'network.json'), 'utf8'),
      recordBefore,
      'the running VM was resumed, not re-applied',
    );
    const r = await peerProbe(
      lab,
      'peer-after-agent',
      `for i in $(seq 20); do out=$(echo again | nc -w 3 ${podIp} 7) && [ "$out" = again ] && exit 0; sleep 1; done; exit 1`,
    );
    assert.ok(r.ok, `the guest lost its network across the agent's restart:\n${r.log}`);
  });

  test('kubectl delete vmi: the guest stops, the pod goes, the node keeps no namespace, nft table, process or record of it', async () => {
    assert.ok(bridgePodUid, 'the bridge VMI runs');
    const dir = join(HOST_POD_STATE_ROOT, bridgePodUid);
    const ready = JSON.parse(readFileSync(join(dir, 'network-ready.json'), 'utf8')) as { netns: string };
    const ino = netnsInode(ready.netns)!;
    const cniNetns = ready.netns.slice(ready.netns.indexOf('/run/netns/'));
    assert.ok(processesInNetns(ino, 'qemu-system').length === 1);
    kubectl(lab, ['-n', ns, 'delete', 'vmi', 'vm-bridge', '--wait=false']);
    await waitFor('VMI gone', 120_000, () => (vmiGet(lab, 'vm-bridge') ? undefined : true));
    assert.equal(podGet(lab, 'virtnet-launcher-vm-bridge'), undefined);
    await waitFor('state dir removed', 60_000, () => (existsSync(dir) ? undefined : true));
    assert.deepEqual(processesInNetns(ino, 'qemu-system'), [], 'no QEMU left');
    assert.deepEqual(processesWith('qemu-system', 'vm-bridge'), [], 'no QEMU of the VM anywhere');
    await waitFor('pod namespace gone', 60_000, () => (existsSync(cniNetns) ? undefined : true));
    const sandboxes = await cri.listPodSandboxes({ 'io.kubernetes.pod.uid': bridgePodUid }, true);
    assert.deepEqual(
      sandboxes.filter((s) => s.state === 'SANDBOX_READY'),
      [],
    );
  });

  test('kill -9 of a launcher: the VMI goes Failed with the reason, the node is cleaned', async () => {
    applyVmi(lab, 'vm-kill', {
      domain: { devices: { interfaces: [{ name: 'default', bridge: {} }] } },
      networks: [{ name: 'default', pod: {} }],
    });
    await waitRunning(lab, 'vm-kill');
    const pod = podGet(lab, 'virtnet-launcher-vm-kill')!;
    const dir = join(HOST_POD_STATE_ROOT, pod.metadata!.uid!);
    const ready = JSON.parse(readFileSync(join(dir, 'network-ready.json'), 'utf8')) as { netns: string };
    const ino = netnsInode(ready.netns)!;
    const launchers = processesInNetns(ino, 'kube launcher');
    assert.equal(launchers.length, 1, 'one launcher process in the pod');
    process.kill(launchers[0]!, 'SIGKILL');
    const failed = await waitFor('VMI Failed', 120_000, () => {
      const v = vmiGet(lab, 'vm-kill');
      return v?.status?.phase === 'Failed' ? v : undefined;
    });
    assert.equal(failed.status!.reason, 'LauncherPodFailed');
    assert.match(failed.status!.message ?? '', /exit code 137/, 'SIGKILL shows as exit code 137');
    await waitFor('state dir removed', 60_000, () => (existsSync(dir) ? undefined : true));
    assert.deepEqual(processesInNetns(ino, 'qemu-system'), [], 'no QEMU left');
    const left = existsSync(ready.netns) ? nftTablesIn(ready.netns) : '';
    assert.ok(!/virtnet/.test(left), `nft tables left: ${left}`);
    kubectl(lab, ['-n', ns, 'delete', 'vmi', 'vm-kill', '--wait=false'], { check: false });
  });
});
