// Keys the API does not define: accepted (KubeVirt may add fields), but reported as warnings with a
// "did you mean" so a typo like `macAdress` is not silently ignored. A key that is known structure at
// the wrong level (`interfaces` under `spec.domain`) is handed to `onMisplaced` instead: it is an error.
import type { IssueCollector } from './issue-collector.js';
import { isRawMap } from './spec-entries.js';
import type { FieldPath } from './spec-issue.js';
import { shown } from './shown-value.js';

/** Keys longer than this are not compared (a typo of a field name is short; the distance is quadratic). */
const MAX_COMPARED_KEY_CHARS = 64;

/** Levenshtein distance ignoring case, small strings only (field and kind names). */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(
        row[j]! + 1,
        row[j - 1]! + 1,
        prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1),
      );
      prev = cur;
    }
  }
  return row[b.length]!;
}

/**
 * Warns about keys of `raw` (at `path`) not in `known`. `belongsAt(key)` says where a known-but-
 * misplaced key belongs; such keys go to `onMisplaced(issues, path, where)` instead of a warning.
 */
export function warnUnknownKeys(
  raw: unknown,
  known: readonly string[],
  path: FieldPath,
  issues: IssueCollector,
  belongsAt?: (key: string) => string | undefined,
  onMisplaced?: (issues: IssueCollector, at: FieldPath, where: string) => void,
): void {
  if (!isRawMap(raw)) return;
  for (const key of Object.keys(raw)) {
    if (known.includes(key)) continue;
    const where = belongsAt?.(key);
    if (where !== undefined && onMisplaced) {
      onMisplaced(issues, [...path, key], where);
      continue;
    }
    const close =
      key.length > MAX_COMPARED_KEY_CHARS
        ? undefined
        : known.filter((k) => distance(key, k) <= 2).sort((x, y) => distance(key, x) - distance(key, y))[0];
    issues.warn(
      [...path, key],
      'UNKNOWN_FIELD',
      `${key.length > MAX_COMPARED_KEY_CHARS ? shown(key) : key} is not a field here and is ignored${close ? `; did you mean ${close}?` : ''}`,
    );
  }
}
