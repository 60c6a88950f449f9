// Phase "dhcp" (needs only CAP_NET_BIND_SERVICE): reads what phase network recorded — nothing else —
// and starts the pod's DHCPv4 server on it. How it finds its config: `<stateDir>/vms/<vm>/network.json`
// must say `applied`; the server config is `<stateDir>/vms/<vm>/dhcp4.json` next to it (written by
// phase network from the plan's leases); the running server's pid goes to `dhcp4-process.json` so
// `virtnet down` can stop it after a crash of `up`.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startDhcp4Process } from '../dhcp/process.js';
import { VirtnetError } from '../errors/virtnet-error.js';
import { parseNetnsRef } from '../host/netns.js';
import { DHCP4_CONFIG_FILE, DHCP4_LOG_FILE, DHCP4_PROCESS_FILE, readJson, readNetworkRecord, vmStateDir, writeJsonAtomic } from './vm-record.js';

/** A running DHCP server of one VM. */
export interface DhcpPhaseServer {
  vm: string;
  pid: number;
  configPath: string;
  stop(): Promise<void>;
}

interface ProcessFile {
  pid: number;
  configPath: string;
}

/** Starts the DHCP server of each VM that has leases; VMs without (pure L2) get none. */
export async function startDhcpPhase(stateDir: string, vmNames: string[]): Promise<DhcpPhaseServer[]> {
  const servers: DhcpPhaseServer[] = [];
  try {
    for (const vm of vmNames) {
      const vmDir = vmStateDir(stateDir, vm);
      const record = readNetworkRecord(vmDir);
      if (record?.status !== 'applied') {
        throw new VirtnetError('NETWORK_PHASE_MISSING', `VM ${vm} has no applied network in ${stateDir}; run virtnet up --phase network first`, { vm });
      }
      if (!record.plan.interfaces.some((i) => i.dhcp4)) continue;
      await stopRecordedDhcp(vmDir);
      const ref = parseNetnsRef(record.plan.netns);
      if (!('name' in ref)) throw new VirtnetError('NETNS_UNNAMED', `the DHCP server needs a named network namespace, not ${record.plan.netns}`, { netns: record.plan.netns });
      const configPath = join(vmDir, DHCP4_CONFIG_FILE);
      const proc = await startDhcp4Process({ netns: ref.name, configPath, logPath: join(vmDir, DHCP4_LOG_FILE) });
      writeJsonAtomic(join(vmDir, DHCP4_PROCESS_FILE), { pid: proc.pid, configPath } satisfies ProcessFile);
      servers.push({
        vm,
        pid: proc.pid,
        configPath,
        stop: async () => {
          await proc.stop();
          rmSync(join(vmDir, DHCP4_PROCESS_FILE), { force: true });
        },
      });
    }
  } catch (err) {
    for (const s of servers) await s.stop();
    throw err;
  }
  return servers;
}

/** True when `pid` is alive and its command line names `configPath` (not a recycled pid). */
function isOurServer(pid: number, configPath: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(configPath);
  } catch {
    return false;
  }
}

/** Stops a DHCP server recorded in `vmDir` by a previous (possibly crashed) run. */
export async function stopRecordedDhcp(vmDir: string): Promise<boolean> {
  const file = join(vmDir, DHCP4_PROCESS_FILE);
  const rec = readJson<ProcessFile>(file);
  if (!rec) return false;
  let stopped = false;
  if (isOurServer(rec.pid, rec.configPath)) {
    process.kill(rec.pid, 'SIGTERM');
    for (let i = 0; i < 100 && isOurServer(rec.pid, rec.configPath); i++) await new Promise((r) => setTimeout(r, 50));
    if (isOurServer(rec.pid, rec.configPath)) process.kill(rec.pid, 'SIGKILL');
    stopped = true;
  }
  rmSync(file, { force: true });
  return stopped;
}
