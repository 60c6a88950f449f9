// The node agent's install of virtnet-cni (src/agent/cni-plugin-setup.ts): a self-contained bundle on
// the node (its own Node, dynamic loader and libraries), a kubeconfig with the mounted token, the shim
// and the conflist; the runtime then runs the shim with nothing from the host but the kernel and the
// CNI plugins. Real plugins, a real namespace; no API server (the runtime passes the pod's
// annotations and no pod identity; the lab's tests run the installed plugin against one).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { installNodeCniPlugin } from '../../src/agent/cni-plugin-setup.js';
import { netnsPath } from '../../src/host/netns.js';
import { mappedLibraries } from '../../src/kube/cni-plugin-bundle.js';
import { linksIn, writeConf } from '../cni/cni-fixtures.js';
import { needsRoot, sandbox } from '../support/sandbox.js';
import { assertNothingLeft, pluginMissing, REPO, runInstalledShim, testNetworks } from './plugin-runner.js';

const skip = needsRoot() || pluginMissing();

test(
  "the node agent's install: a bundle with its own Node, loader and libraries runs as the runtime runs it; a reinstall reuses it; old bundles are pruned",
  { skip },
  async (t) => {
    const sb = sandbox(t);
    const n = testNetworks(sb, 'i');
    const binDir = join(sb.dir, 'bin');
    const confDir = join(sb.dir, 'net.d');
    const home = join(sb.dir, 'virtnet-cni');
    const tokenDir = join(sb.dir, 'token');
    mkdirSync(binDir);
    mkdirSync(tokenDir);
    for (const p of readdirSync('/usr/lib/cni')) symlinkSync(join('/usr/lib/cni', p), join(binDir, p));
    writeConf(confDir, '10-podnet.conflist', n.def);
    writeFileSync(join(tokenDir, 'token'), 'not-a-real-token');
    writeFileSync(join(tokenDir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\n');
    const opts = {
      binDir,
      confDir,
      pluginHome: home,
      tokenDir,
      server: 'https://127.0.0.1:6443',
      from: REPO,
    };

    // An old bundle the shim no longer runs is pruned; the one it runs is kept beside the new one.
    mkdirSync(join(home, 'virtnet-cni-0000000000000000'), { recursive: true });
    const shim = installNodeCniPlugin(opts);
    const bundles = () => readdirSync(home).filter((e) => e.startsWith('virtnet-cni-'));
    assert.equal(bundles().length, 1, `one bundle: ${bundles().join(' ')}`);
    const bundle = join(home, bundles()[0]!);
    const text = readFileSync(shim, 'utf8');
    const loader = /exec '([^']+)' --library-path '([^']+)' '([^']+)'/.exec(text);
    assert.ok(loader, text);
    assert.ok(loader[1]!.startsWith(`${bundle}/lib/ld-`) && loader[3] === join(bundle, 'node'), text);

    // The bundled Node maps its libraries from the bundle only.
    const maps = spawnSync(
      loader[1]!,
      [
        '--library-path',
        loader[2]!,
        loader[3],
        '-e',
        'process.stdout.write(require("fs").readFileSync("/proc/self/maps","utf8"))',
      ],
      { encoding: 'utf8', env: {} },
    );
    assert.equal(maps.status, 0, maps.stderr);
    const libs = mappedLibraries(maps.stdout).filter((l) => !l.includes('/locale/'));
    assert.ok(libs.length > 0);
    assert.deepEqual(
      libs.filter((l) => !l.startsWith(`${bundle}/`)),
      [],
      'no library from the host',
    );

    const list = JSON.parse(readFileSync(join(confDir, '00-virtnet.conflist'), 'utf8')) as {
      name: string;
      cniVersion: string;
      plugins: Record<string, unknown>[];
    };
    const kubeconfig = list.plugins[0]!.kubeconfig as string;
    assert.equal(kubeconfig, join(home, 'kube', 'kubeconfig'));
    const kc = parse(readFileSync(kubeconfig, 'utf8')) as {
      clusters: { cluster: { server: string } }[];
      users: { user: { tokenFile: string } }[];
    };
    assert.equal(kc.clusters[0]!.cluster.server, 'https://127.0.0.1:6443');
    assert.equal(readFileSync(join(home, 'kube', kc.users[0]!.user.tokenFile), 'utf8'), 'not-a-real-token');
    assert.equal(list.plugins[0]!.cniDir, join(home, 'cache'));

    const ns = await sb.netns('pod');
    // Without the API server here (the lab's tests have it), the secondary network comes from the conf dir.
    const { kubeconfig: _, ...entry } = list.plugins[0]!;
    const stdin = {
      ...entry,
      name: list.name,
      cniVersion: list.cniVersion,
      // The test's secondary network, as a conf dir network the annotation names.
      confDir: join(sb.dir, 'multus.d'),
      cniDir: n.cacheDir,
      runtimeConfig: { 'io.kubernetes.cri.pod-annotations': { 'k8s.v1.cni.cncf.io/networks': n.sec.name } },
    };
    mkdirSync(join(sb.dir, 'multus.d'), { recursive: true });
    writeConf(join(sb.dir, 'multus.d'), '20-sec.conflist', n.sec);
    const containerId = randomBytes(16).toString('hex');
    // What the runtime gives a plugin, and nothing else: no PATH, no HOME.
    const run = (command: 'ADD' | 'DEL') =>
      runInstalledShim(shim, stdin, {
        command,
        containerId,
        netns: netnsPath({ name: ns }),
        cniPath: binDir,
      });
    run('ADD');
    assert.deepEqual(await linksIn(ns), ['eth0', 'lo', 'net1']);
    run('DEL');
    assert.deepEqual(await linksIn(ns), ['lo']);
    await assertNothingLeft(n, 'after DEL');

    // The same content again: nothing copied, the same bundle.
    installNodeCniPlugin(opts);
    assert.deepEqual(bundles(), [bundle.slice(home.length + 1)]);
    assert.ok(existsSync(join(bundle, 'build', 'Release')));
  },
);
