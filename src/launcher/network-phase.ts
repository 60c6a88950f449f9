// Phase "network" (needs CAP_NET_ADMIN): discover the pod, plan every VM, apply and record. The only
// entry point that creates or changes devices. A VM already recorded in the state dir is resumed from
// its recorded plan (re-discovery would see the half-changed pod). Any failure rolls back the VMs this
// call set up, so `up` is all or nothing.
import type { ClusterConfig, VmSpec } from '../api/types.js';
import { applyPlan, teardown, type ApplyResult } from '../apply/executor.js';
import type { VmNetworkPlan } from '../bindings/plan-types.js';
import { planVmNetwork, type PlanOptions } from '../bindings/planner.js';
import { VirtnetError } from '../errors/virtnet-error.js';
import { discoverPod, type DiscoverOptions } from '../host/discover.js';
import { netnsPath, parseNetnsRef } from '../host/netns.js';
import { discoverSriovForVm, sriovDiscoveryOptionsFromEnv } from '../host/sriov-discovery.js';
import type { NetworkStatusEntry } from '../cni/network-status.js';
import { podCniDns } from './pod-cni-dns.js';
import { readNetworkRecord, vmStateDir } from '../apply/vm-record.js';

/** Input of the network phase. */
export interface NetworkPhaseOptions {
  specs: VmSpec[];
  cluster: ClusterConfig;
  netns: string;
  stateDir: string;
  discover?: DiscoverOptions;
  tapOwner?: { uid: number; gid: number };
  /** The pod's network-status annotation (a pod Multus or another meta-plugin attached). */
  networkStatus?: readonly NetworkStatusEntry[];
}

/** One VM's outcome. */
export interface NetworkPhaseVm {
  plan: VmNetworkPlan;
  applied: ApplyResult;
  resumed: boolean;
}

/** True when two namespace arguments name the same nsfs file. */
export function sameNetns(a: string, b: string): boolean {
  return netnsPath(parseNetnsRef(a)) === netnsPath(parseNetnsRef(b));
}

/**
 * Plans every VM against one discovery (throws PLAN_INVALID with all issues); `planOptions.stateDir`
 * is the state dir the plans will be applied with (VM files such as passt's socket go there).
 */
export async function planVms(
  specs: VmSpec[],
  cluster: ClusterConfig,
  netns: string,
  discover: DiscoverOptions = {},
  planOptions: Pick<PlanOptions, 'tapOwner' | 'stateDir' | 'networkStatus'> = {},
): Promise<VmNetworkPlan[]> {
  const pod = await discoverPod(netns, discover);
  const plans: VmNetworkPlan[] = [];
  for (const spec of specs) {
    // SR-IOV interfaces need the host's view (network-status, PCIDEVICE_*, sysfs): see sriov-discovery.ts.
    const sriov = await discoverSriovForVm(spec, () => sriovDiscoveryOptionsFromEnv(process.env));
    const result = planVmNetwork(spec, cluster, pod, { ...planOptions, ...(sriov ? { sriov } : {}) });
    if (!result.ok) {
      const first = result.issues[0]!;
      throw new VirtnetError(
        'PLAN_INVALID',
        `VM ${spec.name}: ${first.message}${result.issues.length > 1 ? ` (and ${result.issues.length - 1} more)` : ''}`,
        { field: first.field, issues: result.issues, vm: spec.name },
      );
    }
    plans.push(result.plan);
  }
  const claimed = new Map<string, string>();
  for (const plan of plans) {
    for (const iface of plan.interfaces) {
      for (const dev of [...iface.createdDevices, ...(iface.podInterface ? [iface.podInterface] : [])]) {
        const other = claimed.get(dev);
        if (other && other !== plan.vm.name)
          throw new VirtnetError(
            'PLAN_INVALID',
            `VMs ${other} and ${plan.vm.name} both need pod device ${dev}`,
            { device: dev },
          );
        claimed.set(dev, plan.vm.name);
      }
    }
  }
  return plans;
}

/** Runs phase network for every VM; on failure undoes the VMs set up by this call and rethrows. */
export async function runNetworkPhase(options: NetworkPhaseOptions): Promise<NetworkPhaseVm[]> {
  const { specs, netns, stateDir } = options;
  const resumedPlans = new Map<string, VmNetworkPlan>();
  for (const spec of specs) {
    const record = readNetworkRecord(vmStateDir(stateDir, spec.name));
    if (!record) continue;
    if (!sameNetns(record.plan.netns, netns)) {
      throw new VirtnetError(
        'VM_ALREADY_UP',
        `VM ${spec.name} is already set up in ${record.plan.netns}; run virtnet down --netns ${record.plan.netns}`,
        { vm: spec.name },
      );
    }
    resumedPlans.set(spec.name, record.plan);
  }
  const fresh = specs.filter((s) => !resumedPlans.has(s.name));
  const cniDns = options.discover?.cniDns ?? podCniDns(stateDir, netns);
  const discover: DiscoverOptions = { ...options.discover, ...(cniDns ? { cniDns } : {}) };
  const plans =
    fresh.length > 0
      ? await planVms(fresh, options.cluster, netns, discover, {
          stateDir,
          ...(options.tapOwner ? { tapOwner: options.tapOwner } : {}),
          ...(options.networkStatus ? { networkStatus: options.networkStatus } : {}),
        })
      : [];
  const done: NetworkPhaseVm[] = [];
  try {
    for (const spec of specs) {
      const resumed = resumedPlans.get(spec.name);
      const plan = resumed ?? plans.find((p) => p.vm.name === spec.name)!;
      done.push({
        plan,
        applied: await applyPlan(plan, { stateDir, phase: 'network' }),
        resumed: resumed !== undefined,
      });
    }
  } catch (err) {
    for (const vm of done.reverse())
      if (!vm.resumed) await teardown(stateDir, vm.plan.vm.name).catch(() => undefined);
    throw err;
  }
  return done;
}
