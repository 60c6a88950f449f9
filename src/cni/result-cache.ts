// The on-disk CNI result cache (libcni's /var/lib/cni/results, here under the state dir): one file
// per (network, container, ifname) holding the configuration used and the final ADD result, so DEL and
// CHECK work after virtnet restarts and even when the configuration file has changed since.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { faultPoint } from '../state/fault-point.js';
import type { NetworkConfList } from './net-conf.js';
import { encodeResult, parseResult, type CniResult } from './result.js';

/** One cached attachment. */
export interface CachedAttachment {
  kind: 'cniCacheV1';
  containerId: string;
  ifName: string;
  networkName: string;
  config: NetworkConfList;
  cniArgs: [string, string][];
  capabilityArgs: Record<string, unknown>;
  /** The final result, encoded in the list's version. */
  result?: Record<string, unknown>;
}

/** The key of an attachment. */
export interface AttachmentKey {
  networkName: string;
  containerId: string;
  ifName: string;
}

/** File of an attachment in `cacheDir` (libcni names it `<network>-<container>-<ifname>`). */
export function cacheFile(cacheDir: string, key: AttachmentKey): string {
  return join(cacheDir, `${key.networkName}-${key.containerId}-${key.ifName}`);
}

/** Writes the entry atomically (write then rename), so a crash never leaves half a file. */
export function writeCache(cacheDir: string, entry: CachedAttachment): void {
  mkdirSync(cacheDir, { recursive: true });
  const file = cacheFile(cacheDir, entry);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(entry));
  renameSync(tmp, file);
  faultPoint('cni.cache');
}

/** The cached entry, or undefined when there is none (or it is unreadable). */
export function readCache(cacheDir: string, key: AttachmentKey): CachedAttachment | undefined {
  try {
    const entry = JSON.parse(readFileSync(cacheFile(cacheDir, key), 'utf8')) as CachedAttachment;
    return entry.kind === 'cniCacheV1' ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** The cached result in canonical form, if any. */
export function cachedResult(entry: CachedAttachment | undefined): CniResult | undefined {
  if (!entry?.result) return undefined;
  const parsed = parseResult(entry.result);
  return parsed.ok ? parsed.result : undefined;
}

/** Builds an entry for a successful ADD. */
export function cacheEntry(
  key: AttachmentKey,
  config: NetworkConfList,
  cniArgs: [string, string][],
  capabilityArgs: Record<string, unknown>,
  result: CniResult,
): CachedAttachment {
  return {
    kind: 'cniCacheV1',
    ...key,
    config,
    cniArgs,
    capabilityArgs,
    result: encodeResult(result, config.cniVersion),
  };
}

/** Removes an entry; a missing one is fine. */
export function removeCache(cacheDir: string, key: AttachmentKey): void {
  rmSync(cacheFile(cacheDir, key), { force: true });
  faultPoint('cni.cache-removed');
}

/** Every entry in the cache (for GC). */
export function listCache(cacheDir: string): CachedAttachment[] {
  let names: string[];
  try {
    names = readdirSync(cacheDir);
  } catch {
    return [];
  }
  const out: CachedAttachment[] = [];
  for (const name of names) {
    if (name.includes('.tmp-')) continue;
    try {
      const entry = JSON.parse(readFileSync(join(cacheDir, name), 'utf8')) as CachedAttachment;
      if (entry.kind === 'cniCacheV1') out.push(entry);
    } catch {
      /* not ours */
    }
  }
  return out;
}
