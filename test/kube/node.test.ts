// virtnet's node side on the lab cluster: a VMI applied with kubectl becomes a VM the node agent wired
// (through the CRI's sandbox, the network phase, the launcher's DHCP and QEMU) and that other pods
// reach; deletion and crashes leave nothing behind on the node. Peer pods run their probe themselves
// and exit 0 on success (the lab's kubelet is not reachable for `kubectl exec`). VIRTNET_SKIP_K8S_LAB=1
// skips it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { CriClient } from '../../src/cri/cri-client.js';
import { chooseAccel } from '../../src/hypervisor/host-facts.js';
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
/** A secondary network: a NAD with the bridge plugin on a host bridge of this run, IPAM in a dir of its own. */
const NAD = 'blue';
const NAD_BRIDGE = `vnm${randomBytes(3).toString('hex')}`;
const NAD_SUBNET_OCTET = 100 + (randomBytes(1)[0]! % 100);
const NAD_IPAM_DIR = `/run/${NAD_BRIDGE}-ipam`;

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
async function peerProbe(
  lab: Lab,
  name: string,
  script: string,
  networks?: string,
): Promise<{ ok: boolean; log: string }> {
  kubectl(lab, ['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: ns,
        ...(networks ? { annotations: { 'k8s.v1.cni.cncf.io/networks': networks } } : {}),
      },
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

/**
 * A process as PID plus start time: the kernel reuses PIDs, and a freed namespace's inode number goes
 * to the next namespace made (another test's pod), so neither alone says a process is still the same.
 */
function processIdentity(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the command name, which may hold spaces.
    return `${pid}@${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return undefined;
  }
}

/** Of the processes `ids` (from processIdentity), those still running. */
function stillRunning(ids: string[]): string[] {
  return ids.filter((id) => processIdentity(Number(id.split('@')[0])) === id);
}

/** The host end of the pod's `ifname` veth: its name and index, read from the pod's side. */
function hostPeerOf(netnsPath: string, ifname: string): { name: string; index: number } {
  const r = spawnSync('nsenter', [`--net=${netnsPath}`, 'ip', '-j', 'link', 'show', ifname], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `ip link show ${ifname} in ${netnsPath}: ${r.stderr}`);
  const index = (JSON.parse(r.stdout) as { link_index?: number }[])[0]?.link_index;
  assert.ok(index, `${ifname} in ${netnsPath} is a veth with a peer: ${r.stdout}${r.stderr}`);
  const host = JSON.parse(spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }).stdout) as {
    ifindex: number;
    ifname: string;
  }[];
  const peer = host.find((l) => l.ifindex === index);
  assert.ok(peer, `the host has the peer (ifindex ${index}) of ${ifname}`);
  return { name: peer.ifname, index };
}

function hostLinkExists(link: { name: string; index: number }): boolean {
  const r = spawnSync('ip', ['-j', 'link', 'show', link.name], { encoding: 'utf8' });
  return r.status === 0 && (JSON.parse(r.stdout) as { ifindex: number }[])[0]?.ifindex === link.index;
}

/** True while host-local (the NAD's IPAM) still has `ip` allocated. */
function ipamHolds(ip: string): boolean {
  if (!existsSync(NAD_IPAM_DIR)) return false;
  return readdirSync(NAD_IPAM_DIR).some((net) => existsSync(join(NAD_IPAM_DIR, net, ip)));
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
    kubectl(lab, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'k8s.cni.cncf.io/v1',
        kind: 'NetworkAttachmentDefinition',
        metadata: { name: NAD, namespace: ns },
        spec: {
          config: JSON.stringify({
            cniVersion: '0.4.0',
            type: 'bridge',
            bridge: NAD_BRIDGE,
            ipam: { type: 'host-local', subnet: `172.31.${NAD_SUBNET_OCTET}.0/24`, dataDir: NAD_IPAM_DIR },
          }),
        },
      }),
    });
  });

  after(async () => {
    cri?.close();
    if (!lab) return;
    kubectl(lab, ['delete', 'namespace', ns, '--wait=false'], { check: false });
    // The bridge plugin leaves its bridge; the run's own, by name.
    // The NAD's last DELs (host-local recreates its dir on each) come while the namespace goes.
    await waitFor('namespace gone', 180_000, () =>
      getJson(lab, ['namespace', ns]) === undefined ? true : undefined,
    ).catch(() => undefined);
    spawnSync('ip', ['link', 'del', NAD_BRIDGE]);
    rmSync(NAD_IPAM_DIR, { recursive: true, force: true });
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
  let podIp = '';
  let nadIp = '';

  test('a VMI with bridge interfaces on the pod network and on a Multus network: Running once the guest is ACKed, status.interfaces has the pod IP and the NAD IP with the guest MACs', async () => {
    applyVmi(lab, 'vm-bridge', {
      domain: {
        devices: {
          interfaces: [
            { name: 'default', bridge: {} },
            { name: 'blue', bridge: {} },
          ],
        },
      },
      networks: [
        { name: 'default', pod: {} },
        { name: 'blue', multus: { networkName: NAD } },
      ],
    });
    await waitRunning(lab, 'vm-bridge');
    const pod = podGet(lab, 'virtnet-launcher-vm-bridge')!;
    bridgePodUid = pod.metadata!.uid!;
    podIp = pod.status!.podIP!;
    const status = JSON.parse(pod.metadata!.annotations!['k8s.v1.cni.cncf.io/network-status']!) as {
      name: string;
      ips?: string[];
    }[];
    const nadStatus = status.find((s) => s.name === `${ns}/${NAD}`);
    assert.ok(nadStatus?.ips?.[0], 'the delegating plugin attached the NAD');
    nadIp = nadStatus.ips[0]!;
    await waitFor('both interfaces ACKed', 120_000, () =>
      vmiGet(lab, 'vm-bridge')!.status!.interfaces!.every((i) => i.infoSource === 'guest-dhcp')
        ? true
        : undefined,
    );
    const ifaces = vmiGet(lab, 'vm-bridge')!.status!.interfaces!;
    const def = ifaces.find((i) => i.name === 'default')!;
    const blue = ifaces.find((i) => i.name === 'blue')!;
    assert.equal(def.ipAddress, podIp, 'the guest got the pod IP');
    assert.equal(blue.ipAddress, nadIp, "the guest got the NAD's IP");
    assert.match(def.mac!, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    assert.notEqual(def.mac, blue.mac);
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
    // The MACs the guest used are its VM NICs': QEMU's devices in the pod.
    const qemu = processesInNetns(netnsInode(ready.netns)!, 'qemu-system');
    assert.equal(qemu.length, 1, 'one QEMU in the pod');
    const cmdline = readFileSync(`/proc/${qemu[0]}/cmdline`, 'utf8');
    assert.ok(cmdline.includes(def.mac!) && cmdline.includes(blue.mac!), 'QEMU NICs have the MACs');
    // The agent's KVM slot: /dev/kvm in the launcher's container exactly when the node has it, and
    // QEMU under what the node allows (here KVM-PVM, whose stock guests hang, means TCG).
    const launcher = processesInNetns(netnsInode(ready.netns)!, 'kube launcher');
    assert.equal(launcher.length, 1, 'one launcher in the pod');
    assert.equal(
      existsSync(`/proc/${launcher[0]}/root/dev/kvm`),
      existsSync('/dev/kvm'),
      '/dev/kvm as the node has it',
    );
    const accel = chooseAccel('auto');
    assert.ok(cmdline.includes(`\0-accel\0${accel.accel}\0`), `QEMU runs under ${accel.accel}`);
    assert.ok(
      podLog(pod).includes(`under QEMU (${accel.accel}: ${accel.reason})`),
      `the launcher says which accelerator and why: ${podLog(pod).slice(0, 2000)}`,
    );
  });

  test('a peer pod reaches the guest on both networks (TCP echo on port 7) and the guest reaches the peer', async () => {
    assert.ok(podIp && nadIp, 'the bridge VMI runs');
    const echo = (ip: string) =>
      `ok=; for i in $(seq 20); do out=$(echo virtnet-ping | nc -w 3 ${ip} 7); [ "$out" = virtnet-ping ] && ok=1 && break; sleep 1; done; ` +
      `[ -n "$ok" ] || { echo no echo from ${ip}; exit 1; }; `;
    const r = await peerProbe(
      lab,
      'peer-bridge',
      echo(podIp) +
        echo(nadIp) +
        // The guest connects to this peer's address on the NAD (its CGI answers with what we sent).
        `me=$(ip -4 addr show net1 | sed -n 's/.*inet \\([0-9.]*\\).*/\\1/p'); ` +
        `(echo peer-pong | nc -l -p 9000) & sleep 1; ` +
        `printf 'GET /cgi-bin/connect?host=%s&port=9000 HTTP/1.0\\r\\n\\r\\n' "$me" | nc -w 10 ${nadIp} 80 | grep -q peer-pong || { echo guest did not reach $me; exit 1; }`,
      NAD,
    );
    assert.ok(r.ok, `peer and guest (${podIp}, ${nadIp}):\n${r.log}`);
  });

  test("a masquerade VMI with a declared port: that port is reachable at the pod IP, an undeclared one is not, and the guest's outbound traffic leaves with the pod IP", async () => {
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
        `out=$(echo x | nc -w 3 ${ip} 7); [ -z "$out" ] || { echo undeclared-port-open; exit 1; }; ` +
        // The guest connects to this peer; the peer answers with its socket table, which shows the
        // connection's source as the peer saw it.
        `me=$(ip -4 addr show eth0 | sed -n 's/.*inet \\([0-9.]*\\).*/\\1/p'); ` +
        `(nc -l -p 9000 -e cat /proc/net/tcp /proc/net/tcp6) & sleep 1; ` +
        `printf 'GET /cgi-bin/connect?host=%s&port=9000 HTTP/1.0\\r\\n\\r\\n' "$me" | nc -w 10 ${ip} 80 | sed 's/^/OUTBOUND /'`,
    );
    assert.ok(r.ok, `masquerade ports at ${ip}:\n${r.log}`);
    // /proc/net/tcp{,6}: "local rem" as little-endian hex (a v4-mapped address in tcp6); the peer's
    // :9000 (2328) socket's remote is the pod IP.
    const hexIp = ip
      .split('.')
      .reverse()
      .map((o) => Number(o).toString(16).padStart(2, '0').toUpperCase())
      .join('');
    assert.match(
      r.log,
      new RegExp(`OUTBOUND .*:2328 (?:0{16}FFFF0000)?${hexIp}:`),
      `the guest's connection came from ${ip}:\n${r.log}`,
    );
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

  test('kubectl delete vmi: the guest stops, the pod goes, the node keeps no namespace, link, nft table, process or record of it', async () => {
    assert.ok(bridgePodUid, 'the bridge VMI runs');
    const dir = join(HOST_POD_STATE_ROOT, bridgePodUid);
    const ready = JSON.parse(readFileSync(join(dir, 'network-ready.json'), 'utf8')) as { netns: string };
    const ino = netnsInode(ready.netns)!;
    const cniNetns = ready.netns.slice(ready.netns.indexOf('/run/netns/'));
    const qemu = processesInNetns(ino, 'qemu-system');
    assert.equal(qemu.length, 1, 'one QEMU in the pod');
    const launcher = processesInNetns(ino, 'kube launcher');
    assert.equal(launcher.length, 1, 'one launcher in the pod');
    const vmProcesses = [...qemu, ...launcher].map((pid) => processIdentity(pid)!);
    const hostVeth = hostPeerOf(ready.netns, 'eth0');
    const status = JSON.parse(
      podGet(lab, 'virtnet-launcher-vm-bridge')!.metadata!.annotations!['k8s.v1.cni.cncf.io/network-status']!,
    ) as { name: string; interface: string }[];
    const nadVeth = hostPeerOf(ready.netns, status.find((s) => s.name === `${ns}/${NAD}`)!.interface);
    kubectl(lab, ['-n', ns, 'delete', 'vmi', 'vm-bridge', '--wait=false']);
    await waitFor('VMI gone', 120_000, () => (vmiGet(lab, 'vm-bridge') ? undefined : true));
    assert.equal(podGet(lab, 'virtnet-launcher-vm-bridge'), undefined);
    await waitFor('state dir removed', 60_000, () => (existsSync(dir) ? undefined : true));
    // The kubelet reports the pod gone once its containers are: QEMU and the launcher went with them.
    assert.deepEqual(stillRunning(vmProcesses), [], 'no QEMU or launcher of the VM left');
    assert.deepEqual(processesWith('qemu-system', 'vm-bridge'), [], 'no QEMU of the VM anywhere');
    await waitFor('pod namespace gone', 60_000, () => (existsSync(cniNetns) ? undefined : true));
    // The pod's own links and nft tables went with its namespace; its veths' host ends with the CNI DEL.
    await waitFor('host ends of the pod veths gone', 60_000, () =>
      hostLinkExists(hostVeth) || hostLinkExists(nadVeth) ? undefined : true,
    );
    const hostTables = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' }).stdout;
    assert.ok(!hostTables.includes('vm-bridge') && !hostTables.includes('vm_bridge'), hostTables);
    const sandboxes = await cri.listPodSandboxes({ 'io.kubernetes.pod.uid': bridgePodUid }, true);
    assert.deepEqual(
      sandboxes.filter((s) => s.state === 'SANDBOX_READY'),
      [],
    );
    // host-local keeps one file per allocated address: the VM's NAD address is free again.
    await waitFor('NAD address released', 60_000, () => (ipamHolds(nadIp) ? undefined : true));
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
    const qemu = processesInNetns(ino, 'qemu-system');
    assert.equal(qemu.length, 1, 'one QEMU in the pod');
    const qemuId = processIdentity(qemu[0]!)!;
    process.kill(launchers[0]!, 'SIGKILL');
    const failed = await waitFor('VMI Failed', 120_000, () => {
      const v = vmiGet(lab, 'vm-kill');
      return v?.status?.phase === 'Failed' ? v : undefined;
    });
    assert.equal(failed.status!.reason, 'LauncherPodFailed');
    assert.match(failed.status!.message ?? '', /exit code 137/, 'SIGKILL shows as exit code 137');
    await waitFor('state dir removed', 60_000, () => (existsSync(dir) ? undefined : true));
    assert.deepEqual(stillRunning([qemuId]), [], 'no QEMU left');
    const left = existsSync(ready.netns) ? nftTablesIn(ready.netns) : '';
    assert.ok(!/virtnet/.test(left), `nft tables left: ${left}`);
    kubectl(lab, ['-n', ns, 'delete', 'vmi', 'vm-kill', '--wait=false'], { check: false });
  });
});
