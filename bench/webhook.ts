// bench/webhook: latency of virtnet's admission webhooks as the apiserver sees it — one AdmissionReview v1
// POST over a kept-alive HTTPS connection (the apiserver reuses connections) to the real server
// (src/kube/webhook-server.ts, its own CA and certificate), for a VMI with 4 interfaces on pod, Multus
// and SR-IOV networks. The peer, measured in the same run and interleaved with it: an HTTPS server on the
// same TLS material answering a fixed "allowed" review (the floor: TLS, HTTP, JSON both ways). Target:
// p50 <= 20 ms for each webhook. Several rounds, median; CPU load is printed since the machine is shared.
// Run: `node --import tsx bench/webhook.ts [requests-per-endpoint]`. Prints one JSON document.
import { Agent, createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { makeWebhookTls } from '../src/kube/webhook-certs.js';
import { startWebhookServer } from '../src/kube/webhook-server.js';
import { median, quantile } from './stats.js';

const requests = Math.max(50, Number(process.argv[2] ?? 300));
const TARGET_P50_MS = 20;

const vmi = {
  apiVersion: 'virtnet.io/v1alpha1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'bench', namespace: 'default', uid: '1b0b4c2e-0000-4000-8000-000000000001' },
  spec: {
    domain: {
      cpu: { cores: 2 },
      memory: { guest: '1Gi' },
      devices: {
        interfaces: [
          { name: 'default', masquerade: {}, ports: [{ name: 'ssh', port: 22 }] },
          { name: 'data', bridge: {}, macAddress: '02:00:00:00:00:01' },
          { name: 'storage', bridge: {} },
          { name: 'vf', sriov: {}, pciAddress: '0000:06:00.0' },
        ],
      },
    },
    networks: [
      { name: 'default', pod: {} },
      { name: 'data', multus: { networkName: 'default/data' } },
      { name: 'storage', multus: { networkName: 'storage-net' } },
      { name: 'vf', multus: { networkName: 'sriov-a' } },
    ],
  },
};

function review(uid: number): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `req-${uid}`,
      kind: { group: 'virtnet.io', version: 'v1alpha1', kind: 'VirtualMachineInstance' },
      resource: { group: 'virtnet.io', version: 'v1alpha1', resource: 'virtualmachineinstances' },
      operation: 'CREATE',
      name: 'bench',
      namespace: 'default',
      object: vmi,
      userInfo: { username: 'admin' },
    },
  });
}

const tls = makeWebhookTls('virtnet-webhook', 'virtnet-system');
const server = await startWebhookServer({ port: 0, host: '127.0.0.1', cert: tls.tlsCert, key: tls.tlsKey });
const peer = createServer({ cert: tls.tlsCert, key: tls.tlsKey }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const uid = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: { uid: string } }).request
      .uid;
    const body = JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid, allowed: true },
    });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
});
await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));

const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: tls.caCert });

function post(port: number, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        servername: 'virtnet-webhook.virtnet-system.svc',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const out = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            response?: { allowed?: boolean };
          };
          if (res.statusCode !== 200 || out.response?.allowed !== true)
            reject(new Error(`${path}: HTTP ${res.statusCode}`));
          else resolve(performance.now() - t0);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const webhookPort = (server.address() as AddressInfo).port;
const peerPort = (peer.address() as AddressInfo).port;
const endpoints = {
  validate: [webhookPort, '/validate-vmi'],
  mutate: [webhookPort, '/mutate-vmi'],
  peer: [peerPort, '/'],
} as const;
const samples: Record<keyof typeof endpoints, number[]> = { validate: [], mutate: [], peer: [] };

// Warm-up (JIT, zod's compiled schemas, TLS sessions), then interleaved so machine load hits all alike.
for (let i = 0; i < 30; i++)
  for (const [port, path] of Object.values(endpoints)) await post(port, path, review(i));
const load0 = loadavg()[0]!;
for (let i = 0; i < requests; i++) {
  for (const [name, [port, path]] of Object.entries(endpoints) as [
    keyof typeof endpoints,
    readonly [number, string],
  ][])
    samples[name].push(await post(port, path, review(i)));
}

const stat = (xs: number[]) => ({
  p50Ms: +median(xs).toFixed(3),
  p90Ms: +quantile(xs, 0.9).toFixed(3),
  p99Ms: +quantile(xs, 0.99).toFixed(3),
});
const validate = stat(samples.validate);
const mutate = stat(samples.mutate);
const floor = stat(samples.peer);
process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'webhook',
      requestsPerEndpoint: requests,
      validate,
      mutate,
      peerFixedResponse: floor,
      ratioValidateToPeerP50: +(validate.p50Ms / floor.p50Ms).toFixed(2),
      ratioMutateToPeerP50: +(mutate.p50Ms / floor.p50Ms).toFixed(2),
      targetP50Ms: TARGET_P50_MS,
      pass: validate.p50Ms <= TARGET_P50_MS && mutate.p50Ms <= TARGET_P50_MS,
      loadavg1: [+load0.toFixed(2), +loadavg()[0]!.toFixed(2)],
    },
    null,
    2,
  )}\n`,
);
agent.destroy();
server.close();
peer.close();
