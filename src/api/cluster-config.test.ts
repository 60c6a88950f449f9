import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClusterConfig } from './cluster-config.js';
import { DEFAULT_CLUSTER_CONFIG } from './types.js';

test('plain object, ConfigMap strings and KubeVirt CR', () => {
  assert.deepEqual(parseClusterConfig(undefined).config, DEFAULT_CLUSTER_CONFIG);
  assert.deepEqual(
    parseClusterConfig({ permitBridgeInterfaceOnPodNetwork: false, defaultNetworkInterface: 'slirp' }).config,
    { ...DEFAULT_CLUSTER_CONFIG, permitBridgeInterfaceOnPodNetwork: false, defaultNetworkInterface: 'slirp' },
  );
  assert.deepEqual(
    parseClusterConfig({
      kind: 'ConfigMap',
      data: { permitBridgeInterfaceOnPodNetwork: 'false', 'default-network-interface': 'masquerade' },
    }).config,
    {
      ...DEFAULT_CLUSTER_CONFIG,
      permitBridgeInterfaceOnPodNetwork: false,
      defaultNetworkInterface: 'masquerade',
    },
  );
  assert.deepEqual(
    parseClusterConfig({
      kind: 'KubeVirt',
      spec: { configuration: { network: { permitBridgeInterfaceOnPodNetwork: false } } },
    }).config.permitBridgeInterfaceOnPodNetwork,
    false,
  );
});

test('wrong values are issues naming the field', () => {
  const r = parseClusterConfig({
    kind: 'ConfigMap',
    data: { permitBridgeInterfaceOnPodNetwork: 'no', 'default-network-interface': 'sriov' },
  });
  assert.deepEqual(
    r.errors.map((e) => [e.code, e.field]),
    [
      ['CLUSTER_CONFIG_INVALID', 'data.permitBridgeInterfaceOnPodNetwork'],
      ['CLUSTER_CONFIG_INVALID', 'data.default-network-interface'],
    ],
  );
  assert.equal(
    parseClusterConfig({ permitBridgeInterfaceOnPodNetwork: 'false' }).config
      .permitBridgeInterfaceOnPodNetwork,
    false,
    'a quoted boolean is fine',
  );
  assert.equal(
    parseClusterConfig({ data: { permitBridgeInterfaceOnPodNetwork: 'false' } }).config
      .permitBridgeInterfaceOnPodNetwork,
    false,
    'a ConfigMap without kind',
  );
  assert.equal(parseClusterConfig([1]).errors.length, 1);
});

test('feature gates and network binding plugins, as the KubeVirt CR and the ConfigMap spell them', () => {
  const cr = parseClusterConfig({
    kind: 'KubeVirt',
    spec: {
      configuration: {
        developerConfiguration: { featureGates: ['PortRangesSpec'], disabledFeatureGates: ['PasstBinding'] },
        network: {
          binding: {
            tapper: { domainAttachmentType: 'tap', networkAttachmentDefinition: 'default/tapper' },
            passt: { sidecarImage: 'quay.io/kubevirt/network-passt-binding:v1.5.0', migration: {} },
          },
        },
      },
    },
  });
  assert.deepEqual(cr.errors, []);
  assert.deepEqual(cr.config.featureGates, ['PortRangesSpec']);
  assert.deepEqual(cr.config.disabledFeatureGates, ['PasstBinding']);
  assert.deepEqual(cr.config.bindingPlugins.tapper, {
    domainAttachmentType: 'tap',
    networkAttachmentDefinition: 'default/tapper',
  });
  assert.deepEqual(Object.keys(cr.config.bindingPlugins), ['tapper', 'passt']);
  const cm = parseClusterConfig({
    kind: 'ConfigMap',
    data: { 'feature-gates': 'DataVolumes, NetworkDevicesWithDRA' },
  });
  assert.deepEqual(cm.config.featureGates, ['DataVolumes', 'NetworkDevicesWithDRA']);
  const bad = parseClusterConfig({ network: { binding: { x: { domainAttachmentType: 7 } } } });
  assert.deepEqual(
    bad.errors.map((e) => e.field),
    ['network.binding.x.domainAttachmentType'],
  );
});
