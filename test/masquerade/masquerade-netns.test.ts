// The masquerade binding against the real kernel: a "pod" namespace whose eth0 is a veth to a "peer"
// namespace (a second pod on the same network), the planned bridge + TAP + nft in the pod, and a
// "guest" namespace joined to the bridge by a veth carrying the VM's MAC and statically addressed as
// the VM (10.0.2.2/24 gw 10.0.2.1, fd10:0:2::2/120 gw fd10:0:2::1): the stand-in for a QEMU guest.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runProgram } from '../../src/exec/run-program.js';
import { DEFAULT_CLUSTER_CONFIG } from '../../src/api/types.js';
import { applyPlan, teardown } from '../../src/apply/executor.js';
import { planMasquerade } from '../../src/bindings/masquerade/index.js';
import type { InterfacePlan } from '../../src/bindings/plan-types.js';
import { planVmNetwork } from '../../src/bindings/planner.js';
import { discoverPod } from '../../src/host/discover.js';
import { applyNftCommands, listNftTables, nftInvocationCount } from '../../src/host/nft.js';
import { readDhcp4ServerConfig } from '../../src/dhcp/config-file.js';
import { serveDhcp } from '../dhcp/topology.js';
import { udhcpc } from '../dhcp/clients.js';
import { daemonPid } from '../support/daemon-pid.js';
import { needsRoot, sandbox, type Sandbox } from '../support/sandbox.js';
import { contextFor, masqueradeVm, podWith } from './fixtures.js';
import { answer, ask, inNs, serve, topology } from './pod-topology.js';

const T = { timeoutMs: 20_000 };

/**
 * Joins the guest namespace to the plan's bridge with a veth carrying the VM's MAC. IPv6 comes the way
 * a guest gets it with no cloud-init: the default route from the bridge's Router Advertisements, the
 * address from its DHCPv6 server (dhclient -6).
 */
async function attachGuest(
  sb: Sandbox,
  pod: string,
  guest: string,
  plan: InterfacePlan,
  bridge: string,
): Promise<void> {
  await runProgram(['ip', '-n', pod, '-batch', '-'], {
    ...T,
    input: [`link add gh0 type veth peer name eth0 netns ${guest}`, `link set gh0 master ${bridge} up`].join(
      '\n',
    ),
  });
  // No DAD in the stand-in guest: its addresses are usable at once (a VM would wait a second).
  await inNs(guest, ['sysctl', '-qw', 'net.ipv6.conf.eth0.accept_dad=0', 'net.ipv6.conf.eth0.accept_ra=2']);
  await runProgram(['ip', '-n', guest, 'link', 'set', 'eth0', 'address', plan.nic.mac, 'up'], T);
  const pidFile = join(sb.dir, 'dhclient6.pid');
  sb.defer(() => {
    if (existsSync(pidFile)) sb.trackPid(Number(readFileSync(pidFile, 'utf8').trim()));
  });
  await inNs(guest, [
    'dhclient',
    '-6',
    '-1',
    '-lf',
    join(sb.dir, 'dhclient6.leases'),
    '-pf',
    pidFile,
    'eth0',
  ]);
  sb.trackPid(await daemonPid(pidFile));
}

/** Polls until the guest has an IPv6 default route (from an RA); returns it. */
async function ipv6DefaultRoute(guest: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const out = (await inNs(guest, ['ip', '-6', 'route', 'show', 'default'])).trim();
    if (out) return out;
    await new Promise((r) => setTimeout(r, 100));
  }
  return assert.fail('no IPv6 default route from RA');
}

test(
  'masquerade: declared ports, outbound NAT, loopback forward, IPv6, no-ports mode, teardown',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const { pod, peer, guest } = await topology(sb);
    const forwardingBefore = await inNs(pod, ['sysctl', '-n', 'net.ipv6.conf.all.forwarding']);
    const discovered = await discoverPod(pod);
    const eth0 = discovered.interfaces.find((i) => i.name === 'eth0')!;
    const vm = masqueradeVm('vm-a', [
      { protocol: 'TCP', port: 80 },
      { protocol: 'UDP', port: 5353 },
    ]);
    const planned = planVmNetwork(vm, DEFAULT_CLUSTER_CONFIG, discovered);
    assert.ok(planned.ok, JSON.stringify(planned));
    const plan = planned.plan.interfaces[0]!;
    assert.equal(plan.dhcp4?.address, '10.0.2.2');
    assert.equal(plan.nic.mac, eth0.mac);
    assert.equal(plan.dhcp4?.mtuBytes, 1400);

    const nftBefore = nftInvocationCount();
    const applied = await applyPlan(planned.plan, { stateDir: sb.dir });
    assert.equal(nftInvocationCount() - nftBefore, 1, 'one nft invocation creates both families');
    sb.defer(() => teardown(sb.dir, vm.name));
    serveDhcp(sb, pod, await readDhcp4ServerConfig(applied.dhcpConfigPath!));
    const bridge = plan.createdDevices[0]!;
    await attachGuest(sb, pod, guest, plan, bridge);
    // The guest's IPv4 configuration comes from virtnet's DHCPv4 server on the masquerade bridge.
    const lease = await udhcpc(sb, guest, 'eth0');
    assert.deepEqual(
      {
        ip: lease?.ip,
        subnet: lease?.subnet,
        router: lease?.router,
        mtu: lease?.mtu,
        dns: lease?.dns?.trim(),
      },
      {
        ip: '10.0.2.2',
        subnet: '255.255.255.0',
        router: '10.0.2.1',
        mtu: '1400',
        dns: plan.dhcp4.dnsServers.join(' ') || undefined,
      },
    );
    await runProgram(['ip', '-n', guest, '-batch', '-'], {
      ...T,
      input: `addr add ${lease!.ip!}/24 dev eth0\nroute add default via ${lease!.router!}\n`,
    });
    const guestAddrs = JSON.parse(
      await inNs(guest, ['ip', '-j', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'global']),
    ) as { addr_info: { local: string }[] }[];
    assert.deepEqual(
      guestAddrs[0]?.addr_info.flatMap((a) => (a.local ? [a.local] : [])),
      ['fd10:0:2::2'],
      'DHCPv6 gave the VM its address',
    );
    assert.match(
      await ipv6DefaultRoute(guest),
      /^default via fe80::ff:fe00:0 dev eth0 proto ra .*mtu 1400/,
      'RA gave the default route and MTU',
    );

    // The pod interface keeps its IP and MAC.
    const after = (await discoverPod(pod)).interfaces.find((i) => i.name === 'eth0')!;
    assert.equal(after.mac, eth0.mac);
    assert.deepEqual(
      after.addresses
        .filter((a) => a.scope === 'global')
        .map((a) => a.address)
        .sort(),
      ['10.1.1.2', 'fd00:1::2'],
    );

    serve(sb, guest, 'TCP6-LISTEN:80,ipv6only=0,reuseaddr,fork', 'guest-80');
    serve(sb, guest, 'UDP6-RECVFROM:5353,ipv6only=0,fork', 'guest-udp');
    serve(sb, guest, 'TCP6-LISTEN:8080,ipv6only=0,reuseaddr,fork', 'guest-8080');
    serve(sb, guest, 'TCP6-LISTEN:8081,ipv6only=0,reuseaddr,fork', 'guest-8081');
    serve(sb, pod, 'TCP6-LISTEN:8081,ipv6only=0,reuseaddr,fork', 'pod-8081');
    serve(sb, peer, 'TCP4-LISTEN:9000,reuseaddr,fork', 'peer-saw-$SOCAT_PEERADDR');
    serve(sb, peer, 'TCP6-LISTEN:9006,ipv6only=1,reuseaddr,fork', 'peer-saw-$SOCAT_PEERADDR');

    // Declared ports reach the VM at the pod IP, over TCP and UDP.
    assert.equal(await answer(peer, 'TCP:10.1.1.2:80'), 'guest-80');
    assert.equal(await answer(peer, 'UDP:10.1.1.2:5353'), 'guest-udp');
    // The guest does listen on 8080 (reachable from inside the pod) but it is not declared: not reachable.
    assert.equal(await answer(pod, 'TCP:10.0.2.2:8080'), 'guest-8080');
    assert.equal(await ask(peer, 'TCP:10.1.1.2:8080'), undefined);
    // Everything else addressed to the pod stays with the pod.
    assert.equal(await answer(peer, 'TCP:10.1.1.2:8081'), 'pod-8081');
    // Even a peer routing straight to the VM subnet reaches no undeclared port.
    await inNs(peer, ['ip', 'route', 'add', '10.0.2.0/24', 'via', '10.1.1.2']);
    assert.equal(await ask(peer, 'TCP:10.0.2.2:8080,connect-timeout=1'), undefined);
    // Outbound connections from the VM arrive from the pod IP.
    assert.equal(await answer(guest, 'TCP:10.1.1.3:9000'), 'peer-saw-10.1.1.2');
    // The pod's loopback for a declared port reaches the VM (port-forward style).
    assert.equal(await answer(pod, 'TCP:127.0.0.1:80'), 'guest-80');
    // IPv6: inbound to the pod's IPv6 address on a declared port, outbound masqueraded to it.
    assert.equal(await answer(peer, 'TCP6:[fd00:1::2]:80'), 'guest-80');
    assert.equal(await ask(peer, 'TCP6:[fd00:1::2]:8080'), undefined);
    // socat prints the peer's IPv6 address fully expanded.
    assert.equal(
      await answer(guest, 'TCP6:[fd00:1::3]:9006'),
      'peer-saw-[fd00:0001:0000:0000:0000:0000:0000:0002]',
    );

    // No ports declared: every port arriving on the pod interface goes to the VM; re-applying the
    // ruleset replaces the tables in one invocation.
    const open = masqueradeVm('vm-a', []);
    const openPlan = planMasquerade(
      open.interfaces[0]!,
      open.networks[0]!,
      eth0,
      contextFor(open, podWith(pod, eth0)),
    );
    const nftStep = openPlan.steps.find((s) => s.kind === 'nft.ruleset');
    assert.ok(nftStep?.kind === 'nft.ruleset');
    const n = nftInvocationCount();
    await applyNftCommands(nftStep.commands, { netns: { name: pod } });
    assert.equal(nftInvocationCount() - n, 1);
    assert.equal(await answer(peer, 'TCP:10.1.1.2:8080'), 'guest-8080');
    assert.equal(await answer(peer, 'TCP:10.1.1.2:8081'), 'guest-8081');
    assert.equal(await answer(peer, 'TCP6:[fd00:1::2]:8080'), 'guest-8080');
    // The pod still reaches its own loopback: no ports, no loopback forwarding.
    assert.equal(await answer(pod, 'TCP:127.0.0.1:8081'), 'pod-8081');

    const down = await teardown(sb.dir, vm.name);
    assert.ok(down.hadRecord);
    assert.equal((await teardown(sb.dir, vm.name)).hadRecord, false, 'a second teardown is a no-op');
    assert.equal(
      await inNs(pod, ['sysctl', '-n', 'net.ipv6.conf.all.forwarding']),
      forwardingBefore,
      'forwarding restored',
    );
    assert.deepEqual(await listNftTables({ netns: { name: pod } }), []);
    const links = JSON.parse(await inNs(pod, ['ip', '-j', 'link', 'show'])) as { ifname: string }[];
    assert.deepEqual(
      links.map((l) => l.ifname).filter((name) => plan.createdDevices.includes(name)),
      [],
    );
  },
);
