// The CRI client's pure parts: the socket target and the verbose-status parsing (the live calls are
// tested against the lab's containerd in test/kube/cri.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { criTarget, sandboxNetworkFromInfo } from './cri-client.js';

test('criTarget: a socket path or unix:// URL, nothing else', () => {
  assert.equal(criTarget('/run/containerd/containerd.sock'), 'unix:///run/containerd/containerd.sock');
  assert.equal(criTarget('unix:///run/crio/crio.sock'), 'unix:///run/crio/crio.sock');
  assert.throws(() => criTarget('tcp://127.0.0.1:1234'), /not a unix socket/);
});

test('sandboxNetworkFromInfo: netns path and pause PID from containerd verbose info', () => {
  const info = {
    info: JSON.stringify({
      pid: 4242,
      runtimeSpec: {
        linux: {
          namespaces: [
            { type: 'pid' },
            { type: 'ipc' },
            { type: 'network', path: '/var/run/netns/cni-1b2c' },
          ],
        },
      },
    }),
  };
  assert.deepEqual(sandboxNetworkFromInfo(info), { netnsPath: '/var/run/netns/cni-1b2c', pid: 4242 });
  assert.deepEqual(sandboxNetworkFromInfo({ info: '{' }), {});
  assert.deepEqual(sandboxNetworkFromInfo(undefined), {});
  // A host-network sandbox has a network namespace entry without a path.
  assert.deepEqual(
    sandboxNetworkFromInfo({
      info: JSON.stringify({ pid: 7, runtimeSpec: { linux: { namespaces: [{ type: 'network' }] } } }),
    }),
    { pid: 7 },
  );
});
