import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDelegatingConf } from '../cni/delegating/delegating-conf.js';
import { parseNetworkConfig } from '../cni/net-conf.js';
import { isVirtnetError } from '../errors/virtnet-error.js';
import { cniPluginConflist, cniPluginKubeconfig, cniPluginShim } from './cni-plugin-install.js';
import { parse } from 'yaml';

test('the installed conflist declares pod annotations plus what the default network takes, and parses as the plugin reads it', () => {
  const defaultList = parseNetworkConfig(
    {
      cniVersion: '0.4.0',
      name: 'kindnet',
      plugins: [
        { type: 'ptp', ipam: { type: 'host-local' } },
        { type: 'portmap', capabilities: { portMappings: true } },
        { type: 'bandwidth', capabilities: { bandwidth: false } },
      ],
    },
    'test',
  );
  const list = cniPluginConflist({
    name: 'virtnet',
    clusterNetwork: '/etc/cni/net.d/10-kindnet.conflist',
    defaultList,
    kubeconfig: '/etc/cni/net.d/virtnet.d/kubeconfig',
  });
  const plugin = (list.plugins as Record<string, unknown>[])[0]!;
  assert.deepEqual(plugin.capabilities, { 'io.kubernetes.cri.pod-annotations': true, portMappings: true });
  assert.equal(list.cniVersion, '0.4.0');
  // What libcni hands the plugin: its entry plus the list's name and version.
  const conf = parseDelegatingConf({ ...plugin, name: list.name, cniVersion: list.cniVersion });
  assert.deepEqual(conf.defaultNetwork, { file: '/etc/cni/net.d/10-kindnet.conflist' });
  assert.equal(conf.kubeconfig, '/etc/cni/net.d/virtnet.d/kubeconfig');
});

test('the shim uses absolute paths only; the kubeconfig reads its token from a file', () => {
  assert.match(
    cniPluginShim('/usr/bin/node', '/opt/virtnet'),
    /exec '\/usr\/bin\/node' '\/opt\/virtnet\/dist\/cli\/cni-plugin-main.js'/,
  );
  // A bundle's Node runs through its own loader and libraries.
  assert.match(
    cniPluginShim('/opt/b/node', '/opt/b', { path: '/opt/b/lib/ld-linux-x86-64.so.2', libDir: '/opt/b/lib' }),
    /exec '\/opt\/b\/lib\/ld-linux-x86-64.so.2' --library-path '\/opt\/b\/lib' '\/opt\/b\/node' '\/opt\/b\/dist\/cli\/cni-plugin-main.js'\n$/,
  );
  assert.throws(
    () => cniPluginShim('/opt/b/node', '/opt/b', { path: 'ld.so', libDir: '/opt/b/lib' }),
    (e) => isVirtnetError(e, 'CNI_INSTALL_INVALID') && e.detail.field === 'loader',
  );
  assert.throws(
    () => cniPluginShim('node', '/opt/virtnet'),
    (e) => isVirtnetError(e, 'CNI_INSTALL_INVALID') && e.detail.field === 'node',
  );
  assert.throws(
    () => cniPluginShim('/usr/bin/node', "/opt/it's"),
    (e) => isVirtnetError(e, 'CNI_INSTALL_INVALID'),
  );
  const kc = parse(cniPluginKubeconfig('https://10.0.0.1:6443', '/var/run/ca.crt', '/var/run/token')) as {
    users: { user: { tokenFile: string } }[];
  };
  assert.equal(kc.users[0]!.user.tokenFile, '/var/run/token');
});
