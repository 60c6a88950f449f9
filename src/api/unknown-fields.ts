// Keys inside the network part that the API does not define: accepted (KubeVirt may add fields), but
// reported as warnings with a "did you mean" so a typo like `macAdress` is not silently ignored.
import type { IssueCollector } from './issue-collector.js';
import { isRawMap } from './spec-entries.js';
import type { FieldPath } from './spec-issue.js';

/** Levenshtein distance, small strings only (field names). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** Warns about keys of `raw` (at `path`) not in `known`; `aliases` maps a key to the path it really has. */
export function warnUnknownKeys(raw: unknown, known: readonly string[], path: FieldPath, issues: IssueCollector): void {
  if (!isRawMap(raw)) return;
  for (const key of Object.keys(raw)) {
    if (known.includes(key)) continue;
    const close = known.filter((k) => distance(key, k) <= 2).sort((x, y) => distance(key, x) - distance(key, y))[0];
    issues.warn([...path, key], 'UNKNOWN_FIELD', `${key} is not a field here and is ignored${close ? `; did you mean ${close}?` : ''}`);
  }
}
