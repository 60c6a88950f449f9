import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BINDINGS, DEFAULT_CLUSTER_CONFIG, NIC_MODELS } from './types.js';

test('the API lists every binding and model KubeVirt documents', () => {
  assert.deepEqual([...BINDINGS].sort(), ['bridge', 'macvtap', 'masquerade', 'passt', 'slirp', 'sriov']);
  assert.ok(NIC_MODELS.includes('virtio'));
  assert.equal(DEFAULT_CLUSTER_CONFIG.defaultNetworkInterface, 'bridge');
});
