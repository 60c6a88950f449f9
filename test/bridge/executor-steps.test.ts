// The executor's generic step kinds beyond the bridge binding's: neighbour, route add, bridge-port
// flags, sysctls on existing keys and helper processes — applied, recorded, undone exactly.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyPlan, teardown } from '../../src/apply/executor.js';
import type { InterfacePlan, PlanStep, VmNetworkPlan } from '../../src/bindings/plan-types.js';
import { needsRoot, sandbox } from '../support/sandbox.js';
import { ip, snapshot } from './stand-in-pod.js';

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test(
  'executor: neighbour, route, bridge-port, sysctl and process steps apply and undo exactly',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const ns = await sb.netns('x');
    ip('-n', ns, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', ns, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
    ip('-n', ns, 'link', 'set', 'p0', 'master', 'br0', 'up');
    ip('-n', ns, 'addr', 'add', '10.98.0.2/24', 'dev', 'br0');
    ip('-n', ns, 'link', 'set', 'br0', 'up');
    const before = await snapshot(ns);
    // A new namespace inherits IPv4 forwarding from the host: flip whatever it is.
    const forwardBefore = ip('netns', 'exec', ns, 'sysctl', '-n', 'net.ipv4.ip_forward').trim();
    const forward = forwardBefore === '1' ? '0' : '1';
    const socket = join(sb.dir, 'helper.sock');
    const steps: PlanStep[] = [
      {
        id: 'neigh',
        phase: 'network',
        kind: 'neigh.add',
        device: 'br0',
        address: '10.98.0.9',
        mac: '02:00:00:00:00:09',
        summary: 'neigh',
      },
      {
        id: 'route',
        phase: 'network',
        kind: 'route.add',
        route: { family: 4, destination: '10.99.0.0/16', gateway: '10.98.0.1', device: 'br0', flags: [] },
        summary: 'route',
      },
      {
        id: 'port',
        phase: 'network',
        kind: 'bridge-port.set',
        device: 'p0',
        learning: false,
        summary: 'learning off',
      },
      {
        id: 'fwd',
        phase: 'network',
        kind: 'sysctl.set',
        key: 'net/ipv4/ip_forward',
        value: forward,
        summary: 'forwarding',
      },
      {
        id: 'helper',
        phase: 'dhcp',
        kind: 'process.start',
        name: 'helper',
        argv: ['socat', `UNIX-LISTEN:${socket},fork`, 'SYSTEM:true'],
        inNetns: true,
        readyPath: socket,
        summary: 'helper',
      },
    ];
    const iface = {
      name: 'x',
      network: 'x',
      binding: 'bridge',
      createdDevices: [],
      steps,
      notes: [],
      nic: {},
    } as unknown as InterfacePlan;
    const plan: VmNetworkPlan = {
      version: 1,
      vm: { name: 'vmx', namespace: 'default' },
      netns: ns,
      interfaces: [iface],
      notes: [],
    };
    await applyPlan(plan, { stateDir: sb.dir });
    await applyPlan(plan, { stateDir: sb.dir, phase: 'dhcp' });
    assert.match(
      ip('-n', ns, 'neigh', 'show', 'dev', 'br0'),
      /10\.98\.0\.9 lladdr 02:00:00:00:00:09 PERMANENT/,
    );
    assert.match(ip('-n', ns, 'route', 'show', '10.99.0.0/16'), /via 10\.98\.0\.1/);
    assert.match(ip('-n', ns, '-d', 'link', 'show', 'p0'), /learning off/);
    assert.equal(ip('netns', 'exec', ns, 'sysctl', '-n', 'net.ipv4.ip_forward').trim(), forward);
    const record = JSON.parse(readFileSync(join(sb.dir, 'vms', 'vmx', 'network.json'), 'utf8')) as {
      steps: { id: string; applied?: { pid: number } }[];
    };
    const pid = record.steps.find((s) => s.id === 'helper')!.applied!.pid;
    sb.trackPid(pid);
    assert.ok(alive(pid) && existsSync(socket));
    await teardown(sb.dir, 'vmx');
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(pid), false, 'helper stopped');
    assert.equal(ip('netns', 'exec', ns, 'sysctl', '-n', 'net.ipv4.ip_forward').trim(), forwardBefore);
    assert.doesNotMatch(ip('-n', ns, 'neigh', 'show', 'dev', 'br0'), /10\.98\.0\.9/);
    assert.deepEqual(await snapshot(ns), before);
  },
);
