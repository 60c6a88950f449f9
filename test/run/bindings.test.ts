// The user-mode and direct bindings end to end with `virtnet run`: one real QEMU guest (TCG) each for
// slirp, passt and macvtap on a real CNI bridge pod network, probed from a second pod. Inbound must
// reach exactly the declared ports; the guest serves HTTP on 80 and echo on 7 (guest/init), so 7 is the
// undeclared port that must stay closed. Outbound: through the declared port the peer asks the guest's
// /cgi-bin/connect probe to connect back to a listener in the peer, which must see the pod IP (slirp and
// passt NAT the guest's connections to the pod's own sockets).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PodState } from '../../src/cni/pod.js';
import { runProgram } from '../../src/exec/run-program.js';
import { guestConnect, listenForGuest, peerAddressOf } from '../support/guest-outbound.js';
import { needsRoot, sandbox, type Sandbox } from '../support/sandbox.js';
import {
  addressOf,
  oneNicVmi,
  peerPod,
  podNetworkStatus,
  startOnPodNetwork,
  stopRun,
  type RunChild,
} from './run-fixture.js';

const READY_MS = 150_000;

/** What a peer gets from `ip:port` when it sends `input` (empty when refused or silent). */
async function talk(ns: string, ip: string, port: number, input: string): Promise<string> {
  const res = await runProgram(['ip', 'netns', 'exec', ns, 'nc', '-w', '3', ip, String(port)], {
    timeoutMs: 15_000,
    input,
  }).catch(() => ({ stdout: '' }));
  return res.stdout;
}

/** The VM pod's eth0 address from its network-status. */
function podIp(run: RunChild): string {
  return podNetworkStatus(run)[0]!.ips[0]!;
}

/** Inbound through the pod IP: declared 80 answers HTTP, undeclared 7 (where the guest also listens) does not echo. */
async function assertOnlyDeclaredInbound(
  sb: Sandbox,
  run: RunChild,
  confDir: string,
  t: { after(fn: () => unknown): void },
): Promise<PodState> {
  const peer = await peerPod(sb, run, confDir, t);
  const ip = podIp(run);
  assert.match(
    await talk(peer.netns, ip, 80, 'GET / HTTP/1.0\r\n\r\n'),
    /^HTTP\/1\.[01] 200/,
    'declared port 80 reaches the guest',
  );
  assert.equal(
    await talk(peer.netns, ip, 7, 'echo-probe\n'),
    '',
    'undeclared port 7 does not reach the guest',
  );
  return peer;
}

/** The guest connects out to a listener in `peer` (asked through declared port 80); the peer sees the pod IP. */
async function assertOutboundFromPodIp(sb: Sandbox, run: RunChild, peer: PodState): Promise<void> {
  const peerIp = addressOf(peer.networkStatus[0]!.ips![0]!);
  const stopListener = await listenForGuest(sb, peer.netns, 9000);
  try {
    const response = await guestConnect(peer.netns, podIp(run), 80, peerIp, 9000);
    assert.equal(
      peerAddressOf(response),
      podIp(run),
      "the guest's outbound connection leaves from the pod IP",
    );
    // Nothing listens on 9001: the probe reports the refused connection instead of hanging.
    assert.match(await guestConnect(peer.netns, podIp(run), 80, peerIp, 9001), /^HTTP\/1\.[01] 502/);
  } finally {
    stopListener();
  }
}

/** PIDs of passt processes serving `socket`. */
function passtPids(socket: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        return argv[0]?.endsWith('passt') === true && argv.includes(socket);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test(
  'slirp: QEMU DHCP on vmNetworkCIDR, hostfwd for exactly the declared port at the pod IP',
  { skip: needsRoot(), timeout: READY_MS + 60_000 },
  async (t) => {
    const sb = sandbox(t);
    const { run, confDir } = startOnPodNetwork(
      sb,
      oneNicVmi('slirpvm', 'slirp: {}, ports: [{port: 80}]', '{vmNetworkCIDR: 10.11.0.0/24}'),
    );
    const status = await run.status;
    assert.equal(status.guestReady, true);
    const nic = status.nics[0]!;
    assert.equal(nic.binding, 'slirp');
    assert.equal(nic.guest!.ipv4, '10.11.0.15/24', 'QEMU DHCP serves the guest from vmNetworkCIDR');
    assert.equal(nic.guest!.gateway4, '10.11.0.2');
    const argv = JSON.parse(readFileSync(status.files.qemuArgv!, 'utf8')) as string[];
    await runProgram(['virt-xml-validate', status.files.domainXml!, 'domain'], { timeoutMs: 30_000 });
    assert.ok(
      argv.some((a) => a.startsWith('user,') && a.includes('hostfwd=tcp::80-:80') && !a.includes(':7-')),
      argv.join(' '),
    );
    await assertOutboundFromPodIp(sb, run, await assertOnlyDeclaredInbound(sb, run, confDir, t));
    await stopRun(run, 'slirpvm');
  },
);

test(
  'passt: the guest gets the pod IP from passt, only the declared port reaches it; its socket is in the VM state dir; passt and socket go with the VM',
  { skip: needsRoot(), timeout: READY_MS + 60_000 },
  async (t) => {
    const sb = sandbox(t);
    const { run, confDir } = startOnPodNetwork(sb, oneNicVmi('passtvm', 'passt: {}, ports: [{port: 80}]'));
    const status = await run.status;
    assert.equal(status.guestReady, true);
    const nic = status.nics[0]!;
    assert.equal(nic.binding, 'passt');
    assert.equal(addressOf(nic.guest!.ipv4!), podIp(run), 'the guest sees the pod IP');
    const argv = JSON.parse(readFileSync(status.files.qemuArgv!, 'utf8')) as string[];
    const socket = /addr\.path=([^,]+)/.exec(argv.find((a) => a.startsWith('stream,')) ?? '')?.[1];
    assert.equal(
      socket,
      join(run.stateDir, 'vms', 'passtvm', 'passt-default.sock'),
      "passt's socket is in the VM's state dir",
    );
    assert.ok(existsSync(socket), `passt socket ${socket}`);
    const passtPid = passtPids(socket)[0];
    assert.ok(passtPid !== undefined, 'passt runs');
    sb.trackPid(passtPid);
    // It runs as uid 0 to enter the private state dir, but without a single capability.
    assert.match(
      readFileSync(`/proc/${passtPid}/status`, 'utf8'),
      /^CapEff:\s*0+$/m,
      'passt holds no capabilities',
    );
    assert.equal(
      statSync(`/proc/${passtPid}/ns/net`).ino,
      statSync(`/run/netns/${run.pod}`).ino,
      'passt runs in the pod namespace',
    );
    await runProgram(['virt-xml-validate', status.files.domainXml!, 'domain'], { timeoutMs: 30_000 });
    await assertOutboundFromPodIp(sb, run, await assertOnlyDeclaredInbound(sb, run, confDir, t));
    await stopRun(run, 'passtvm');
    assert.deepEqual(passtPids(socket), [], 'passt stopped with the VM');
    assert.ok(!existsSync(socket), 'passt socket removed');
  },
);

test(
  'macvtap: the guest takes the pod IP by cloud-init on a macvtap over eth0 and a peer pod on the bridge network reaches it',
  { skip: needsRoot(), timeout: READY_MS + 60_000 },
  async (t) => {
    const sb = sandbox(t);
    const { run, confDir } = startOnPodNetwork(sb, oneNicVmi('mvtvm', 'macvtap: {}'));
    const status = await run.status;
    assert.equal(status.guestReady, true);
    const nic = status.nics[0]!;
    assert.equal(nic.binding, 'macvtap');
    const ip = podIp(run);
    assert.equal(addressOf(nic.guest!.ipv4!), ip, 'the guest has the pod IP');
    assert.equal(nic.guest!.dhcp, 'static');
    assert.equal(nic.guest!.mac, nic.mac);
    await runProgram(['virt-xml-validate', status.files.domainXml!, 'domain'], { timeoutMs: 30_000 });
    assert.match(
      readFileSync(status.files.domainXml!, 'utf8'),
      /<interface type="direct">\s*<mac address="[^"]+"\/>\s*<source dev="eth0" mode="bridge"\/>\s*<target dev="mvt-eth0" managed="no"\/>/,
    );
    const peer = await peerPod(sb, run, confDir, t);
    assert.match(await talk(peer.netns, ip, 80, 'GET / HTTP/1.0\r\n\r\n'), /^HTTP\/1\.[01] 200/);
    assert.equal(
      await talk(peer.netns, ip, 7, 'macvtap-echo\n'),
      'macvtap-echo\n',
      'echo round trip through the macvtap',
    );
    await stopRun(run, 'mvtvm');
  },
);
