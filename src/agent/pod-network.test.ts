// Paths under another root: symlinks resolve inside that root, as the agent needs to open a sandbox's
// namespace through the host's root (/proc/1/root) from its container.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathUnderRoot, reachableNetnsPath } from './pod-network.js';

test('pathUnderRoot resolves absolute and relative symlinks inside the root', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'vroot-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'run', 'netns'), { recursive: true });
  mkdirSync(join(root, 'var'));
  writeFileSync(join(root, 'run', 'netns', 'cni-1'), '');
  symlinkSync('/run', join(root, 'var', 'run'));
  symlinkSync('../run/netns', join(root, 'var', 'ns'));
  assert.equal(pathUnderRoot(root, '/var/run/netns/cni-1'), `${root}/run/netns/cni-1`);
  assert.equal(pathUnderRoot(root, '/var/ns/cni-1'), `${root}/run/netns/cni-1`);
  assert.equal(pathUnderRoot(root, '/var/missing/x'), undefined);
  symlinkSync('/loop', join(root, 'loop'));
  assert.equal(pathUnderRoot(root, '/loop/x'), undefined);
});

test('reachableNetnsPath: a namespace file as is, anything else not', () => {
  assert.equal(reachableNetnsPath('/proc/self/ns/net'), '/proc/self/ns/net');
  assert.equal(reachableNetnsPath('/etc/hostname'), undefined);
});
