// Masquerade with a real QEMU guest (TCG here): the planned TAP in the pod namespace, virtnet's DHCPv4
// server on the masquerade bridge, the virtnet guest booted on it. The guest gets 10.0.2.2 by DHCP and
// fd10:0:2::2 from the plan's cloud-init fallback (the guest has no DHCPv6 client; RA/DHCPv6 are
// proven with dhclient in masquerade-netns.test.ts); a second pod reaches the declared port (the
// guest's HTTP on 80) at the pod IP over IPv4 and IPv6 but not the undeclared one (the guest's echo on
// 7); the guest's own connections out (its /cgi-bin/connect probe) reach the peer from the pod IP;
// with no ports declared every port is reachable; teardown leaves no table and no link.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_CLUSTER_CONFIG } from '../../src/api/types.js';
import { applyPlan, teardown } from '../../src/apply/executor.js';
import { planMasquerade } from '../../src/bindings/masquerade/index.js';
import type { InterfacePlan } from '../../src/bindings/plan-types.js';
import { planVmNetwork } from '../../src/bindings/planner.js';
import { readDhcp4ServerConfig } from '../../src/dhcp/config-file.js';
import { serveDhcp } from '../dhcp/topology.js';
import { writeCidataIso } from '../../src/hypervisor/cloud-init-iso.js';
import { buildNoCloudFiles } from '../../src/hypervisor/cloud-init.js';
import type { GuestNicReport } from '../../src/hypervisor/guest-console.js';
import { ensureGuest } from '../../src/hypervisor/guest/build-guest.js';
import { guestBoot } from '../../src/hypervisor/guest/guest-boot.js';
import { chooseAccel } from '../../src/hypervisor/host-facts.js';
import { startVm, type RunningVm } from '../../src/hypervisor/vm-runner.js';
import { discoverPod } from '../../src/host/discover.js';
import { applyNftCommands, listNftTables, nftInvocationCount } from '../../src/host/nft.js';
import { guestConnect, listenForGuest, peerAddressOf } from '../support/guest-outbound.js';
import { needsRoot, sandbox, type Sandbox } from '../support/sandbox.js';
import { contextFor, masqueradeVm, podWith } from './fixtures.js';
import { inNs, topology } from './pod-topology.js';

const BOOT_TIMEOUT_MS = 150_000;

/** The guest's HTTP page or echo reply through `nc`, or '' when nothing answers. */
async function nc(ns: string, host: string, port: number, input: string): Promise<string> {
  try {
    return await inNs(ns, ['nc', '-N', '-w', '3', host, String(port)], input);
  } catch {
    return '';
  }
}

describe('masquerade with a QEMU guest', { skip: needsRoot(), timeout: 300_000 }, () => {
  let sb: Sandbox;
  let cleanup: () => unknown = () => undefined;
  let pod = '';
  let peer = '';
  let plan: InterfacePlan;
  let vm: RunningVm;
  let report: GuestNicReport;
  let nftCalls = 0;
  const spec = masqueradeVm('vm-mq', [{ protocol: 'TCP', port: 80 }]);

  after(() => cleanup());

  before(async () => {
    sb = sandbox({
      after: (fn) => {
        cleanup = fn as () => unknown;
      },
    });
    const image = await ensureGuest();
    ({ pod, peer } = await topology(sb));
    const planned = planVmNetwork(spec, DEFAULT_CLUSTER_CONFIG, await discoverPod(pod));
    assert.ok(planned.ok, JSON.stringify(planned));
    plan = planned.plan.interfaces[0]!;
    const before = nftInvocationCount();
    const applied = await applyPlan(planned.plan, { stateDir: sb.dir });
    nftCalls = nftInvocationCount() - before;
    sb.defer(() => teardown(sb.dir, spec.name));
    serveDhcp(sb, pod, await readDhcp4ServerConfig(applied.dhcpConfigPath!));
    // The guest has no DHCPv6 client: its IPv6 address is the plan's cloud-init static fallback.
    const seed = join(sb.dir, 'seed.iso');
    await writeCidataIso(
      buildNoCloudFiles({ instanceId: spec.name, hostname: spec.name, nics: [plan.nic] }),
      seed,
    );
    vm = await startVm({
      netns: pod,
      runDir: join(sb.dir, 'vm'),
      host: { vhostNet: false },
      machine: {
        name: spec.name,
        memoryMiB: 160,
        vcpus: 1,
        accel: chooseAccel().accel,
        boot: guestBoot(image, { hostname: spec.name }),
        nics: [plan.nic],
        cloudInitIsoPath: seed,
      },
    });
    sb.trackPid(vm.pid);
    sb.defer(() => vm.stop({ graceMs: 5_000 }));
    try {
      const reports = await vm.waitForNics(
        [plan.nic.mac],
        BOOT_TIMEOUT_MS,
        (r) => r.dhcp === 'bound' && r.ipv6.length > 0,
      );
      report = reports[0]!;
    } catch (err) {
      console.error(readFileSync(vm.files.consoleLog, 'utf8').split('\n').slice(-40).join('\n'));
      throw err;
    }
  });

  test('the NAT is one nft invocation; the guest gets 10.0.2.2/24 via 10.0.2.1 by DHCP, the pod MTU, fd10:0:2::2', () => {
    assert.equal(nftCalls, 1);
    assert.equal(report.ipv4, '10.0.2.2/24');
    assert.equal(report.gateway4, '10.0.2.1');
    assert.equal(report.mtuBytes, 1400);
    assert.deepEqual(report.ipv6, ['fd10:0:2::2/120']);
  });

  test('a second pod reaches the declared port at the pod IP, not the undeclared one', async () => {
    const page = await nc(peer, '10.1.1.2', 80, 'GET / HTTP/1.0\r\n\r\n');
    assert.match(page, /^HTTP\/1\.[01] 200/);
    assert.ok(page.includes('ipv4=10.0.2.2/24'), page);
    // The guest echoes on 7 (reachable from the pod itself) but 7 is not declared.
    assert.equal(await nc(pod, '10.0.2.2', 7, 'inside\n'), 'inside\n');
    assert.equal(await nc(peer, '10.1.1.2', 7, 'outside\n'), '');
    // IPv6 NAT to the same guest through the pod's IPv6 address.
    assert.match(await nc(peer, 'fd00:1::2', 80, 'GET / HTTP/1.0\r\n\r\n'), /^HTTP\/1\.[01] 200/);
  });

  test("the guest's outbound connections reach a second pod from the pod IP", async () => {
    const stopListener = await listenForGuest(sb, peer, 9000);
    try {
      // Asked through the declared port 80; the masquerade rewrites the guest's 10.0.2.2 to the pod IP.
      assert.equal(peerAddressOf(await guestConnect(peer, '10.1.1.2', 80, '10.1.1.3', 9000)), '10.1.1.2');
    } finally {
      stopListener();
    }
  });

  test('with no ports declared every port is reachable', async () => {
    const open = masqueradeVm('vm-mq', []);
    const discovered = await discoverPod(pod);
    const eth0 = discovered.interfaces.find((i) => i.name === 'eth0')!;
    const openPlan = planMasquerade(
      open.interfaces[0]!,
      open.networks[0]!,
      eth0,
      contextFor(open, podWith(pod, eth0)),
    );
    const step = openPlan.steps.find((s) => s.kind === 'nft.ruleset');
    assert.ok(step?.kind === 'nft.ruleset');
    await applyNftCommands(step.commands, { netns: { name: pod } });
    assert.equal(await nc(peer, '10.1.1.2', 7, 'open\n'), 'open\n');
    assert.match(await nc(peer, '10.1.1.2', 80, 'GET / HTTP/1.0\r\n\r\n'), /^HTTP\/1\.[01] 200/);
  });

  test('teardown removes the tables and the devices', async () => {
    await vm.stop({ graceMs: 5_000 });
    const down = await teardown(sb.dir, spec.name);
    assert.ok(down.hadRecord);
    assert.deepEqual(await listNftTables({ netns: { name: pod } }), []);
    const links = JSON.parse(await inNs(pod, ['ip', '-j', 'link', 'show'])) as { ifname: string }[];
    assert.deepEqual(
      links.map((l) => l.ifname).filter((n) => plan.createdDevices.includes(n)),
      [],
    );
  });
});
