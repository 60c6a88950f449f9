import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isVirtnetError } from '../errors/virtnet-error.js';
import { loadClusterConfig, loadVmSpec, loadVmSpecs } from './load-spec.js';
import { DEFAULT_CLUSTER_CONFIG } from '../api/types.js';

const dir = mkdtempSync(join(tmpdir(), 'virtnet-load-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('loadVmSpecs: every document of a file, valid ones as VmSpecs', async () => {
  const p = file(
    'two.yaml',
    'kind: VM\nmetadata: {name: a}\n---\nkind: VM\nmetadata: {name: b}\nspec: {networks: 1}\n',
  );
  const o = await loadVmSpecs(p);
  assert.equal(o.valid, false);
  assert.deepEqual(
    o.specs.map((s) => s.name),
    ['a'],
  );
  assert.deepEqual(
    o.errors.map((e) => [e.code, e.field, e.line]),
    [['TYPE_INVALID', 'spec.networks', 6]],
  );
});

test('loadVmSpec: one valid VM, else SPEC_INVALID naming the field', async () => {
  assert.equal((await loadVmSpec('examples/slirp.yaml')).name, 'slirp-vm');
  await assert.rejects(
    loadVmSpec(file('bad.yaml', 'kind: VM\nspec:\n  hostname: Bad_Host\n')),
    (err: unknown) =>
      isVirtnetError(err, 'SPEC_INVALID') &&
      err.detail.field === 'spec.hostname' &&
      err.message.includes('bad.yaml:3:13'),
  );
  await assert.rejects(loadVmSpec(file('two-ok.yaml', 'kind: VM\n---\nkind: VM\n')), (err: unknown) =>
    isVirtnetError(err, 'SPEC_INVALID'),
  );
});

test('unreadable files are usage errors', async () => {
  await assert.rejects(
    loadVmSpecs(join(dir, 'missing.yaml')),
    (err: unknown) => isVirtnetError(err, 'USAGE_FILE_UNREADABLE') && err.message.includes('no such file'),
  );
  await assert.rejects(loadClusterConfig(dir), (err: unknown) =>
    isVirtnetError(err, 'USAGE_FILE_UNREADABLE'),
  );
});

test('loadClusterConfig: defaults without a path, the seed ConfigMap, errors with position', async () => {
  assert.deepEqual(await loadClusterConfig(), DEFAULT_CLUSTER_CONFIG);
  assert.equal(
    (await loadClusterConfig('test/fixtures/specs/seed004-kubevirt-config.yaml'))
      .permitBridgeInterfaceOnPodNetwork,
    false,
  );
  const bad = file('cc.yaml', 'kind: ConfigMap\ndata:\n  permitBridgeInterfaceOnPodNetwork: nope\n');
  await assert.rejects(
    loadClusterConfig(bad),
    (err: unknown) =>
      isVirtnetError(err, 'USAGE_CLUSTER_CONFIG_INVALID') && err.message.includes('cc.yaml:3:38'),
  );
});
