// The native addons are part of the build: each loads, and a tree without them stops a command at
// its start with NATIVE_ADDON_MISSING naming the addon (not midway, not with a stack trace).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NATIVE_ADDONS, loadNativeAddon, requireNativeAddons } from './native-addon.js';

const root = new URL('../..', import.meta.url).pathname;

test('every addon loads from the build', () => {
  requireNativeAddons();
  for (const name of NATIVE_ADDONS) assert.equal(typeof loadNativeAddon(name), 'object', name);
});

test('without the built addons a command stops at its start with NATIVE_ADDON_MISSING', (t) => {
  const tree = mkdtempSync(join(tmpdir(), 'virtnet-no-addons-'));
  t.after(() => rmSync(tree, { recursive: true, force: true }));
  cpSync(join(root, 'src'), join(tree, 'src'), { recursive: true });
  cpSync(join(root, 'package.json'), join(tree, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'));
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(tree, 'src/cli/main.ts'), 'validate', join(root, 'examples/bridge-multus.yaml')],
    { cwd: tree, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr,
    /^virtnet: the fast-spawn addon cannot be loaded from .*\[NATIVE_ADDON_MISSING\]\n$/,
  );
});
