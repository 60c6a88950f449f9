// IPv6 beyond the peers, with real guests on dual-stack CNI pods: a masquerade NIC gets fd10:0:2::2
// and its default route from virtnet's RA + DHCPv6 (KubeVirt leaves this to cloud-init); a bridge NIC
// gets the pod's own IPv6 address (KubeVirt #7979), on the pod network and on a dual-stack Multus
// network alike; a second pod reaches each over IPv6, and the guest reaches it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatIpv6, parseIpv6 } from '../../src/api/ip-address.js';
import { runProgram } from '../../src/exec/run-program.js';
import { bridgeConflist, writeConf } from '../cni/cni-fixtures.js';
import { needsRoot, sandbox, type Sandbox } from '../support/sandbox.js';
import { guestConnect, listenForGuest, peerAddressOf } from '../support/guest-outbound.js';
import {
  CLI,
  bridgeNads,
  peerPod,
  podNetworkStatus,
  startRun,
  stopRun,
  addressOf,
  type RunChild,
} from './run-fixture.js';
import type { RunRecord } from '../../src/launcher/run-record.js';

const READY_MS = 150_000;
const dualStack = { v6: true, ipamExtra: { routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }] } };

async function httpStatus(ns: string, ip: string): Promise<string> {
  const res = await runProgram(['ip', 'netns', 'exec', ns, 'nc', '-w', '5', ip, '80'], {
    timeoutMs: 15_000,
    input: 'GET / HTTP/1.0\r\n\r\n',
    okExitCodes: [0, 1],
  });
  return res.stdout.split('\r\n')[0] ?? '';
}

/**
 * Follows `virtnet status` until every NIC of the run has IPv6, and an IPv6 default route unless
 * `onLinkOnly` names it (they come after READY).
 */
async function withIpv6(run: RunChild, onLinkOnly: string[] = []): Promise<RunRecord> {
  let status = await run.status;
  for (
    let i = 0;
    i < 60 &&
    !status.nics.every(
      (n) => (n.guest?.ipv6.length ?? 0) > 0 && (onLinkOnly.includes(n.name) || n.guest?.gateway6),
    );
    i++
  ) {
    await new Promise((r) => setTimeout(r, 1000));
    status = (
      JSON.parse(
        execFileSync(process.execPath, [CLI, 'status', '-o', 'json', '--state-dir', run.stateDir], {
          encoding: 'utf8',
        }),
      ) as RunRecord[]
    )[0]!;
  }
  return status;
}

/** The pod's IPv6 address on network `name`, from its network-status. */
function podIpv6(run: RunChild, name: string): string {
  return podNetworkStatus(run)
    .find((s) => s.name.endsWith(name))!
    .ips.find((ip) => ip.includes(':'))!;
}

function dualStackNetwork(sb: Sandbox): string {
  return writeConf(
    join(sb.dir, 'net.d'),
    '10-pod.conflist',
    bridgeConflist(sb, { name: 'podnet', bridgeSuffix: 'pn', ...dualStack }),
  );
}

test(
  'dual-stack pod, masquerade: the guest gets fd10:0:2::2 and an IPv6 default route from RA + DHCPv6; a second pod reaches the declared port at the pod IPv6',
  { skip: needsRoot(), timeout: READY_MS + 90_000 },
  async (t) => {
    const sb = sandbox(t);
    const confDir = dualStackNetwork(sb);
    const run = startRun(
      sb,
      `kind: VM
metadata: {name: six}
spec:
  domain: {devices: {interfaces: [{name: default, masquerade: {}, ports: [{port: 80}]}]}}
  networks: [{name: default, pod: {}}]
`,
      ['--cni-conf-dir', confDir],
    );
    const status = await withIpv6(run);
    const guest = status.nics[0]!.guest!;
    assert.ok(
      guest.ipv6.map(addressOf).includes('fd10:0:2::2'),
      `masquerade guest IPv6: ${guest.ipv6.join(',')}`,
    );
    assert.ok(guest.gateway6, 'the guest has an IPv6 default route');
    const peer = await peerPod(sb, run, confDir, t);
    assert.match(
      await httpStatus(peer.netns, podIpv6(run, 'podnet')),
      /^HTTP\/1\.[01] 200/,
      'declared port at the pod IPv6 reaches the guest',
    );
    await stopRun(run, 'six');
  },
);

test(
  'dual-stack pod, bridge: the guest gets the pod interface IPv6 by DHCPv6 and a default route by RA; a second pod reaches it there',
  { skip: needsRoot(), timeout: READY_MS + 90_000 },
  async (t) => {
    const sb = sandbox(t);
    const confDir = dualStackNetwork(sb);
    const run = startRun(
      sb,
      `kind: VM
metadata: {name: bsix}
spec:
  domain: {devices: {interfaces: [{name: default, bridge: {}}]}}
  networks: [{name: default, pod: {}}]
`,
      ['--cni-conf-dir', confDir],
    );
    const status = await withIpv6(run);
    const guest = status.nics[0]!.guest!;
    const delegated = podIpv6(run, 'podnet');
    assert.ok(
      guest.ipv6.map(addressOf).includes(delegated),
      `bridge guest IPv6 ${guest.ipv6.join(',')} has the pod's ${delegated}`,
    );
    assert.ok(guest.gateway6, 'the guest has an IPv6 default route');
    const peer = await peerPod(sb, run, confDir, t);
    assert.match(
      await httpStatus(peer.netns, delegated),
      /^HTTP\/1\.[01] 200/,
      'the guest answers at the delegated pod IPv6',
    );
    await stopRun(run, 'bsix');
  },
);

test(
  'dual-stack pod network + dual-stack Multus network, bridge on both: each guest NIC gets its pod interface IPv6 (a default route only where the pod had one); over the Multus network a second pod reaches the guest and the guest reaches it',
  { skip: needsRoot(), timeout: READY_MS + 90_000 },
  async (t) => {
    const sb = sandbox(t);
    const confDir = dualStackNetwork(sb);
    const nads = bridgeNads(sb, ['red'], { v6: true });
    const run = startRun(
      sb,
      `kind: VM
metadata: {name: msix}
spec:
  domain: {devices: {interfaces: [{name: default, bridge: {}}, {name: red, bridge: {}}]}}
  networks: [{name: default, pod: {}}, {name: red, multus: {networkName: red}}]
`,
      ['--cni-conf-dir', confDir, '--nad', nads],
    );
    const status = await withIpv6(run, ['red']);
    const byName = (name: string) => status.nics.find((n) => n.name === name)!.guest!;
    for (const [nic, network] of [
      ['default', 'podnet'],
      ['red', 'red'],
    ] as const) {
      const guest = byName(nic);
      const delegated = podIpv6(run, network);
      assert.ok(
        guest.ipv6.map(addressOf).includes(delegated),
        `NIC ${nic} IPv6 ${guest.ipv6.join(',')} has the pod's ${delegated} (${network})`,
      );
    }
    assert.ok(
      byName('default').gateway6,
      'the pod network (IPv6 default route in the pod) gives an IPv6 default route',
    );
    assert.equal(
      byName('red').gateway6,
      undefined,
      'red gave the pod no IPv6 route: the guest gets none there either',
    );
    const peer = await peerPod(sb, run, confDir, t, { nadFiles: [nads], networks: 'red' });
    const guestRed = podIpv6(run, 'red');
    assert.match(
      await httpStatus(peer.netns, guestRed),
      /^HTTP\/1\.[01] 200/,
      'the peer reaches the guest at its Multus IPv6',
    );
    const peerRed = peer.networkStatus
      .find((s) => s.name.endsWith('red'))!
      .ips!.map(addressOf)
      .find((ip) => ip.includes(':'))!;
    await listenForGuest(sb, peer.netns, 9006, 6);
    const from = peerAddressOf(await guestConnect(peer.netns, guestRed, 80, peerRed, 9006)).replace(
      /^\[|\]$/g,
      '',
    );
    // socat prints the address uncompressed.
    assert.equal(
      formatIpv6(parseIpv6(from)!),
      guestRed,
      'the guest reaches the peer over the Multus network from its delegated IPv6',
    );
    await stopRun(run, 'msix');
  },
);
