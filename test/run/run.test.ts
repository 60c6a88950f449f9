// `virtnet run` end to end: real CNI pods, real bindings and DHCP, real QEMU guests under TCG. Each
// test boots one guest and checks as much as it can on it, to keep the suite short.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { runProgram } from '../../src/exec/run-program.js';
import { ensureGuest } from '../../src/hypervisor/guest/build-guest.js';
import { needsRoot, sandbox } from '../support/sandbox.js';
import {
  CLI,
  allocatedIps,
  assertNothingLeft,
  bridgeNads,
  defaultNetwork,
  oneNicVmi,
  peerPod,
  podNetworkStatus,
  startOnPodNetwork,
  startRun,
  stopRun,
  addressOf,
} from './run-fixture.js';

const READY_MS = 150_000;

async function httpGet(ns: string, ip: string): Promise<string> {
  const res = await runProgram(['ip', 'netns', 'exec', ns, 'nc', '-w', '5', ip, '80'], {
    timeoutMs: 15_000,
    input: 'GET / HTTP/1.0\r\n\r\n',
  });
  return res.stdout;
}

/** The command names (comm) of the live children of `pid`. */
function childCommands(pid: number): string[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .flatMap((e) => {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        const [state, ppid] = stat.slice(close + 2).split(' ');
        return Number(ppid) === pid && state !== 'Z' ? [stat.slice(stat.indexOf('(') + 1, close)] : [];
      } catch {
        return [];
      }
    });
}

test(
  'bridge on the pod network: the guest gets the pod IP, MAC, MTU and DNS; a second pod fetches HTTP from it; virtnet down (SIGTERM) leaves nothing',
  { skip: needsRoot(), timeout: READY_MS + 60_000 },
  async (t) => {
    const sb = sandbox(t);
    const { run, confDir } = startOnPodNetwork(sb, oneNicVmi('web', 'bridge: {}'));
    const status = await run.status;
    assert.equal(status.phase, 'running');
    assert.equal(status.guestReady, true);
    // One virtnet process per VM: the DHCP server serves inside it (a server process of its own could
    // die unnoticed), so the run's only child is QEMU.
    assert.deepEqual(childCommands(run.child.pid!), ['qemu-system-x86']);
    const nic = status.nics[0]!;
    assert.equal(nic.binding, 'bridge');
    assert.equal(nic.podInterface, 'eth0');
    const eth0 = podNetworkStatus(run)[0]!;
    assert.equal(nic.mac, eth0.mac, 'the VM NIC carries the pod interface original MAC');
    assert.equal(addressOf(nic.guest!.ipv4!), eth0.ips[0], 'the guest has the pod IP');
    assert.equal(nic.guest!.mac, eth0.mac);
    assert.equal(nic.guest!.mtuBytes, 1500);
    const hostDns = readFileSync('/etc/resolv.conf', 'utf8').match(/^nameserver\s+(\S+)/m)?.[1];
    if (hostDns) assert.deepEqual(nic.guest!.dns, [hostDns]);

    const peer = await peerPod(sb, run, confDir, t);
    assert.match(await httpGet(peer.netns, eth0.ips[0]!), /^HTTP\/1\.[01] 200/);

    // The wiring is visible to another shell.
    const shown = JSON.parse(
      execFileSync(process.execPath, [CLI, 'status', '-o', 'json', '--state-dir', run.stateDir], {
        encoding: 'utf8',
      }),
    ) as { vm: string }[];
    assert.deepEqual(
      shown.map((s) => s.vm),
      ['web'],
    );

    // `virtnet down NAME` from another shell: the run gets SIGTERM, tears down and exits 0.
    execFileSync(process.execPath, [CLI, 'down', 'web', '--state-dir', run.stateDir], { encoding: 'utf8' });
    const exit = await run.exit;
    assert.equal(exit.code, 0, exit.stderr);
    assertNothingLeft(run, 'web');
    assert.deepEqual(
      allocatedIps(sb, 'podnet'),
      [peer.networkStatus[0]!.ips![0]],
      'IPAM released the VM address',
    );
  },
);

test(
  'pod network + two Multus bridge networks with e1000, rtl8139 and virtio NICs: each NIC gets its own network address and is reachable there; PXE options reach the guest; kill -9 of QEMU tears everything down',
  { skip: needsRoot(), timeout: READY_MS + 60_000 },
  async (t) => {
    const sb = sandbox(t);
    const confDir = defaultNetwork(sb);
    const nads = bridgeNads(sb, ['red', 'blue']);
    const run = startRun(
      sb,
      `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: multi}
spec:
  template:
    spec:
      domain:
        devices:
          interfaces:
            - {name: default, bridge: {}, model: e1000, bootOrder: 1, dhcpOptions: {bootFileName: pxelinux.0, tftpServerName: tftp.example.com}}
            - {name: red, bridge: {}, model: rtl8139}
            - {name: blue, bridge: {}, model: virtio}
      networks:
        - {name: default, pod: {}}
        - {name: red, multus: {networkName: red}}
        - {name: blue, multus: {networkName: blue}}
`,
      ['--cni-conf-dir', confDir, '--nad', nads],
    );
    const status = await run.status;
    assert.equal(status.nics.length, 3);
    const peer = await peerPod(sb, run, confDir, t, { nadFiles: [nads], networks: 'red,blue' });
    const drivers: Record<string, string> = { default: 'e1000', red: '8139', blue: 'virtio' };
    for (const nic of status.nics) {
      assert.ok(nic.guest, `guest reported NIC ${nic.name}`);
      assert.equal(nic.guest.mac, nic.mac);
      assert.equal(nic.guest.ipv4, nic.ips[0], `NIC ${nic.name} has its network address`);
      assert.ok(
        (nic.guest.driver ?? '').includes(drivers[nic.name]!),
        `NIC ${nic.name} driver ${nic.guest.driver}`,
      );
      assert.match(
        await httpGet(peer.netns, addressOf(nic.ips[0]!)),
        /^HTTP\/1\.[01] 200/,
        `reach ${nic.name}`,
      );
    }
    const pxe = status.nics.find((n) => n.name === 'default')!.guest!;
    assert.equal(pxe.bootFile, 'pxelinux.0');
    assert.equal(pxe.tftpServer, 'tftp.example.com');
    const argv = JSON.parse(readFileSync(status.files.qemuArgv!, 'utf8')) as string[];
    assert.ok(
      argv.some((a) => a.startsWith('e1000,') && a.includes('bootindex=1')),
      'bootindex on the e1000 NIC',
    );
    const xml = readFileSync(status.files.domainXml!, 'utf8');
    assert.match(xml, /<boot order="1"\/>/);
    await runProgram(['virt-xml-validate', status.files.domainXml!, 'domain'], { timeoutMs: 30_000 });

    process.kill(status.qemuPid!, 'SIGKILL');
    const exit = await run.exit;
    assert.notEqual(exit.code, 0, 'QEMU dying is a failure');
    assertNothingLeft(run, 'multi');
  },
);

test(
  'SIGTERM during boot leaves nothing; kill -9 of virtnet is cleaned by virtnet gc',
  { skip: needsRoot(), timeout: READY_MS + 60_000 },
  async (t) => {
    const sb = sandbox(t);
    const confDir = defaultNetwork(sb);
    const spec = `kind: VM
metadata: {name: early}
spec:
  domain: {devices: {interfaces: [{name: default, masquerade: {}}]}}
  networks: [{name: default, pod: {}}]
`;
    const first = startRun(sb, spec, ['--cni-conf-dir', confDir]);
    await first.stderrLine(/booting early/);
    first.child.kill('SIGTERM');
    const exit = await first.exit;
    assert.equal(exit.code, 0, exit.stderr);
    assertNothingLeft(first, 'early');

    const second = startRun(sb, spec, ['--cni-conf-dir', confDir]);
    const status = await second.status;
    assert.equal(status.guestReady, true);
    second.child.kill('SIGKILL');
    await second.exit;
    const gc = JSON.parse(
      execFileSync(process.execPath, [CLI, 'gc', '-o', 'json', '--state-dir', second.stateDir], {
        encoding: 'utf8',
      }),
    ) as { vm: string; killedQemu: boolean; errors: string[] }[];
    assert.deepEqual(
      gc.map((g) => [g.vm, g.killedQemu, g.errors]),
      [['early', true, []]],
    );
    assertNothingLeft(second, 'early');
    assert.deepEqual(allocatedIps(sb, 'podnet'), [], 'IPAM released the address');
  },
);

test(
  '--kernel/--initrd boots a user-given kernel with the cloud-init seed attached; status shows the guest once it reports',
  { skip: needsRoot(), timeout: READY_MS + 60_000 },
  async (t) => {
    const sb = sandbox(t);
    const confDir = defaultNetwork(sb);
    const image = await ensureGuest();
    const run = startRun(
      sb,
      `kind: VM
metadata: {name: own-kernel}
spec:
  domain: {devices: {interfaces: [{name: default, bridge: {}, model: e1000}]}}
  networks: [{name: default, pod: {}}]
`,
      [
        '--cni-conf-dir',
        confDir,
        '--kernel',
        image.kernelPath,
        '--initrd',
        image.initrdPath,
        '--cmdline',
        'console=ttyS0 quiet panic=-1',
      ],
    );
    // With a user's kernel virtnet cannot expect the guest protocol: the status comes at once.
    const status = await run.status;
    assert.equal(status.phase, 'running');
    const argv = JSON.parse(readFileSync(status.files.qemuArgv!, 'utf8')) as string[];
    assert.equal(argv[argv.indexOf('-kernel') + 1], image.kernelPath);
    assert.ok(
      argv.some((a) => a.includes('cidata.iso')),
      'the NoCloud seed is attached',
    );
    let ready = false;
    for (let i = 0; i < READY_MS / 1000 && !ready; i++) {
      const shown = JSON.parse(
        execFileSync(process.execPath, [CLI, 'status', '-o', 'json', '--state-dir', run.stateDir], {
          encoding: 'utf8',
        }),
      ) as { guestReady: boolean; nics: { ips: string[]; guest?: { ipv4?: string } }[] }[];
      ready = shown[0]?.guestReady === true;
      if (ready) assert.equal(shown[0]!.nics[0]!.guest?.ipv4, shown[0]!.nics[0]!.ips[0]);
      else await new Promise((r) => setTimeout(r, 1000));
    }
    assert.ok(ready, 'the guest reported through virtnet status');
    await stopRun(run, 'own-kernel', 'SIGINT');
  },
);
