// How each plan step kind is applied and undone, in terms of src/host: `ip` batch lines (ensure*
// verbs over one observed state), sysctl writes, or an async action (nft transaction, sysfs write,
// helper process). Applying a satisfied step yields nothing; undoing an absent thing yields nothing —
// so replaying after a crash, or tearing down twice, is safe.
import { existsSync } from 'node:fs';
import { VirtnetError } from '../errors/virtnet-error.js';
import { runProgram, startProgram } from '../exec/run-program.js';
import {
  addAddressLines,
  addRouteLines,
  bridgePortLines,
  deleteLinkLines,
  deleteNeighbourLines,
  ensureLinkLines,
  neighbourLines,
  removeAddressLines,
  removeRouteLines,
  renameLinkLines,
  setLinkLines,
  type BridgePortFlags,
} from '../host/ensure.js';
import { findLink, type NetnsState } from '../host/netns-state.js';
import { applyNftCommands, deleteNftTables } from '../host/nft.js';
import { parseNetnsRef } from '../host/netns.js';
import { readSysfsAttribute, writeSysfsAttribute } from '../host/sysfs.js';
import type { PlanStep } from '../bindings/plan-types.js';

/** The state a batch of steps is computed against. */
export interface Observed {
  ip: NetnsState;
  sysctl: Map<string, string | undefined>;
}

/**
 * What running a step (or its undo) takes. What an async step resolves with is stored as the step's
 * `applied` data; `started` hands it over earlier, the moment it exists (a helper's pid, before its
 * readiness wait), so a crash during the wait leaves a process the record names.
 */
export type StepAction =
  | { kind: 'none' }
  | { kind: 'ip'; lines: string[] }
  | { kind: 'sysctl'; entries: { key: string; value: string }[] }
  | { kind: 'async'; run: (started?: (applied: unknown) => void) => Promise<unknown> };

/** Previous link attributes recorded by link.set. */
interface LinkBefore {
  mac: string;
  mtuBytes: number;
  master: string | null;
  up: boolean;
}

const none: StepAction = { kind: 'none' };
const ip = (lines: string[]): StepAction => (lines.length === 0 ? none : { kind: 'ip', lines });

/** The device of a per-device sysctl key (`net/ipv4/conf/<dev>/...`), if it is one. */
export function sysctlDevice(key: string): string | undefined {
  return /^net\/ipv[46]\/(?:conf|neigh)\/([^/]+)\//.exec(key)?.[1];
}

/** Values a step replaces, captured before it first runs. */
export function captureBefore(
  step: PlanStep,
  observed: Observed,
  createdDevices: ReadonlySet<string>,
): unknown {
  switch (step.kind) {
    case 'link.set': {
      const link = findLink(observed.ip, step.device);
      if (!link) return undefined;
      const before: LinkBefore = {
        mac: link.mac,
        mtuBytes: link.mtuBytes,
        master: link.master ?? null,
        up: link.up,
      };
      return before;
    }
    case 'sysctl.set': {
      const device = sysctlDevice(step.key);
      return device !== undefined && createdDevices.has(device) ? undefined : observed.sysctl.get(step.key);
    }
    case 'bridge-port.set':
      return findLink(observed.ip, step.device)?.bridgePort;
    case 'sysfs.write':
      return step.restoreValue === undefined ? readSysfsAttribute(step.path) : undefined;
    default:
      return undefined;
  }
}

/** Sysctl keys whose previous value must be read before applying `steps`. */
export function sysctlKeysToRead(steps: readonly PlanStep[]): string[] {
  return steps.filter((s) => s.kind === 'sysctl.set').map((s) => s.key);
}

function processNetns(netns: string): string[] {
  const ref = parseNetnsRef(netns);
  return ['ip', 'netns', 'exec', 'name' in ref ? ref.name : ref.path];
}

/** Waits until `readyPath` exists (a helper's socket); kills the process and throws if it never does. */
async function waitReady(
  readyPath: string | undefined,
  pid: number,
  name: string,
  timeoutMs = 10_000,
): Promise<void> {
  if (readyPath === undefined) return;
  const deadline = Date.now() + timeoutMs;
  // Helpers are usually ready within milliseconds: look often at first, then back off.
  let intervalMs = 1;
  while (!existsSync(readyPath)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      throw new VirtnetError(
        'PROCESS_NOT_READY',
        `${name} did not create ${readyPath} within ${timeoutMs} ms`,
        { program: name, path: readyPath },
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
    intervalMs = Math.min(intervalMs * 2, 20);
  }
}

/** The action that makes `step` true in `observed`. */
export function applyAction(step: PlanStep, observed: Observed, netns: string): StepAction {
  const state = observed.ip;
  switch (step.kind) {
    case 'link.create':
      return ip(
        ensureLinkLines(state, step.link, {
          device: step.device,
          ...(step.mac !== undefined ? { mac: step.mac } : {}),
          ...(step.mtuBytes !== undefined ? { mtuBytes: step.mtuBytes } : {}),
          ...(step.master !== undefined ? { master: step.master } : {}),
          up: step.up,
        }),
      );
    case 'link.set': {
      const lines = setLinkLines(state, {
        device: step.device,
        ...(step.mac !== undefined ? { mac: step.mac } : {}),
        ...(step.mtuBytes !== undefined ? { mtuBytes: step.mtuBytes } : {}),
        ...(step.master !== undefined ? { master: step.master } : {}),
        ...(step.up !== undefined ? { up: step.up } : {}),
      });
      return ip(step.newName ? [...lines, ...renameLinkLines(state, step.device, step.newName)] : lines);
    }
    case 'addr.add': {
      const [address = '', prefix = '32'] = step.address.split('/');
      return ip(
        addAddressLines(state, step.device, {
          address,
          prefixLength: Number(prefix),
          scope: step.scope ?? 'global',
          flags: [...(step.noPrefixRoute ? ['noprefixroute'] : []), ...(step.noDad ? ['nodad'] : [])],
        }),
      );
    }
    case 'addr.remove':
      return ip(
        removeAddressLines(state, step.device, `${step.address.address}/${step.address.prefixLength}`),
      );
    case 'route.add':
      return ip(addRouteLines(state, step.route));
    case 'route.remove':
      return ip(removeRouteLines(state, step.route));
    case 'neigh.add':
      return ip(neighbourLines(step.device, step.address, step.mac));
    case 'sysctl.set':
      return observed.sysctl.get(step.key) === step.value
        ? none
        : { kind: 'sysctl', entries: [{ key: step.key, value: step.value }] };
    case 'bridge-port.set': {
      const flags: BridgePortFlags = {};
      for (const k of ['learning', 'flood', 'isolated', 'hairpin'] as const)
        if (step[k] !== undefined) flags[k] = step[k];
      return ip(bridgePortLines(state, step.device, flags));
    }
    case 'nft.ruleset':
      return { kind: 'async', run: () => applyNftCommands(step.commands, { netns: parseNetnsRef(netns) }) };
    case 'sysfs.write':
      return { kind: 'async', run: () => Promise.resolve(writeSysfsAttribute(step.path, step.value)) };
    case 'host.command':
      return { kind: 'async', run: () => runProgram(step.argv, { timeoutMs: 30_000 }) };
    case 'process.start':
      return {
        kind: 'async',
        run: (started) => {
          const child = startProgram(step.inNetns ? [...processNetns(netns), ...step.argv] : step.argv, {
            detached: true,
            stdio: 'ignore',
          });
          child.unref();
          const pid = child.pid;
          if (pid === undefined)
            throw new VirtnetError('PROCESS_START_FAILED', `${step.name} did not start`, {
              program: step.argv[0],
            });
          started?.({ pid });
          return waitReady(step.readyPath, pid, step.name).then(() => ({ pid }));
        },
      };
  }
}

/** The action that undoes `step` given what was recorded, computed against `observed`. */
export function undoAction(
  step: PlanStep,
  before: unknown,
  applied: unknown,
  observed: Observed,
  netns: string,
): StepAction {
  const state = observed.ip;
  switch (step.kind) {
    case 'link.create':
      return ip(deleteLinkLines(state, step.device));
    case 'link.set': {
      const prev = before as LinkBefore | undefined;
      const device = step.newName && findLink(state, step.newName) ? step.newName : step.device;
      const lines =
        step.newName && device === step.newName ? renameLinkLines(state, step.newName, step.device) : [];
      if (!prev) return ip(lines);
      // Order matters for an exact restore: leave the bridge first, then MAC/MTU, then admin state.
      return ip([
        ...lines,
        ...setLinkLines(state, {
          device: step.device,
          master: prev.master,
          mac: prev.mac,
          mtuBytes: prev.mtuBytes,
          up: prev.up,
        }),
      ]);
    }
    case 'addr.add': {
      return ip(
        removeAddressLines(
          state,
          step.device,
          step.address.includes('/') ? step.address : `${step.address}/32`,
        ),
      );
    }
    case 'addr.remove':
      return ip(addAddressLines(state, step.device, step.address));
    case 'route.add':
      return ip(removeRouteLines(state, step.route));
    case 'route.remove':
      return ip(addRouteLines(state, step.route));
    case 'neigh.add':
      return ip(deleteNeighbourLines(state, step.device, step.address));
    case 'sysctl.set':
      return typeof before === 'string'
        ? { kind: 'sysctl', entries: [{ key: step.key, value: before }] }
        : none;
    case 'bridge-port.set': {
      const prev = before as BridgePortFlags | undefined;
      return prev && findLink(state, step.device)?.master
        ? ip(bridgePortLines(state, step.device, prev))
        : none;
    }
    case 'nft.ruleset':
      return { kind: 'async', run: () => deleteNftTables(step.tables, { netns: parseNetnsRef(netns) }) };
    case 'sysfs.write': {
      const value = step.restoreValue ?? (typeof before === 'string' ? before : undefined);
      return value === undefined
        ? none
        : {
            kind: 'async',
            run: () => Promise.resolve(writeSysfsAttribute(step.restorePath ?? step.path, value)),
          };
    }
    case 'host.command': {
      const undoArgv = step.undoArgv;
      return undoArgv === undefined
        ? none
        : { kind: 'async', run: () => runProgram(undoArgv, { timeoutMs: 30_000 }) };
    }
    case 'process.start': {
      const pid = (applied as { pid?: number } | undefined)?.pid;
      return pid === undefined
        ? none
        : {
            kind: 'async',
            run: () => {
              try {
                process.kill(pid, 'SIGTERM');
              } catch {
                /* already gone */
              }
              return Promise.resolve();
            },
          };
    }
  }
}
