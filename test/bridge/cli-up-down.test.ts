// `virtnet plan|up|down` end to end as a user runs them: plan changes nothing; up serves until
// SIGTERM and then restores the pod; the two phases run separately, the serving phase with only
// CAP_NET_BIND_SERVICE inside the pod (a real udhcpc gets its lease, SIGHUP reloads the leases,
// garbage is counted); down finishes after a SIGKILL of up (pod restored, no state left).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { needsRoot, sandbox, type Sandbox } from '../support/sandbox.js';
import { udhcpc } from '../dhcp/clients.js';
import { createGuest, createNetwork, createPod, ip, snapshot } from './stand-in-pod.js';

const root = new URL('../..', import.meta.url).pathname;
// The built CLI when present (scripts/setup.sh builds before the suite; starting it is much cheaper
// than transpiling through tsx), else the sources.
const built = join(root, 'dist/cli/main.js');
const cli = existsSync(built)
  ? [process.execPath, built]
  : [process.execPath, '--import', 'tsx', join(root, 'src/cli/main.ts')];

function vmFile(sb: Sandbox, name = 'vm1'): string {
  const file = join(sb.dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: ${name}\nspec:\n  domain:\n    devices:\n      interfaces:\n        - name: default\n          bridge: {}\n  networks:\n    - name: default\n      pod: {}\n`,
  );
  return file;
}

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cli[0]!, [...cli.slice(1), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function startUp(sb: Sandbox, args: string[], wrapper: string[] = []): Promise<ChildProcess> {
  const argv = [...wrapper, ...cli, 'up', ...args];
  const child = spawn(argv[0]!, argv.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  sb.trackPid(child.pid);
  let out = '';
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`up exited ${code} before ready: ${err}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((r) => child.once('exit', (code) => r(code)));
}

test(
  'virtnet plan prints the plan and changes nothing; bad input names the field',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const net = await createNetwork(sb, '10.95.0.1/24');
    const pod = await createPod(sb, net, 'pod', { cidr: '10.95.0.5/24', gateway: '10.95.0.1' });
    const before = await snapshot(pod);
    const json = run(['plan', '--netns', pod, '-o', 'json', vmFile(sb)]);
    assert.equal(json.status, 0, json.stderr);
    const plan = JSON.parse(json.stdout) as {
      netns: string;
      interfaces: {
        podInterface: string;
        dhcp4: { address: string };
        nic: { backend: { tapName: string } };
      }[];
    };
    assert.equal(plan.netns, pod);
    assert.equal(plan.interfaces[0]!.podInterface, 'eth0');
    assert.equal(plan.interfaces[0]!.dhcp4.address, '10.95.0.5');
    assert.equal(plan.interfaces[0]!.nic.backend.tapName, 'tap0');
    const text = run(['plan', '--netns', pod, vmFile(sb)]);
    assert.equal(text.status, 0);
    assert.match(text.stdout, /create bridge k6t-eth0/);
    assert.deepEqual(await snapshot(pod), before, 'plan changed nothing');
    const bad = join(sb.dir, 'bad.yaml');
    writeFileSync(
      bad,
      readFileSync(vmFile(sb), 'utf8').replace('bridge: {}', 'bridge: {}\n          macAddress: nonsense'),
    );
    const invalid = run(['plan', '--netns', pod, bad]);
    assert.equal(invalid.status, 1);
    assert.match(invalid.stdout + invalid.stderr, /spec\.domain\.devices\.interfaces\[0\]\.macAddress/);
    const missing = run(['plan', '--netns', `${sb.prefix}nope`, vmFile(sb)]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /NETNS_NOT_FOUND/);
  },
);

test('virtnet up serves until SIGTERM, then restores the pod', { skip: needsRoot() }, async (t) => {
  const sb = sandbox(t);
  const net = await createNetwork(sb, '10.96.0.1/24');
  const pod = await createPod(sb, net, 'pod', { cidr: '10.96.0.5/24', gateway: '10.96.0.1' });
  const before = await snapshot(pod);
  const stateDir = join(sb.dir, 'state');
  const up = await startUp(sb, ['--netns', pod, '--state-dir', stateDir, vmFile(sb)]);
  assert.match(ip('-n', pod, 'link', 'show', 'eth0'), /master k6t-eth0/);
  up.kill('SIGTERM');
  assert.equal(await exited(up), 0);
  assert.deepEqual(await snapshot(pod), before);
  assert.equal(existsSync(join(stateDir, 'vms', 'vm1')), false);
});

test(
  'virtnet up --phase network / --phase dhcp run separately; down after a SIGKILL finishes the job',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const net = await createNetwork(sb, '10.97.0.1/24');
    const pod = await createPod(sb, net, 'pod', { cidr: '10.97.0.5/24', gateway: '10.97.0.1' });
    const before = await snapshot(pod);
    const stateDir = join(sb.dir, 'state');
    const file = vmFile(sb);
    const dhcpFirst = run(['up', '--netns', pod, '--state-dir', stateDir, '--phase', 'dhcp', file]);
    assert.equal(dhcpFirst.status, 1, 'phase dhcp needs the network phase');
    assert.match(dhcpFirst.stderr, /NETWORK_PHASE_MISSING/);
    const network = run(['up', '--netns', pod, '--state-dir', stateDir, '--phase', 'network', file]);
    assert.equal(network.status, 0, network.stderr);
    assert.match(ip('-n', pod, 'link', 'show', 'tap0'), /master k6t-eth0/);
    // The serving phase inside the pod, with CAP_NET_BIND_SERVICE as its only capability.
    const inPod = ['ip', 'netns', 'exec', pod, 'setpriv', '--bounding-set', '-all,+net_bind_service'];
    const configPath = join(stateDir, 'vms', 'vm1', 'dhcp4.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as {
      leases: { clientMac: string; address: string; hostname?: string }[];
    };
    const lease = config.leases[0]!;
    const guest = await createGuest(sb, pod, 'k6t-eth0', lease.clientMac);
    const dhcp = await startUp(sb, ['--netns', pod, '--state-dir', stateDir, '--phase', 'dhcp', file], inPod);
    assert.match(
      readFileSync(`/proc/${dhcp.pid}/status`, 'utf8'),
      /^CapEff:\s+0000000000000400$/m,
      'the serving phase holds CAP_NET_BIND_SERVICE only',
    );
    assert.equal((await udhcpc(sb, guest, 'eth0'))?.ip, lease.address);
    // Garbage to the server's unicast address: truncated, bad cookie, option overrun.
    const header = Buffer.alloc(240);
    header[0] = 1;
    Buffer.from([99, 130, 83, 99]).copy(header, 236);
    for (const p of [
      Buffer.from('hello'),
      Buffer.alloc(300),
      Buffer.concat([header, Buffer.from([53, 200, 1])]),
    ]) {
      spawnSync('ip', ['netns', 'exec', pod, 'socat', '-u', 'STDIN', 'UDP-SENDTO:169.254.75.10:67'], {
        input: p,
        timeout: 5_000,
      });
    }
    // SIGHUP re-reads the leases; an invalid file is reported and the old leases keep serving.
    writeFileSync(configPath, JSON.stringify({ leases: [{ ...lease, hostname: 'renamed' }] }));
    const log = join(stateDir, 'vms', 'vm1', 'dhcp4.log');
    dhcp.kill('SIGHUP');
    const deadline = Date.now() + 5_000;
    while (!readFileSync(log, 'utf8').includes('"reloaded"') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal((await udhcpc(sb, guest, 'eth0'))?.hostname, 'renamed');
    writeFileSync(configPath, '{"leases": [');
    dhcp.kill('SIGHUP');
    assert.equal((await udhcpc(sb, guest, 'eth0'))?.hostname, 'renamed');
    dhcp.kill('SIGTERM');
    assert.equal(await exited(dhcp), 0);
    const stopped = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; stats?: Record<string, number> })
      .find((r) => r.event === 'stopped');
    assert.equal(stopped?.stats?.malformed, 3);
    assert.ok((stopped?.stats?.acks ?? 0) >= 3);
    assert.match(
      ip('-n', pod, 'link', 'show', 'tap0'),
      /master k6t-eth0/,
      'phase dhcp leaves the network in place',
    );
    ip('-n', pod, 'link', 'del', 'vmport0');
    writeFileSync(configPath, JSON.stringify(config));
    // A crash of the dhcp phase: down restores the pod.
    const crashed = await startUp(sb, ['--netns', pod, '--state-dir', stateDir, '--phase', 'dhcp', file]);
    crashed.kill('SIGKILL');
    await exited(crashed);
    const down = run(['down', '--netns', pod, '--state-dir', stateDir]);
    assert.equal(down.status, 0, down.stderr);
    assert.deepEqual(await snapshot(pod), before);
    assert.equal(existsSync(join(stateDir, 'vms', 'vm1')), false);
    const again = run(['down', '--netns', pod, '--state-dir', stateDir]);
    assert.equal(again.status, 0, 'second down is a no-op');
  },
);
