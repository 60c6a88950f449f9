import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { kustomization, manifestFiles } from './manifests.js';
import { vmiCrd } from './vmi-crd.js';

const deployDir = join(import.meta.dirname, '..', '..', 'deploy');

test('deploy/ holds exactly what `virtnet kube manifests` makes (regenerate with --write deploy)', () => {
  const files = manifestFiles();
  for (const f of files) {
    const onDisk = parseAllDocuments(readFileSync(join(deployDir, f.file), 'utf8')).map(
      (d) => d.toJS() as unknown,
    );
    assert.deepEqual(onDisk, f.objects, `${f.file} is stale: run \`virtnet kube manifests --write deploy\``);
  }
  assert.deepEqual(parse(readFileSync(join(deployDir, 'kustomization.yaml'), 'utf8')), kustomization(files));
});

test(
  'kubectl kustomize deploy/ builds the base',
  { skip: !existsSync('/usr/bin/kubectl') && 'no kubectl' },
  () => {
    const r = spawnSync('kubectl', ['kustomize', deployDir], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const kinds = parseAllDocuments(r.stdout).map((d) => (d.toJS() as { kind: string }).kind);
    for (const k of [
      'Namespace',
      'CustomResourceDefinition',
      'ServiceAccount',
      'ClusterRole',
      'Role',
      'Service',
      'Deployment',
      'DaemonSet',
      'MutatingWebhookConfiguration',
      'ValidatingWebhookConfiguration',
    ])
      assert.ok(kinds.includes(k), k);
  },
);

test('RBAC: each component has its own account; the webhook may read only its own Secret and configurations', () => {
  const objects = manifestFiles().flatMap((f) => f.objects) as {
    kind: string;
    metadata: { name: string };
    rules?: { resources: string[]; verbs: string[]; resourceNames?: string[] }[];
  }[];
  const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
  for (const r of roles)
    for (const rule of r.rules ?? [])
      assert.ok(
        !rule.verbs.includes('*') && !rule.resources.includes('*'),
        `${r.metadata.name}: no wildcards`,
      );
  const webhookRules = roles
    .filter((r) => r.metadata.name === 'virtnet-webhook')
    .flatMap((r) => r.rules ?? []);
  for (const rule of webhookRules)
    if (!rule.verbs.includes('create'))
      assert.ok(rule.resourceNames && rule.resourceNames.length > 0, 'reads are limited by name');
  const controllerRules = roles
    .filter((r) => r.metadata.name === 'virtnet-controller')
    .flatMap((r) => r.rules ?? []);
  assert.ok(!controllerRules.some((r) => r.resources.includes('secrets')), 'the controller reads no Secret');
});

test('the deployed CRD: a status subresource and schema, printer columns, and no value rules in spec', () => {
  type Schema = { properties: Record<string, Schema>; items: Schema; enum?: string[] };
  type Version = {
    subresources: unknown;
    additionalPrinterColumns: { name: string }[];
    schema: { openAPIV3Schema: Schema };
  };
  const version = (vmiCrd() as unknown as { spec: { versions: Version[] } }).spec.versions[0]!;
  assert.deepEqual(version.subresources, { status: {} });
  assert.deepEqual(
    version.additionalPrinterColumns.map((c) => c.name),
    ['Phase', 'Node', 'IP', 'Ready', 'Age'],
  );
  const status = version.schema.openAPIV3Schema.properties.status!.properties;
  assert.deepEqual(Object.keys(status.interfaces!.items.properties), [
    'name',
    'mac',
    'ipAddress',
    'ipAddresses',
    'interfaceName',
    'infoSource',
  ]);
  assert.deepEqual(status.phase!.enum, [
    'Pending',
    'Scheduling',
    'Scheduled',
    'Running',
    'Succeeded',
    'Failed',
  ]);
  const spec = JSON.stringify(version.schema.openAPIV3Schema.properties.spec);
  for (const k of ['"pattern"', '"enum"', '"minimum"', '"oneOf"'])
    assert.ok(!spec.includes(k), `${k} left in spec`);
});

test('the node agent: a privileged DaemonSet in the host network and PID namespaces, with what it reads and wires', () => {
  const objects = manifestFiles({ criSocket: '/run/k3s/containerd/containerd.sock' }).flatMap(
    (f) => f.objects,
  ) as { kind: string; metadata: { name: string }; spec?: unknown; rules?: unknown }[];
  type Container = {
    args: string[];
    volumeMounts: { name: string; mountPath: string }[];
    env: unknown[];
    securityContext: { privileged?: boolean };
  };
  type PodSpec = {
    hostNetwork: boolean;
    hostPID: boolean;
    containers: Container[];
    volumes: { name: string; hostPath: { path: string } }[];
  };
  const ds = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'virtnet-agent')!;
  const pod = (ds.spec as { template: { spec: PodSpec } }).template.spec;
  assert.equal(pod.hostNetwork, true);
  assert.equal(pod.hostPID, true);
  const c = pod.containers[0]!;
  assert.equal(c.securityContext.privileged, true);
  assert.deepEqual(c.args, [
    'kube',
    'agent',
    '--cri-address',
    '/run/virtnet-cri/containerd.sock',
    '--cni-bin-dir',
    '/opt/cni/bin',
    '--cni-conf-dir',
    '/etc/cni/net.d',
    '--cni-plugin-home',
    '/opt/virtnet/cni',
    '--cni-token-dir',
    '/var/run/secrets/virtnet.io/cni',
  ]);
  assert.deepEqual(c.env[0], { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
  const hostPaths: Record<string, string> = Object.fromEntries(
    pod.volumes.filter((v) => v.hostPath).map((v) => [v.name, v.hostPath.path]),
  );
  // The CNI dirs and the plugin's home at their host paths: the files written there name each other.
  const mounts = Object.fromEntries(c.volumeMounts.map((m) => [m.name, m.mountPath]));
  for (const v of ['cni-bin', 'cni-conf', 'cni-home', 'device-plugins'])
    assert.equal(mounts[v], hostPaths[v]);
  assert.deepEqual(hostPaths, {
    state: '/var/lib/virtnet',
    cri: '/run/k3s/containerd',
    'cni-bin': '/opt/cni/bin',
    'cni-conf': '/etc/cni/net.d',
    'cni-home': '/opt/virtnet/cni',
    'device-plugins': '/var/lib/kubelet/device-plugins',
  });
  // The delegating plugin's token: its own ServiceAccount's, from a Secret the token controller fills.
  assert.deepEqual(
    pod.volumes.find((v) => v.name === 'cni-token'),
    { name: 'cni-token', secret: { secretName: 'virtnet-cni-token', defaultMode: 0o400 } },
  );
  const secret = objects.find(
    (o) => o.kind === 'Secret' && o.metadata.name === 'virtnet-cni-token',
  ) as unknown as {
    type: string;
    metadata: { annotations: Record<string, string> };
  };
  assert.equal(secret.type, 'kubernetes.io/service-account-token');
  assert.equal(secret.metadata.annotations['kubernetes.io/service-account.name'], 'virtnet-cni');
  const role = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'virtnet-agent')!;
  assert.deepEqual(role.rules, [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['virtnet.io'], resources: ['virtualmachineinstances'], verbs: ['get'] },
    { apiGroups: ['virtnet.io'], resources: ['virtualmachineinstances/status'], verbs: ['get', 'patch'] },
  ]);
});
