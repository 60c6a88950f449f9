// The node agent's API access without client-node (src/kube/kube-rest.ts, informer.ts,
// vmi-status-write.ts) against the lab's real API server: a list + watch of pods by label and field
// selector sees their add, update and delete and nothing of pods outside the selectors; a VMI status
// merge patch computed from a stale read is refused with 409. Everything is made in a namespace of
// this run (pods bound to a node that does not exist, a VMI whose launcher pod cannot be scheduled),
// deleted at the end. Needs the lab: uses it when it is up, waits for it when this run also runs
// test/kube/lab.test.ts, skips otherwise and with VIRTNET_SKIP_K8S_LAB=1.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { Informer } from '../../src/kube/informer.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { KubeRequestError, KubeRest } from '../../src/kube/kube-rest.js';
import type { VmiObject } from '../../src/kube/launcher-pod.js';
import { vmiApiPath } from '../../src/kube/vmi-crd.js';
import { patchVmiStatus, restVmiStatusApi } from '../../src/kube/vmi-status-write.js';
import {
  createPendingPod,
  getJson,
  kubectl,
  LAB_DIR,
  labRelease,
  labRunning,
  labTestInThisRun,
  registerLabUser,
  waitFor,
  type Lab,
} from './lab-cluster.js';

const KUBECONFIG = join(LAB_DIR, 'admin.kubeconfig');
const ID = randomBytes(3).toString('hex');
const NS = `vnlean-${ID}`;
const NODE = `virtnet-no-such-node-${ID}`;
const LABEL = `vnlean-test`;

const skip =
  process.env.VIRTNET_SKIP_K8S_LAB === '1'
    ? 'VIRTNET_SKIP_K8S_LAB=1'
    : process.getuid?.() !== 0
      ? 'needs root'
      : (labRunning() && existsSync(KUBECONFIG)) || labTestInThisRun()
        ? false
        : 'the lab is not up (scripts/k8s-lab.sh up, or run test/kube/lab.test.ts with this file)';

const lab: Lab = { kubeconfig: KUBECONFIG, containerdAddress: '', startedHere: false };

const createPod = (name: string, labels: Record<string, string>, node: string) =>
  createPendingPod(lab, NS, name, { labels }, node);

describe('KubeRest and the informer on the lab API server', { skip, timeout: 70 * 60_000 }, () => {
  let createdNs = false;
  let rest: KubeRest;
  before(async () => {
    // A lab user before waiting, so that the lab test's `down` at its end waits for this file.
    registerLabUser();
    // Run together with the lab test (as scripts/test.sh does), the lab may still be coming up: its
    // API server's pid file comes before it answers, and the VMI CRD comes with virtnet's deploy.
    await waitFor('the lab API server and the VMI CRD', 60 * 60_000, () =>
      labRunning() &&
      existsSync(KUBECONFIG) &&
      kubectl(lab, ['get', 'crd', 'virtualmachineinstances.virtnet.io'], { check: false }).code === 0
        ? true
        : undefined,
    );
    kubectl(lab, ['create', 'namespace', NS]);
    createdNs = true;
    rest = new KubeRest(loadKubeconfig(KUBECONFIG));
  });
  after(() => {
    if (createdNs) {
      // No kubelet confirms the deletion of a pod bound to a node that does not exist.
      kubectl(lab, ['-n', NS, 'delete', 'pods', '--all', '--grace-period=0', '--force'], { check: false });
      kubectl(lab, ['delete', 'namespace', NS, '--wait=false'], { check: false });
    }
    labRelease();
  });

  test('list + watch by label and field selector: add, update, delete of matching pods only', async (t) => {
    createPod('before', { [LABEL]: ID }, NODE); // there before the list
    const informer = new Informer<V1Pod>(rest, '/api/v1/pods', {
      labelSelector: `${LABEL}=${ID}`,
      fieldSelector: `spec.nodeName=${NODE}`,
    });
    const seen: string[] = [];
    const errors: string[] = [];
    for (const type of ['add', 'update', 'delete'] as const)
      informer.on(type, (p) => seen.push(`${type} ${p.metadata?.name}`));
    informer.on('error', (err) => errors.push(String(err)));
    await informer.start();
    t.after(() => informer.stop());
    assert.deepEqual(seen, ['add before']);
    assert.deepEqual(
      informer.list().map((p) => p.metadata?.name),
      ['before'],
    );

    createPod('other-node', { [LABEL]: ID }, `${NODE}-x`);
    createPod('unlabelled', {}, NODE);
    createPod('other-label', { [LABEL]: 'other' }, NODE);
    createPod('match', { [LABEL]: ID }, NODE);
    await waitFor('the add of pod match', 60_000, () => (seen.includes('add match') ? true : undefined));
    kubectl(lab, ['-n', NS, 'annotate', 'pod', 'match', 'vnlean/touched=yes']);
    await waitFor('the update of pod match', 60_000, () =>
      seen.includes('update match') ? true : undefined,
    );
    const uid = getJson<V1Pod>(lab, ['-n', NS, 'pod', 'match'])!.metadata!.uid!;
    assert.equal(informer.get(uid)?.metadata?.annotations?.['vnlean/touched'], 'yes');
    // No kubelet will confirm a graceful delete on a node that does not exist: force it.
    kubectl(lab, ['-n', NS, 'delete', 'pod', 'match', '--grace-period=0', '--force']);
    await waitFor('the delete of pod match', 60_000, () =>
      seen.includes('delete match') ? true : undefined,
    );
    assert.equal(informer.get(uid), undefined);
    // Pods outside the selectors: a change to them, then one more change to a matching one, so that
    // anything of theirs would have arrived before it.
    kubectl(lab, [
      '-n',
      NS,
      'annotate',
      'pod',
      'other-node',
      'unlabelled',
      'other-label',
      'vnlean/touched=yes',
    ]);
    kubectl(lab, ['-n', NS, 'annotate', 'pod', 'before', 'vnlean/touched=yes']);
    await waitFor('the update of pod before', 60_000, () =>
      seen.includes('update before') ? true : undefined,
    );
    // A forced delete is an update (deletionTimestamp) then the delete: repeats are collapsed.
    assert.deepEqual(
      seen.filter((s, i) => s !== seen[i - 1]),
      ['add before', 'add match', 'update match', 'delete match', 'update before'],
    );
    assert.deepEqual(
      informer.list().map((p) => p.metadata?.name),
      ['before'],
    );
    assert.deepEqual(errors, []);
  });

  test('a watch from a version the server no longer holds ends with 410, the cue to list again', async (t) => {
    const events: string[] = [];
    const watch = rest.watch(`/api/v1/namespaces/${NS}/pods`, {}, '1', (e) => events.push(e.type));
    // A cluster younger than its watch cache window still holds version 1 and simply watches.
    let timer: NodeJS.Timeout | undefined;
    const held = new Promise<'held'>((r) => (timer = setTimeout(() => r('held'), 10_000)));
    const outcome = await Promise.race([
      watch.done.then(
        () => 'ended' as const,
        (err: unknown) => err,
      ),
      held,
    ]);
    clearTimeout(timer);
    if (outcome === 'held') {
      watch.abort();
      t.skip('this API server still holds resourceVersion 1 (a fresh cluster): no 410 to see');
      return;
    }
    assert.ok(outcome instanceof KubeRequestError && outcome.status === 410, String(outcome));
    assert.deepEqual(events, []);
  });

  test('watches refused (list allowed, watch not): each an error with its status, retried after a doubling pause', async () => {
    kubectl(lab, ['-n', NS, 'create', 'serviceaccount', 'lister']);
    kubectl(lab, ['-n', NS, 'create', 'role', 'list-pods', '--verb=list', '--resource=pods']);
    kubectl(lab, [
      '-n',
      NS,
      'create',
      'rolebinding',
      'lister',
      '--role=list-pods',
      `--serviceaccount=${NS}:lister`,
    ]);
    const token = kubectl(lab, ['-n', NS, 'create', 'token', 'lister']).stdout.trim();
    const admin = loadKubeconfig(KUBECONFIG);
    const asLister = new KubeRest({
      server: admin.server,
      ...(admin.ca ? { ca: admin.ca } : {}),
      insecureSkipTlsVerify: admin.insecureSkipTlsVerify,
      token,
    });
    const informer = new Informer<V1Pod>(asLister, `/api/v1/namespaces/${NS}/pods`, {
      minRetryMs: 200,
      maxRetryMs: 400,
    });
    const errors: { status: number; retryInMs: number }[] = [];
    informer.on('error', (err, retryInMs) =>
      errors.push({ status: err instanceof KubeRequestError ? err.status : -1, retryInMs }),
    );
    // The role binding may take a moment to be in force.
    for (let attempt = 0; ; attempt++) {
      try {
        await informer.start();
        break;
      } catch (err) {
        if (attempt >= 50 || !(err instanceof KubeRequestError && err.status === 403)) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await waitFor('three refused watches', 60_000, () => (errors.length >= 3 ? true : undefined));
    await informer.stop();
    assert.deepEqual(errors.slice(0, 3), [
      { status: 403, retryInMs: 200 },
      { status: 403, retryInMs: 400 },
      { status: 403, retryInMs: 400 },
    ]);
  });

  test('a list with a field selector the server refuses is a KubeRequestError with its status', async () => {
    await assert.rejects(
      rest.list('/api/v1/pods', { fieldSelector: 'spec.noSuchField=x' }),
      (err: unknown) => err instanceof KubeRequestError && err.status === 400,
    );
  });

  test('a VMI status merge patch from a stale read gets 409; from a fresh one it is written', async () => {
    const name = `lean-${ID}`;
    kubectl(lab, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'virtnet.io/v1alpha1',
        kind: 'VirtualMachineInstance',
        metadata: { name, namespace: NS },
        // Its launcher pod can never be scheduled: no VM runs for this test.
        spec: { terminationGracePeriodSeconds: 5, nodeSelector: { 'virtnet.io/no-such-node': ID } },
      }),
    });
    const path = vmiApiPath(NS, name);
    const stale = (await rest.get(path)) as VmiObject;
    assert.equal(stale.metadata.name, name);
    kubectl(lab, ['-n', NS, 'annotate', 'virtualmachineinstances', name, 'vnlean/touched=yes']);
    const api = restVmiStatusApi(rest);
    await assert.rejects(
      patchVmiStatus(api, stale, { interfaces: [] }),
      (err: unknown) => err instanceof KubeRequestError && err.status === 409,
    );
    // The controller writes the status too: a fresh read may be stale again by the time it is used.
    let written = false;
    for (let attempt = 0; attempt < 20 && !written; attempt++) {
      const fresh = (await rest.get(path)) as VmiObject;
      try {
        await patchVmiStatus(api, fresh, { interfaces: [] });
        written = true;
      } catch (err) {
        if (!(err instanceof KubeRequestError && err.status === 409)) throw err;
      }
    }
    assert.ok(written, 'no status patch from a fresh read got through in 20 tries');
  });
});
