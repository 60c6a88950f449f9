// The bridge binding's IPv6 delegation on real namespaces: a dual-stack stand-in pod is bridged, a
// guest namespace carrying the VM's MAC runs the real `dhclient -6` against the real dnsmasq the plan
// starts, gets the pod's IPv6 address and (from the RA) a default route, reaches a second pod on the
// prefix and an address beyond the gateway (through the pod's forwarding); no RA leaks to the pod
// network; teardown restores the pod byte for byte and stops dnsmasq. Then the same on a real CNI
// dual-stack pod (bridge + host-local with an IPv6 range) through the launcher's network phase.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CLUSTER_CONFIG } from '../../src/api/types.js';
import { applyPlan, teardown } from '../../src/apply/executor.js';
import { planVmNetwork } from '../../src/bindings/planner.js';
import { createPod as createCniPod, deletePod } from '../../src/cni/pod.js';
import { discoverPod } from '../../src/host/discover.js';
import { runNetworkPhase } from '../../src/launcher/network-phase.js';
import { bridgeConflist, testSubnets, writeConf } from '../cni/cni-fixtures.js';
import { needsRoot, sandbox } from '../support/sandbox.js';
import { clientMissing, killProcessesIn } from './dhcp-clients.js';
import { createGuest, createNetwork, createPod, ip, snapshot } from './stand-in-pod.js';
import { vmSpec } from './vm-fixture.js';

function inNetns(netns: string, ...argv: string[]): string {
  return execFileSync('ip', ['netns', 'exec', netns, ...argv], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
  });
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test(
  'bridge binding IPv6: dhclient -6 gets the pod address and a default route; peers reachable; no RA leak; exact restore',
  { skip: needsRoot() ?? clientMissing('dhclient') },
  async (t) => {
    const sb = sandbox(t);
    const net = await createNetwork(sb, '10.93.0.1/24');
    ip('-n', net, 'addr', 'add', 'fd00:93::1/64', 'dev', 'br0', 'nodad');
    // Beyond the gateway: only reachable through the pod's default route.
    ip('-n', net, 'addr', 'add', 'fd00:99::1/128', 'dev', 'lo');
    const pod = await createPod(sb, net, 'pod', {
      cidr: '10.93.0.5/24',
      gateway: '10.93.0.1',
      ipv6: 'fd00:93::5/64',
    });
    ip('-n', pod, '-6', 'route', 'add', 'default', 'via', 'fd00:93::1', 'dev', 'eth0');
    const peer = await createPod(sb, net, 'peer', { cidr: '10.93.0.6/24', ipv6: 'fd00:93::6/64' });
    const before = await snapshot(pod);
    const vm = vmSpec();
    const result = planVmNetwork(vm, DEFAULT_CLUSTER_CONFIG, await discoverPod(pod));
    assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
    const plan = result.plan;
    const vmMac = plan.interfaces[0]!.nic.mac;

    await applyPlan(plan, { stateDir: sb.dir });
    // A failing assertion must not leave dnsmasq behind: teardown is idempotent.
    sb.defer(() => teardown(sb.dir, vm.name));
    const eth0v6 = JSON.parse(ip('-n', pod, '-j', '-6', 'addr', 'show', 'dev', 'eth0')) as {
      addr_info: { scope: string }[];
    }[];
    assert.deepEqual(
      eth0v6[0]!.addr_info.filter((a) => a.scope === 'global'),
      [],
      'IPv6 removed from the pod interface',
    );
    assert.match(ip('-n', pod, '-6', 'route', 'show', 'default'), /via fd00:93::1 dev k6t-eth0/);

    const guest = await createGuest(sb, pod, 'k6t-eth0', vmMac);
    sb.defer(() => killProcessesIn(guest));
    await until(
      'guest link-local',
      () =>
        !ip('-n', guest, '-6', 'addr').includes('tentative') &&
        ip('-n', guest, '-6', 'addr').includes('fe80'),
    );
    // -1: one attempt; dhclient returns once bound (and daemonises; killed with the namespace's processes).
    inNetns(guest, 'dhclient', '-6', '-1', '-lf', join(sb.dir, 'l6'), '-pf', join(sb.dir, 'p6'), 'eth0');
    assert.match(ip('-n', guest, '-6', 'addr', 'show', 'dev', 'eth0'), /inet6 fd00:93::5\/128 scope global/);
    await until('the RA default route', () =>
      /default via fe80::\S+ dev eth0 proto ra/.test(ip('-n', guest, '-6', 'route')),
    );
    assert.match(
      ip('-n', guest, '-6', 'route'),
      /fd00:93::\/64 dev eth0 proto kernel/,
      'the prefix is on-link',
    );

    inNetns(guest, 'ping', '-6', '-c', '1', '-W', '3', 'fd00:93::6');
    inNetns(guest, 'ping', '-6', '-c', '1', '-W', '3', 'fd00:99::1');
    inNetns(peer, 'ping', '-6', '-c', '1', '-W', '3', 'fd00:93::5');
    // dnsmasq answers a Router Solicitation at once: make the peer solicit (link up again; its static
    // addresses go with the link, it is not needed any more) and give the answer time to arrive.
    ip('-n', peer, 'link', 'set', 'eth0', 'down');
    ip('-n', peer, 'link', 'set', 'eth0', 'up');
    await until(
      'peer link-local',
      () =>
        /fe80\S+ scope link\s/.test(ip('-n', peer, '-6', 'addr', 'show', 'dev', 'eth0')) &&
        !ip('-n', peer, '-6', 'addr').includes('tentative'),
    );
    await new Promise((r) => setTimeout(r, 1500));
    assert.doesNotMatch(ip('-n', peer, '-6', 'route'), /proto ra/, 'no RA reached the pod network');
    assert.doesNotMatch(ip('-n', net, '-6', 'route'), /proto ra/, 'no RA reached the pod network');

    killProcessesIn(guest);
    ip('-n', pod, 'link', 'del', 'vmport0');
    await teardown(sb.dir, vm.name);
    assert.deepEqual(await snapshot(pod), before);
    assert.equal(inNetns(pod, 'cat', '/proc/sys/net/ipv6/conf/all/forwarding').trim(), '0');
    assert.doesNotMatch(inNetns(pod, 'nft', 'list', 'tables'), /virtnet/);
    await until('dnsmasq to stop', () => ip('netns', 'pids', pod).trim() === '');
  },
);

function ipv6Of(netns: string): string {
  const link = (
    JSON.parse(ip('-n', netns, '-j', '-6', 'addr', 'show', 'dev', 'eth0')) as {
      addr_info: { local: string; scope: string }[];
    }[]
  )[0]!;
  return link.addr_info.find((a) => a.scope === 'global')!.local;
}

test(
  'bridge binding IPv6 on a dual-stack CNI pod: dhclient -6 gets the pod address, TCP and ping to a second pod',
  { skip: needsRoot() ?? clientMissing('dhclient') },
  async (t) => {
    const sb = sandbox(t);
    const conf = bridgeConflist(sb, {
      name: 'def',
      bridgeSuffix: 'b6',
      salt: 6,
      v6: true,
      ipamExtra: { routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }] },
    });
    const confDir = writeConf(join(sb.dir, 'net.d'), '10-def.conflist', conf);
    const stateDir = join(sb.dir, 'state');
    const pod = await createCniPod({ name: `${sb.prefix}vm`, stateDir, cniConfDir: confDir });
    t.after(() => deletePod(pod.name, stateDir, { force: true }));
    const peer = await createCniPod({ name: `${sb.prefix}peer`, stateDir, cniConfDir: confDir });
    t.after(() => deletePod(peer.name, stateDir, { force: true }));
    const s = testSubnets(sb, 6);
    const podIp6 = ipv6Of(pod.netns);
    const peerIp6 = ipv6Of(peer.netns);
    assert.ok(podIp6.startsWith(s.v6.split('::')[0]!), `${podIp6} in ${s.v6}`);
    assert.match(
      ip('-n', pod.netns, '-6', 'route', 'show', 'default'),
      /via/,
      'CNI gave the pod an IPv6 default route',
    );
    const before = await snapshot(pod.netns);

    const vm = vmSpec();
    const [setUp] = await runNetworkPhase({
      specs: [vm],
      cluster: DEFAULT_CLUSTER_CONFIG,
      netns: pod.netns,
      stateDir,
    });
    t.after(() => teardown(stateDir, vm.name));
    const guest = await createGuest(sb, pod.netns, 'k6t-eth0', setUp!.plan.interfaces[0]!.nic.mac);
    sb.defer(() => killProcessesIn(guest));
    await until(
      'guest link-local',
      () =>
        !ip('-n', guest, '-6', 'addr').includes('tentative') &&
        ip('-n', guest, '-6', 'addr').includes('fe80'),
    );
    inNetns(guest, 'dhclient', '-6', '-1', '-lf', join(sb.dir, 'l6'), '-pf', join(sb.dir, 'p6'), 'eth0');
    assert.match(
      ip('-n', guest, '-6', 'addr', 'show', 'dev', 'eth0'),
      new RegExp(`inet6 ${podIp6}/128 scope global`),
    );
    await until('the RA default route', () =>
      /default via fe80::\S+ dev eth0 proto ra/.test(ip('-n', guest, '-6', 'route')),
    );

    inNetns(guest, 'ping', '-6', '-c', '1', '-W', '3', peerIp6);
    inNetns(peer.netns, 'ping', '-6', '-c', '1', '-W', '3', podIp6);
    // TCP over IPv6 from the guest to a listener in the second pod.
    const listener = spawn('ip', ['netns', 'exec', peer.netns, 'nc', '-6', '-N', '-l', '7106'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    sb.trackPid(listener.pid);
    listener.stdin.end('hello6\n');
    let got = '';
    for (let i = 0; i < 50 && !got.includes('hello6'); i++) {
      try {
        got = inNetns(guest, 'nc', '-6', '-N', '-w', '3', peerIp6, '7106');
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.match(got, /hello6/);

    killProcessesIn(guest);
    ip('-n', pod.netns, 'link', 'del', 'vmport0');
    await teardown(stateDir, vm.name);
    assert.deepEqual(await snapshot(pod.netns), before, 'pod restored byte for byte');
    await until('dnsmasq to stop', () => ip('netns', 'pids', pod.netns).trim() === '');
  },
);
