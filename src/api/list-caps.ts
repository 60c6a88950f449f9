// The longest lists validation reads: a bound on the work and the memory one document can cost, far
// above any VM (a machine has 29 free PCI slots of 8 functions each on its one bus). A longer list is an
// error at its path and only its first CAP elements are validated. Documented in README.md.
import type { IssueCollector } from './issue-collector.js';
import type { FieldPath } from './spec-issue.js';

export const LIST_CAPS = {
  interfaces: 65_536,
  networks: 65_536,
  /** Per interface. */
  ports: 4_096,
  portRanges: 4_096,
  /** Per interface: options 224-254 (31 values), so more always repeat one. */
  privateOptions: 256,
  ntpServers: 256,
  /** Disks are only read for their boot orders. */
  disks: 65_536,
} as const;

/** `list` cut to the cap of `kind`, with an error at `path` when it was longer. */
export function capped<T>(
  list: T[],
  kind: keyof typeof LIST_CAPS,
  path: FieldPath,
  issues: IssueCollector,
): T[] {
  const cap = LIST_CAPS[kind];
  if (list.length <= cap) return list;
  issues.error(
    path,
    'LIST_TOO_LONG',
    `${String(path[path.length - 1])} has ${list.length} entries; virtnet validates at most ${cap}`,
  );
  return list.slice(0, cap);
}
