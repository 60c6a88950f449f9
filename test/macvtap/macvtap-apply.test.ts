// The macvtap binding applied to a real stand-in pod: discover → plan → apply → teardown. The macvtap
// sits on eth0 with the planned mode and MAC, the pod's addresses and routes leave eth0 (they belong to
// the guest now), and teardown restores the pod byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CLUSTER_CONFIG } from '../../src/api/types.js';
import { applyPlan, teardown } from '../../src/apply/executor.js';
import { planVmNetwork } from '../../src/bindings/planner.js';
import { discoverPod } from '../../src/host/discover.js';
import { needsRoot, sandbox } from '../support/sandbox.js';
import { createNetwork, createPod, ip, snapshot } from '../bridge/stand-in-pod.js';
import { vmSpec } from '../bridge/vm-fixture.js';

test(
  'macvtap binding: apply moves the addresses off eth0 onto the plan, teardown restores the pod exactly',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const net = await createNetwork(sb, '10.93.0.1/24');
    const pod = await createPod(sb, net, 'pod', {
      cidr: '10.93.0.5/24',
      gateway: '10.93.0.1',
      routes: ['10.78.0.0/16'],
      mtuBytes: 1400,
    });
    const before = await snapshot(pod);
    const vm = vmSpec({
      interfaces: [
        { name: 'default', binding: 'macvtap', macvtapMode: 'vepa', model: 'virtio', ports: [], state: 'up' },
      ],
    });
    const result = planVmNetwork(vm, DEFAULT_CLUSTER_CONFIG, await discoverPod(pod));
    assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
    const plan = result.plan;
    const nic = plan.interfaces[0]!.nic;
    assert.ok(nic.guestConfig.kind === 'static');
    const { addresses, gateway4, routes } = nic.guestConfig.config;
    assert.deepEqual(
      { addresses, gateway4, routes },
      {
        addresses: ['10.93.0.5/24'],
        gateway4: '10.93.0.1',
        routes: [{ destination: '10.78.0.0/16', gateway: '10.93.0.1' }],
      },
    );

    await applyPlan(plan, { stateDir: sb.dir });
    const links = JSON.parse(ip('-n', pod, '-j', '-d', 'addr', 'show')) as {
      ifname: string;
      address: string;
      mtu: number;
      operstate: string;
      link?: string;
      addr_info: { family: string }[];
      linkinfo?: { info_kind: string; info_data?: { mode?: string } };
    }[];
    const mvt = links.find((l) => l.ifname === 'mvt-eth0');
    assert.ok(mvt, 'macvtap created');
    assert.equal(mvt.linkinfo?.info_kind, 'macvtap');
    assert.equal(mvt.linkinfo?.info_data?.mode, 'vepa');
    assert.equal(mvt.address, nic.mac);
    assert.equal(mvt.mtu, 1400);
    assert.equal(mvt.link, 'eth0');
    const eth0 = links.find((l) => l.ifname === 'eth0')!;
    assert.deepEqual(
      eth0.addr_info.filter((a) => a.family === 'inet'),
      [],
      'the pod address moved to the guest',
    );
    assert.doesNotMatch(
      ip('-n', pod, 'route', 'show'),
      /10\.78\.0\.0|default/,
      'the routes moved to the guest',
    );

    await teardown(sb.dir, 'vm1');
    assert.deepEqual(await snapshot(pod), before, 'pod restored');
  },
);
