// The bridge binding applied to real namespaces: discover → plan → apply → record → teardown, with the
// pod interface restored byte for byte, idempotent re-apply, resume after a simulated crash, rollback
// of a failing apply, and a no-op second teardown.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CLUSTER_CONFIG } from '../../src/api/types.js';
import { applyPlan, teardown } from '../../src/apply/executor.js';
import type { VmNetworkPlan } from '../../src/bindings/plan-types.js';
import { planVmNetwork } from '../../src/bindings/planner.js';
import type { Dhcp4ServerConfig } from '../../src/dhcp/server-config.js';
import { discoverPod } from '../../src/host/discover.js';
import { isVirtnetError } from '../../src/errors/virtnet-error.js';
import { needsRoot, sandbox } from '../support/sandbox.js';
import { createNetwork, createPod, ip, snapshot } from './stand-in-pod.js';
import { vmSpec } from './vm-fixture.js';

async function plan(pod: string, vm = vmSpec()): Promise<VmNetworkPlan> {
  const result = planVmNetwork(vm, DEFAULT_CLUSTER_CONFIG, await discoverPod(pod));
  assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
  return result.plan;
}

test(
  'bridge binding: apply, re-apply, teardown restores the pod interface byte for byte',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const net = await createNetwork(sb, '10.91.0.1/24');
    const pod = await createPod(sb, net, 'pod', {
      cidr: '10.91.0.5/24',
      gateway: '10.91.0.1',
      routes: ['10.77.0.0/16'],
      mtuBytes: 1400,
      ipv6: 'fd00:91::5/64',
    });
    const before = await snapshot(pod);
    const podMac = ip('-n', pod, '-j', 'link', 'show', 'eth0').match(/"address":"([0-9a-f:]+)"/)![1]!;
    const vm = vmSpec({ networkInterfaceMultiqueue: true, vcpus: 3 });
    const p = await plan(pod, vm);
    assert.ok(
      p.interfaces[0]!.steps.some(
        (s) => s.kind === 'process.start' && s.argv.includes('--dhcp-host=' + podMac + ',[fd00:91::5]'),
      ),
      'IPv6 delegated by DHCPv6',
    );

    const res = await applyPlan(p, { stateDir: sb.dir });
    assert.ok(res.changedSteps > 0);
    const links = JSON.parse(ip('-n', pod, '-j', '-d', 'addr', 'show')) as {
      ifname: string;
      master?: string;
      address: string;
      mtu: number;
      addr_info: { family: string; local: string; prefixlen: number }[];
      linkinfo?: { info_kind: string; info_data?: { multi_queue?: boolean; vnet_hdr?: boolean } };
    }[];
    const byName = new Map(links.map((l) => [l.ifname, l]));
    const eth0 = byName.get('eth0')!;
    const br = byName.get('k6t-eth0')!;
    const tap = byName.get('tap0')!;
    assert.equal(eth0.master, 'k6t-eth0');
    assert.notEqual(eth0.address, podMac, 'pod interface handed its MAC to the VM');
    assert.deepEqual(
      eth0.addr_info.filter((a) => a.family === 'inet'),
      [],
      'IPv4 removed from the pod interface',
    );
    assert.equal(tap.master, 'k6t-eth0');
    assert.equal(tap.mtu, 1400);
    assert.equal(br.mtu, 1400);
    assert.equal(tap.linkinfo?.info_data?.multi_queue, true);
    assert.equal(tap.linkinfo?.info_data?.vnet_hdr, true);
    assert.deepEqual(
      br.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
      ['169.254.75.10/32'],
    );
    assert.equal(br.address, eth0.address, 'bridge MAC pinned to the pod interface, never the VM MAC');
    assert.equal(execSysctl(pod, 'net/ipv4/conf/all/arp_ignore'), '1');
    assert.equal(p.interfaces[0]!.nic.mac, podMac);
    assert.deepEqual(p.interfaces[0]!.nic.backend, { kind: 'tap', tapName: 'tap0', queues: 3 });

    const config = JSON.parse(readFileSync(res.dhcpConfigPath!, 'utf8')) as Dhcp4ServerConfig;
    const lease = config.leases[0]!;
    assert.equal(lease.clientMac, podMac);
    assert.equal(lease.address, '10.91.0.5');
    assert.equal(lease.prefixLength, 24);
    assert.deepEqual(lease.routers, ['10.91.0.1']);
    assert.deepEqual(lease.classlessRoutes, [
      { destination: '10.77.0.0/16', gateway: '10.91.0.1' },
      { destination: '0.0.0.0/0', gateway: '10.91.0.1' },
    ]);
    assert.equal(lease.mtuBytes, 1400);
    assert.equal(lease.bridge, 'k6t-eth0');
    assert.equal(lease.serverAddress, '169.254.75.10');
    assert.equal(lease.hostname, 'vm1');

    const again = await applyPlan(p, { stateDir: sb.dir });
    assert.equal(again.changedSteps, 0, 'a second apply of the same plan changes nothing');

    const down = await teardown(sb.dir, 'vm1');
    assert.equal(down.hadRecord, true);
    assert.deepEqual(await snapshot(pod), before);
    assert.equal(execSysctl(pod, 'net/ipv4/conf/all/arp_ignore'), '0', 'sysctl restored');
    assert.equal(existsSync(join(sb.dir, 'vms', 'vm1')), false, 'no state file left');
    assert.equal((await teardown(sb.dir, 'vm1')).hadRecord, false, 'second teardown is a no-op');
  },
);

function execSysctl(netns: string, key: string): string {
  return ip('netns', 'exec', netns, 'sysctl', '-n', key).trim();
}

test(
  'bridge binding: resume after a crash mid-apply, then teardown from the record',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const net = await createNetwork(sb, '10.92.0.1/24');
    const pod = await createPod(sb, net, 'pod', { cidr: '10.92.0.5/24', gateway: '10.92.0.1' });
    const before = await snapshot(pod);
    const p = await plan(pod);
    await applyPlan(p, { stateDir: sb.dir });
    // Simulate a crash half-way: the record says "applying" and part of the work is missing.
    const recordPath = join(sb.dir, 'vms', 'vm1', 'network.json');
    const record = JSON.parse(readFileSync(recordPath, 'utf8')) as {
      status: string;
      steps: { status: string }[];
    };
    record.status = 'applying';
    for (const s of record.steps.slice(3)) s.status = 'applying';
    writeFileSync(recordPath, JSON.stringify(record));
    ip('-n', pod, 'link', 'del', 'tap0');
    ip('-n', pod, 'addr', 'del', '169.254.75.10/32', 'dev', 'k6t-eth0');
    const resumed = await applyPlan(p, { stateDir: sb.dir });
    // The guard's nft table is recreated whole: its step was cut short too, and nft cannot be observed.
    assert.equal(
      resumed.changedSteps,
      3,
      'only the missing tap and address, and the guard table, are redone',
    );
    assert.match(ip('-n', pod, 'link', 'show', 'tap0'), /master k6t-eth0/);
    // Crash again right after recording intent, before anything ran: teardown still restores exactly.
    await teardown(sb.dir, 'vm1');
    assert.deepEqual(await snapshot(pod), before);
  },
);

test('bridge binding: a failing apply rolls back and leaves no record', { skip: needsRoot() }, async (t) => {
  const sb = sandbox(t);
  const net = await createNetwork(sb, '10.93.0.1/24');
  const pod = await createPod(sb, net, 'pod', { cidr: '10.93.0.5/24', gateway: '10.93.0.1' });
  const before = await snapshot(pod);
  const p = await plan(pod);
  // A last step the kernel refuses (no such device) after everything else ran in the same batch.
  p.interfaces[0]!.steps.splice(-1, 0, {
    id: 'bad',
    phase: 'network',
    kind: 'link.set',
    device: 'nosuchdev0',
    mtuBytes: 1300,
    summary: 'fails',
  });
  await assert.rejects(
    applyPlan(p, { stateDir: sb.dir }),
    (err) => isVirtnetError(err, 'NO_SUCH_DEVICE') && err.detail.rolledBack === true,
  );
  assert.deepEqual(await snapshot(pod), before);
  assert.equal(existsSync(join(sb.dir, 'vms', 'vm1', 'network.json')), false);
});

test(
  'bridge binding: a pod interface without IPv4 is bridged at L2 only, with no DHCP',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const net = await createNetwork(sb, '10.94.0.1/24');
    const pod = await createPod(sb, net, 'pod', {});
    const before = await snapshot(pod);
    const p = await plan(pod);
    const iface = p.interfaces[0]!;
    assert.equal(iface.dhcp4, undefined);
    assert.ok(iface.notes.some((n) => n.code === 'PURE_L2'));
    assert.deepEqual(iface.nic.guestConfig, { kind: 'none' });
    const res = await applyPlan(p, { stateDir: sb.dir });
    assert.equal(res.dhcpConfigPath, undefined);
    await teardown(sb.dir, 'vm1');
    assert.deepEqual(await snapshot(pod), before);
  },
);
