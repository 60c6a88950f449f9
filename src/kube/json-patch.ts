// RFC 6902 JSON patches from two values, as a mutating webhook returns them: objects are compared key by
// key, anything else (arrays included) is replaced whole — a defaulted list is one `replace`, which is
// what an apiserver applies atomically and what a reader of the patch expects. Pure.

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 6901: `~` → `~0`, `/` → `~1`. */
export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && sameJson(a[k], b[k]));
  }
  return false;
}

/** The operations that turn `before` into `after`, both at `path` (a JSON pointer, '' for the root). */
export function diffToPatch(before: unknown, after: unknown, path = ''): JsonPatchOp[] {
  if (sameJson(before, after)) return [];
  if (before === undefined) return [{ op: 'add', path, value: after }];
  if (!isObject(before) || !isObject(after)) return [{ op: 'replace', path, value: after }];
  const ops: JsonPatchOp[] = [];
  for (const key of Object.keys(before)) {
    if (!(key in after)) ops.push({ op: 'remove', path: `${path}/${escapePointerToken(key)}` });
  }
  for (const [key, value] of Object.entries(after)) {
    const p = `${path}/${escapePointerToken(key)}`;
    if (!(key in before)) ops.push({ op: 'add', path: p, value });
    else ops.push(...diffToPatch(before[key], value, p));
  }
  return ops;
}
