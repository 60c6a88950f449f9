// Network namespaces: named ones under /var/run/netns (what `ip netns` manages) or any path such as
// /proc/PID/ns/net. Owns creation and deletion; validates names before they reach a path or argv.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { VirtnetError } from '../errors/virtnet-error.js';
import { runProgram } from '../exec/run-program.js';

export const NETNS_RUN_DIR = '/var/run/netns';
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** A namespace reference: a name managed by `ip netns`, or a path to an nsfs file. */
export type NetnsRef = { name: string } | { path: string };

/** Throws NETNS_INVALID_NAME unless `name` is safe to use as a file name and an argument. */
export function assertNetnsName(name: string): void {
  if (!NAME_RE.test(name) || name === '.' || name === '..') {
    throw new VirtnetError('NETNS_INVALID_NAME', `invalid network namespace name ${JSON.stringify(name)}`, {
      netns: name,
    });
  }
}

/** Parses a user-given namespace: an absolute path is a path, anything else a name. */
export function parseNetnsRef(value: string): NetnsRef {
  if (value.startsWith('/')) return { path: value };
  assertNetnsName(value);
  return { name: value };
}

/** The nsfs path of a namespace reference. */
export function netnsPath(ref: NetnsRef): string {
  return 'path' in ref ? ref.path : `${NETNS_RUN_DIR}/${ref.name}`;
}

/** The argument `ip -n X` / `ip netns exec X` accepts: a name, or a path for unnamed namespaces. */
export function netnsArg(ref: NetnsRef): string {
  return 'path' in ref ? ref.path : ref.name;
}

/** True when the namespace exists. */
export function netnsExists(ref: NetnsRef): boolean {
  return existsSync(netnsPath(ref));
}

/**
 * True when `path` is a namespace file (a file of the nsfs, like /proc/self/ns/net): a bind-mounted
 * namespace whose mount this mount namespace does not see is an empty regular file instead.
 */
export function isNamespaceFile(path: string): boolean {
  try {
    return statSync(path).dev === statSync('/proc/self/ns/net').dev;
  } catch {
    return false;
  }
}

/** Names of all namespaces under /var/run/netns. */
export function listNetns(): string[] {
  try {
    return readdirSync(NETNS_RUN_DIR).sort();
  } catch {
    return [];
  }
}

/** Creates a named namespace with `lo` up. Throws NETNS_EXISTS if it is already there. */
export async function createNetns(name: string): Promise<void> {
  assertNetnsName(name);
  if (netnsExists({ name }))
    throw new VirtnetError('NETNS_EXISTS', `network namespace ${name} already exists`, { netns: name });
  await runProgram(['ip', 'netns', 'add', name], { timeoutMs: 10_000 });
  try {
    await runProgram(['ip', '-n', name, 'link', 'set', 'lo', 'up'], { timeoutMs: 10_000 });
  } catch (err) {
    await deleteNetns(name);
    throw err;
  }
}

/**
 * Creates a named namespace and leaves its links alone, for callers that bring `lo` up with
 * setLoopbackUp concurrently with other work (pod creation). Throws NETNS_EXISTS if it is there.
 */
export async function addNetns(name: string): Promise<void> {
  assertNetnsName(name);
  if (netnsExists({ name }))
    throw new VirtnetError('NETNS_EXISTS', `network namespace ${name} already exists`, { netns: name });
  await runProgram(['ip', 'netns', 'add', name], { timeoutMs: 10_000 });
}

/** Brings `lo` up in namespace `name`. */
export async function setLoopbackUp(name: string): Promise<void> {
  assertNetnsName(name);
  await runProgram(['ip', '-n', name, 'link', 'set', 'lo', 'up'], { timeoutMs: 10_000 });
}

/** Deletes a named namespace; a missing one is not an error (idempotent). */
export async function deleteNetns(name: string): Promise<void> {
  assertNetnsName(name);
  if (!netnsExists({ name })) return;
  await runProgram(['ip', 'netns', 'delete', name], { timeoutMs: 30_000 });
}
