// The CNI proxy with real plugins: per-pod sockets, add/remove/list interfaces, 4xx/5xx errors that
// leave nothing behind, isolation between pods, and pod deletion after the proxy was SIGKILLed.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runProgram } from '../../src/exec/run-program.js';
import { createPod, deletePod, readPod } from '../../src/cni/pod.js';
import { podSocketPath } from '../../src/cni/proxy/cni-proxy.js';
import { proxyRequest } from '../../src/cni/proxy/proxy-client.js';
import { needsRoot, sandbox, type Sandbox } from '../support/sandbox.js';
import { bridgeConflist, linksIn, testSubnets, writeConf } from './cni-fixtures.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function startProxy(sb: Sandbox, socketDir: string, stateDir: string, confDir?: string): ChildProcess {
  const mod = JSON.stringify(new URL('../../src/cni/proxy/cni-proxy.ts', import.meta.url).href);
  const script = `import { CniProxy } from ${mod};
const p = new CniProxy({ socketDir: ${JSON.stringify(socketDir)}, stateDir: ${JSON.stringify(stateDir)}${confDir ? `, cniConfDir: ${JSON.stringify(confDir)}` : ''}, cniPath: [${JSON.stringify(FIXTURES)}, '/usr/lib/cni'], pollIntervalMs: 100 });
await p.start();
setInterval(() => undefined, 1 << 30);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  sb.trackPid(child.pid);
  return child;
}

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 300) throw new Error('condition not reached in 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the proxy answers on `socket` (a stale socket file of a killed proxy refuses connections). */
async function waitForProxy(socket: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      if (existsSync(socket) && (await proxyRequest(socket, 'GET', '/interfaces')).status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (i > 300) throw new Error(`proxy did not answer on ${socket}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function bridgePorts(bridge: string): Promise<string[]> {
  const out = await runProgram(['ip', '-j', 'link', 'show', 'master', bridge], { timeoutMs: 5000 });
  return (JSON.parse(out.stdout || '[]') as { ifname: string }[]).map((l) => l.ifname);
}

test(
  'CNI proxy: per-pod sockets, add/list/remove, errors, isolation, SIGKILL-safe teardown',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const stateDir = join(sb.dir, 'state');
    const socketDir = join(sb.dir, 'sock');
    const confDir = join(sb.dir, 'net.d');
    writeConf(confDir, '10-def.conflist', bridgeConflist(sb, { name: 'def', bridgeSuffix: 'b0' }));
    writeConf(
      confDir,
      '20-host1.conflist',
      bridgeConflist(sb, {
        name: 'host1',
        bridgeSuffix: 'b1',
        salt: 1,
        extraPlugins: [{ type: 'tuning', capabilities: { mac: true } }],
      }),
    );
    writeConf(confDir, '25-p2p.conf', {
      cniVersion: '0.4.0',
      name: 'p2p',
      type: 'ptp',
      ipam: { type: 'host-local', subnet: testSubnets(sb, 2).v4, dataDir: join(sb.dir, 'ipam') },
    });
    writeConf(confDir, '30-broken.conflist', {
      cniVersion: '1.0.0',
      name: 'broken',
      plugins: [{ type: 'fake-error' }],
    });
    const a = await createPod({ name: `${sb.prefix}a`, stateDir, cniConfDir: confDir });
    const b = await createPod({ name: `${sb.prefix}b`, stateDir, cniConfDir: confDir });
    t.after(async () => {
      await deletePod(a.name, stateDir, { force: true });
      await deletePod(b.name, stateDir, { force: true });
    });
    const sockA = podSocketPath(socketDir, a.name);
    const sockB = podSocketPath(socketDir, b.name);
    let proxy = startProxy(sb, socketDir, stateDir, confDir);
    await waitForProxy(sockA);
    await waitForProxy(sockB);

    const added = await proxyRequest(sockA, 'POST', '/interfaces', {
      network: 'host1',
      ifname: 'vif0',
      mac: '02:00:00:00:00:a1',
      pod: b.name,
      netns: b.netnsPath,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const res = added.body as {
      interfaces: { name: string; mac: string; sandbox?: string }[];
      ips: { address: string }[];
    };
    assert.deepEqual(
      res.interfaces.find((i) => i.sandbox),
      { name: 'vif0', mac: '02:00:00:00:00:a1', sandbox: a.netnsPath },
    );
    assert.deepEqual(await linksIn(a.netns), ['eth0', 'lo', 'vif0']);
    assert.deepEqual(await linksIn(b.netns), ['eth0', 'lo'], 'the body cannot redirect a request to pod B');

    const auto = await proxyRequest(sockA, 'POST', '/interfaces', { network: 'host1' });
    assert.equal(auto.status, 201);
    assert.deepEqual(await linksIn(a.netns), ['eth0', 'lo', 'net1', 'vif0']);
    const status = readPod(a.name, stateDir)!.networkStatus;
    assert.deepEqual(
      status.map((s) => s.interface),
      ['eth0', 'vif0', 'net1'],
    );
    assert.equal(status[1]!.mac, '02:00:00:00:00:a1');

    const bad: [unknown, number, string][] = [
      [{ network: 'nope' }, 404, 'CNI_NETWORK_NOT_FOUND'],
      [{ network: 'host1', ifname: 'vif0' }, 409, 'PROXY_IFNAME_IN_USE'],
      [{ network: 'host1', ifname: 'eth0' }, 409, 'PROXY_IFNAME_IN_USE'],
      [{ network: 'host1', mac: '02:00:00:00:00' }, 400, 'PROXY_BAD_MAC'],
      [{ network: 'host1', ifname: 'this-is-too-long' }, 400, 'PROXY_BAD_IFNAME'],
      ['{not json', 400, 'PROXY_BAD_REQUEST'],
      // ptp cannot set a MAC (bridge can, from CNI_ARGS MAC=): refused and undone.
      [{ network: 'p2p', mac: '02:00:00:00:00:b1' }, 422, 'PROXY_MAC_UNSUPPORTED'],
      [{ network: 'broken', ifname: 'brk0' }, 502, 'CNI_PLUGIN_ERROR'],
    ];
    for (const [body, code, errCode] of bad) {
      const r = await proxyRequest(sockA, 'POST', '/interfaces', body);
      assert.equal(r.status, code, JSON.stringify([body, r.body]));
      assert.equal((r.body as { error: { code: string } }).error.code, errCode);
    }
    assert.deepEqual(await linksIn(a.netns), ['eth0', 'lo', 'net1', 'vif0'], 'failed requests leave nothing');
    assert.deepEqual(
      readPod(a.name, stateDir)!.attachments.map((x) => x.ifname),
      ['eth0', 'vif0', 'net1'],
    );
    assert.deepEqual(
      readdirSync(join(sb.dir, 'ipam', 'p2p')).filter((f) => /^\d/.test(f)),
      [],
      'the refused ptp address was released',
    );

    // B's socket cannot remove A's interface.
    assert.equal((await proxyRequest(sockB, 'DELETE', '/interfaces/vif0')).status, 404);
    assert.equal(
      (await proxyRequest(sockA, 'DELETE', '/interfaces/eth0')).status,
      404,
      'only proxy-added interfaces can be removed',
    );
    const del = await proxyRequest(sockA, 'DELETE', '/interfaces/net1');
    assert.deepEqual([del.status, del.body], [200, { deleted: 'net1' }]);
    assert.deepEqual(await linksIn(a.netns), ['eth0', 'lo', 'vif0']);
    const list = await proxyRequest(sockA, 'GET', '/interfaces');
    assert.deepEqual(
      (list.body as { interfaces: { interface: string; source: string }[] }).interfaces.map((i) => [
        i.interface,
        i.source,
      ]),
      [
        ['eth0', 'default'],
        ['vif0', 'proxy'],
      ],
    );

    // Kill the proxy hard, start a new one, then delete the pod: the proxy's interface goes through DEL.
    proxy.kill('SIGKILL');
    await new Promise((r) => proxy.once('exit', r));
    // Without --cni-conf-dir, the new proxy resolves networks from the conf dir the pod was created with.
    proxy = startProxy(sb, socketDir, stateDir);
    await waitForProxy(sockA);
    const again = await proxyRequest(sockA, 'POST', '/interfaces', { network: 'host1', ifname: 'vif1' });
    assert.equal(again.status, 201, JSON.stringify(again.body));
    const bridge1 = `${sb.prefix}b1`;
    assert.equal((await bridgePorts(bridge1)).length, 2);
    await deletePod(a.name, stateDir);
    assert.deepEqual(await bridgePorts(bridge1), []);
    assert.deepEqual(
      readdirSync(join(sb.dir, 'ipam', 'host1')).filter((f) => /^\d/.test(f)),
      [],
      'host1 addresses released',
    );
    assert.ok(!readdirSync(join(stateDir, 'cni', 'results')).some((f) => f.includes('host1')));
    await waitFor(() => !existsSync(sockA));
    proxy.kill('SIGTERM');
  },
);
