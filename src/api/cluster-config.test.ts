import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClusterConfig } from './cluster-config.js';

test('plain object, ConfigMap strings and KubeVirt CR', () => {
  assert.deepEqual(parseClusterConfig(undefined).config, { permitBridgeInterfaceOnPodNetwork: true, defaultNetworkInterface: 'bridge' });
  assert.deepEqual(parseClusterConfig({ permitBridgeInterfaceOnPodNetwork: false, defaultNetworkInterface: 'slirp' }).config, { permitBridgeInterfaceOnPodNetwork: false, defaultNetworkInterface: 'slirp' });
  assert.deepEqual(parseClusterConfig({ kind: 'ConfigMap', data: { permitBridgeInterfaceOnPodNetwork: 'false', 'default-network-interface': 'masquerade' } }).config, { permitBridgeInterfaceOnPodNetwork: false, defaultNetworkInterface: 'masquerade' });
  assert.deepEqual(parseClusterConfig({ kind: 'KubeVirt', spec: { configuration: { network: { permitBridgeInterfaceOnPodNetwork: false } } } }).config.permitBridgeInterfaceOnPodNetwork, false);
});

test('wrong values are issues naming the field', () => {
  const r = parseClusterConfig({ kind: 'ConfigMap', data: { permitBridgeInterfaceOnPodNetwork: 'no', 'default-network-interface': 'sriov' } });
  assert.deepEqual(r.errors.map((e) => [e.code, e.field]), [
    ['CLUSTER_CONFIG_INVALID', 'data.permitBridgeInterfaceOnPodNetwork'],
    ['CLUSTER_CONFIG_INVALID', 'data.default-network-interface'],
  ]);
  assert.equal(parseClusterConfig({ permitBridgeInterfaceOnPodNetwork: 'false' }).config.permitBridgeInterfaceOnPodNetwork, false, 'a quoted boolean is fine');
  assert.equal(parseClusterConfig({ data: { permitBridgeInterfaceOnPodNetwork: 'false' } }).config.permitBridgeInterfaceOnPodNetwork, false, 'a ConfigMap without kind');
  assert.equal(parseClusterConfig([1]).errors.length, 1);
});
