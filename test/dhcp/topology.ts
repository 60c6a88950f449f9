// Test topology for the DHCP server: a "pod" namespace with bridges that carry a link-local /32
// server address, and "guest" namespaces joined to a bridge by a veth whose guest end carries the
// VM's MAC (the stand-in for TAP + VM). Everything is created inside sandbox namespaces.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProgram } from '../../src/exec/run-program.js';
import { Dhcp4Server, type Dhcp4LogRecord } from '../../src/dhcp/server.js';
import type { Dhcp4Lease, Dhcp4ServerConfig } from '../../src/dhcp/server-config.js';
import { inNetns } from '../../src/host/netns-switch.js';
import { netnsPath } from '../../src/host/netns.js';
import type { Sandbox } from '../support/sandbox.js';

const T = { timeoutMs: 10_000 };

/** Runs `ip` with arguments. */
export async function ip(...args: string[]): Promise<string> {
  return (await runProgram(['ip', ...args], T)).stdout;
}

/** Adds bridge `bridge` with `serverAddress/32` to namespace `pod`. */
export async function addBridge(pod: string, bridge: string, serverAddress: string): Promise<void> {
  await ip('-n', pod, 'link', 'add', bridge, 'type', 'bridge');
  await ip('-n', pod, 'addr', 'add', `${serverAddress}/32`, 'dev', bridge);
  await ip('-n', pod, 'link', 'set', bridge, 'up');
}

/** A guest namespace whose interface `ifname` (MAC `mac`) is plugged into `bridge` of `pod`. */
export async function addGuest(
  sb: Sandbox,
  pod: string,
  bridge: string,
  suffix: string,
  mac: string,
): Promise<{ netns: string; ifname: string }> {
  const netns = await sb.netns(suffix);
  // Unique interface names: dhcpcd keys its pid and lease files in /run and /var/lib by interface name.
  const ifname = `${sb.prefix}${suffix}`.slice(0, 15);
  const port = `p${suffix}`.slice(0, 15);
  await ip(
    '-n',
    netns,
    'link',
    'add',
    ifname,
    'address',
    mac,
    'type',
    'veth',
    'peer',
    'name',
    port,
    'netns',
    pod,
  );
  await ip('-n', pod, 'link', 'set', port, 'master', bridge, 'up');
  await ip('-n', netns, 'link', 'set', ifname, 'up');
  return { netns, ifname };
}

/** A lease with every option set, for client tests. */
export function fullLease(
  over: Partial<Dhcp4Lease> & Pick<Dhcp4Lease, 'clientMac' | 'bridge' | 'serverAddress' | 'address'>,
): Dhcp4Lease {
  return {
    prefixLength: 24,
    routers: ['10.244.1.1'],
    classlessRoutes: [{ destination: '10.96.0.0/12', gateway: '10.244.1.1' }],
    dnsServers: ['10.96.0.10', '10.96.0.11'],
    searchDomains: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
    domainName: 'cluster.local',
    hostname: 'testvm',
    mtuBytes: 1450,
    leaseSeconds: 3600,
    ntpServers: ['10.244.1.1'],
    privateOptions: [{ code: 240, value: 'virtnet' }],
    ...over,
  };
}

/** Writes a server config into the sandbox and returns its path. */
export function writeConfig(sb: Sandbox, config: Dhcp4ServerConfig, name = 'dhcp.json'): string {
  const path = join(sb.dir, name);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/**
 * Serves `config` from this (the test's) process with sockets in namespace `pod`, as a VM's virtnet
 * process does; stopped at sandbox cleanup. `log` receives the server's records.
 */
export function serveDhcp(
  sb: Sandbox,
  pod: string,
  config: Dhcp4ServerConfig,
  log?: (record: Dhcp4LogRecord) => void,
): Dhcp4Server {
  const path = netnsPath({ name: pod });
  const server = new Dhcp4Server(config, { inNamespace: (fn) => inNetns(path, fn), ...(log ? { log } : {}) });
  server.start();
  sb.defer(() => server.stop());
  return server;
}
