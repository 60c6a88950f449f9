// The plugin protocol as a recording fake plugin sees it: environment, stdin (name, cniVersion,
// prevResult chaining, runtimeConfig only for declared capabilities), DEL in reverse with the cached
// result, CHECK, VERSION, STATUS and GC of 1.1.0, and conversion of results to the list's version.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseNetworkConfig } from '../../src/cni/net-conf.js';
import { networkStatusEntry } from '../../src/cni/network-status.js';
import {
  addNetworkList,
  checkNetworkList,
  delNetworkList,
  gcNetworkList,
  pluginVersionInfo,
  statusNetworkList,
} from '../../src/cni/runtime.js';
import { encodeResult } from '../../src/cni/result.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function recorded(
  dir: string,
): { command: string; env: Record<string, string>; stdin: Record<string, unknown> }[] {
  return readdirSync(dir)
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10))
    .map((f) => {
      const env: Record<string, string> = {};
      let stdin: Record<string, unknown> = {};
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
        const eq = line.indexOf('=');
        if (eq < 0) continue;
        const k = line.slice(0, eq);
        if (k === 'STDIN') stdin = JSON.parse(line.slice(eq + 1)) as Record<string, unknown>;
        else env[k] = line.slice(eq + 1);
      }
      return { command: env.CNI_COMMAND!, env, stdin };
    });
}

test('plugins get the spec environment and stdin; DEL runs in reverse with the cached result', async (t) => {
  {
    const dir = mkdtempSync(join(tmpdir(), 'vtproto-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const rec = join(dir, 'rec');
    mkdirSync(rec);
    const list = parseNetworkConfig(
      {
        cniVersion: '1.0.0',
        name: 'proto',
        plugins: [
          { type: 'fake-env', recordDir: rec, capabilities: { mac: true } },
          { type: 'fake-env', recordDir: rec, capabilities: { portMappings: true, bandwidth: false } },
        ],
      },
      'test',
    );
    const opts = { cacheDir: join(dir, 'cache'), cniPath: [FIXTURES] };
    const rt = {
      containerId: 'ctr1',
      netns: '/var/run/netns/none',
      ifname: 'eth3',
      args: [['K8S_POD_NAME', 'p'] as [string, string]],
      capabilityArgs: {
        mac: '02:00:00:00:00:01',
        portMappings: [{ hostPort: 1, containerPort: 2, protocol: 'tcp' }],
        bandwidth: { ingressRate: 1 },
      },
    };
    const result = await addNetworkList(list, rt, opts);
    // The fake prints a 1.1.0 result; the runtime hands back the list's version.
    assert.equal(result.cniVersion, '1.0.0');
    assert.equal(encodeResult(result, result.cniVersion).interfaces !== undefined, true);
    assert.equal(
      (encodeResult(result, '1.0.0').interfaces as Record<string, unknown>[])[0]!.pciID,
      undefined,
    );
    await checkNetworkList(list, rt, opts);
    await delNetworkList(list, rt, opts);
    const calls = recorded(rec);
    assert.deepEqual(
      calls.map((c) => c.command),
      ['ADD', 'ADD', 'CHECK', 'CHECK', 'DEL', 'DEL'],
    );
    for (const c of calls) {
      assert.equal(c.env.CNI_CONTAINERID, 'ctr1');
      assert.equal(c.env.CNI_NETNS, '/var/run/netns/none');
      assert.equal(c.env.CNI_IFNAME, 'eth3');
      assert.equal(c.env.CNI_ARGS, 'K8S_POD_NAME=p');
      assert.equal(c.env.CNI_PATH, FIXTURES);
      assert.equal(c.stdin.name, 'proto');
      assert.equal(c.stdin.cniVersion, '1.0.0');
    }
    // runtimeConfig carries only the declared (and true) capabilities of each plugin.
    assert.deepEqual(calls[0]!.stdin.runtimeConfig, { mac: '02:00:00:00:00:01' });
    assert.deepEqual(calls[1]!.stdin.runtimeConfig, {
      portMappings: [{ hostPort: 1, containerPort: 2, protocol: 'tcp' }],
    });
    assert.equal(calls[0]!.stdin.prevResult, undefined);
    assert.equal((calls[1]!.stdin.prevResult as { cniVersion: string }).cniVersion, '1.0.0');
    // DEL: reverse order (the second plugin's config first), with the cached result.
    assert.deepEqual(calls[4]!.stdin.runtimeConfig, calls[1]!.stdin.runtimeConfig);
    assert.deepEqual(calls[5]!.stdin.runtimeConfig, calls[0]!.stdin.runtimeConfig);
    assert.deepEqual(calls[4]!.stdin.prevResult, encodeResult(result, '1.0.0'));
    assert.deepEqual(calls[2]!.stdin.prevResult, encodeResult(result, '1.0.0'));
    assert.deepEqual(readdirSync(opts.cacheDir), []);
  }
});

test('1.1.0: VERSION, STATUS and GC with valid attachments; device-info from pciID', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vtproto-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rec = join(dir, 'rec');
  mkdirSync(rec);
  const list = parseNetworkConfig(
    { cniVersion: '1.1.0', name: 'new', type: 'fake-env', recordDir: rec },
    'test',
  );
  const opts = { cacheDir: join(dir, 'cache'), cniPath: [FIXTURES] };
  const info = await pluginVersionInfo('fake-env', '1.1.0', { cniPath: [FIXTURES] });
  assert.ok(info.supportedVersions.includes('1.1.0'));
  const res = await addNetworkList(list, { containerId: 'c1', netns: '/x', ifname: 'net1' }, opts);
  await addNetworkList(list, { containerId: 'c2', netns: '/y', ifname: 'net1' }, opts);
  const status = networkStatusEntry('ns/new', 'net1', res, false);
  assert.deepEqual(status['device-info'], {
    type: 'pci',
    version: '1.1.0',
    pci: { 'pci-address': '0000:03:00.1' },
  });
  assert.equal(status.mtu, 1400);
  await statusNetworkList(list, opts);
  await gcNetworkList(list, [{ containerId: 'c1', ifname: 'net1' }], opts);
  const calls = recorded(rec);
  assert.deepEqual(
    calls.map((c) => c.command),
    ['ADD', 'ADD', 'STATUS', 'GC'],
  );
  assert.deepEqual(calls[3]!.stdin['cni.dev/valid-attachments'], [{ containerID: 'c1', ifname: 'net1' }]);
  assert.equal(calls[2]!.env.CNI_NETNS, '', 'STATUS gets no namespace');
  assert.deepEqual(readdirSync(opts.cacheDir), ['new-c1-net1']);
});
