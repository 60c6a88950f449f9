import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVirtnetError } from '../../errors/virtnet-error.js';
import { parseCniArgs, parseCniEnv } from './cni-env.js';
import {
  DEFAULT_DELEGATING_CACHE_DIR,
  DEFAULT_DELEGATING_CONF_DIR,
  parseDelegatingConf,
  POD_ANNOTATIONS_CAPABILITY,
} from './delegating-conf.js';

const bridge = { type: 'bridge', bridge: 'cni0', ipam: { type: 'host-local', subnet: '10.1.0.0/24' } };

test('a Multus-style thin conf: delegates[0] inherits cniVersion and name, defaults for the dirs', () => {
  const conf = parseDelegatingConf(
    JSON.stringify({
      cniVersion: '0.4.0',
      name: 'virtnet',
      type: 'virtnet-cni',
      kubeconfig: '/etc/cni/net.d/virtnet.d/kubeconfig',
      capabilities: { [POD_ANNOTATIONS_CAPABILITY]: true, portMappings: true },
      delegates: [bridge],
      runtimeConfig: {
        [POD_ANNOTATIONS_CAPABILITY]: { 'k8s.v1.cni.cncf.io/networks': 'a,b' },
        portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }],
      },
    }),
  );
  assert.equal(conf.kubeconfig, '/etc/cni/net.d/virtnet.d/kubeconfig');
  assert.equal(conf.confDir, DEFAULT_DELEGATING_CONF_DIR);
  assert.equal(conf.cacheDir, DEFAULT_DELEGATING_CACHE_DIR);
  assert.deepEqual(conf.binDir, []);
  assert.ok('list' in conf.defaultNetwork);
  assert.equal(conf.defaultNetwork.list.name, 'virtnet');
  assert.equal(conf.defaultNetwork.list.cniVersion, '0.4.0');
  assert.equal(conf.defaultNetwork.list.plugins[0]!.type, 'bridge');
  assert.deepEqual(conf.podAnnotations, { 'k8s.v1.cni.cncf.io/networks': 'a,b' });
  // The annotations are the plugin's own business; the rest goes to the default network's plugins.
  assert.deepEqual(Object.keys(conf.runtimeConfig), ['portMappings']);
});

test('a delegate conflist keeps its own name and version; clusterNetwork names a file', () => {
  const conf = parseDelegatingConf({
    cniVersion: '1.0.0',
    name: 'virtnet',
    cniDir: '/run/x',
    binDir: '/opt/x/bin',
    delegates: [{ name: 'kindnet', cniVersion: '0.3.1', plugins: [bridge, { type: 'portmap' }] }],
  });
  assert.ok('list' in conf.defaultNetwork);
  assert.equal(conf.defaultNetwork.list.name, 'kindnet');
  assert.equal(conf.defaultNetwork.list.cniVersion, '0.3.1');
  assert.equal(conf.podAnnotations, undefined, 'no annotations passed: read from the API server');
  assert.deepEqual(conf.binDir, ['/opt/x/bin']);
  assert.equal(conf.cacheDir, '/run/x');
  const byFile = parseDelegatingConf({
    cniVersion: '1.0.0',
    name: 'virtnet',
    clusterNetwork: '/etc/cni/net.d/10-flannel.conflist',
  });
  assert.deepEqual(byFile.defaultNetwork, { file: '/etc/cni/net.d/10-flannel.conflist' });
});

test('bad configurations are refused naming the field', () => {
  const cases: [unknown, string, string][] = [
    ['{', 'CNI_DECODE_FAILED', ''],
    [{ cniVersion: '9.9.9', name: 'v', delegates: [bridge] }, 'CNI_INCOMPATIBLE_VERSION', 'cniVersion'],
    [{ cniVersion: '1.0.0', name: 'v' }, 'CNI_CONFIG_INVALID', 'delegates'],
    [{ cniVersion: '1.0.0', name: 'v', delegates: [bridge, bridge] }, 'CNI_CONFIG_INVALID', 'delegates'],
    [
      { cniVersion: '1.0.0', name: 'v', delegates: [{ type: 'a/b' }] },
      'CNI_CONFIG_INVALID',
      'delegates[0].type',
    ],
    [
      { cniVersion: '1.0.0', name: 'v', delegates: [bridge], kubeconfig: 'relative' },
      'CNI_CONFIG_INVALID',
      'kubeconfig',
    ],
    [
      { cniVersion: '1.0.0', name: 'v', delegates: [bridge], clusterNetwork: '/a.conf' },
      'CNI_CONFIG_INVALID',
      'clusterNetwork',
    ],
    [
      {
        cniVersion: '1.0.0',
        name: 'v',
        delegates: [bridge],
        runtimeConfig: { [POD_ANNOTATIONS_CAPABILITY]: { a: 1 } },
      },
      'CNI_CONFIG_INVALID',
      `runtimeConfig["${POD_ANNOTATIONS_CAPABILITY}"]`,
    ],
  ];
  for (const [input, code, field] of cases) {
    assert.throws(
      () => parseDelegatingConf(input),
      (e) => isVirtnetError(e, code) && e.detail.field === field,
      JSON.stringify(input),
    );
  }
});

test('the CNI environment: pod identity from CNI_ARGS; DEL may come without a netns', () => {
  const env = parseCniEnv({
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: 'f00d',
    CNI_NETNS: '/var/run/netns/cni-1',
    CNI_IFNAME: 'eth0',
    CNI_ARGS:
      'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=p;K8S_POD_UID=u-1;K8S_POD_INFRA_CONTAINER_ID=f00d',
    CNI_PATH: '/opt/cni/bin:/usr/lib/cni',
  });
  assert.deepEqual(env.pod, { namespace: 'ns1', name: 'p', uid: 'u-1' });
  assert.deepEqual(env.cniPath, ['/opt/cni/bin', '/usr/lib/cni']);
  const del = parseCniEnv({ CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'f00d', CNI_NETNS: '', CNI_IFNAME: 'eth0' });
  assert.equal(del.netns, '');
  assert.equal(del.pod, undefined);
  assert.deepEqual(parseCniArgs('A=1;B=x=y'), [
    ['A', '1'],
    ['B', 'x=y'],
  ]);
  const bad: [Record<string, string>, string][] = [
    [{ CNI_COMMAND: 'FOO' }, 'CNI_COMMAND'],
    [{ CNI_COMMAND: 'ADD', CNI_CONTAINERID: '../x', CNI_NETNS: '/n', CNI_IFNAME: 'eth0' }, 'CNI_CONTAINERID'],
    [{ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', CNI_NETNS: '', CNI_IFNAME: 'eth0' }, 'CNI_NETNS'],
    [{ CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c', CNI_IFNAME: 'a-very-long-ifname0' }, 'CNI_IFNAME'],
    [{ CNI_COMMAND: 'VERSION', CNI_ARGS: 'novalue' }, 'CNI_ARGS'],
  ];
  for (const [vars, field] of bad)
    assert.throws(
      () => parseCniEnv(vars),
      (e) => isVirtnetError(e, 'CNI_INVALID_ENVIRONMENT') && e.detail.field === field,
      field,
    );
});
