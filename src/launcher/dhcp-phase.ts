// Phase "dhcp" (needs only CAP_NET_BIND_SERVICE): reads what phase network recorded — nothing else —
// and serves each VM's DHCPv4 leases from this very process. How it finds its config:
// `<stateDir>/vms/<vm>/network.json` must say `applied`; the leases are `<stateDir>/vms/<vm>/dhcp4.json`
// next to it (written by phase network from the plan). The sockets are opened in the pod's network
// namespace: entered for the moment of opening them, or not at all when this process already runs
// there (a launcher started inside the pod, which lacks the privilege to enter namespaces, and in a
// container may not even see the host path the record names: `inPodNetns` says so).
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { readDhcp4ServerConfig } from '../dhcp/config-file.js';
import { Dhcp4Server, type Dhcp4LogRecord, type Dhcp4ServerStats } from '../dhcp/server.js';
import { VirtnetError } from '../errors/virtnet-error.js';
import { isCurrentNetns, inNetns } from '../host/netns-switch.js';
import { netnsPath, parseNetnsRef } from '../host/netns.js';
import { DHCP4_CONFIG_FILE, DHCP4_LOG_FILE, readNetworkRecord, vmStateDir } from '../apply/vm-record.js';

/** The DHCP server of one VM, serving in this process. */
export interface DhcpPhaseServer {
  vm: string;
  configPath: string;
  stats(): Dhcp4ServerStats;
  /** Re-reads the config file (a changed plan); an invalid one throws and the old one keeps serving. */
  reload(): Promise<void>;
  /** Closes the sockets and the log; idempotent. */
  stop(): void;
}

/** How the DHCP phase runs. */
export interface DhcpPhaseOptions {
  /** This process already runs in the pod's namespace: open the sockets here, never enter the record's. */
  inPodNetns?: boolean;
  /** Sees every record each server logs (an `ack` carries `mac` and `address`), after it is written. */
  onRecord?: (vm: string, record: Dhcp4LogRecord) => void;
}

/** Appends the server's records to `path` as JSON lines, written as they happen (no buffering timer). */
function jsonLinesLog(path: string): { log: (record: Dhcp4LogRecord) => void; close: () => void } {
  let fd: number | undefined = openSync(path, 'a');
  return {
    log(record) {
      if (fd === undefined) return;
      try {
        writeSync(fd, `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
      } catch {
        // A full or vanished state dir must not stop the serving; the counters still count.
      }
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** Starts one VM's server; throws NETWORK_PHASE_MISSING, DHCP_CONFIG_* or DHCP_BIND_FAILED. */
async function startOne(
  stateDir: string,
  vm: string,
  options: DhcpPhaseOptions,
): Promise<DhcpPhaseServer | undefined> {
  const vmDir = vmStateDir(stateDir, vm);
  const record = readNetworkRecord(vmDir);
  if (record?.status !== 'applied') {
    throw new VirtnetError(
      'NETWORK_PHASE_MISSING',
      `VM ${vm} has no applied network in ${stateDir}; run virtnet up --phase network first`,
      { vm },
    );
  }
  if (!record.plan.interfaces.some((i) => i.dhcp4)) return undefined;
  const configPath = join(vmDir, DHCP4_CONFIG_FILE);
  const config = await readDhcp4ServerConfig(configPath);
  const nsPath = netnsPath(parseNetnsRef(record.plan.netns));
  const inNamespace =
    options.inPodNetns === true || isCurrentNetns(nsPath)
      ? <T>(fn: () => T): T => fn()
      : <T>(fn: () => T): T => inNetns(nsPath, fn);
  const logFile = jsonLinesLog(join(vmDir, DHCP4_LOG_FILE));
  const { onRecord } = options;
  const log = onRecord
    ? (record: Dhcp4LogRecord): void => {
        logFile.log(record);
        onRecord(vm, record);
      }
    : logFile.log;
  const server = new Dhcp4Server(config, { log, inNamespace });
  try {
    server.start();
  } catch (err) {
    logFile.close();
    throw err;
  }
  logFile.log({ level: 'info', event: 'started', pid: process.pid, leases: config.leases.length });
  let stopped = false;
  return {
    vm,
    configPath,
    stats: () => server.stats(),
    async reload() {
      const next = await readDhcp4ServerConfig(configPath);
      server.reload(next);
      logFile.log({ level: 'info', event: 'reloaded', leases: next.leases.length });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      server.stop();
      logFile.log({ level: 'info', event: 'stopped', stats: server.stats() });
      logFile.close();
    },
  };
}

/** Starts the DHCP server of each VM that has leases; VMs without (pure L2) get none. All or nothing. */
export async function startDhcpPhase(
  stateDir: string,
  vmNames: readonly string[],
  options: DhcpPhaseOptions = {},
): Promise<DhcpPhaseServer[]> {
  const servers: DhcpPhaseServer[] = [];
  try {
    for (const vm of vmNames) {
      const server = await startOne(stateDir, vm, options);
      if (server) servers.push(server);
    }
  } catch (err) {
    for (const s of servers) s.stop();
    throw err;
  }
  return servers;
}
