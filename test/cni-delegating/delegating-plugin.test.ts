// The delegating CNI plugin (bin/virtnet-cni) run as a container runtime runs it, with Debian's
// bridge, host-local and tuning plugins, without an API server: the pod's selection arrives in
// runtimeConfig (as containerd passes it) and names networks of the plugin's confDir. The lab test
// (test/kube/cni-delegating.test.ts) covers NADs from the API server and network-status.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { deleteNetns, netnsPath } from '../../src/host/netns.js';
import { inNetns, linksIn, testSubnets, writeConf } from '../cni/cni-fixtures.js';
import { needsRoot, sandbox, type Sandbox } from '../support/sandbox.js';
import {
  assertNothingLeft,
  bridgePorts,
  hostLocalAllocations,
  pluginMissing,
  REPO,
  runInstalledShim,
  runPlugin,
  testNetworks,
  type TestNetworks,
} from './plugin-runner.js';

const skip = needsRoot() || pluginMissing();

interface Setup extends TestNetworks {
  sb: Sandbox;
  conf: (annotations: Record<string, string>) => Record<string, unknown>;
}

/** A default network and two secondary networks in the plugin's confDir. */
function setup(t: TestContext): Setup {
  const sb = sandbox(t);
  const n = testNetworks(sb);
  const confDir = join(sb.dir, 'multus.d');
  writeConf(confDir, '10-sec.conflist', n.sec);
  writeConf(confDir, '20-st.conflist', n.st);
  return {
    ...n,
    sb,
    conf: (annotations) => ({
      cniVersion: '0.4.0',
      name: 'virtnet',
      type: 'virtnet-cni',
      confDir,
      cniDir: n.cacheDir,
      capabilities: { 'io.kubernetes.cri.pod-annotations': true },
      delegates: [n.def],
      runtimeConfig: { 'io.kubernetes.cri.pod-annotations': annotations },
    }),
  };
}

function ipv4Of(ifname: string, out: string): string | undefined {
  const addrs = JSON.parse(out) as { ifname: string; addr_info: { family: string; local: string }[] }[];
  return addrs.find((a) => a.ifname === ifname)?.addr_info.find((i) => i.family === 'inet')?.local;
}

test(
  'ADD delegates eth0 then net1 (requested MAC) and st0 (static IP, default route); three DELs (netns, empty, netns gone) leave nothing',
  { skip },
  async (t) => {
    const s = setup(t);
    const ns = await s.sb.netns('pod');
    const staticIp = `${testSubnets(s.sb, 2).prefix4}77`;
    const conf = s.conf({
      'k8s.v1.cni.cncf.io/networks': JSON.stringify([
        { name: 'sec', mac: '02:aa:bb:cc:dd:01' },
        {
          name: 'st',
          interface: 'st0',
          ips: [`${staticIp}/24`],
          'default-route': [testSubnets(s.sb, 2).gw4],
        },
      ]),
    });
    const containerId = randomBytes(16).toString('hex');
    const call = { containerId, netns: netnsPath({ name: ns }) };
    const add = runPlugin(conf, { command: 'ADD', ...call });
    assert.equal(add.code, 0, `${JSON.stringify(add.out)} ${add.stderr}`);
    // The runtime gets the default network's result, in the plugin's cniVersion.
    assert.equal(add.out!.cniVersion, '0.4.0');
    const ips = add.out!.ips as { address: string }[];
    assert.equal(ips.length, 1);
    assert.ok(ips[0]!.address.startsWith(testSubnets(s.sb, 0).prefix4), ips[0]!.address);
    assert.deepEqual(await linksIn(ns), ['eth0', 'lo', 'net1', 'st0']);
    const addrs = await inNetns(ns, ['ip', '-j', 'addr', 'show']);
    assert.equal(`${ipv4Of('eth0', addrs)}/24`, ips[0]!.address);
    assert.ok(ipv4Of('net1', addrs)?.startsWith(testSubnets(s.sb, 1).prefix4));
    assert.equal(ipv4Of('st0', addrs), staticIp);
    const link = JSON.parse(await inNetns(ns, ['ip', '-j', 'link', 'show', 'net1'])) as { address: string }[];
    assert.equal(link[0]!.address, '02:aa:bb:cc:dd:01');
    // default-route: the pod's default route leaves through st0 instead of eth0.
    const routes = JSON.parse(await inNetns(ns, ['ip', '-j', 'route', 'show', 'default'])) as {
      gateway: string;
      dev: string;
    }[];
    assert.deepEqual(
      routes.map((r) => [r.dev, r.gateway]),
      [['st0', testSubnets(s.sb, 2).gw4]],
    );
    assert.equal(hostLocalAllocations(s.ipamDir).length, 3);
    for (const b of s.bridges) assert.equal((await bridgePorts(b)).length, 1, `one port on ${b}`);

    const check = runPlugin(conf, { command: 'CHECK', ...call });
    assert.equal(check.code, 0, JSON.stringify(check.out));

    // The DELs a pod gets: with the namespace, with CNI_NETNS="" (later kubelet DELs), and once the
    // runtime removed the namespace. Each succeeds; only the first has anything to do.
    const del1 = runPlugin(conf, { command: 'DEL', ...call });
    assert.equal(del1.code, 0, JSON.stringify(del1.out));
    assert.deepEqual(await linksIn(ns), ['lo']);
    await assertNothingLeft(s, 'after the first DEL');
    const del2 = runPlugin(conf, { command: 'DEL', containerId, netns: '' });
    assert.equal(del2.code, 0, JSON.stringify(del2.out));
    await deleteNetns(ns);
    const del3 = runPlugin(conf, { command: 'DEL', ...call });
    assert.equal(del3.code, 0, JSON.stringify(del3.out));
    await assertNothingLeft(s, 'after three DELs');
    t.diagnostic(
      `ADD ${add.ms.toFixed(0)} ms (3 networks), DEL ${del1.ms.toFixed(0)} / ${del2.ms.toFixed(0)} / ${del3.ms.toFixed(0)} ms`,
    );
  },
);

test('the first DEL comes with CNI_NETNS="": IPAM is released from the record alone', { skip }, async (t) => {
  const s = setup(t);
  const ns = await s.sb.netns('pod');
  const conf = s.conf({ 'k8s.v1.cni.cncf.io/networks': 'sec' });
  const containerId = randomBytes(16).toString('hex');
  const add = runPlugin(conf, { command: 'ADD', containerId, netns: netnsPath({ name: ns }) });
  assert.equal(add.code, 0, JSON.stringify(add.out));
  assert.equal(hostLocalAllocations(s.ipamDir).length, 2);
  await deleteNetns(ns);
  for (let i = 0; i < 2; i++) {
    const del = runPlugin(conf, { command: 'DEL', containerId, netns: '' });
    assert.equal(del.code, 0, JSON.stringify(del.out));
  }
  await assertNothingLeft(s, 'after DELs without a namespace');
});

test(
  'a failing delegate: the ones already added are deleted, the error is a CNI error object',
  { skip },
  async (t) => {
    const s = setup(t);
    const ns = await s.sb.netns('pod');
    // host-local refuses an address outside its range, after the bridge plugin made the veth.
    const conf = s.conf({
      'k8s.v1.cni.cncf.io/networks': JSON.stringify([{ name: 'sec' }, { name: 'st', ips: ['192.0.2.9/24'] }]),
    });
    const containerId = randomBytes(16).toString('hex');
    const add = runPlugin(conf, { command: 'ADD', containerId, netns: netnsPath({ name: ns }) });
    assert.equal(add.code, 1);
    const err = add.out as { cniVersion: string; code: number; msg: string; details: string };
    assert.equal(err.cniVersion, '0.4.0');
    assert.equal(typeof err.code, 'number');
    assert.match(err.msg, /bridge|host-local/);
    assert.match(err.details, /virtnet error CNI_PLUGIN_ERROR/);
    assert.deepEqual(await linksIn(ns), ['lo']);
    await assertNothingLeft(s, 'after the rollback');
    // The runtime's DEL after a failed ADD finds nothing to do and succeeds.
    const del = runPlugin(conf, { command: 'DEL', containerId, netns: netnsPath({ name: ns }) });
    assert.equal(del.code, 0, JSON.stringify(del.out));
  },
);

test(
  'killed in the middle of ADD: the record written before each delegate lets DEL undo all',
  { skip },
  async (t) => {
    const s = setup(t);
    const ns = await s.sb.netns('pod');
    const conf = s.conf({ 'k8s.v1.cni.cncf.io/networks': 'sec,st' });
    const containerId = randomBytes(16).toString('hex');
    const call = { containerId, netns: netnsPath({ name: ns }) };
    const add = runPlugin(conf, {
      command: 'ADD',
      ...call,
      extraEnv: { VIRTNET_FAULT: 'kill@cni-delegating.added:2' },
    });
    assert.equal(add.signal, 'SIGKILL');
    assert.deepEqual(await linksIn(ns), ['eth0', 'lo', 'net1']);
    const del = runPlugin(conf, { command: 'DEL', ...call });
    assert.equal(del.code, 0, JSON.stringify(del.out));
    assert.deepEqual(await linksIn(ns), ['lo']);
    await assertNothingLeft(s, 'after DEL of a half-done ADD');
  },
);

test('bad input: CNI error objects with the spec codes, nothing created', { skip }, async (t) => {
  const s = setup(t);
  const ns = await s.sb.netns('pod');
  const containerId = randomBytes(16).toString('hex');
  const call = { command: 'ADD' as const, containerId, netns: netnsPath({ name: ns }) };
  const cases: [unknown, Partial<typeof call>, number, RegExp][] = [
    [{ ...s.conf({}), cniVersion: '0.1.0' }, {}, 1, /cniVersion/],
    [s.conf({}), { containerId: '../etc' }, 4, /CNI_CONTAINERID/],
    [s.conf({ 'k8s.v1.cni.cncf.io/networks': 'nope' }), {}, 7, /nope/],
    [s.conf({ 'k8s.v1.cni.cncf.io/networks': 'sec@eth0' }), {}, 7, /eth0/],
    [s.conf({ 'k8s.v1.cni.cncf.io/networks': '[{"name":"sec","mac":"zz"}]' }), {}, 7, /mac/i],
    [
      { ...s.conf({ 'k8s.v1.cni.cncf.io/networks': 'other/sec' }), namespaceIsolation: true },
      {},
      7,
      /namespaceIsolation/,
    ],
  ];
  for (const [conf, override, code, msg] of cases) {
    const r = runPlugin(conf, { ...call, ...override });
    assert.equal(r.code, 1);
    assert.equal((r.out as { code: number }).code, code, JSON.stringify(r.out));
    assert.match((r.out as { msg: string }).msg, msg);
  }
  assert.deepEqual(await linksIn(ns), ['lo']);
  await assertNothingLeft(s, 'after refused calls');
  const version = runPlugin({ cniVersion: '1.0.0' }, { ...call, command: 'VERSION' });
  assert.deepEqual(version.out!.supportedVersions, ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
});

test(
  '`virtnet kube cni-install`: the runtime runs the installed virtnet-cni with the conflist it wrote; --remove takes both away',
  { skip },
  async (t) => {
    const s = setup(t);
    const binDir = join(s.sb.dir, 'bin');
    const confDir = join(s.sb.dir, 'net.d');
    const def = s.def;
    writeConf(confDir, '10-podnet.conflist', def);
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [join(REPO, 'dist', 'cli', 'main.js'), 'kube', ...args], {
        encoding: 'utf8',
        timeout: 60_000,
      });
    const inst = cli([
      'cni-install',
      '--cni-bin-dir',
      binDir,
      '--cni-conf-dir',
      confDir,
      '--cache-dir',
      s.cacheDir,
    ]);
    assert.equal(inst.status, 0, inst.stderr);
    const list = JSON.parse(readFileSync(join(confDir, '00-virtnet.conflist'), 'utf8')) as {
      name: string;
      cniVersion: string;
      plugins: Record<string, unknown>[];
    };
    assert.equal(list.plugins[0]!.clusterNetwork, join(confDir, '10-podnet.conflist'));
    // As libcni runs a conflist's plugin: its entry plus the list's name and version, runtimeConfig
    // for the declared capabilities, the bin dir as CNI_PATH (the delegates are found through it).
    for (const p of readdirSync('/usr/lib/cni')) symlinkSync(join('/usr/lib/cni', p), join(binDir, p));
    const ns = await s.sb.netns('pod');
    const stdin = {
      ...list.plugins[0],
      name: list.name,
      cniVersion: list.cniVersion,
      confDir: join(s.sb.dir, 'multus.d'),
      runtimeConfig: { 'io.kubernetes.cri.pod-annotations': { 'k8s.v1.cni.cncf.io/networks': 'sec' } },
    };
    const containerId = randomBytes(16).toString('hex');
    const run = (command: 'ADD' | 'DEL') =>
      runInstalledShim(join(binDir, 'virtnet-cni'), stdin, {
        command,
        containerId,
        netns: netnsPath({ name: ns }),
        cniPath: binDir,
        args: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p',
      });
    run('ADD');
    assert.deepEqual(await linksIn(ns), ['eth0', 'lo', 'net1']);
    run('DEL');
    assert.deepEqual(await linksIn(ns), ['lo']);
    await assertNothingLeft(s, 'after DEL');
    const rm = cli(['cni-install', '--cni-bin-dir', binDir, '--cni-conf-dir', confDir, '--remove']);
    assert.equal(rm.status, 0, rm.stderr);
    assert.ok(!existsSync(join(binDir, 'virtnet-cni')) && !existsSync(join(confDir, '00-virtnet.conflist')));
  },
);

test(
  'GC (CNI 1.1.0) undoes the containers the runtime no longer lists, and only those; STATUS asks the default network',
  { skip },
  async (t) => {
    const s = setup(t);
    const conf = { ...s.conf({ 'k8s.v1.cni.cncf.io/networks': 'sec' }), cniVersion: '1.1.0' };
    const kept = randomBytes(16).toString('hex');
    const gone = randomBytes(16).toString('hex');
    for (const [id, suffix] of [
      [kept, 'k'],
      [gone, 'g'],
    ] as const) {
      const ns = await s.sb.netns(suffix);
      const add = runPlugin(conf, { command: 'ADD', containerId: id, netns: netnsPath({ name: ns }) });
      assert.equal(add.code, 0, JSON.stringify(add.out));
    }
    assert.equal(hostLocalAllocations(s.ipamDir).length, 4);
    const gc = runPlugin(
      { ...conf, 'cni.dev/valid-attachments': [{ containerID: kept, ifname: 'eth0' }] },
      { command: 'GC', containerId: '', netns: '' },
    );
    assert.equal(gc.code, 0, JSON.stringify(gc.out));
    assert.equal(hostLocalAllocations(s.ipamDir).length, 2, 'the forgotten container released its addresses');
    assert.deepEqual(await linksIn(`${s.sb.prefix}k`), ['eth0', 'lo', 'net1']);
    const status = runPlugin(conf, { command: 'STATUS', containerId: '', netns: '' });
    assert.equal(status.code, 0, JSON.stringify(status.out));
    const del = runPlugin(conf, {
      command: 'DEL',
      containerId: kept,
      netns: netnsPath({ name: `${s.sb.prefix}k` }),
    });
    assert.equal(del.code, 0, JSON.stringify(del.out));
    await deleteNetns(`${s.sb.prefix}g`);
    // GC ran the delegates' DEL without the namespace (the runtime's GC has none): the forgotten pod's
    // veths go with its namespace, which the kernel dismantles after the last reference, not at once.
    for (let i = 0; i < 100 && (await Promise.all(s.bridges.map(bridgePorts))).flat().length > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    await assertNothingLeft(s, 'after GC and DEL');
  },
);
