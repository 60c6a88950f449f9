import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isVirtnetError } from '../../errors/virtnet-error.js';
import { parseCniEnv } from './cni-env.js';
import { parseDelegatingConf } from './delegating-conf.js';
import { planDelegation } from './delegating-plugin.js';

function confDirWith(names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'vn-deleg-'));
  for (const name of names)
    writeFileSync(
      join(dir, `${name}.conflist`),
      JSON.stringify({
        cniVersion: '1.0.0',
        name,
        plugins: [{ type: 'macvlan', master: 'eth9', capabilities: { mac: true, ips: true } }],
      }),
    );
  return dir;
}

function call(dir: string, annotations: Record<string, string>, ifname = 'eth0') {
  return {
    conf: parseDelegatingConf({
      cniVersion: '1.0.0',
      name: 'virtnet',
      confDir: dir,
      delegates: [{ type: 'bridge', bridge: 'cni0' }],
      runtimeConfig: {
        'io.kubernetes.cri.pod-annotations': annotations,
        portMappings: [{ hostPort: 80, containerPort: 80, protocol: 'tcp' }],
      },
    }),
    env: parseCniEnv({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'c1',
      CNI_NETNS: '/var/run/netns/x',
      CNI_IFNAME: ifname,
      CNI_ARGS: 'K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=p',
    }),
  };
}

test('delegation order: the default network on CNI_IFNAME with the runtime values, then net1, net2 or the names asked for', async (t) => {
  const dir = confDirWith(['a', 'b', 'c']);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const plan = await planDelegation(
    call(dir, {
      'k8s.v1.cni.cncf.io/networks': JSON.stringify([
        { name: 'a' },
        { name: 'b', interface: 'fast0', mac: '02:00:00:00:00:0A', ips: ['10.9.0.5/24'] },
        { name: 'c' },
      ]),
    }),
  );
  assert.deepEqual(
    plan.map((a) => [a.name, a.ifname, a.default]),
    [
      ['virtnet', 'eth0', true],
      ['a', 'net1', false],
      ['b', 'fast0', false],
      ['c', 'net3', false],
    ],
  );
  assert.deepEqual(Object.keys(plan[0]!.capabilityArgs), ['portMappings'], 'runtime values go to eth0 only');
  assert.deepEqual(plan[1]!.capabilityArgs, {});
  assert.deepEqual(plan[2]!.capabilityArgs, { mac: '02:00:00:00:00:0a', ips: ['10.9.0.5/24'] });
  assert.deepEqual(plan[2]!.cniArgs, [
    ['MAC', '02:00:00:00:00:0a'],
    ['IP', '10.9.0.5/24'],
  ]);
});

test('the default-network override and the runtime interface name; clashes and unknown networks are refused', async (t) => {
  const dir = confDirWith(['a', 'b']);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const plan = await planDelegation(
    call(dir, { 'v1.multus-cni.io/default-network': 'b', 'k8s.v1.cni.cncf.io/networks': 'a' }, 'pod0'),
  );
  assert.deepEqual(
    plan.map((a) => [a.name, a.ifname]),
    [
      ['b', 'pod0'],
      ['a', 'net1'],
    ],
  );
  await assert.rejects(
    planDelegation(call(dir, { 'k8s.v1.cni.cncf.io/networks': 'a@pod0' }, 'pod0')),
    (e) => isVirtnetError(e, 'POD_IFNAME_DUPLICATE') && e.detail.field === 'CNI_IFNAME',
  );
  await assert.rejects(
    planDelegation(call(dir, { 'k8s.v1.cni.cncf.io/networks': 'a,zz' })),
    (e) => isVirtnetError(e, 'CNI_NETWORK_NOT_FOUND') && e.detail.field === 'networks[1]',
  );
});
