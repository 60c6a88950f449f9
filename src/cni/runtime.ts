// The CNI runtime (what libcni is to a container runtime): runs a network configuration list for
// one attachment — ADD chaining prevResult through the plugins, CHECK, DEL in reverse with the cached
// result, STATUS and GC for 1.1.0 — injecting name, cniVersion and runtimeConfig for declared
// capabilities. A failed ADD is rolled back (DEL, cache entry removed) so nothing is left behind.
import { VirtnetError } from '../errors/virtnet-error.js';
import { faultPoint } from '../state/fault-point.js';
import { versionAtLeast } from './cni-version.js';
import type { NetworkConfList, PluginConf } from './net-conf.js';
import {
  DEFAULT_PLUGIN_TIMEOUT_MS,
  execPluginRaw,
  execPluginWithResult,
  resolveCniPath,
  type CniCommand,
  type PluginExecContext,
  type PluginExecRecord,
} from './plugin-exec.js';
import {
  cachedResult,
  cacheEntry,
  listCache,
  readCache,
  removeCache,
  writeCache,
  type AttachmentKey,
} from './result-cache.js';
import { convertResult, encodeResult, type CniResult } from './result.js';

/** The runtime side of one attachment (libcni's RuntimeConf). */
export interface RuntimeConf {
  containerId: string;
  /** Path of the network namespace. */
  netns: string;
  ifname: string;
  /** CNI_ARGS pairs. */
  args?: [string, string][];
  /** Values for capabilities (`mac`, `ips`, `portMappings`, `bandwidth`, …); passed only to plugins declaring them. */
  capabilityArgs?: Record<string, unknown>;
}

/** How the runtime runs plugins. */
export interface CniRuntimeOptions {
  /** Result cache directory (stateLayout(stateDir).cniResults). */
  cacheDir: string;
  cniPath?: string[];
  pluginTimeoutMs?: number;
  /** Cancels ADD (the running plugin is killed, then the list is rolled back). */
  signal?: AbortSignal;
  observer?: (record: PluginExecRecord) => void;
}

/**
 * How long each plugin's DEL may take when it undoes work a cancelled caller started: whoever
 * cancelled (a SIGTERM) wants to be done soon, and what a DEL leaves is recorded for a retry.
 */
export const CANCELLED_DEL_TIMEOUT_MS = 10_000;

/**
 * Options for DELs that undo an ADD: never cancelled themselves (an undo must run), but bounded
 * by CANCELLED_DEL_TIMEOUT_MS when the ADD was cancelled.
 */
export function undoOptions<T extends { signal?: AbortSignal; pluginTimeoutMs?: number }>(opts: T): T {
  const { signal, ...rest } = opts;
  if (!signal?.aborted) return rest as T;
  return {
    ...rest,
    pluginTimeoutMs: Math.min(opts.pluginTimeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS, CANCELLED_DEL_TIMEOUT_MS),
  } as T;
}

/** The stdin configuration of one plugin of `list` (libcni buildOneConfig + injectRuntimeConfig). */
export function pluginConfig(
  list: NetworkConfList,
  plugin: PluginConf,
  capabilityArgs: Record<string, unknown>,
  prevResult?: CniResult,
): Record<string, unknown> {
  const conf: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  delete conf.runtimeConfig;
  const runtimeConfig: Record<string, unknown> = {};
  for (const [cap, enabled] of Object.entries(plugin.capabilities ?? {})) {
    if (enabled === true && capabilityArgs[cap] !== undefined) runtimeConfig[cap] = capabilityArgs[cap];
  }
  if (Object.keys(runtimeConfig).length > 0) conf.runtimeConfig = runtimeConfig;
  if (prevResult) conf.prevResult = encodeResult(prevResult, list.cniVersion);
  return conf;
}

function context(
  command: CniCommand,
  rt: RuntimeConf | undefined,
  opts: CniRuntimeOptions,
): PluginExecContext {
  const ctx: PluginExecContext = {
    command,
    cniPath: resolveCniPath(opts.cniPath),
    timeoutMs: opts.pluginTimeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS,
  };
  if (opts.observer) ctx.observer = opts.observer;
  if (opts.signal) ctx.signal = opts.signal;
  if (rt) {
    ctx.containerId = rt.containerId;
    ctx.netns = rt.netns;
    ctx.ifname = rt.ifname;
    if (rt.args) ctx.args = rt.args;
  }
  return ctx;
}

function keyOf(list: NetworkConfList, rt: RuntimeConf): AttachmentKey {
  return { networkName: list.name, containerId: rt.containerId, ifName: rt.ifname };
}

/**
 * ADD: runs every plugin in order, each getting the previous one's result, caches the final result and
 * returns it in the list's version. On failure everything is undone (DEL of the list, cache removed)
 * and the plugin's typed error is thrown.
 */
export async function addNetworkList(
  list: NetworkConfList,
  rt: RuntimeConf,
  opts: CniRuntimeOptions,
): Promise<CniResult> {
  const ctx = context('ADD', rt, opts);
  const caps = rt.capabilityArgs ?? {};
  let prev: CniResult | undefined;
  try {
    for (const plugin of list.plugins) {
      const result = await execPluginWithResult(plugin.type, pluginConfig(list, plugin, caps, prev), ctx);
      prev = result;
      faultPoint('cni.add-plugin');
    }
  } catch (err) {
    await delNetworkList(list, rt, undoOptions(opts)).catch(() => undefined);
    throw err;
  }
  const final = convertResult(prev!, list.cniVersion);
  writeCache(opts.cacheDir, cacheEntry(keyOf(list, rt), list, rt.args ?? [], caps, final));
  return final;
}

/**
 * DEL: runs every plugin in reverse order with the cached result as prevResult (0.4.0 and later).
 * Every plugin is tried even when one fails; the first error is thrown and the cache entry kept then,
 * so a retry can finish the job. `list` may be omitted to use the cached configuration.
 */
export async function delNetworkList(
  list: NetworkConfList | undefined,
  rt: RuntimeConf,
  opts: CniRuntimeOptions,
): Promise<void> {
  const cached = list ? readCache(opts.cacheDir, keyOf(list, rt)) : undefined;
  const conf = list ?? cached?.config;
  if (!conf)
    throw new VirtnetError(
      'CNI_NO_CACHED_CONFIG',
      `no configuration and no cached attachment for ${rt.containerId}/${rt.ifname}`,
      { device: rt.ifname },
    );
  const ctx = context('DEL', { ...rt, args: rt.args ?? cached?.cniArgs }, opts);
  const caps = rt.capabilityArgs ?? cached?.capabilityArgs ?? {};
  const prev = versionAtLeast(conf.cniVersion, '0.4.0') ? cachedResult(cached) : undefined;
  let firstError: Error | undefined;
  for (const plugin of [...conf.plugins].reverse()) {
    try {
      await execPluginRaw(plugin.type, pluginConfig(conf, plugin, caps, prev), ctx);
      faultPoint('cni.del-plugin');
    } catch (err) {
      firstError ??= err instanceof Error ? err : new Error(String(err));
    }
  }
  if (firstError !== undefined) throw firstError;
  removeCache(opts.cacheDir, keyOf(conf, rt));
}

/** Finds a cached attachment without knowing its network name (DEL after a restart, by container and ifname). */
export function findCachedAttachment(
  opts: CniRuntimeOptions,
  containerId: string,
  ifname: string,
  networkName?: string,
) {
  if (networkName) return readCache(opts.cacheDir, { networkName, containerId, ifName: ifname });
  return listCache(opts.cacheDir).find((e) => e.containerId === containerId && e.ifName === ifname);
}

/** CHECK: verifies the attachment against the cached result (0.4.0 and later). */
export async function checkNetworkList(
  list: NetworkConfList,
  rt: RuntimeConf,
  opts: CniRuntimeOptions,
): Promise<void> {
  if (!versionAtLeast(list.cniVersion, '0.4.0')) {
    throw new VirtnetError(
      'CNI_CHECK_UNSUPPORTED',
      `network ${list.name} uses cniVersion ${list.cniVersion}; CHECK needs 0.4.0 or later`,
      { field: 'cniVersion' },
    );
  }
  if (list.disableCheck) return;
  const cached = readCache(opts.cacheDir, keyOf(list, rt));
  const prev = cachedResult(cached);
  if (!prev)
    throw new VirtnetError(
      'CNI_NO_CACHED_RESULT',
      `no cached result for network ${list.name}, container ${rt.containerId}, interface ${rt.ifname}: was ADD run?`,
      { device: rt.ifname },
    );
  const ctx = context('CHECK', { ...rt, args: rt.args ?? cached?.cniArgs }, opts);
  const caps = rt.capabilityArgs ?? cached?.capabilityArgs ?? {};
  for (const plugin of list.plugins) {
    await execPluginRaw(plugin.type, pluginConfig(list, plugin, caps, prev), ctx);
  }
}

/** The cached result of an attachment converted to the list's version, if any. */
export function getCachedResult(
  list: NetworkConfList,
  rt: Pick<RuntimeConf, 'containerId' | 'ifname'>,
  opts: CniRuntimeOptions,
): CniResult | undefined {
  return cachedResult(
    readCache(opts.cacheDir, { networkName: list.name, containerId: rt.containerId, ifName: rt.ifname }),
  );
}

/** VERSION: what a plugin says it supports. */
export async function pluginVersionInfo(
  type: string,
  cniVersion: string,
  opts: Omit<CniRuntimeOptions, 'cacheDir'>,
): Promise<{ cniVersion: string; supportedVersions: string[] }> {
  const out = await execPluginRaw(
    type,
    { cniVersion },
    context('VERSION', undefined, { ...opts, cacheDir: '' }),
  );
  const o = out as { cniVersion?: unknown; supportedVersions?: unknown } | undefined;
  if (
    !o ||
    typeof o.cniVersion !== 'string' ||
    !Array.isArray(o.supportedVersions) ||
    o.supportedVersions.some((v) => typeof v !== 'string')
  ) {
    throw new VirtnetError(
      'CNI_BAD_OUTPUT',
      `CNI plugin ${type} (VERSION) printed no valid version information`,
      { program: type, command: 'VERSION' },
    );
  }
  return { cniVersion: o.cniVersion, supportedVersions: o.supportedVersions as string[] };
}

/** STATUS (1.1.0): asks every plugin whether it is ready; older lists are always ready. */
export async function statusNetworkList(list: NetworkConfList, opts: CniRuntimeOptions): Promise<void> {
  if (!versionAtLeast(list.cniVersion, '1.1.0')) return;
  const ctx = context('STATUS', undefined, opts);
  for (const plugin of list.plugins) await execPluginRaw(plugin.type, pluginConfig(list, plugin, {}), ctx);
}

/**
 * GC (1.1.0): forgets cached attachments of `list` not in `valid` and tells every plugin which
 * attachments are still valid, so they release the rest (`cni.dev/valid-attachments`).
 */
export async function gcNetworkList(
  list: NetworkConfList,
  valid: { containerId: string; ifname: string }[],
  opts: CniRuntimeOptions,
): Promise<void> {
  const keep = new Set(valid.map((v) => `${v.containerId}/${v.ifname}`));
  for (const entry of listCache(opts.cacheDir)) {
    if (entry.networkName === list.name && !keep.has(`${entry.containerId}/${entry.ifName}`))
      removeCache(opts.cacheDir, entry);
  }
  if (!versionAtLeast(list.cniVersion, '1.1.0') || list.disableGC) return;
  const ctx = context('GC', undefined, opts);
  const attachments = valid.map((v) => ({ containerID: v.containerId, ifname: v.ifname }));
  for (const plugin of list.plugins) {
    await execPluginRaw(
      plugin.type,
      { ...pluginConfig(list, plugin, {}), 'cni.dev/valid-attachments': attachments },
      ctx,
    );
  }
}
