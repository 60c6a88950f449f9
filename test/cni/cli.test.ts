// `virtnet cni …` and `virtnet pod …` end to end through the command line, with the real plugins.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { netnsExists } from '../../src/host/netns.js';
import { needsRoot, sandbox } from '../support/sandbox.js';
import { bridgeConflist, linksIn, testSubnets, writeConf } from './cni-fixtures.js';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function virtnet(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('virtnet cni add|check|del with --conf and --network', { skip: needsRoot() }, async (t) => {
  const sb = sandbox(t);
  const ns = await sb.netns('c');
  const state = join(sb.dir, 'state');
  const confDir = writeConf(
    join(sb.dir, 'net.d'),
    '10-n.conflist',
    bridgeConflist(sb, {
      name: 'clinet',
      bridgeSuffix: 'b',
      cniVersion: '0.4.0',
      extraPlugins: [{ type: 'tuning', capabilities: { mac: true } }],
    }),
  );
  const add = virtnet([
    'cni',
    'add',
    '--netns',
    ns,
    '--ifname',
    'eth0',
    '--network',
    'clinet',
    '--conf-dir',
    confDir,
    '--capability-args',
    '{"mac":"02:00:00:00:00:c1"}',
    '--state-dir',
    state,
    '-o',
    'json',
  ]);
  assert.equal(add.code, 0, add.stderr);
  const res = JSON.parse(add.stdout) as {
    cniVersion: string;
    ips: { version: string; address: string }[];
    interfaces: { name: string; mac: string; sandbox?: string }[];
  };
  assert.equal(res.cniVersion, '0.4.0');
  assert.equal(res.ips[0]!.version, '4');
  assert.ok(res.ips[0]!.address.startsWith(testSubnets(sb).prefix4));
  assert.equal(res.interfaces.find((i) => i.sandbox)?.mac, '02:00:00:00:00:c1');
  const check = virtnet([
    'cni',
    'check',
    '--netns',
    ns,
    '--ifname',
    'eth0',
    '--conf',
    join(confDir, '10-n.conflist'),
    '--state-dir',
    state,
    '-o',
    'json',
  ]);
  assert.equal(check.code, 0, check.stderr);
  assert.deepEqual(JSON.parse(check.stdout), { command: 'CHECK', ok: true });
  // DEL from the cache alone: no configuration given.
  const del = virtnet(['cni', 'del', '--netns', ns, '--ifname', 'eth0', '--state-dir', state]);
  assert.equal(del.code, 0, del.stderr);
  assert.deepEqual(await linksIn(ns), ['lo']);

  const usage = virtnet(['cni', 'add', '--netns', ns, '--ifname', 'eth0', '--state-dir', state]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--conf FILE or --network NAME/);
  const missing = virtnet([
    'cni',
    'add',
    '--netns',
    ns,
    '--ifname',
    'eth0',
    '--network',
    'nope',
    '--conf-dir',
    confDir,
    '--state-dir',
    state,
    '-o',
    'json',
  ]);
  assert.equal(missing.code, 1);
  assert.equal(
    (JSON.parse(missing.stdout) as { error: { code: string } }).error.code,
    'CNI_NETWORK_NOT_FOUND',
  );
  assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace');
});

test('virtnet pod create|list|delete', { skip: needsRoot() }, async (t) => {
  const sb = sandbox(t);
  const state = join(sb.dir, 'state');
  const confDir = join(sb.dir, 'net.d');
  writeConf(confDir, '10-def.conflist', bridgeConflist(sb, { name: 'def', bridgeSuffix: 'b0' }));
  writeConf(confDir, '20-sec.conflist', bridgeConflist(sb, { name: 'sec', bridgeSuffix: 'b1', salt: 1 }));
  const name = `${sb.prefix}cli`;
  const created = virtnet([
    'pod',
    'create',
    name,
    '--cni-conf-dir',
    confDir,
    '--networks',
    'sec@pod16477688c0e',
    '--state-dir',
    state,
    '-o',
    'json',
  ]);
  assert.equal(created.code, 0, created.stderr);
  const pod = JSON.parse(created.stdout) as {
    netns: string;
    networkStatus: { interface: string; ips: string[] }[];
  };
  assert.equal(pod.netns, name);
  assert.deepEqual(
    pod.networkStatus.map((s) => s.interface),
    ['eth0', 'pod16477688c0e'],
  );
  assert.deepEqual(await linksIn(name), ['eth0', 'lo', 'pod16477688c0e']);
  const list = virtnet(['pod', 'list', '--state-dir', state, '-o', 'json']);
  assert.deepEqual(
    (JSON.parse(list.stdout) as { name: string }[]).map((p) => p.name),
    [name],
  );
  assert.equal(virtnet(['pod', 'delete', name, '--state-dir', state]).code, 0);
  assert.equal(netnsExists({ name }), false);
  const again = virtnet(['pod', 'delete', name, 'Bad_Name', '--state-dir', state]);
  assert.equal(again.code, 1, 'deleting again is fine; the invalid name is not');
  assert.match(again.stderr, /POD_INVALID_NAME/);
});
