// The delegating CNI plugin (bin/virtnet-cni) against the lab's real API server: NADs read from
// k8s.cni.cncf.io/v1, network-status written on a real Pod (which stays Pending: it is bound to a node
// that does not exist, so nothing but this test touches its network). The plugin is run as containerd
// runs it, with Debian's plugins, in a namespace of this test. Needs the lab: uses it when it is up,
// waits for it when this run also runs test/kube/lab.test.ts (which brings it up), skips otherwise and
// with VIRTNET_SKIP_K8S_LAB=1.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { deleteNetns, netnsPath } from '../../src/host/netns.js';
import type { NetworkStatusEntry } from '../../src/cni/network-status.js';
import { inNetns, linksIn, testSubnets } from '../cni/cni-fixtures.js';
import {
  assertNothingLeft,
  pluginMissing,
  runPlugin,
  testNetworks,
  type TestNetworks,
} from '../cni-delegating/plugin-runner.js';
import { sandbox, type Sandbox } from '../support/sandbox.js';
import { cniPluginKubeconfig } from '../../src/kube/cni-plugin-install.js';
import { CNI_PLUGIN_NAME, manifestFiles } from '../../src/kube/manifests.js';
import {
  createPendingPod,
  getJson,
  kubectl,
  LAB_DIR,
  labRelease,
  registerLabUser,
  waitFor,
  type Lab,
} from './lab-cluster.js';

const NS = 'cni-test';
const KUBECONFIG = join(LAB_DIR, 'admin.kubeconfig');
const STATUS = 'k8s.v1.cni.cncf.io/network-status';

function labUpAlready(): boolean {
  const pidfile = join(LAB_DIR, 'pids', 'kube-apiserver.pid');
  return (
    existsSync(KUBECONFIG) &&
    existsSync(pidfile) &&
    existsSync(`/proc/${readFileSync(pidfile, 'utf8').trim()}`)
  );
}

/** True when the test run this file is part of also runs the lab test, which brings the lab up. */
function labComingUp(): boolean {
  try {
    return readFileSync(`/proc/${process.ppid}/cmdline`, 'utf8')
      .split('\0')
      .some((a) => a.endsWith('kube/lab.test.ts'));
  } catch {
    return false;
  }
}

const skip =
  process.env.VIRTNET_SKIP_K8S_LAB === '1'
    ? 'VIRTNET_SKIP_K8S_LAB=1'
    : process.getuid?.() !== 0
      ? 'needs root'
      : pluginMissing() ||
        (labUpAlready() || labComingUp()
          ? false
          : 'the lab is not up (scripts/k8s-lab.sh up, or run test/kube/lab.test.ts with this file)');

const lab: Lab = { kubeconfig: KUBECONFIG, containerdAddress: '', startedHere: false };

interface Networks extends TestNetworks {
  sb: Sandbox;
  conf: (runtimeConfig?: Record<string, unknown>) => Record<string, unknown>;
  staticIp: string;
}

/** NADs `sec<suffix>` (bridge + tuning for MACs) and `st<suffix>` (static IPs) in the test namespace. */
function networks(t: TestContext, nadSuffix: string): Networks {
  const sb = sandbox(t);
  const n = testNetworks(sb, nadSuffix);
  for (const config of [n.sec, n.st]) {
    // The config goes without its name: the NAD's metadata.name names the network (as with Multus).
    const { name, ...rest } = config as { name: string };
    kubectl(lab, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'k8s.cni.cncf.io/v1',
        kind: 'NetworkAttachmentDefinition',
        metadata: { name, namespace: NS },
        spec: { config: JSON.stringify(rest) },
      }),
    });
    sb.defer(() =>
      kubectl(lab, ['-n', NS, 'delete', 'network-attachment-definition', name, '--ignore-not-found'], {
        check: false,
      }),
    );
  }
  return {
    ...n,
    sb,
    staticIp: `${testSubnets(sb, 2).prefix4}66`,
    conf: (runtimeConfig) => ({
      cniVersion: '1.0.0',
      name: 'virtnet',
      type: 'virtnet-cni',
      kubeconfig: KUBECONFIG,
      confDir: join(sb.dir, 'multus.d'),
      cniDir: n.cacheDir,
      capabilities: { 'io.kubernetes.cri.pod-annotations': true },
      delegates: [n.def],
      ...(runtimeConfig ? { runtimeConfig } : {}),
    }),
  };
}

/** A Pod bound to a node that does not exist: it stays Pending, only its annotations matter. */
function createPod(name: string, annotations: Record<string, string>): V1Pod {
  createPendingPod(lab, NS, name, { annotations });
  return getJson<V1Pod>(lab, ['-n', NS, 'pod', name])!;
}

/** What the API server holds of the NADs and their CRD: said when the plugin found no NAD. */
function nadsOnServer(): string {
  const nads = kubectl(lab, ['get', 'network-attachment-definitions', '-A', '-o', 'name'], { check: false });
  const crd = kubectl(
    lab,
    ['get', 'crd', 'network-attachment-definitions.k8s.cni.cncf.io', '-o', 'jsonpath={.status.conditions}'],
    { check: false },
  );
  return `NADs on the server now: ${nads.stdout}${nads.stderr}; CRD conditions: ${crd.stdout}${crd.stderr}`;
}

function networkStatus(name: string): NetworkStatusEntry[] | undefined {
  const text = getJson<V1Pod>(lab, ['-n', NS, 'pod', name])?.metadata?.annotations?.[STATUS];
  return text === undefined ? undefined : (JSON.parse(text) as NetworkStatusEntry[]);
}

describe('the delegating CNI plugin on the lab API server', { skip, timeout: 70 * 60_000 }, () => {
  let createdNs = false;
  before(async () => {
    // A lab user before waiting, so that the lab test's `down` at its end waits for this file.
    registerLabUser();
    // Run together with the lab test (as scripts/test.sh does), the lab may still be coming up.
    await waitFor('the lab API server and the NAD CRD', 60 * 60_000, () =>
      labUpAlready() &&
      kubectl(lab, ['get', 'crd', 'network-attachment-definitions.k8s.cni.cncf.io'], { check: false })
        .code === 0
        ? true
        : undefined,
    );
    // A namespace an earlier run deleted may still be terminating: nothing can be created in it.
    await waitFor(`namespace ${NS} to finish terminating`, 120_000, () =>
      getJson<{ status?: { phase?: string } }>(lab, ['namespace', NS])?.status?.phase === 'Terminating'
        ? undefined
        : true,
    );
    const r = kubectl(lab, ['create', 'namespace', NS], { check: false });
    createdNs = r.code === 0;
    if (!createdNs) assert.match(r.stderr, /AlreadyExists/);
  });
  after(() => {
    if (createdNs) kubectl(lab, ['delete', 'namespace', NS, '--wait=false'], { check: false });
    labRelease();
  });

  test('NADs from the API server, MAC and static IP, network-status on the pod; three DELs leave nothing', async (t) => {
    const n = networks(t, 'a');
    const podName = `p-${n.sb.prefix.slice(2, 8)}`;
    const pod = createPod(podName, {
      'k8s.v1.cni.cncf.io/networks': JSON.stringify([
        { name: 'seca', mac: '02:aa:bb:cc:dd:02' },
        { name: 'sta', namespace: NS, interface: 'st0', ips: [`${n.staticIp}/24`] },
      ]),
    });
    t.after(() =>
      kubectl(lab, ['-n', NS, 'delete', 'pod', podName, '--grace-period=0', '--force'], { check: false }),
    );
    const ns = await n.sb.netns('pod');
    // What containerd passes: the pod's annotations in runtimeConfig, its identity in CNI_ARGS.
    const conf = n.conf({ 'io.kubernetes.cri.pod-annotations': pod.metadata!.annotations });
    const containerId = randomBytes(32).toString('hex');
    const args = {
      K8S_POD_NAMESPACE: NS,
      K8S_POD_NAME: podName,
      K8S_POD_UID: pod.metadata!.uid!,
      K8S_POD_INFRA_CONTAINER_ID: containerId,
    };
    const call = { containerId, netns: netnsPath({ name: ns }), args };
    const add = runPlugin(conf, { command: 'ADD', ...call });
    assert.equal(add.code, 0, `${JSON.stringify(add.out)} ${add.stderr}`);
    const eth0Ip = (add.out!.ips as { address: string }[])[0]!.address;
    assert.ok(eth0Ip.startsWith(testSubnets(n.sb, 0).prefix4), eth0Ip);
    assert.deepEqual(await linksIn(ns), ['eth0', 'lo', 'net1', 'st0']);
    const link = JSON.parse(await inNetns(ns, ['ip', '-j', 'link', 'show', 'net1'])) as { address: string }[];
    assert.equal(link[0]!.address, '02:aa:bb:cc:dd:02');

    const status = networkStatus(podName);
    assert.ok(status, 'network-status written');
    assert.deepEqual(
      status.map((s) => [s.name, s.interface, s.default ?? false]),
      [
        ['podnet', 'eth0', true],
        [`${NS}/seca`, 'net1', false],
        [`${NS}/sta`, 'st0', false],
      ],
    );
    assert.deepEqual(status[0]!.ips, [eth0Ip.split('/')[0]]);
    assert.equal(status[1]!.mac, '02:aa:bb:cc:dd:02');
    assert.ok(status[1]!.ips![0]!.startsWith(testSubnets(n.sb, 1).prefix4));
    assert.deepEqual(status[2]!.ips, [n.staticIp]);

    const del1 = runPlugin(conf, { command: 'DEL', ...call });
    assert.equal(del1.code, 0, JSON.stringify(del1.out));
    assert.deepEqual(await linksIn(ns), ['lo']);
    const del2 = runPlugin(conf, { command: 'DEL', ...call, netns: '' });
    assert.equal(del2.code, 0, JSON.stringify(del2.out));
    await deleteNetns(ns);
    const del3 = runPlugin(conf, { command: 'DEL', ...call });
    assert.equal(del3.code, 0, JSON.stringify(del3.out));
    await assertNothingLeft(n, 'after three DELs');
    t.diagnostic(
      `ADD ${add.ms.toFixed(0)} ms (2 NADs read, status patched), DEL ${del1.ms.toFixed(0)} / ${del2.ms.toFixed(0)} / ${del3.ms.toFixed(0)} ms`,
    );
  });

  test('without annotations from the runtime the pod is read; a status for another pod UID rolls back; a missing NAD fails with code 7', async (t) => {
    const n = networks(t, 'b');
    const podName = `q-${n.sb.prefix.slice(2, 8)}`;
    const pod = createPod(podName, { 'k8s.v1.cni.cncf.io/networks': 'secb' });
    t.after(() =>
      kubectl(lab, ['-n', NS, 'delete', 'pod', podName, '--grace-period=0', '--force'], { check: false }),
    );
    const ns = await n.sb.netns('pod');
    const conf = n.conf();
    const containerId = randomBytes(32).toString('hex');
    const call = (uid: string) => ({
      containerId,
      netns: netnsPath({ name: ns }),
      args: { K8S_POD_NAMESPACE: NS, K8S_POD_NAME: podName, K8S_POD_UID: uid },
    });

    // A sandbox of an older pod of that name: the API server refuses the status, everything is undone.
    const stale = runPlugin(conf, { command: 'ADD', ...call('00000000-0000-0000-0000-000000000000') });
    assert.equal(stale.code, 1, JSON.stringify(stale.out));
    assert.match((stale.out as { msg: string }).msg, /uid/i, nadsOnServer());
    assert.deepEqual(await linksIn(ns), ['lo']);
    await assertNothingLeft(n, 'after the refused status');
    assert.equal(networkStatus(podName), undefined);

    const add = runPlugin(conf, { command: 'ADD', ...call(pod.metadata!.uid!) });
    assert.equal(add.code, 0, JSON.stringify(add.out));
    assert.deepEqual(await linksIn(ns), ['eth0', 'lo', 'net1']);
    assert.deepEqual(
      networkStatus(podName)?.map((s) => s.name),
      ['podnet', `${NS}/secb`],
    );
    const del = runPlugin(conf, { command: 'DEL', ...call(pod.metadata!.uid!) });
    assert.equal(del.code, 0, JSON.stringify(del.out));
    await assertNothingLeft(n, 'after DEL');

    const missing = runPlugin(
      n.conf({ 'io.kubernetes.cri.pod-annotations': { 'k8s.v1.cni.cncf.io/networks': 'nope' } }),
      {
        command: 'ADD',
        ...call(pod.metadata!.uid!),
      },
    );
    assert.equal(missing.code, 1);
    assert.equal((missing.out as { code: number }).code, 7);
    assert.match((missing.out as { msg: string }).msg, /cni-test\/nope/);
    await assertNothingLeft(n, 'after a missing NAD');
  });

  test('with only the rights deploy/ gives the plugin (as a Role here) and a token-file kubeconfig', async (t) => {
    const n = networks(t, 'c');
    // The ClusterRole's rules, granted in this namespace only: the test creates nothing cluster-wide.
    const role = manifestFiles()
      .flatMap((f) => f.objects)
      .find((o) => o.kind === 'ClusterRole' && (o.metadata as { name: string }).name === CNI_PLUGIN_NAME)!;
    const sa = `cni-${n.sb.prefix.slice(2, 8)}`;
    for (const obj of [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: NS } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: sa, namespace: NS },
        rules: role.rules,
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: sa, namespace: NS },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace: NS }],
      },
    ])
      kubectl(lab, ['apply', '-f', '-'], { input: JSON.stringify(obj) });
    t.after(() => {
      for (const kind of ['rolebinding', 'role', 'serviceaccount'])
        kubectl(lab, ['-n', NS, 'delete', kind, sa, '--ignore-not-found'], { check: false });
    });
    const secret = await waitFor('the ServiceAccount token', 60_000, () => {
      const name = getJson<{ secrets?: { name: string }[] }>(lab, ['-n', NS, 'serviceaccount', sa])
        ?.secrets?.[0]?.name;
      return name
        ? getJson<{ data?: { token?: string } }>(lab, ['-n', NS, 'secret', name])?.data?.token
        : undefined;
    });
    const dir = join(n.sb.dir, 'kube');
    mkdirSync(dir);
    writeFileSync(join(dir, 'token'), Buffer.from(secret, 'base64'));
    const admin = readFileSync(KUBECONFIG, 'utf8');
    writeFileSync(
      join(dir, 'ca.crt'),
      Buffer.from(/certificate-authority-data: (\S+)/.exec(admin)![1]!, 'base64'),
    );
    const server = /server: (\S+)/.exec(admin)![1]!;
    writeFileSync(join(dir, 'kubeconfig'), cniPluginKubeconfig(server, 'ca.crt', 'token'));

    const podName = `r-${n.sb.prefix.slice(2, 8)}`;
    const pod = createPod(podName, { 'k8s.v1.cni.cncf.io/networks': 'secc' });
    t.after(() =>
      kubectl(lab, ['-n', NS, 'delete', 'pod', podName, '--grace-period=0', '--force'], { check: false }),
    );
    const ns = await n.sb.netns('pod');
    const conf = { ...n.conf(), kubeconfig: join(dir, 'kubeconfig') };
    const call = {
      containerId: randomBytes(32).toString('hex'),
      netns: netnsPath({ name: ns }),
      args: { K8S_POD_NAMESPACE: NS, K8S_POD_NAME: podName, K8S_POD_UID: pod.metadata!.uid! },
    };
    const add = runPlugin(conf, { command: 'ADD', ...call });
    assert.equal(add.code, 0, `${JSON.stringify(add.out)} ${nadsOnServer()}`);
    assert.deepEqual(
      networkStatus(podName)?.map((s) => s.interface),
      ['eth0', 'net1'],
    );
    const del = runPlugin(conf, { command: 'DEL', ...call });
    assert.equal(del.code, 0, JSON.stringify(del.out));
    await assertNothingLeft(n, 'after DEL');
  });
});
