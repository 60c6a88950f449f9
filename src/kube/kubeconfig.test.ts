import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isVirtnetError } from '../errors/virtnet-error.js';
import { loadKubeconfig } from './kubeconfig.js';

test('kubeconfig: the current context, inline CA, token file relative to the kubeconfig, certs', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vn-kc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'token'), 'secret-token\n');
  writeFileSync(join(dir, 'client.crt'), 'CERT');
  const file = join(dir, 'kubeconfig');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: b',
      'clusters:',
      '- {name: one, cluster: {server: "https://10.0.0.1:6443/", certificate-authority-data: Q0E=}}',
      'users:',
      '- {name: tok, user: {tokenFile: token}}',
      '- {name: crt, user: {client-certificate: client.crt, client-key-data: S0VZ}}',
      '- {name: ex, user: {exec: {command: x}}}',
      'contexts:',
      '- {name: a, context: {cluster: one, user: crt}}',
      '- {name: b, context: {cluster: one, user: tok}}',
      '- {name: c, context: {cluster: one, user: ex}}',
      '- {name: d, context: {cluster: two, user: tok}}',
    ].join('\n'),
  );
  const b = loadKubeconfig(file);
  assert.equal(b.server, 'https://10.0.0.1:6443');
  assert.equal(b.ca?.toString(), 'CA');
  assert.equal(b.token, 'secret-token');
  assert.equal(b.insecureSkipTlsVerify, false);
  const rest = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('current-context'))
    .join('\n');
  const text = (ctx: string) => writeFileSync(join(dir, `k-${ctx}`), `current-context: ${ctx}\n${rest}`);
  text('a');
  const a = loadKubeconfig(join(dir, 'k-a'));
  assert.equal(a.cert?.toString(), 'CERT');
  assert.equal(a.key?.toString(), 'KEY');
  assert.equal(a.token, undefined);
  text('c');
  assert.throws(
    () => loadKubeconfig(join(dir, 'k-c')),
    (e) => isVirtnetError(e, 'KUBECONFIG_INVALID') && e.detail.field === 'user',
  );
  text('d');
  assert.throws(
    () => loadKubeconfig(join(dir, 'k-d')),
    (e) => isVirtnetError(e, 'KUBECONFIG_INVALID') && e.detail.field === 'clusters',
  );
});
