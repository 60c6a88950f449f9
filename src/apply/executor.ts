// The executor: applies a VmNetworkPlan idempotently and records progress step by step under
// `<stateDir>/vms/<vm>/network.json`; tears down from that record only. One observation of the
// namespace (one `ip -j -d` spawn, plus one sysctl read when a step replaces a value) decides which
// steps still need work; all `ip` steps run as ONE `ip -batch`, sysctls as file writes inside the pod
// (src/host/sysctl.ts) (see orderForApply for the order bindings can rely on).
// Before a segment runs, its steps are recorded as `applying` with the values they replace; after, as
// `done`. A crash at any point therefore leaves a record from which `applyPlan` resumes (satisfied
// steps emit nothing) or `teardown` undoes (undo of an absent thing emits nothing). A failed apply
// rolls back what it did and leaves no record. A second teardown is a no-op.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VirtnetError, isVirtnetError } from '../errors/virtnet-error.js';
import { runIpBatch } from '../host/ip.js';
import { readNetnsState, type LinkState } from '../host/netns-state.js';
import { netnsExists, parseNetnsRef } from '../host/netns.js';
import { readSysctls, writeSysctls } from '../host/sysctl.js';
import {
  DHCP4_CONFIG_FILE,
  readNetworkRecord,
  removeNetworkFiles,
  vmStateDir,
  writeJsonAtomic,
  writeNetworkRecord,
  type NetworkRecord,
  type StepRecord,
} from './vm-record.js';
import type { Dhcp4ServerConfig } from '../dhcp/server-config.js';
import type { PlanStep, StepPhase, VmNetworkPlan } from '../bindings/plan-types.js';
import {
  applyAction,
  captureBefore,
  sysctlDevice,
  sysctlKeysToRead,
  undoAction,
  type Observed,
  type StepAction,
} from './step-drivers.js';

/** Options of applyPlan. */
export interface ApplyOptions {
  stateDir: string;
  /** Which steps to run (default `network`). */
  phase?: StepPhase;
}

/** What applyPlan did. */
export interface ApplyResult {
  vmDir: string;
  recordPath: string;
  /** The DHCP server config written for phase dhcp, when any interface serves DHCPv4. */
  dhcpConfigPath?: string;
  /** Steps that needed work / were already satisfied. */
  changedSteps: number;
  satisfiedSteps: number;
}

/** What teardown did. */
export interface TeardownResult {
  vmDir: string;
  /** False when there was no record (nothing to do). */
  hadRecord: boolean;
  undoneSteps: number;
}

function allSteps(plan: VmNetworkPlan): PlanStep[] {
  return plan.interfaces.flatMap((i) => i.steps);
}

function createdDevices(plan: VmNetworkPlan): Set<string> {
  return new Set(plan.interfaces.flatMap((i) => i.createdDevices));
}

async function observe(netns: string, sysctlKeys: string[]): Promise<Observed> {
  const ip = await readNetnsState(netns);
  const sysctl = readSysctls(netns, sysctlKeys);
  return { ip, sysctl };
}

/**
 * On a first apply the plan's own discovery is the observation (the planner saw the pod moments ago
 * and checked that no device it creates exists), saving a spawn — but only when the plan describes
 * every pre-existing device and sysctl its steps change; otherwise undefined (observe for real). If
 * the pod drifted since planning, the batch fails and the apply rolls back from a real observation.
 */
function observedFromPlan(
  plan: VmNetworkPlan,
  steps: PlanStep[],
  created: ReadonlySet<string>,
): Observed | undefined {
  const links: LinkState[] = plan.interfaces.flatMap((i) =>
    i.podInterfaceBefore ? [{ ...i.podInterfaceBefore }] : [],
  );
  const known = new Set([...links.map((l) => l.name), ...created]);
  const sysctl = new Map<string, string | undefined>();
  for (const step of steps) {
    if (step.kind === 'sysctl.set') {
      // A knob of a device the plan creates replaces nothing; any other needs its discovered value.
      if (created.has(sysctlDevice(step.key) ?? '')) continue;
      if (step.previousValue === undefined) return undefined;
      sysctl.set(step.key, step.previousValue);
    } else if (
      step.kind === 'link.set' ||
      step.kind === 'addr.remove' ||
      step.kind === 'bridge-port.set' ||
      step.kind === 'addr.add' ||
      step.kind === 'neigh.add'
    ) {
      if (!known.has(step.device)) return undefined;
    } else if (step.kind === 'route.remove' || step.kind === 'route.add') {
      if (!known.has(step.route.device)) return undefined;
    } else if (
      step.kind === 'link.create' &&
      (step.link.type === 'macvtap' || step.link.type === 'macvlan')
    ) {
      if (!known.has(step.link.parent)) return undefined;
    }
  }
  return { ip: { netns: plan.netns, links, routes: links.flatMap((l) => l.routes) }, sysctl };
}

/** Consecutive actions of one kind, run as one program invocation. */
interface Segment {
  kind: 'ip' | 'sysctl' | 'async';
  steps: PlanStep[];
  actions: StepAction[];
}

function segment(pairs: { step: PlanStep; action: StepAction }[]): Segment[] {
  const segments: Segment[] = [];
  for (const { step, action } of pairs) {
    if (action.kind === 'none') continue;
    const last = segments[segments.length - 1];
    if (last && last.kind === action.kind && action.kind !== 'async') {
      last.steps.push(step);
      last.actions.push(action);
    } else {
      segments.push({ kind: action.kind, steps: [step], actions: [action] });
    }
  }
  return segments;
}

/**
 * Apply order, in lanes that run concurrently: (1) every `ip` step in plan order as ONE batch, then
 * the sysctls of devices the plan creates, then the other async steps (sysfs, processes) one by one
 * in plan order; (2) the sysctls of keys that exist already (`all`, pre-existing devices); (3) the
 * ip/ip6 nft transactions (they name devices and do not need them). Bridge-family nft tables go in
 * lane (1) after the batch (see NftRulesetStep). Bindings rely on exactly this: devices first, then
 * knobs on them, then processes that use them.
 */
function orderForApply(
  pairs: { step: PlanStep; action: StepAction }[],
  created: ReadonlySet<string>,
): {
  ip?: Segment;
  earlySysctl?: Segment;
  lateSysctl?: Segment;
  nft: Segment[];
  bridgeNft: Segment[];
  async: Segment[];
} {
  const pick = (pred: (p: { step: PlanStep; action: StepAction }) => boolean): Segment | undefined => {
    const chosen = pairs.filter(pred);
    const kind = chosen[0]?.action.kind;
    return chosen.length === 0 || kind === undefined || kind === 'none'
      ? undefined
      : { kind, steps: chosen.map((p) => p.step), actions: chosen.map((p) => p.action) };
  };
  const late = (p: { step: PlanStep }): boolean =>
    p.step.kind === 'sysctl.set' && created.has(sysctlDevice(p.step.key) ?? '');
  return {
    ip: pick((p) => p.action.kind === 'ip'),
    earlySysctl: pick((p) => p.action.kind === 'sysctl' && !late(p)),
    lateSysctl: pick((p) => p.action.kind === 'sysctl' && late(p)),
    nft: segment(
      pairs.filter(
        (p) => p.action.kind === 'async' && p.step.kind === 'nft.ruleset' && !bridgeFamily(p.step),
      ),
    ),
    bridgeNft: segment(pairs.filter((p) => p.action.kind === 'async' && bridgeFamily(p.step))),
    async: segment(pairs.filter((p) => p.action.kind === 'async' && p.step.kind !== 'nft.ruleset')),
  };
}

function bridgeFamily(step: PlanStep): boolean {
  return step.kind === 'nft.ruleset' && step.tables.some((t) => t.family === 'bridge');
}

/** Runs one segment; returns per-step `applied` data (async actions only). */
async function runSegment(
  netns: string,
  seg: Segment,
  force: boolean,
  started?: (index: number, applied: unknown) => void,
): Promise<unknown[]> {
  if (seg.kind === 'ip') {
    await runIpBatch(
      netns,
      seg.actions.flatMap((a) => (a.kind === 'ip' ? a.lines : [])),
      { force },
    );
    return [];
  }
  if (seg.kind === 'sysctl') {
    writeSysctls(
      netns,
      seg.actions.flatMap((a) => (a.kind === 'sysctl' ? a.entries : [])),
    );
    return [];
  }
  const out: unknown[] = [];
  for (const [i, a] of seg.actions.entries())
    if (a.kind === 'async') out.push(await a.run(started && ((applied) => started(i, applied))));
  return out;
}

/**
 * An async step a previous apply completed whose effect the batch observation cannot see: a helper
 * process still alive under its recorded PID, an nft transaction (its tables are recreated whole, and
 * re-running a process step would start a second server and lose the first one's PID).
 */
function stillApplied(record: NetworkRecord, step: PlanStep): boolean {
  const rec = stepRecord(record, step.id);
  if (rec?.status !== 'done') return false;
  if (step.kind === 'nft.ruleset') return true;
  if (step.kind !== 'process.start') return false;
  const pid = (rec.applied as { pid?: number } | undefined)?.pid;
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function stepRecord(record: NetworkRecord, id: string): StepRecord | undefined {
  return record.steps.find((s) => s.id === id);
}

function writeDhcpConfig(vmDir: string, plan: VmNetworkPlan): string | undefined {
  const leases = plan.interfaces.flatMap((i) => (i.dhcp4 ? [i.dhcp4] : []));
  if (leases.length === 0) return undefined;
  const config: Dhcp4ServerConfig = { leases };
  const path = join(vmDir, DHCP4_CONFIG_FILE);
  writeJsonAtomic(path, config);
  return path;
}

/**
 * Applies the `phase` steps of `plan` (default: network) and records them. Resumes a record of the
 * same plan; refuses (PLAN_MISMATCH) a record of a different one. On failure, rolls back and throws.
 */
export async function applyPlan(plan: VmNetworkPlan, options: ApplyOptions): Promise<ApplyResult> {
  const phase = options.phase ?? 'network';
  const vmDir = vmStateDir(options.stateDir, plan.vm.name);
  const netns = plan.netns;
  if (!netnsExists(parseNetnsRef(netns)))
    throw new VirtnetError('NETNS_NOT_FOUND', `network namespace ${netns} not found`, { netns });
  let record = readNetworkRecord(vmDir);
  if (record && JSON.stringify(record.plan) !== JSON.stringify(plan)) {
    throw new VirtnetError(
      'PLAN_MISMATCH',
      `VM ${plan.vm.name} is already set up with a different plan in ${record.plan.netns}; run virtnet down first`,
      { vm: plan.vm.name, path: vmDir },
    );
  }
  const fresh = record === undefined;
  record ??= { version: 1, plan, status: 'applying', steps: [], updatedAt: '' };
  const steps = allSteps(plan).filter((s) => s.phase === phase);
  const created = createdDevices(plan);
  const observed =
    (fresh ? observedFromPlan(plan, steps, created) : undefined) ??
    (await observe(netns, sysctlKeysToRead(steps)));
  const pairs = steps.map((step) => ({
    step,
    action: stillApplied(record, step) ? ({ kind: 'none' } as const) : applyAction(step, observed, netns),
  }));
  const segments = orderForApply(pairs, created);
  // Record intent for every step before anything runs: `before` is what the step replaces.
  record.status = 'applying';
  for (const { step } of pairs) {
    if (!stepRecord(record, step.id))
      record.steps.push({ id: step.id, status: 'applying', before: captureBefore(step, observed, created) });
  }
  writeNetworkRecord(vmDir, record);
  let dhcpConfigPath: string | undefined;
  try {
    const recordApplied = (seg: Segment, applied: unknown[]): void => {
      seg.steps.forEach((s, i) => {
        if (applied[i] !== undefined) stepRecord(record, s.id)!.applied = applied[i];
      });
    };
    // One lane: the device batch, then knobs on the new devices, then the processes that use them.
    const devicesLane = async (): Promise<void> => {
      if (segments.ip) await runSegment(netns, segments.ip, false);
      for (const seg of [segments.lateSysctl, ...segments.bridgeNft, ...segments.async]) {
        if (!seg) continue;
        // A helper's pid is recorded the moment it is spawned, not once it is ready.
        const started = (i: number, applied: unknown): void => {
          stepRecord(record, seg.steps[i]!.id)!.applied = applied;
          writeNetworkRecord(vmDir, record);
        };
        recordApplied(seg, await runSegment(netns, seg, false, started));
        if (seg.kind === 'async') writeNetworkRecord(vmDir, record);
      }
    };
    // Beside it: sysctls of keys that already exist, and the ip/ip6 nft transactions (they name
    // devices and do not need them: see NftRulesetStep).
    const lanes = [
      devicesLane(),
      ...[segments.earlySysctl, ...segments.nft].map(async (seg) => {
        if (seg) recordApplied(seg, await runSegment(netns, seg, false));
      }),
    ];
    // Written while `ip` runs (the child is already started); a failed apply's rollback removes it,
    // but only once every lane is over, so the rollback never races them.
    try {
      dhcpConfigPath = phase === 'network' ? writeDhcpConfig(vmDir, plan) : undefined;
    } catch (err) {
      await Promise.allSettled(lanes);
      throw err;
    }
    const failed = (await Promise.allSettled(lanes)).find(
      (r): r is PromiseRejectedResult => r.status === 'rejected',
    );
    if (failed) throw failed.reason;
  } catch (err) {
    await rollBack(vmDir, err);
    throw err;
  }
  for (const { step } of pairs) stepRecord(record, step.id)!.status = 'done';
  record.status = 'applied';
  writeNetworkRecord(vmDir, record);
  return {
    vmDir,
    recordPath: join(vmDir, 'network.json'),
    ...(dhcpConfigPath ? { dhcpConfigPath } : {}),
    changedSteps: pairs.filter((p) => p.action.kind !== 'none').length,
    satisfiedSteps: pairs.filter((p) => p.action.kind === 'none').length,
  };
}

async function rollBack(vmDir: string, cause: unknown): Promise<void> {
  try {
    await teardownDir(vmDir);
  } catch (rollbackErr) {
    // Keep the record: `virtnet down` can finish the job later.
    if (isVirtnetError(cause))
      cause.detail.rollbackError = rollbackErr instanceof Error ? rollbackErr.message : String(rollbackErr);
    return;
  }
  if (isVirtnetError(cause)) cause.detail.rolledBack = true;
}

/**
 * Undo order: the reverse of the plan, except that routes removed by the plan come back last and in
 * their original dump order — after every address (their gateways are reachable again) and in the
 * order the kernel prefers alternatives of one destination (several default routes).
 */
function restoreOrder(
  pairs: { step: PlanStep; action: StepAction }[],
): { step: PlanStep; action: StepAction }[] {
  const routes = pairs.filter((p) => p.step.kind === 'route.remove');
  const dumpIndex = (p: { step: PlanStep }): number =>
    p.step.kind === 'route.remove' ? (p.step.route.dumpIndex ?? 0) : 0;
  routes.sort((a, b) => dumpIndex(a) - dumpIndex(b));
  const others = pairs.filter((p) => p.step.kind !== 'route.remove');
  const lastIp = others.map((p) => p.action.kind).lastIndexOf('ip');
  return [...others.slice(0, lastIp + 1), ...routes, ...others.slice(lastIp + 1)];
}

/** Undoes every recorded step of the VM dir in reverse order, then removes the record. */
async function teardownDir(vmDir: string): Promise<TeardownResult> {
  const record = readNetworkRecord(vmDir);
  if (!record) {
    removeNetworkFiles(vmDir);
    return { vmDir, hadRecord: false, undoneSteps: 0 };
  }
  const { plan } = record;
  const netns = plan.netns;
  const byId = new Map(allSteps(plan).map((s) => [s.id, s]));
  const recorded = [...record.steps].reverse().filter((r) => byId.has(r.id));
  record.status = record.status === 'applying' ? 'rolling-back' : 'tearing-down';
  writeNetworkRecord(vmDir, record);
  let undone = 0;
  if (netnsExists(parseNetnsRef(netns))) {
    const observed: Observed = { ip: await readNetnsState(netns), sysctl: new Map() };
    const pairs = restoreOrder(
      recorded.map((r) => ({
        step: byId.get(r.id)!,
        action: undoAction(byId.get(r.id)!, r.before, r.applied, observed, netns),
      })),
    );
    const errors: unknown[] = [];
    for (const seg of segment(pairs)) {
      try {
        await runSegment(netns, seg, true);
        undone += seg.steps.length;
      } catch (err) {
        errors.push(err);
      }
    }
    // Verify against a fresh observation: every undo must now be satisfied.
    const after: Observed = { ip: await readNetnsState(netns), sysctl: new Map() };
    const left = recorded.filter((r) => {
      const step = byId.get(r.id)!;
      // Neighbour entries are not part of the observation (their undo is a blind, forced delete).
      if (step.kind === 'neigh.add') return false;
      const action = undoAction(step, r.before, r.applied, after, netns);
      return action.kind === 'ip';
    });
    if (left.length > 0) {
      throw new VirtnetError(
        'TEARDOWN_INCOMPLETE',
        `teardown of ${plan.vm.name} left ${left.map((r) => r.id).join(', ')} in ${netns}`,
        {
          vm: plan.vm.name,
          netns,
          errors: errors.map((e) => (e instanceof Error ? e.message : String(e))),
        },
      );
    }
  } else {
    // The pod namespace is gone, and every device, address and nft table in it went with it. Only
    // steps outside the namespace (sysfs) still need undoing.
    const observed: Observed = { ip: { netns, links: [], routes: [] }, sysctl: new Map() };
    const outside = recorded.filter((r) =>
      ['sysfs.write', 'process.start', 'host.command'].includes(byId.get(r.id)!.kind),
    );
    for (const r of outside) {
      const action = undoAction(byId.get(r.id)!, r.before, r.applied, observed, netns);
      if (action.kind === 'async') await action.run();
      undone++;
    }
  }
  removeNetworkFiles(vmDir);
  return { vmDir, hadRecord: true, undoneSteps: undone };
}

/** Tears down VM `vmName` from its record in `stateDir`; without a record, does nothing. */
export async function teardown(stateDir: string, vmName: string): Promise<TeardownResult> {
  const vmDir = vmStateDir(stateDir, vmName);
  if (!existsSync(vmDir)) return { vmDir, hadRecord: false, undoneSteps: 0 };
  return teardownDir(vmDir);
}
