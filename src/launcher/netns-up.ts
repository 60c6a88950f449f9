// `virtnet up --netns` and `virtnet down --netns`: the VM networks of one pod without QEMU. Up is the
// network phase (devices and record) then the DHCP phase (served from this process); either half can
// run alone. Down undoes every VM recorded for the pod. Printing and signals belong to the caller.
import { teardown } from '../apply/executor.js';
import { listNetworkRecords } from '../apply/vm-record.js';
import { startDhcpPhase } from './dhcp-phase.js';
import { sameNetns } from './network-phase.js';

/** Which half of `up` runs: both (undefined), the network phase alone, or the DHCP phase alone. */
export type UpPhase = 'network' | 'dhcp' | undefined;

/** The DHCP servers of `up`, until `stop`. */
export interface NetnsService {
  /** Re-reads each VM's leases (a re-applied plan); an invalid file keeps the old ones. */
  reload(report: (vm: string, err: unknown) => void): void;
  /** Stops serving; when `up` ran both phases, also tears the networks down. */
  stop(): Promise<void>;
}

/**
 * The DHCP phase of `up` for `vmNames`. When both phases run and serving cannot start, the networks
 * just set up are torn down (the caller's setup failed as a whole).
 */
export async function serveNetns(
  stateDir: string,
  vmNames: readonly string[],
  phase: UpPhase,
): Promise<NetnsService> {
  const ownsNetworks = phase === undefined;
  let servers;
  try {
    servers = await startDhcpPhase(stateDir, vmNames);
  } catch (err) {
    if (ownsNetworks) for (const n of vmNames) await teardown(stateDir, n).catch(() => undefined);
    throw err;
  }
  return {
    reload(report) {
      for (const s of servers) s.reload().catch((err: unknown) => report(s.vm, err));
    },
    async stop() {
      for (const s of servers) s.stop();
      if (ownsNetworks) for (const n of vmNames) await teardown(stateDir, n);
    },
  };
}

/** Tears down every VM recorded in `stateDir` for `netns`; returns their names. */
export async function downNetns(stateDir: string, netns: string): Promise<string[]> {
  const records = listNetworkRecords(stateDir).filter((r) => sameNetns(r.record.plan.netns, netns));
  const names: string[] = [];
  for (const { record } of records) {
    await teardown(stateDir, record.plan.vm.name);
    names.push(record.plan.vm.name);
  }
  return names;
}
