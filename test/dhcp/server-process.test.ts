// The DHCP server process: ready only once bound, typed start failures that leave no process,
// SIGHUP reload, malformed packets counted and dropped, only CAP_NET_BIND_SERVICE, clean SIGTERM.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isVirtnetError } from '../../src/errors/virtnet-error.js';
import { runProgram } from '../../src/exec/run-program.js';
import { startDhcp4Process } from '../../src/dhcp/process.js';
import { needsRoot, sandbox } from '../support/sandbox.js';
import { udhcpc } from './clients.js';
import { addBridge, addGuest, fullLease, writeConfig } from './topology.js';

/** PIDs of processes whose command line mentions `text`. */
function processesWith(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('start failures are typed and leave no process', { skip: needsRoot() }, async (t) => {
  const sb = sandbox(t);
  const pod = await sb.netns('pod');
  await addBridge(pod, 'br0', '169.254.75.10');
  const bad = join(sb.dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ leases: [fullLease({ clientMac: 'zz', bridge: 'br0', serverAddress: '169.254.75.10', address: '10.0.0.300' })] }));
  await assert.rejects(startDhcp4Process({ netns: pod, configPath: bad }), (err) => {
    assert.ok(isVirtnetError(err, 'DHCP_START_FAILED'));
    assert.equal(err.detail.reason, 'DHCP_CONFIG_INVALID');
    assert.equal(err.detail.field, 'leases[0].clientMac');
    return true;
  });
  assert.deepEqual(processesWith(bad), []);
  // The server address is not on any interface of the pod: binding fails, nothing keeps running.
  const unbound = writeConfig(sb, { leases: [fullLease({ clientMac: '02:5e:00:00:00:09', bridge: 'br0', serverAddress: '169.254.75.99', address: '10.0.0.3' })] }, 'unbound.json');
  await assert.rejects(startDhcp4Process({ netns: pod, configPath: unbound }), (err) => isVirtnetError(err, 'DHCP_START_FAILED') && err.detail.reason === 'DHCP_BIND_FAILED');
  assert.deepEqual(processesWith(unbound), []);
  await assert.rejects(startDhcp4Process({ netns: `${sb.prefix}missing`, configPath: unbound }), (err) => isVirtnetError(err, 'DHCP_START_FAILED'));
  await assert.rejects(startDhcp4Process({ netns: '../etc', configPath: unbound }), (err) => isVirtnetError(err, 'NETNS_INVALID_NAME'));
});

test('reload on SIGHUP, malformed packets counted, only CAP_NET_BIND_SERVICE, clean stop', { skip: needsRoot() }, async (t) => {
  const sb = sandbox(t);
  const pod = await sb.netns('pod');
  await addBridge(pod, 'br0', '169.254.75.10');
  const mac = '02:5e:00:00:00:07';
  const guest = await addGuest(sb, pod, 'br0', 'g1', mac);
  const configPath = writeConfig(sb, { leases: [fullLease({ clientMac: mac, bridge: 'br0', serverAddress: '169.254.75.10', address: '10.244.1.20' })] });
  const logPath = join(sb.dir, 'dhcp.log');
  const server = await startDhcp4Process({ netns: pod, configPath, logPath });
  sb.trackPid(server.pid);
  sb.defer(() => server.stop());

  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  assert.match(status, /^CapEff:\s+0000000000000400$/m, 'the server holds CAP_NET_BIND_SERVICE only');
  assert.equal((await udhcpc(sb, guest.netns, guest.ifname))?.ip, '10.244.1.20');

  // Garbage to the server's unicast socket: truncated, bad cookie, option overrun.
  const header = Buffer.alloc(240);
  header[0] = 1;
  Buffer.from([99, 130, 83, 99]).copy(header, 236);
  const packets = [Buffer.from('hello'), Buffer.alloc(300), Buffer.concat([header, Buffer.from([53, 200, 1])])];
  for (const p of packets) {
    await runProgram(['ip', 'netns', 'exec', pod, 'socat', '-u', 'STDIN', 'UDP-SENDTO:169.254.75.10:67'], { timeoutMs: 5_000, input: p });
  }

  writeConfig(sb, { leases: [fullLease({ clientMac: mac, bridge: 'br0', serverAddress: '169.254.75.10', address: '10.244.1.21', hostname: 'renamed' })] });
  process.kill(server.pid, 'SIGHUP');
  const deadline = Date.now() + 5_000;
  while (!readFileSync(logPath, 'utf8').includes('"reloaded"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const env = await udhcpc(sb, guest.netns, guest.ifname);
  assert.equal(env?.ip, '10.244.1.21');
  assert.equal(env?.hostname, 'renamed');

  // An invalid config on SIGHUP is reported and the old one keeps serving.
  writeFileSync(configPath, '{"leases": [');
  process.kill(server.pid, 'SIGHUP');
  while (!readFileSync(logPath, 'utf8').includes('"reload-failed"') && Date.now() < deadline + 5_000) await new Promise((r) => setTimeout(r, 20));
  assert.equal((await udhcpc(sb, guest.netns, guest.ifname))?.ip, '10.244.1.21');

  await server.stop();
  assert.ok(!existsSync(`/proc/${server.pid}/status`) || readFileSync(`/proc/${server.pid}/status`, 'utf8').includes('zombie'));
  const records = readFileSync(logPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; signal?: string; stats?: Record<string, number> });
  const stopped = records.find((r) => r.event === 'stopped');
  assert.equal(stopped?.signal, 'SIGTERM');
  assert.equal(stopped?.stats?.malformed, 3);
  assert.ok((stopped?.stats?.acks ?? 0) >= 3);
});
