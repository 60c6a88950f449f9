// virtnet's DHCP server, its sockets in a pod namespace, serves a guest behind a bridge; udhcpc, dhclient
// and dhcpcd each get the address, prefix, gateway, routes (option 121), MTU, DNS, search domains
// and hostname of the lease.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { needsRoot, sandbox } from '../support/sandbox.js';
import { dhclient, dhcpcd, udhcpc } from './clients.js';
import { addBridge, addGuest, fullLease, ip, serveDhcp } from './topology.js';

const MAC = '02:5e:00:00:00:01';

async function setup(t: Parameters<typeof sandbox>[0]) {
  const sb = sandbox(t);
  const pod = await sb.netns('pod');
  await addBridge(pod, 'br0', '169.254.75.10');
  const guest = await addGuest(sb, pod, 'br0', 'g1', MAC);
  const lease = fullLease({
    clientMac: MAC,
    bridge: 'br0',
    serverAddress: '169.254.75.10',
    address: '10.244.1.17',
  });
  const server = serveDhcp(sb, pod, { leases: [lease] });
  return { sb, pod, guest, server };
}

test('udhcpc gets the full lease', { skip: needsRoot() }, async (t) => {
  const { sb, guest } = await setup(t);
  const env = await udhcpc(sb, guest.netns, guest.ifname);
  assert.ok(env, 'udhcpc got no lease');
  assert.equal(env.ip, '10.244.1.17');
  assert.equal(env.mask, '24');
  assert.equal(env.subnet, '255.255.255.0');
  assert.equal(env.router, '10.244.1.1');
  assert.equal(env.serverid, '169.254.75.10');
  assert.equal(env.mtu, '1450');
  assert.equal(env.dns, '10.96.0.10 10.96.0.11');
  assert.equal(env.search, 'default.svc.cluster.local svc.cluster.local cluster.local');
  assert.equal(env.domain, 'cluster.local');
  assert.equal(env.hostname, 'testvm');
  assert.equal(env.staticroutes, '10.96.0.0/12 10.244.1.1 0.0.0.0/0 10.244.1.1');
  assert.equal(env.ntpsrv, '10.244.1.1');
  assert.equal(env.lease, '3600');
  assert.equal(Buffer.from(env.opt240 ?? '', 'hex').toString(), 'virtnet');
});

test('dhclient gets the full lease', { skip: needsRoot() }, async (t) => {
  const { sb, guest } = await setup(t);
  const env = await dhclient(sb, guest.netns, guest.ifname);
  assert.ok(env, 'dhclient got no lease');
  assert.equal(env.new_ip_address, '10.244.1.17');
  assert.equal(env.new_subnet_mask, '255.255.255.0');
  assert.equal(env.new_routers, '10.244.1.1');
  assert.equal(env.new_dhcp_server_identifier, '169.254.75.10');
  assert.equal(env.new_interface_mtu, '1450');
  assert.equal(env.new_domain_name_servers, '10.96.0.10 10.96.0.11');
  assert.equal(env.new_domain_search, 'default.svc.cluster.local. svc.cluster.local. cluster.local.');
  assert.equal(env.new_domain_name, 'cluster.local');
  assert.equal(env.new_host_name, 'testvm');
  assert.equal(env.new_rfc3442_classless_static_routes, '12 10 96 10 244 1 1 0 10 244 1 1');
  assert.equal(env.new_broadcast_address, '10.244.1.255');
});

test(
  'dhcpcd gets the full lease and configures the guest interface with it',
  { skip: needsRoot() },
  async (t) => {
    const { sb, guest } = await setup(t);
    const env = await dhcpcd(sb, guest.netns, guest.ifname);
    assert.ok(env, 'dhcpcd got no lease');
    assert.equal(env.new_ip_address, '10.244.1.17');
    assert.equal(env.new_subnet_cidr, '24');
    assert.equal(env.new_routers, '10.244.1.1');
    assert.equal(env.new_interface_mtu, '1450');
    assert.equal(env.new_domain_name_servers, '10.96.0.10 10.96.0.11');
    assert.equal(env.new_domain_search, 'default.svc.cluster.local svc.cluster.local cluster.local');
    assert.equal(env.new_host_name, 'testvm');
    assert.equal(env.new_classless_static_routes, '10.96.0.0/12 10.244.1.1 0.0.0.0/0 10.244.1.1');
    const addrs = JSON.parse(await ip('-n', guest.netns, '-j', 'addr', 'show', 'dev', guest.ifname)) as {
      addr_info: { family: string; local: string; prefixlen: number }[];
    }[];
    assert.ok(
      addrs[0]!.addr_info.some((a) => a.family === 'inet' && a.local === '10.244.1.17' && a.prefixlen === 24),
    );
    const routes = JSON.parse(await ip('-n', guest.netns, '-j', 'route', 'show')) as {
      dst: string;
      gateway?: string;
    }[];
    assert.ok(routes.some((r) => r.dst === 'default' && r.gateway === '10.244.1.1'));
    assert.ok(routes.some((r) => r.dst === '10.96.0.0/12' && r.gateway === '10.244.1.1'));
  },
);
