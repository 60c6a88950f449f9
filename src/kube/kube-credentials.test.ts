import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isVirtnetError } from '../errors/virtnet-error.js';
import { apiServerCredentials, inClusterApiServer, inClusterCredentials } from './kube-credentials.js';

test('inClusterApiServer: IPv4, IPv6 in brackets, default port, none outside a pod', () => {
  assert.equal(
    inClusterApiServer({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '6443' }),
    'https://10.0.0.1:6443',
  );
  assert.equal(inClusterApiServer({ KUBERNETES_SERVICE_HOST: 'fd00::1' }), 'https://[fd00::1]:443');
  assert.equal(inClusterApiServer({}), undefined);
});

test('inClusterCredentials: the token file (kept for re-reading) and CA; a pod without them is an error', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vn-sa-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
  assert.throws(
    () => inClusterCredentials(env, dir),
    (err: unknown) => isVirtnetError(err, 'KUBE_CREDENTIALS_MISSING'),
  );
  writeFileSync(join(dir, 'token'), 'tok\n');
  writeFileSync(join(dir, 'ca.crt'), 'CA');
  const creds = inClusterCredentials(env, dir)!;
  assert.equal(creds.server, 'https://10.0.0.1:443');
  assert.equal(creds.token, 'tok');
  assert.equal(creds.tokenFile, join(dir, 'token'));
  assert.equal(creds.ca?.toString(), 'CA');
  assert.equal(inClusterCredentials({}, dir), undefined);
});

test('apiServerCredentials: $KUBECONFIG first, then ~/.kube/config, then the service account; none is an error', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vn-kc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = (server: string) =>
    [
      'current-context: c',
      'contexts: [{name: c, context: {cluster: k, user: u}}]',
      `clusters: [{name: k, cluster: {server: "${server}"}}]`,
      'users: [{name: u, user: {token: t1}}]',
    ].join('\n');
  const file = join(dir, 'config');
  writeFileSync(file, kubeconfig('https://127.0.0.1:6443/'));
  const home = join(dir, 'home');
  mkdirSync(join(home, '.kube'), { recursive: true });
  writeFileSync(join(home, '.kube', 'config'), kubeconfig('https://127.0.0.2:6443'));
  const inPod = { KUBERNETES_SERVICE_HOST: '10.0.0.1' };
  assert.equal(
    apiServerCredentials(undefined, { ...inPod, KUBECONFIG: `${file}:/elsewhere` }, home).server,
    'https://127.0.0.1:6443',
  );
  assert.equal(apiServerCredentials(undefined, inPod, home).server, 'https://127.0.0.2:6443');
  assert.equal(apiServerCredentials(file, {}, home).server, 'https://127.0.0.1:6443');
  assert.throws(
    () => apiServerCredentials(undefined, {}, join(dir, 'nohome')),
    (err: unknown) => isVirtnetError(err, 'KUBE_CREDENTIALS_MISSING'),
  );
});
