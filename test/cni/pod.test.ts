// Embedded pods with the real bridge/host-local plugins: default network, Multus secondaries, the
// default-network override, Genie lookups, rollback, and teardown after a crash.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isVirtnetError } from '../../src/errors/virtnet-error.js';
import { netnsExists } from '../../src/host/netns.js';
import { SHIPPED_CONF_DIR } from '../../src/cni/default-conf.js';
import { createPod, deletePod, listPods, readPod } from '../../src/cni/pod.js';
import { needsRoot, sandbox } from '../support/sandbox.js';
import { bridgeConflist, deleteHostLink, inNetns, linksIn, testSubnets, writeConf } from './cni-fixtures.js';

test('two pods on the default network ping each other and the gateway', { skip: needsRoot() }, async (t) => {
  const sb = sandbox(t);
  const confDir = writeConf(
    join(sb.dir, 'net.d'),
    '10-def.conflist',
    bridgeConflist(sb, { name: 'def', bridgeSuffix: 'br', v6: true }),
  );
  const stateDir = join(sb.dir, 'state');
  const a = await createPod({ name: `${sb.prefix}a`, stateDir, cniConfDir: confDir });
  const b = await createPod({ name: `${sb.prefix}b`, stateDir, cniConfDir: confDir });
  t.after(async () => {
    await deletePod(a.name, stateDir, { force: true });
    await deletePod(b.name, stateDir, { force: true });
  });
  assert.equal(a.netns, `${sb.prefix}a`);
  assert.equal(a.networkStatus.length, 1);
  const sa = a.networkStatus[0]!;
  assert.equal(sa.interface, 'eth0');
  assert.equal(sa.default, true);
  assert.equal(sa.name, 'def');
  assert.equal(sa.ips?.length, 2);
  assert.match(sa.mac ?? '', /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  const ipB = b.networkStatus[0]!.ips!.find((ip) => !ip.includes(':'))!;
  await inNetns(a.netns, ['ping', '-c1', '-W2', ipB]);
  await inNetns(a.netns, ['ping', '-c1', '-W2', testSubnets(sb).gw4]);
  assert.deepEqual(
    listPods(stateDir).map((p) => p.name),
    [a.name, b.name],
  );
  assert.deepEqual(readPod(a.name, stateDir)?.networkStatus, a.networkStatus);
  await deletePod(a.name, stateDir);
  await deletePod(b.name, stateDir);
  await deletePod(b.name, stateDir); // idempotent
  assert.equal(netnsExists({ name: a.name }), false);
  assert.deepEqual(listPods(stateDir), []);
  assert.deepEqual(readdirSync(join(stateDir, 'cni', 'results')), []);
  // host-local released both addresses
  assert.deepEqual(
    readdirSync(join(sb.dir, 'ipam', 'def')).filter((f) => /^\d|:/.test(f)),
    [],
  );
});

function nadYaml(name: string, config: unknown, extra = ''): string {
  return `apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata:\n  name: ${name}\n${extra}spec:\n  config: '${JSON.stringify(config)}'\n---\n`;
}

test(
  'Multus: two secondary networks give three interfaces and a full network-status',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const confDir = writeConf(
      join(sb.dir, 'net.d'),
      '10-def.conflist',
      bridgeConflist(sb, { name: 'def', bridgeSuffix: 'b0' }),
    );
    const second = bridgeConflist(sb, { name: 'blue', bridgeSuffix: 'b1', salt: 1, cniVersion: '0.4.0' });
    const s2 = testSubnets(sb, 2);
    const third = {
      cniVersion: '0.3.1',
      name: 'red',
      type: 'ptp',
      ipam: { type: 'host-local', subnet: s2.v4, dataDir: join(sb.dir, 'ipam') },
    };
    const nads = join(sb.dir, 'nads.yaml');
    writeFileSync(
      nads,
      nadYaml('blue', second, '  annotations:\n    k8s.v1.cni.cncf.io/resourceName: example.com/blue\n') +
        nadYaml('red', third),
    );
    const stateDir = join(sb.dir, 'state');
    const pod = await createPod({
      name: `${sb.prefix}m`,
      stateDir,
      cniConfDir: confDir,
      nadFiles: [nads],
      networks: 'blue,default/red@red0',
    });
    t.after(() => deletePod(pod.name, stateDir, { force: true }));
    assert.deepEqual(await linksIn(pod.netns), ['eth0', 'lo', 'net1', 'red0']);
    assert.deepEqual(
      pod.networkStatus.map((s) => [s.name, s.interface, s.default ?? false]),
      [
        ['def', 'eth0', true],
        ['default/blue', 'net1', false],
        ['default/red', 'red0', false],
      ],
    );
    for (const s of pod.networkStatus) {
      assert.equal(s.ips?.length, 1, JSON.stringify(s));
      assert.match(s.mac ?? '', /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    }
    assert.ok(pod.networkStatus[1]!.ips![0]!.startsWith(testSubnets(sb, 1).prefix4));
    assert.equal(pod.attachments[1]!.resourceName, 'example.com/blue');
    assert.deepEqual(JSON.parse(pod.annotations['k8s.v1.cni.cncf.io/network-status']!), pod.networkStatus);
    await deletePod(pod.name, stateDir);
    assert.equal(netnsExists({ name: pod.name }), false);
    assert.deepEqual(readdirSync(join(stateDir, 'cni', 'results')), []);
  },
);

test(
  'a Multus default-network override replaces eth0 network; MAC and IP requests reach the plugins',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const confDir = writeConf(
      join(sb.dir, 'net.d'),
      '10-def.conflist',
      bridgeConflist(sb, { name: 'def', bridgeSuffix: 'b0' }),
    );
    const alt = bridgeConflist(sb, {
      name: 'alt',
      bridgeSuffix: 'b1',
      salt: 1,
      extraPlugins: [{ type: 'tuning', capabilities: { mac: true } }],
    });
    const nads = join(sb.dir, 'nads.yaml');
    sb.defer(() => deleteHostLink(`${sb.prefix}b3`));
    const st = {
      cniVersion: '1.0.0',
      name: 'st',
      type: 'bridge',
      bridge: `${sb.prefix}b3`,
      capabilities: { ips: true },
      ipam: { type: 'static' },
    };
    writeFileSync(nads, nadYaml('alt', alt, '  namespace: kube-system\n') + nadYaml('st', st));
    const staticIp = `${testSubnets(sb, 3).prefix4}50`;
    const stateDir = join(sb.dir, 'state');
    const pod = await createPod({
      name: `${sb.prefix}o`,
      stateDir,
      cniConfDir: confDir,
      nadFiles: [nads],
      defaultNetwork: 'kube-system/alt',
      networks: JSON.stringify([
        { name: 'alt', namespace: 'kube-system', interface: 'sec1', mac: '02:00:00:00:aa:01' },
        { name: 'st', interface: 'st0', ips: [`${staticIp}/24`] },
      ]),
    });
    t.after(() => deletePod(pod.name, stateDir, { force: true }));
    assert.equal(pod.networkStatus[0]!.name, 'kube-system/alt');
    assert.equal(pod.networkStatus[0]!.interface, 'eth0');
    assert.ok(pod.networkStatus[0]!.ips![0]!.startsWith(testSubnets(sb, 1).prefix4));
    assert.equal(pod.networkStatus[1]!.mac, '02:00:00:00:aa:01');
    // Multus `ips` reach static IPAM through runtimeConfig.ips (declared capability).
    assert.deepEqual(pod.networkStatus[2]!.ips, [staticIp]);
    assert.equal(pod.networkStatus[2]!.interface, 'st0');
    await deletePod(pod.name, stateDir);
  },
);

test(
  'Genie: entries are looked up by network name, then by plugin type; first is eth0',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const dir = join(sb.dir, 'net.d');
    writeConf(dir, '00-other.conflist', bridgeConflist(sb, { name: 'other', bridgeSuffix: 'b0' }));
    writeConf(
      dir,
      '10-flannel.conflist',
      bridgeConflist(sb, { name: 'flannel', bridgeSuffix: 'b1', salt: 1 }),
    );
    writeConf(dir, '20-p2p.conf', {
      cniVersion: '1.0.0',
      name: 'p2p-net',
      type: 'ptp',
      ipam: { type: 'host-local', subnet: testSubnets(sb, 2).v4, dataDir: join(sb.dir, 'ipam') },
    });
    const stateDir = join(sb.dir, 'state');
    const pod = await createPod({ name: `${sb.prefix}g`, stateDir, cniConfDir: dir, genie: 'flannel,ptp' });
    t.after(() => deletePod(pod.name, stateDir, { force: true }));
    assert.deepEqual(
      pod.networkStatus.map((s) => [s.name, s.interface, s.default ?? false]),
      [
        ['flannel', 'eth0', true],
        ['p2p-net', 'eth1', false],
      ],
    );
    assert.ok(pod.networkStatus[0]!.ips![0]!.startsWith(testSubnets(sb, 1).prefix4));
    await assert.rejects(
      createPod({ name: `${sb.prefix}h`, stateDir, cniConfDir: dir, genie: 'ovs' }),
      (e) => isVirtnetError(e, 'GENIE_NETWORK_NOT_FOUND') && e.detail.field === 'genie[0]',
    );
    await deletePod(pod.name, stateDir);
  },
);

const FIXTURES = join(import.meta.dirname, 'fixtures');

test('plugin failures yield typed errors and leave nothing behind', { skip: needsRoot() }, async (t) => {
  const sb = sandbox(t);
  const stateDir = join(sb.dir, 'state');
  const cases: [string, string][] = [
    ['fake-garbage', 'CNI_BAD_OUTPUT'],
    ['fake-badresult', 'CNI_BAD_OUTPUT'],
    ['fake-error', 'CNI_PLUGIN_ERROR'],
    ['fake-crash', 'CNI_PLUGIN_CRASHED'],
    ['fake-hang', 'CNI_PLUGIN_TIMEOUT'],
    ['no-such-plugin', 'CNI_PLUGIN_NOT_FOUND'],
  ];
  const confDir = writeConf(
    join(sb.dir, 'net.d'),
    '10-def.conflist',
    bridgeConflist(sb, { name: 'def', bridgeSuffix: 'b0' }),
  );
  for (const [i, [type, code]] of cases.entries()) {
    // The failing network is the secondary one, so the default network's ADD must be undone too.
    // One case chains the faulty plugin after bridge, so the earlier plugins of the same list are undone too.
    const bad =
      type === 'fake-error'
        ? bridgeConflist(sb, {
            name: `bad${i}`,
            bridgeSuffix: `x${i}`,
            salt: i + 1,
            extraPlugins: [{ type }],
          })
        : { cniVersion: '1.0.0', name: `bad${i}`, plugins: [{ type, pidFile: join(sb.dir, 'hang.pid') }] };
    writeConf(join(sb.dir, 'bad.d'), `bad${i}.conflist`, bad);
    const nads = join(sb.dir, `bad${i}.yaml`);
    writeFileSync(nads, nadYaml(`bad${i}`, bad));
    const name = `${sb.prefix}e${i}`;
    await assert.rejects(
      createPod({
        name,
        stateDir,
        cniConfDir: confDir,
        nadFiles: [nads],
        networks: `bad${i}`,
        cniPath: [FIXTURES, '/usr/lib/cni'],
        pluginTimeoutMs: 1000,
      }),
      (e) => {
        assert.ok(isVirtnetError(e, code), `${type}: ${String(e)}`);
        assert.equal(e.detail.program, type);
        if (code === 'CNI_PLUGIN_ERROR')
          assert.deepEqual(e.detail.cniError, {
            cniVersion: '1.0.0',
            code: 7,
            msg: 'invalid network config',
            details: 'field vlan out of range',
          });
        return true;
      },
    );
    assert.equal(netnsExists({ name }), false, type);
    assert.equal(existsSync(join(stateDir, 'pods', name)), false, type);
    assert.deepEqual(readdirSync(join(stateDir, 'cni', 'results')), [], type);
    for (const net of ['def', `bad${i}`]) {
      const ipamDir = join(sb.dir, 'ipam', net);
      if (existsSync(ipamDir))
        assert.deepEqual(
          readdirSync(ipamDir).filter((f) => /^\d/.test(f)),
          [],
          `${type}: ${net} addresses released`,
        );
    }
  }
});

test('a pod whose creator was SIGKILLed mid-way is deleted completely', { skip: needsRoot() }, async (t) => {
  const sb = sandbox(t);
  const stateDir = join(sb.dir, 'state');
  const confDir = writeConf(
    join(sb.dir, 'net.d'),
    '10-def.conflist',
    bridgeConflist(sb, { name: 'def', bridgeSuffix: 'b0' }),
  );
  const pidFile = join(sb.dir, 'hang.pid');
  const hang = bridgeConflist(sb, {
    name: 'slow',
    bridgeSuffix: 'b1',
    salt: 1,
    extraPlugins: [{ type: 'fake-hang', pidFile }],
  });
  writeConf(confDir, '20-slow.conflist', hang);
  const name = `${sb.prefix}k`;
  const script = `import { createPod } from ${JSON.stringify(new URL('../../src/cni/pod.ts', import.meta.url).href)};
await createPod({ name: ${JSON.stringify(name)}, stateDir: ${JSON.stringify(stateDir)}, cniConfDir: ${JSON.stringify(confDir)}, networks: 'slow', cniPath: [${JSON.stringify(FIXTURES)}, '/usr/lib/cni'] });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: 'ignore',
  });
  sb.trackPid(child.pid);
  while (!existsSync(pidFile)) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  const hangPid = Number(readFileSync(pidFile, 'utf8'));
  process.kill(hangPid, 'SIGKILL');
  assert.equal(readPod(name, stateDir)?.status, 'creating');
  assert.ok(netnsExists({ name }));
  await deletePod(name, stateDir);
  assert.equal(netnsExists({ name }), false);
  assert.equal(existsSync(join(stateDir, 'pods', name)), false);
  assert.deepEqual(readdirSync(join(stateDir, 'cni', 'results')), []);
  for (const net of ['def', 'slow'])
    assert.deepEqual(
      readdirSync(join(sb.dir, 'ipam', net)).filter((f) => /^\d/.test(f)),
      [],
      net,
    );
});

test(
  'bad names and unknown networks are rejected before anything is created',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const stateDir = join(sb.dir, 'state');
    const confDir = writeConf(
      join(sb.dir, 'net.d'),
      '10-def.conflist',
      bridgeConflist(sb, { name: 'def', bridgeSuffix: 'b0' }),
    );
    await assert.rejects(createPod({ name: 'Bad_Name', stateDir, cniConfDir: confDir }), (e) =>
      isVirtnetError(e, 'POD_INVALID_NAME'),
    );
    await assert.rejects(createPod({ name: 'x'.repeat(64), stateDir, cniConfDir: confDir }), (e) =>
      isVirtnetError(e, 'POD_INVALID_NAME'),
    );
    await assert.rejects(
      createPod({ name: `${sb.prefix}u`, stateDir, cniConfDir: confDir, networks: 'nope' }),
      (e) => isVirtnetError(e, 'CNI_NETWORK_NOT_FOUND') && e.detail.field === 'networks[0]',
    );
    await assert.rejects(
      createPod({ name: `${sb.prefix}u`, stateDir, cniConfDir: confDir, networks: 'def@eth0' }),
      (e) => isVirtnetError(e, 'POD_IFNAME_DUPLICATE'),
    );
    assert.equal(netnsExists({ name: `${sb.prefix}u` }), false);
    assert.deepEqual(listPods(stateDir), []);
  },
);

test(
  'Multus default-route moves the default route and the default flag to the secondary network',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const confDir = join(sb.dir, 'net.d');
    writeConf(confDir, '10-def.conflist', bridgeConflist(sb, { name: 'def', bridgeSuffix: 'b0' }));
    writeConf(confDir, '20-sec.conflist', bridgeConflist(sb, { name: 'sec', bridgeSuffix: 'b1', salt: 1 }));
    const stateDir = join(sb.dir, 'state');
    const gw = testSubnets(sb, 1).gw4;
    const pod = await createPod({
      name: `${sb.prefix}r`,
      stateDir,
      cniConfDir: confDir,
      networks: JSON.stringify([{ name: 'sec', interface: 'net1', 'default-route': [gw] }]),
    });
    t.after(() => deletePod(pod.name, stateDir, { force: true }));
    const routes = JSON.parse(await inNetns(pod.netns, ['ip', '-j', 'route', 'show', 'default'])) as {
      gateway: string;
      dev: string;
    }[];
    assert.deepEqual(
      routes.map((r) => [r.gateway, r.dev]),
      [[gw, 'net1']],
    );
    assert.deepEqual(
      pod.networkStatus.map((s) => [s.interface, s.default ?? false]),
      [
        ['eth0', false],
        ['net1', true],
      ],
    );
    await deletePod(pod.name, stateDir);
  },
);

test(
  "the shipped conflist (with this test's bridge and subnets) gives dual-stack pods that reach each other",
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const shipped = JSON.parse(readFileSync(join(SHIPPED_CONF_DIR, '10-virtnet.conflist'), 'utf8')) as {
      plugins: Record<string, unknown>[];
    };
    const s = testSubnets(sb);
    const bridge = `${sb.prefix}v0`;
    sb.defer(() => deleteHostLink(bridge));
    shipped.plugins[0]!.bridge = bridge;
    const ipam = shipped.plugins[0]!.ipam as Record<string, unknown>;
    ipam.ranges = [[{ subnet: s.v4 }], [{ subnet: s.v6 }]];
    // Used without --cni-conf-dir, virtnet points dataDir into its state dir (unit-tested); here, the test's dir.
    ipam.dataDir = join(sb.dir, 'ipam');
    const confDir = writeConf(join(sb.dir, 'net.d'), '10-virtnet.conflist', shipped);
    const stateDir = join(sb.dir, 'state');
    const a = await createPod({ name: `${sb.prefix}s1`, stateDir, cniConfDir: confDir });
    const b = await createPod({ name: `${sb.prefix}s2`, stateDir, cniConfDir: confDir, networks: '' });
    t.after(async () => {
      await deletePod(a.name, stateDir, { force: true });
      await deletePod(b.name, stateDir, { force: true });
    });
    const ips = a.networkStatus[0]!.ips!;
    assert.equal(ips.length, 2);
    assert.ok(ips[0]!.startsWith(s.prefix4));
    assert.ok(ips[1]!.includes(':'));
    assert.deepEqual(a.networkStatus[0]!.gateway?.length, 2);
    await inNetns(b.netns, ['ping', '-c1', '-W2', ips[0]!]);
    await deletePod(a.name, stateDir);
    await deletePod(b.name, stateDir);
    assert.deepEqual(
      readdirSync(join(sb.dir, 'ipam', 'virtnet')).filter((f) => /^\d|:/.test(f)),
      [],
      'both families released',
    );
  },
);

test(
  'deletePod: only its owner deletes a pod; a failed DEL is thrown naming network and plugin, and kept, kept with the namespace gone, or forgotten',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const stateDir = join(sb.dir, 'state');
    const flagFile = join(sb.dir, 'del-refused');
    const confDir = writeConf(
      join(sb.dir, 'net.d'),
      '10-def.conflist',
      bridgeConflist(sb, {
        name: 'def',
        bridgeSuffix: 'b0',
        extraPlugins: [{ type: 'fake-delfail', flagFile }],
      }),
    );
    const cniPath = [FIXTURES, '/usr/lib/cni'];
    const results = (): string[] => readdirSync(join(stateDir, 'cni', 'results'));
    const name = `${sb.prefix}o`;
    await createPod({ name, stateDir, cniConfDir: confDir, cniPath, owner: 'run-1' });
    t.after(() => deletePod(name, stateDir, { force: true }).catch(() => undefined));

    await deletePod(name, stateDir, { owner: 'run-2' });
    assert.ok(
      netnsExists({ name }) && readPod(name, stateDir)?.status === 'ready',
      "another owner's delete changes nothing",
    );

    writeFileSync(flagFile, '');
    const failed = (e: unknown): boolean =>
      isVirtnetError(e, 'POD_DELETE_FAILED') &&
      /network def: CNI plugin fake-delfail \(DEL\) failed: DEL refused/.test(e.message) &&
      (e.detail.plugins as string[])[0] === 'fake-delfail';
    await assert.rejects(deletePod(name, stateDir, { owner: 'run-1' }), failed);
    assert.ok(netnsExists({ name }), 'keep-pod: the namespace stays');
    assert.equal(readPod(name, stateDir)?.status, 'deleting');
    await assert.rejects(deletePod(name, stateDir, { onDelFailure: 'keep-attachments' }), failed);
    assert.ok(!netnsExists({ name }), 'keep-attachments: the namespace is gone');
    assert.equal(readPod(name, stateDir)?.attachments.length, 1, 'the failed attachment is kept');
    assert.equal(results().length, 1, 'with its cached result');
    await assert.rejects(
      deletePod(name, stateDir, { force: true }),
      (e) => failed(e) && /forced/.test((e as Error).message),
    );
    assert.equal(readPod(name, stateDir), undefined, 'forget: the pod is gone');
    assert.deepEqual(results(), [], 'and its cached result');

    // A DEL that works again finishes a kept deletion.
    const again = `${sb.prefix}p`;
    await createPod({ name: again, stateDir, cniConfDir: confDir, cniPath });
    await assert.rejects(deletePod(again, stateDir, { onDelFailure: 'keep-attachments' }), failed);
    rmSync(flagFile);
    await deletePod(again, stateDir);
    assert.equal(readPod(again, stateDir), undefined);
    assert.deepEqual(results(), []);
  },
);
