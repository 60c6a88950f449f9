// The pure planner: (validated VmSpec, cluster config, discovered pod) → the VM's network plan. It
// maps each spec network to its pod interface (src/cni/vm-networks.ts, the same mapping that created
// the pod), hands each interface to its binding module, and collects problems as issues (code + spec
// field) instead of stopping at the first. No I/O.
import type { ClusterConfig, VmSpec } from '../api/types.js';
import type { SpecIssue } from '../api/spec-issue.js';
import { podNetworksForVm } from '../cni/vm-networks.js';
import type { NetworkStatusEntry } from '../cni/network-status.js';
import { DEFAULT_STATE_DIR, vmDirOf } from '../state/state-dir.js';
import { isVirtnetError } from '../errors/virtnet-error.js';
import type { SriovDiscovery } from '../host/sriov-discovery.js';
import { BINDING_MODULES } from './binding-modules.js';
import type {
  BindingContext,
  BindingModule,
  DiscoveredPod,
  InterfacePlan,
  PlanNote,
  VmNetworkPlan,
} from './plan-types.js';

/** Options of a planning run. */
export interface PlanOptions {
  /** Owner of created TAPs when the hypervisor does not run as root. */
  tapOwner?: { uid: number; gid: number };
  /** Override the binding modules (tests, or bindings contributed at run time). */
  bindings?: Partial<Record<string, BindingModule>>;
  /** The pod's SR-IOV view (src/host/sriov-discovery.ts), for sriov interfaces. */
  sriov?: SriovDiscovery;
  /** The state dir the plan will be applied with (default /var/lib/virtnet): bindings put VM files there. */
  stateDir?: string;
  /** The pod's network-status: secondary networks resolve to the interface names the pod really has. */
  networkStatus?: readonly NetworkStatusEntry[];
}

/** A plan, or the issues that prevented one (each with its spec field). */
export type PlanResult = { ok: true; plan: VmNetworkPlan } | { ok: false; issues: SpecIssue[] };

/** Plans every VM interface that is not `state: absent`. */
export function planVmNetwork(
  vm: VmSpec,
  cluster: ClusterConfig,
  pod: DiscoveredPod,
  options: PlanOptions = {},
): PlanResult {
  const issues: SpecIssue[] = [];
  const interfaces: InterfacePlan[] = [];
  const notes: PlanNote[] = [];
  let podInterfaces: Record<string, string> = {};
  let pluginTaps: Record<string, string> = {};
  try {
    ({ interfaces: podInterfaces, pluginTaps } = podNetworksForVm(vm, {
      bindingPlugins: cluster.bindingPlugins,
      ...(options.networkStatus ? { networkStatus: options.networkStatus } : {}),
    }));
  } catch (err) {
    if (!isVirtnetError(err)) throw err;
    return {
      ok: false,
      issues: [{ code: err.code, message: err.message, field: err.detail.field ?? 'spec.networks' }],
    };
  }
  const modules = { ...BINDING_MODULES, ...options.bindings };
  const vmDir = vmDirOf(options.stateDir ?? DEFAULT_STATE_DIR, vm.name);
  vm.interfaces.forEach((iface, index) => {
    const fieldPath = `spec.domain.devices.interfaces[${index}]`;
    if (iface.state === 'absent') {
      notes.push({
        level: 'info',
        code: 'INTERFACE_ABSENT',
        message: `interface ${iface.name} has state absent: not planned`,
      });
      return;
    }
    const network = vm.networks.find((n) => n.name === iface.name);
    if (!network) {
      issues.push({
        code: 'NETWORK_NOT_FOUND',
        message: `interface ${iface.name} has no network of the same name`,
        field: `${fieldPath}.name`,
      });
      return;
    }
    const module = modules[iface.binding];
    // A plugin runs only when registered as a tap plugin (its NAD then made the tap).
    if (iface.binding === 'plugin' && pluginTaps[iface.name] === undefined) {
      const plugin = JSON.stringify((iface.bindingPlugin ?? '').slice(0, 64));
      issues.push({
        code: 'BINDING_NOT_IMPLEMENTED',
        message: `network binding plugin ${plugin} cannot run here: virtnet runs plugins registered in the cluster configuration with domainAttachmentType: tap and a networkAttachmentDefinition (and passt, slirp, macvtap with its own bindings)`,
        field: `${fieldPath}.binding.name`,
      });
      return;
    }
    if (!module) {
      issues.push({
        code: 'BINDING_NOT_IMPLEMENTED',
        message: `binding ${iface.binding} is not implemented yet`,
        field: `${fieldPath}.${iface.binding}`,
      });
      return;
    }
    const podIfName =
      iface.binding === 'plugin'
        ? pluginTaps[iface.name]
        : (iface.sourceDevice ?? podInterfaces[network.name]);
    const podInterface = pod.interfaces.find((i) => i.name === podIfName);
    const ctx: BindingContext = {
      vm,
      cluster,
      pod,
      interfaceIndex: index,
      fieldPath,
      vmDir,
      ...(options.tapOwner ? { tapOwner: options.tapOwner } : {}),
      ...(options.sriov ? { sriov: options.sriov } : {}),
    };
    try {
      interfaces.push(module.plan(iface, network, podInterface, ctx));
    } catch (err) {
      if (!isVirtnetError(err)) throw err;
      issues.push({ code: err.code, message: err.message, field: err.detail.field ?? fieldPath });
    }
  });
  // Pod-wide steps (e.g. arp_ignore on `all`) come from several interfaces with one id: keep the first.
  // The same id with different content is a conflict.
  const ids = new Map<string, string>();
  const devices = new Map<string, string>();
  for (const plan of interfaces) {
    plan.steps = plan.steps.filter((step) => {
      const json = JSON.stringify(step);
      const seen = ids.get(step.id);
      if (seen === undefined) {
        ids.set(step.id, json);
        return true;
      }
      if (seen !== json)
        issues.push({
          code: 'PLAN_STEP_CONFLICT',
          message: `two interfaces plan step ${step.id} differently`,
          field: 'spec.domain.devices.interfaces',
        });
      return false;
    });
    for (const device of plan.createdDevices) {
      const other = devices.get(device);
      if (other)
        issues.push({
          code: 'DEVICE_NAME_CONFLICT',
          message: `interfaces ${other} and ${plan.name} both create ${device}`,
          field: 'spec.domain.devices.interfaces',
        });
      devices.set(device, plan.name);
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    plan: { version: 1, vm: { name: vm.name, namespace: vm.namespace }, netns: pod.netns, interfaces, notes },
  };
}
