// bench/kube-node: on the lab cluster with virtnet deployed (scripts/k8s-lab.sh up), N VMIs (default
// 10, bridge on the pod network, default guest) created at once: time from the create call to the VMI
// Running with the guest's address in status.interfaces (p50, p90), and to the guest's DHCP ACK (the
// launcher's guest.json ackedAt); the node agent's resident memory with no VM, 1 VM and N VMs; each
// launcher's own Node.js RSS (QEMU apart). Peer in the same run: N plain busybox pods created at once,
// create → Ready. Run as root on the node: `KUBECONFIG=... node --import tsx bench/kube-node.ts [N]`.
// Prints one JSON document.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { kubeClients } from '../src/kube/kube-client.js';
import { HOST_POD_STATE_ROOT } from '../src/state/launcher-files.js';
import { median, quantile } from './stats.js';

const n = Math.max(1, Number(process.argv[2] ?? 10));
const kube = kubeClients();
const namespace = `vnbench-node-${process.pid}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** PIDs whose command line contains `words` (all of them). */
function pidsWith(...words: string[]): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (words.every((w) => cmd.includes(w))) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

const agentRssMiB = (): number => {
  const [pid] = pidsWith('main.js', 'kube agent');
  if (pid === undefined) throw new Error('no node agent process on this node');
  return Math.round((rssKiB(pid) / 1024) * 10) / 10;
};

type Vmi = {
  metadata: { name: string };
  status?: { phase?: string; interfaces?: { infoSource?: string }[] };
};

async function listVmis(): Promise<Vmi[]> {
  const list = (await kube.custom.listNamespacedCustomObject({
    group: 'virtnet.io',
    version: 'v1alpha1',
    namespace,
    plural: 'virtualmachineinstances',
  })) as { items: Vmi[] };
  return list.items;
}

function vmiBody(name: string): object {
  return {
    apiVersion: 'virtnet.io/v1alpha1',
    kind: 'VirtualMachineInstance',
    metadata: { name, namespace },
    spec: {
      terminationGracePeriodSeconds: 5,
      domain: { devices: { interfaces: [{ name: 'default', bridge: {} }] } },
      networks: [{ name: 'default', pod: {} }],
    },
  };
}

/** Creates `names` at once; resolves per name to ms from its create call to Running with a guest address. */
async function createVmis(
  names: string[],
): Promise<{ running: Map<string, number>; created: Map<string, number> }> {
  const created = new Map<string, number>();
  await Promise.all(
    names.map(async (name) => {
      created.set(name, Date.now());
      await kube.custom.createNamespacedCustomObject({
        group: 'virtnet.io',
        version: 'v1alpha1',
        namespace,
        plural: 'virtualmachineinstances',
        body: vmiBody(name),
      });
    }),
  );
  const running = new Map<string, number>();
  const deadline = Date.now() + 15 * 60_000;
  while (running.size < names.length) {
    if (Date.now() > deadline) throw new Error(`only ${running.size}/${names.length} VMIs Running`);
    for (const v of await listVmis()) {
      const name = v.metadata.name;
      if (!names.includes(name) || running.has(name)) continue;
      if (v.status?.phase === 'Failed') throw new Error(`VMI ${name} Failed`);
      if (v.status?.phase === 'Running' && v.status.interfaces?.some((i) => i.infoSource === 'guest-dhcp'))
        running.set(name, Date.now() - created.get(name)!);
    }
    await sleep(250);
  }
  return { running, created };
}

async function launcherPod(vmi: string): Promise<V1Pod> {
  return kube.core.readNamespacedPod({ namespace, name: `virtnet-launcher-${vmi}` });
}

/** ms from the create call to the guest's first DHCP ACK, from the launcher's guest.json. */
async function ackMs(vmi: string, createdAt: number): Promise<number> {
  const uid = (await launcherPod(vmi)).metadata!.uid!;
  const guest = JSON.parse(readFileSync(join(HOST_POD_STATE_ROOT, uid, 'guest.json'), 'utf8')) as {
    interfaces: { ackedAt: string }[];
  };
  return Date.parse(guest.interfaces[0]!.ackedAt) - createdAt;
}

async function deleteAllVmis(): Promise<void> {
  for (const v of await listVmis())
    await kube.custom.deleteNamespacedCustomObject({
      group: 'virtnet.io',
      version: 'v1alpha1',
      namespace,
      plural: 'virtualmachineinstances',
      name: v.metadata.name,
    });
  for (let i = 0; (await listVmis()).length > 0; i++) {
    if (i > 600) throw new Error('VMIs not deleted');
    await sleep(500);
  }
}

/** The peer: `count` busybox pods created at once, create → Ready (ms). */
async function peerPods(count: number): Promise<number[]> {
  const created = new Map<string, number>();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const name = `peer-${i}`;
      created.set(name, Date.now());
      await kube.core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name },
          spec: {
            terminationGracePeriodSeconds: 0,
            automountServiceAccountToken: false,
            containers: [
              {
                name: 'c',
                image: 'localhost/virtnet-peer:lab',
                imagePullPolicy: 'Never',
                command: ['/bin/sleep', '3600'],
                readinessProbe: { exec: { command: ['/bin/busybox', 'true'] }, periodSeconds: 1 },
              },
            ],
          },
        },
      });
    }),
  );
  const ready = new Map<string, number>();
  while (ready.size < count) {
    const pods = await kube.core.listNamespacedPod({ namespace });
    for (const p of pods.items) {
      const name = p.metadata!.name!;
      if (!created.has(name) || ready.has(name)) continue;
      if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
        ready.set(name, Date.now() - created.get(name)!);
    }
    await sleep(250);
  }
  await kube.core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 });
  return [...ready.values()];
}

const stats = (xs: number[]) => ({ p50: median(xs), p90: quantile(xs, 0.9), max: Math.max(...xs) });

await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
try {
  // The namespace's default ServiceAccount must exist before any pod.
  for (let i = 0; ; i++) {
    try {
      await kube.core.readNamespacedServiceAccount({ namespace, name: 'default' });
      break;
    } catch (err) {
      if (i > 120) throw err;
      await sleep(500);
    }
  }
  const agentIdle = agentRssMiB();
  const one = await createVmis(['bench-one']);
  await sleep(2000);
  const agentOne = agentRssMiB();
  await deleteAllVmis();
  const names = Array.from({ length: n }, (_, i) => `bench-${i}`);
  const many = await createVmis(names);
  await sleep(2000);
  const agentMany = agentRssMiB();
  const runningMs = [...many.running.values()];
  const acks = await Promise.all(names.map((name) => ackMs(name, many.created.get(name)!)));
  const launcherRss = pidsWith('main.js', 'kube launcher').map((pid) => rssKiB(pid) / 1024);
  await deleteAllVmis();
  const peerMs = await peerPods(n);
  process.stdout.write(
    `${JSON.stringify(
      {
        vmis: n,
        applyToRunningMs: stats(runningMs),
        applyToGuestAckMs: stats(acks),
        oneVmiApplyToRunningMs: one.running.get('bench-one'),
        peerPodCreateToReadyMs: stats(peerMs),
        runningOverPeerP50: Math.round((median(runningMs) / median(peerMs)) * 10) / 10,
        agentRssMiB: { idle: agentIdle, oneVm: agentOne, [`${n}Vms`]: agentMany },
        launcherNodeRssMiB: launcherRss.length > 0 ? Math.round(median(launcherRss) * 10) / 10 : null,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await deleteAllVmis().catch(() => undefined);
  await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
}
