import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

test('apiServerCredentials: outside a pod, $KUBECONFIG; none at all is an error', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vn-kc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    [
      'current-context: c',
      'contexts: [{name: c, context: {cluster: k, user: u}}]',
      'clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443/"}}]',
      'users: [{name: u, user: {token: t1}}]',
    ].join('\n'),
  );
  assert.equal(
    apiServerCredentials(undefined, { KUBECONFIG: `${file}:/elsewhere` }).server,
    'https://127.0.0.1:6443',
  );
  assert.throws(
    () => apiServerCredentials(undefined, { KUBECONFIG: join(dir, 'none') }),
    (err: unknown) => isVirtnetError(err, 'KUBE_CREDENTIALS_MISSING'),
  );
});
