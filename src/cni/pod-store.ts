// On-disk state of embedded pods (state dir `pods/<pod>/`): `pod.json` for the pod itself and one
// file per attachment under `attachments/` (`<seq>-<ifname>.json`). One file per attachment lets the
// CNI proxy add and remove interfaces without rewriting what pod creation wrote, and teardown walks
// them in reverse sequence after any crash. Writes are atomic (write, then rename).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { faultPoint } from '../state/fault-point.js';
import { stateLayout } from '../state/state-dir.js';
import type { PlannedAttachment } from './pod-networks.js';

/** One attachment as recorded: the planned attachment, `adding` until its ADD succeeded. */
export interface PodAttachment extends PlannedAttachment {
  seq: number;
  state: 'adding' | 'ready';
  /** The ADD result, encoded in the list's version. */
  result?: Record<string, unknown>;
}

/** The pod record. */
export interface PodRecord {
  name: string;
  namespace: string;
  containerId: string;
  /** Named network namespace (always the pod name). */
  netns: string;
  status: 'creating' | 'ready' | 'deleting';
  /** Who created the pod (a `virtnet run`'s id): only that owner's teardown removes it. */
  owner?: string;
  createdAt: string;
  annotations: Record<string, string>;
  /** The CNI path the pod was created with; teardown uses it unless told otherwise. */
  cniPath?: string[];
  /** Where the pod's networks came from (absolute paths); the CNI proxy resolves networks there by default. */
  cniConfDir?: string;
  nadFiles?: string[];
}

/** Directory of pod `name`. */
export function podDir(stateDir: string, name: string): string {
  return join(stateLayout(stateDir).pods, name);
}

function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Writes the pod record (creating the pod directory). */
export function writePodRecord(stateDir: string, rec: PodRecord): void {
  const dir = podDir(stateDir, rec.name);
  mkdirSync(join(dir, 'attachments'), { recursive: true });
  writeJsonAtomic(join(dir, 'pod.json'), rec);
  faultPoint('pod.record');
}

/** The pod record, or undefined when the pod has no state. */
export function readPodRecord(stateDir: string, name: string): PodRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(podDir(stateDir, name), 'pod.json'), 'utf8')) as PodRecord;
  } catch {
    return undefined;
  }
}

function attachmentFile(stateDir: string, pod: string, a: Pick<PodAttachment, 'seq' | 'ifname'>): string {
  return join(podDir(stateDir, pod), 'attachments', `${String(a.seq).padStart(4, '0')}-${a.ifname}.json`);
}

/** Records (or updates) one attachment. */
export function writeAttachment(stateDir: string, pod: string, a: PodAttachment): void {
  writeJsonAtomic(attachmentFile(stateDir, pod, a), a);
  faultPoint('pod.attachment');
}

/** Forgets one attachment. */
export function removeAttachment(
  stateDir: string,
  pod: string,
  a: Pick<PodAttachment, 'seq' | 'ifname'>,
): void {
  rmSync(attachmentFile(stateDir, pod, a), { force: true });
  faultPoint('pod.attachment-removed');
}

/** The pod's attachments in creation order. */
export function readAttachments(stateDir: string, pod: string): PodAttachment[] {
  const dir = join(podDir(stateDir, pod), 'attachments');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: PodAttachment[] = [];
  for (const n of names.filter((x) => x.endsWith('.json')).sort()) {
    try {
      out.push(JSON.parse(readFileSync(join(dir, n), 'utf8')) as PodAttachment);
    } catch {
      /* a torn temp file never has the .json suffix; anything else unreadable is skipped */
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** Names of pods with state. */
export function listPodNames(stateDir: string): string[] {
  try {
    return readdirSync(stateLayout(stateDir).pods, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/** Removes the pod's state entirely. */
export function removePodDir(stateDir: string, name: string): void {
  rmSync(podDir(stateDir, name), { recursive: true, force: true });
  faultPoint('pod.removed');
}
