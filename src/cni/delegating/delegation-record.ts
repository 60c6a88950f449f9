// What the delegating plugin delegated for one container, on disk (`<cacheDir>/<containerId>.json`):
// every attachment with the exact configuration, interface name, CNI_ARGS and capability values it
// was added with, written before its ADD runs. DEL reads only this — not the API server, not the
// network namespace — so it works on every one of the DELs a pod gets, and undoes a half-done ADD
// after a crash. Writes are atomic (write, then rename).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PodAttachment } from '../pod-store.js';

/** The record of one container. */
export interface DelegationRecord {
  kind: 'virtnetDelegationV1';
  containerId: string;
  pod?: { namespace: string; name: string; uid?: string };
  /** Plugin directories the delegates were found in at ADD. */
  cniPath: string[];
  /** In ADD order; `adding` until an attachment's ADD succeeded (the shape embedded pods record). */
  attachments: PodAttachment[];
}

/** Where the runtime keeps the delegates' results (libcni's cache, one file per attachment). */
export function delegateResultsDir(cacheDir: string): string {
  return join(cacheDir, 'results');
}

function recordFile(cacheDir: string, containerId: string): string {
  return join(cacheDir, `${containerId}.json`);
}

/** Writes (replaces) the record. */
export function writeDelegationRecord(cacheDir: string, rec: DelegationRecord): void {
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const file = recordFile(cacheDir, rec.containerId);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(rec), { mode: 0o600 });
  renameSync(tmp, file);
}

/** The record, or undefined when there is none (never added, or already deleted). */
export function readDelegationRecord(cacheDir: string, containerId: string): DelegationRecord | undefined {
  let text: string;
  try {
    text = readFileSync(recordFile(cacheDir, containerId), 'utf8');
  } catch {
    return undefined;
  }
  const rec = JSON.parse(text) as DelegationRecord;
  return rec.kind === 'virtnetDelegationV1' ? rec : undefined;
}

/** Removes the record; a missing one is fine. */
export function removeDelegationRecord(cacheDir: string, containerId: string): void {
  rmSync(recordFile(cacheDir, containerId), { force: true });
}

/** The container IDs that have a record. */
export function listDelegationRecords(cacheDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(cacheDir);
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith('.json') && !n.includes('.tmp-')).map((n) => n.slice(0, -5));
}
