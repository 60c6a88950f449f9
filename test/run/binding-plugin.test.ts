// A network binding plugin registered with `domainAttachmentType: tap` (KubeVirt's binding plugin API),
// end to end with `virtnet run`: the plugin's NetworkAttachmentDefinition runs as one more CNI network of
// the pod, its CNI plugin (written for this test: ./tap-binding-plugin) creates the tap in the pod, and
// the VM's NIC is attached to that tap: QEMU opens it and the guest's frames arrive on it.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pluginTapIfname } from '../../src/cni/pod-ifname.js';
import { DEFAULT_CNI_PATH } from '../../src/cni/plugin-exec.js';
import { runProgram } from '../../src/exec/run-program.js';
import { needsRoot, sandbox } from '../support/sandbox.js';
import { oneNicVmi, podAnnotations, startOnPodNetwork, stopRun } from './run-fixture.js';

const READY_MS = 150_000;

interface LinkJson {
  ifname: string;
  flags: string[];
  linkinfo?: { info_kind?: string };
  stats64?: { rx: { packets: number } };
}

async function link(ns: string, name: string): Promise<LinkJson> {
  const out = await runProgram(['ip', '-n', ns, '-d', '-s', '-j', 'link', 'show', 'dev', name], {
    timeoutMs: 10_000,
  });
  return (JSON.parse(out.stdout) as LinkJson[])[0]!;
}

test(
  'a tap binding plugin: its NAD creates the tap in the pod, virtnet attaches the VM NIC to it',
  { skip: needsRoot(), timeout: READY_MS + 60_000 },
  async (t) => {
    const sb = sandbox(t);
    // The plugin's CNI plugin, found on CNI_PATH like any other.
    const bin = join(sb.dir, 'bin');
    mkdirSync(bin);
    copyFileSync(join(import.meta.dirname, 'tap-binding-plugin'), join(bin, 'tap-binding-plugin'));
    const cniPathBefore = process.env.CNI_PATH;
    process.env.CNI_PATH = [bin, ...DEFAULT_CNI_PATH].join(':');
    t.after(() => {
      if (cniPathBefore === undefined) delete process.env.CNI_PATH;
      else process.env.CNI_PATH = cniPathBefore;
    });
    const nads = join(sb.dir, 'nads.yaml');
    writeFileSync(
      nads,
      `apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata: {name: tapper, namespace: default}\nspec:\n  config: '{"cniVersion": "1.0.0", "name": "tapper", "type": "tap-binding-plugin"}'\n`,
    );
    const cluster = join(sb.dir, 'kubevirt.yaml');
    writeFileSync(
      cluster,
      'apiVersion: kubevirt.io/v1\nkind: KubeVirt\nmetadata: {name: kubevirt}\nspec:\n  configuration:\n    network:\n      binding:\n        tapper: {domainAttachmentType: tap, networkAttachmentDefinition: default/tapper}\n',
    );
    const { run } = startOnPodNetwork(
      sb,
      oneNicVmi('plugvm', 'binding: {name: tapper}, macAddress: "02:00:00:7a:90:01"'),
      ['--nad', nads, '--cluster-config', cluster],
    );
    const status = await run.status;
    const tap = pluginTapIfname('default');
    assert.equal(status.nics[0]!.binding, 'plugin');
    const argv = JSON.parse(readFileSync(status.files.qemuArgv!, 'utf8')) as string[];
    assert.ok(
      argv.some((a) => a.startsWith('tap,') && a.includes(`ifname=${tap}`)),
      `QEMU opens the plugin's tap: ${argv.join(' ')}`,
    );
    const dev = await link(run.pod, tap);
    assert.equal(dev.linkinfo?.info_kind, 'tun', 'the plugin made a tap');
    assert.ok(dev.flags.includes('LOWER_UP'), `QEMU holds the tap (carrier): ${dev.flags.join(',')}`);
    // The guest asks for a lease on its NIC: its frames arrive on the tap.
    assert.ok((dev.stats64?.rx.packets ?? 0) > 0, 'frames from the guest on the tap');
    assert.match(
      podAnnotations(run)['k8s.v1.cni.cncf.io/networks'] ?? '',
      /tapper/,
      "the plugin's NAD is one of the pod's networks",
    );
    await stopRun(run, 'plugvm');
  },
);
