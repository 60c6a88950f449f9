// bench/vmi-pod: on a running cluster with virtnet deployed (scripts/k8s-lab.sh up), the time from
// creating a VirtualMachineInstance (through both admission webhooks) to its launcher pod existing (seen
// by a watch), median of N runs (default 10). Peer in the same run: creating a plain pod directly, to
// the watch seeing it — the floor of the API round trips without the webhooks and the controller.
// Run: `KUBECONFIG=... node --import tsx bench/vmi-pod.ts [runs]`. Prints one JSON document.
import { performance } from 'node:perf_hooks';
import { Watch, type V1Pod } from '@kubernetes/client-node';
import { kubeClients } from '../src/kube/kube-client.js';
import { median } from './stats.js';

const runs = Math.max(3, Number(process.argv[2] ?? 10));
const kube = kubeClients();
const namespace = `vnbench-${process.pid}`;

/** Resolves with the time a pod named `name` is first seen by a watch. */
async function podSeen(name: string): Promise<{ seen: Promise<number>; stop: () => void }> {
  let resolveSeen!: (t: number) => void;
  const seen = new Promise<number>((r) => (resolveSeen = r));
  const ready = new Promise<void>((r) => setTimeout(r, 300));
  const req = await new Watch(kube.config).watch(
    `/api/v1/namespaces/${namespace}/pods`,
    { fieldSelector: `metadata.name=${name}` },
    (phase: string) => {
      if (phase === 'ADDED') resolveSeen(performance.now());
    },
    () => undefined,
  );
  await ready;
  return { seen, stop: () => req.abort() };
}

await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
const vmiMs: number[] = [];
const podMs: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const w1 = await podSeen(`virtnet-launcher-bench-${i}`);
    const t1 = performance.now();
    await kube.custom.createNamespacedCustomObject({
      group: 'virtnet.io',
      version: 'v1alpha1',
      namespace,
      plural: 'virtualmachineinstances',
      body: {
        apiVersion: 'virtnet.io/v1alpha1',
        kind: 'VirtualMachineInstance',
        metadata: { name: `bench-${i}` },
        spec: { terminationGracePeriodSeconds: 0, domain: { devices: {} } },
      },
    });
    vmiMs.push((await w1.seen) - t1);
    w1.stop();
    const w2 = await podSeen(`plain-${i}`);
    const t2 = performance.now();
    const pod: V1Pod = {
      metadata: { name: `plain-${i}` },
      spec: {
        terminationGracePeriodSeconds: 0,
        containers: [
          {
            name: 'c',
            image: 'localhost/virtnet-peer:lab',
            imagePullPolicy: 'Never',
            command: ['sleep', '3600'],
          },
        ],
      },
    };
    await kube.core.createNamespacedPod({ namespace, body: pod });
    podMs.push((await w2.seen) - t2);
    w2.stop();
  }
} finally {
  await kube.core.deleteNamespace({ name: namespace });
}
process.stdout.write(
  `${JSON.stringify({ bench: 'vmi-pod', runs, vmiToLauncherPodMsP50: +median(vmiMs).toFixed(1), peerPlainPodCreateToWatchMsP50: +median(podMs).toFixed(1), vmiMs: vmiMs.map((x) => +x.toFixed(1)), peerMs: podMs.map((x) => +x.toFixed(1)) }, null, 2)}\n`,
);
