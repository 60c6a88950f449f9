// Starting the DHCP server in a pod namespace: failures are typed and leave nothing bound, and the
// server serves from the calling process with nothing running while it waits (no timer keeps the
// event loop alive: a process whose only work is serving exits once the sockets close).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readDhcp4ServerConfig } from '../../src/dhcp/config-file.js';
import { Dhcp4Server } from '../../src/dhcp/server.js';
import { isVirtnetError } from '../../src/errors/virtnet-error.js';
import { inNetns } from '../../src/host/netns-switch.js';
import { netnsPath } from '../../src/host/netns.js';
import { needsRoot, sandbox } from '../support/sandbox.js';
import { udhcpc } from './clients.js';
import { addBridge, addGuest, fullLease, serveDhcp, writeConfig } from './topology.js';

test('start failures are typed and leave nothing bound', { skip: needsRoot() }, async (t) => {
  const sb = sandbox(t);
  const pod = await sb.netns('pod');
  await addBridge(pod, 'br0', '169.254.75.10');
  const bad = join(sb.dir, 'bad.json');
  writeFileSync(
    bad,
    JSON.stringify({
      leases: [
        fullLease({ clientMac: 'zz', bridge: 'br0', serverAddress: '169.254.75.10', address: '10.0.0.300' }),
      ],
    }),
  );
  await assert.rejects(readDhcp4ServerConfig(bad), (err) => {
    assert.ok(isVirtnetError(err, 'DHCP_CONFIG_INVALID'));
    assert.equal(err.detail.field, 'leases[0].clientMac');
    return true;
  });
  const inPod = <T>(fn: () => T): T => inNetns(netnsPath({ name: pod }), fn);
  // The server address is not on any interface of the pod: binding fails, nothing stays bound.
  const unbound = await readDhcp4ServerConfig(
    writeConfig(
      sb,
      {
        leases: [
          fullLease({
            clientMac: '02:5e:00:00:00:09',
            bridge: 'br0',
            serverAddress: '169.254.75.99',
            address: '10.0.0.3',
          }),
        ],
      },
      'unbound.json',
    ),
  );
  assert.throws(
    () => new Dhcp4Server(unbound, { inNamespace: inPod }).start(),
    (err) => isVirtnetError(err, 'DHCP_BIND_FAILED'),
  );
  const missing = <T>(fn: () => T): T => inNetns(netnsPath({ name: `${sb.prefix}missing` }), fn);
  assert.throws(
    () => new Dhcp4Server(unbound, { inNamespace: missing }).start(),
    (err) => isVirtnetError(err, 'NETNS_NOT_FOUND'),
  );
  // Port 67 in the pod is free again: a good server starts and serves.
  const mac = '02:5e:00:00:00:07';
  const guest = await addGuest(sb, pod, 'br0', 'g1', mac);
  const server = serveDhcp(sb, pod, {
    leases: [
      fullLease({ clientMac: mac, bridge: 'br0', serverAddress: '169.254.75.10', address: '10.244.1.20' }),
    ],
  });
  assert.equal((await udhcpc(sb, guest.netns, guest.ifname))?.ip, '10.244.1.20');
  assert.equal(server.stats().acks, 1);
});

test(
  'a serving process has nothing to do between requests: closing the sockets lets it exit',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const pod = await sb.netns('pod');
    await addBridge(pod, 'br0', '169.254.75.10');
    const configPath = writeConfig(sb, {
      leases: [
        fullLease({
          clientMac: '02:5e:00:00:00:08',
          bridge: 'br0',
          serverAddress: '169.254.75.10',
          address: '10.244.1.21',
        }),
      ],
    });
    // A child serves for 300 ms, then closes its sockets; with any timer or interval of the server's
    // own left, its event loop would keep it alive until the spawnSync timeout.
    const script = `
    import { readDhcp4ServerConfig } from '${join(import.meta.dirname, '../../src/dhcp/config-file.ts')}';
    import { Dhcp4Server } from '${join(import.meta.dirname, '../../src/dhcp/server.ts')}';
    import { inNetns } from '${join(import.meta.dirname, '../../src/host/netns-switch.ts')}';
    const server = new Dhcp4Server(await readDhcp4ServerConfig(${JSON.stringify(configPath)}), { inNamespace: (fn) => inNetns(${JSON.stringify(netnsPath({ name: pod }))}, fn) });
    server.start();
    setTimeout(() => { server.stop(); console.log('closed'); }, 300);
  `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    // Status 0, not null: it exited on its own, not killed at the timeout.
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /closed/);
  },
);
